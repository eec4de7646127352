"""A tiny retained-mode SVG canvas.

Elements are recorded with a semantic line role (outline, seam, stitch…) instead of a stroke
width, because the final pixel scale is only known once the whole garment's bounds are known.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from designer_bff.techflat.geometry import Path, Pt, ellipse, fmt

# Stroke widths in output pixels per unit of `base` (set from the image size).
ROLE_WIDTH = {"outline": 1.0, "seam": 0.62, "stitch": 0.5, "fine": 0.38, "none": 0.0}


@dataclass
class Item:
    """A drawable: SVG tag, attributes, line role and the points that bound it."""

    tag: str
    attrs: dict[str, str]
    role: str
    pts: list[Pt]
    stroke: str | None = None
    dashed: bool = False


@dataclass
class Group:
    """A group of items sharing a clip path, opacity or transform."""

    attrs: dict[str, str]
    children: list[Item | Group] = field(default_factory=list)
    dx: float = 0.0
    dy: float = 0.0


class Canvas:
    """Collects defs and drawables; `svg()` turns them into a document of the requested size."""

    def __init__(self, line_color: str) -> None:
        self.line_color = line_color
        self.defs: list[str] = []
        self.root = Group({})
        self._stack: list[Group] = [self.root]
        self._ids = 0
        self._offset: Pt = (0.0, 0.0)

    def new_id(self, prefix: str) -> str:
        """A document-unique element id."""
        self._ids += 1
        return f"{prefix}{self._ids}"

    def add_def(self, markup: str) -> None:
        """Register raw markup inside <defs>."""
        self.defs.append(markup)

    def clip(self, path: Path) -> str:
        """Register a clip path for a closed outline and return its id."""
        cid = self.new_id("c")
        self.add_def(f'<clipPath id="{cid}"><path d="{path.d(True)}"/></clipPath>')
        return cid

    @contextmanager
    def group(
        self, *, clip: str | None = None, opacity: float | None = None, dx: float = 0.0, dy: float = 0.0
    ) -> Iterator[Group]:
        """Nest subsequent drawing in a group (clip is applied in the group's local coordinates)."""
        attrs: dict[str, str] = {}
        if clip:
            attrs["clip-path"] = f"url(#{clip})"
        if opacity is not None:
            attrs["opacity"] = fmt(opacity)
        if dx or dy:
            attrs["transform"] = f"translate({fmt(dx)} {fmt(dy)})"
        g = Group(attrs, dx=dx, dy=dy)
        self._stack[-1].children.append(g)
        self._stack.append(g)
        prev = self._offset
        self._offset = (prev[0] + dx, prev[1] + dy)
        try:
            yield g
        finally:
            self._stack.pop()
            self._offset = prev

    def _push(self, item: Item) -> None:
        ox, oy = self._offset
        item.pts = [(x + ox, y + oy) for x, y in item.pts]
        self._stack[-1].children.append(item)

    def shape(
        self,
        path: Path,
        fill: str,
        role: str = "outline",
        *,
        stroke: str | None = None,
        fill_opacity: float | None = None,
        bounds: bool = True,
    ) -> None:
        """A closed, filled and outlined shape."""
        attrs = {"d": path.d(True), "fill": fill}
        if fill_opacity is not None:
            attrs["fill-opacity"] = fmt(fill_opacity)
        self._push(Item("path", attrs, role, path.points() if bounds else [], stroke))

    def line(
        self, path: Path, role: str = "seam", *, dashed: bool = False, stroke: str | None = None
    ) -> None:
        """An open stroked path (seams, stitching, creases)."""
        self._push(Item("path", {"d": path.d(), "fill": "none"}, role, [], stroke, dashed))

    def seg(
        self, a: Pt, b: Pt, role: str = "seam", *, dashed: bool = False, stroke: str | None = None
    ) -> None:
        """A straight stroked segment."""
        self.line(Path(a).line(b), role, dashed=dashed, stroke=stroke)

    def dot(self, c: Pt, r: float, fill: str, role: str = "fine", *, stroke: str | None = None) -> None:
        """A filled circle (buttons, rivets, grommets)."""
        self._push(Item("path", {"d": ellipse(c[0], c[1], r, r).d(True), "fill": fill}, role, [], stroke))

    def translate(self, g: Group, dx: float, dy: float) -> None:
        """Move an already drawn group (used to lay out the pieces of a set side by side)."""
        g.dx += dx
        g.dy += dy
        g.attrs["transform"] = f"translate({fmt(g.dx)} {fmt(g.dy)})"

        def walk(node: Group) -> None:
            for child in node.children:
                if isinstance(child, Group):
                    walk(child)
                else:
                    child.pts = [(x + dx, y + dy) for x, y in child.pts]

        walk(g)

    def bounds(self, root: Group | None = None) -> tuple[float, float, float, float]:
        """Bounding box of everything (or one group) that declared bounds."""
        xs: list[float] = []
        ys: list[float] = []

        def walk(g: Group) -> None:
            for child in g.children:
                if isinstance(child, Group):
                    walk(child)
                else:
                    xs.extend(p[0] for p in child.pts)
                    ys.extend(p[1] for p in child.pts)

        walk(root or self.root)
        if not xs:
            return (-10.0, -10.0, 10.0, 10.0)
        return (min(xs), min(ys), max(xs), max(ys))

    def svg(self, width: int, height: int, background: str, margin: float = 0.07) -> str:
        """Serialise, fitting the drawing centred in width×height with a relative margin."""
        x0, y0, x1, y1 = self.bounds()
        vw, vh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        aspect = width / height
        # Grow the short side to the target aspect so the garment keeps its proportions, then pad.
        if vw / vh < aspect:
            vw = vh * aspect
        else:
            vh = vw / aspect
        vw *= 1 + 2 * margin
        vh *= 1 + 2 * margin
        vx, vy = (x0 + x1) / 2 - vw / 2, (y0 + y1) / 2 - vh / 2
        unit = vw / width  # user units per output pixel
        base = max(0.75, min(width, height) / 420 + 0.25) * unit
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="{fmt(vx)} {fmt(vy)} {fmt(vw)} {fmt(vh)}" preserveAspectRatio="xMidYMid meet">',
            "<defs>" + "".join(self.defs) + "</defs>",
            f'<rect x="{fmt(vx - 1)}" y="{fmt(vy - 1)}" width="{fmt(vw + 2)}" height="{fmt(vh + 2)}" '
            f'fill="{background}"/>',
        ]
        self._emit(self.root, out, base)
        out.append("</svg>")
        return "".join(out)

    def _emit(self, g: Group, out: list[str], base: float) -> None:
        for child in g.children:
            if isinstance(child, Group):
                attrs = "".join(f' {k}="{v}"' for k, v in child.attrs.items())
                out.append(f"<g{attrs}>")
                self._emit(child, out, base)
                out.append("</g>")
                continue
            attrs = "".join(f' {k}="{v}"' for k, v in child.attrs.items())
            width = ROLE_WIDTH.get(child.role, 0.6) * base
            if width > 0:
                stroke = child.stroke or self.line_color
                attrs += f' stroke="{stroke}" stroke-width="{fmt(width) if width >= 0.01 else "0.01"}"'
                attrs += ' stroke-linejoin="round" stroke-linecap="round"'
                if child.dashed:
                    attrs += f' stroke-dasharray="{fmt(width * 3.2)} {fmt(width * 2.4)}"'
            out.append(f"<{child.tag}{attrs}/>")
