"""Drawing context shared by all garment builders: canvas, plan and the fabric's fills."""

from __future__ import annotations

from designer_bff.techflat.canvas import Canvas
from designer_bff.techflat.colors import mix
from designer_bff.techflat.geometry import Path, Pt
from designer_bff.techflat.patterns import pattern_def
from designer_bff.techflat.plan import Plan

HORIZONTAL_STRIPE_TYPES = {"t-shirt", "sweater", "top", "cardigan", "bodysuit", "romper"}


class Studio:
    """Wraps a Canvas with fabric-aware drawing helpers for one garment."""

    def __init__(self, canvas: Canvas, plan: Plan) -> None:
        self.c = canvas
        self.p = plan
        pal = plan.palette
        pid = canvas.new_id("p")
        markup = pattern_def(
            pid,
            plan.pattern,
            plan.pattern_scale,
            pal,
            plan.rng,
            vertical_stripes=plan.kind not in HORIZONTAL_STRIPE_TYPES,
        )
        if markup:
            canvas.add_def(markup)
            self.fill = f"url(#{pid})"
        else:
            self.fill = pal.primary
        self.gloss: str | None = None
        if plan.gloss:
            gid = canvas.new_id("g")
            canvas.add_def(
                f'<linearGradient id="{gid}" x1="0" y1="0" x2="1" y2="0.35">'
                '<stop offset="0" stop-color="#fff" stop-opacity="0"/>'
                '<stop offset="0.32" stop-color="#fff" stop-opacity="0.32"/>'
                '<stop offset="0.5" stop-color="#fff" stop-opacity="0"/>'
                '<stop offset="0.78" stop-color="#fff" stop-opacity="0.14"/>'
                '<stop offset="1" stop-color="#fff" stop-opacity="0"/></linearGradient>'
            )
            self.gloss = f"url(#{gid})"

    @property
    def line(self) -> str:
        """Interior construction line colour."""
        return self.p.palette.inner_line

    def fabric(self, path: Path, role: str = "outline", *, shadow: float = 0.0) -> None:
        """A cloth piece: print fill, optional sheen and sheerness, dark outline."""
        op = self.p.sheer if self.p.sheer < 1 else None
        if self.fill != self.p.palette.primary:
            # Solid underlay: resvg leaves faint light seams between pattern tiles otherwise.
            self.c.shape(path, self.p.palette.primary, "none", fill_opacity=op, bounds=False)
            op = None
        self.c.shape(path, self.fill, role, fill_opacity=op)
        if shadow > 0:
            self.c.shape(path, "#000", "none", fill_opacity=shadow, bounds=False)
        if self.gloss:
            self.c.shape(path, self.gloss, "none", bounds=False)

    def inside(self, path: Path) -> None:
        """The garment's inside seen through an opening (back neck, lining)."""
        self.c.shape(path, self.p.palette.inside, "outline")

    def seam(self, path: Path, role: str = "seam") -> None:
        """An interior seam line."""
        self.c.line(path, role, stroke=self.line)

    def stitch(self, path: Path) -> None:
        """Dashed topstitching."""
        self.c.line(path, "stitch", dashed=True, stroke=self.p.palette.stitch)

    def seg(self, a: Pt, b: Pt, role: str = "seam", *, dashed: bool = False) -> None:
        """A straight interior line (dashed lines use the stitch colour)."""
        stroke = self.p.palette.stitch if dashed else self.line
        self.c.seg(a, b, "stitch" if dashed else role, dashed=dashed, stroke=stroke)

    def button(self, c: Pt, r: float = 0.75) -> None:
        """A four-hole button."""
        hw = self.p.palette.hardware
        self.c.dot(c, r, hw, "fine", stroke=mix(hw, "#141414", 0.55))
        hole = mix(hw, "#141414", 0.6)
        for dx, dy in ((-0.22, -0.22), (0.22, -0.22), (-0.22, 0.22), (0.22, 0.22)):
            self.c.dot((c[0] + dx * r, c[1] + dy * r), r * 0.12, hole, "none")

    def rivet(self, c: Pt, r: float = 0.35) -> None:
        """A metal rivet or snap cap."""
        self.c.dot(c, r, "#c9a449", "fine", stroke="#7a5f1e")
