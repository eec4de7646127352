"""Path geometry for flats: points, cubic paths, mirroring, smoothing and hem curves.

Garments are drawn in a body frame measured roughly in centimetres: x = 0 is centre front,
y grows downwards and y = 0 is the high point of the shoulder (HPS).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

Pt = tuple[float, float]
MapFn = Callable[[Pt], Pt]


def add(a: Pt, b: Pt) -> Pt:
    """Vector sum."""
    return (a[0] + b[0], a[1] + b[1])


def sub(a: Pt, b: Pt) -> Pt:
    """Vector difference a - b."""
    return (a[0] - b[0], a[1] - b[1])


def mul(a: Pt, k: float) -> Pt:
    """Scale a vector."""
    return (a[0] * k, a[1] * k)


def lerp(a: Pt, b: Pt, t: float) -> Pt:
    """Linear interpolation between two points."""
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def norm(a: Pt) -> Pt:
    """Unit vector in the direction of a (a itself if it is zero)."""
    length = math.hypot(a[0], a[1])
    return a if length == 0 else (a[0] / length, a[1] / length)


def dist(a: Pt, b: Pt) -> float:
    """Euclidean distance."""
    return math.hypot(a[0] - b[0], a[1] - b[1])


def polar(angle_deg: float) -> Pt:
    """Unit vector hanging `angle_deg` outwards from straight down (positive x is outwards)."""
    rad = math.radians(angle_deg)
    return (math.sin(rad), math.cos(rad))


def fmt(v: float) -> str:
    """Compact fixed-precision number so equal geometry always serialises to equal bytes."""
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass
class Seg:
    """One path segment: a line (no controls) or a cubic Bézier (two controls)."""

    ctrl: tuple[Pt, ...]
    end: Pt


@dataclass
class Path:
    """An open or closed sequence of line and cubic segments starting at `start`."""

    start: Pt
    segs: list[Seg] = field(default_factory=list)

    @property
    def end(self) -> Pt:
        """The current end point."""
        return self.segs[-1].end if self.segs else self.start

    def line(self, p: Pt) -> Path:
        """Append a straight segment."""
        self.segs.append(Seg((), p))
        return self

    def curve(self, c1: Pt, c2: Pt, p: Pt) -> Path:
        """Append a cubic Bézier segment."""
        self.segs.append(Seg((c1, c2), p))
        return self

    def quad(self, c: Pt, p: Pt) -> Path:
        """Append a quadratic Bézier segment (stored as the equivalent cubic)."""
        s = self.end
        return self.curve(lerp(s, c, 2 / 3), lerp(p, c, 2 / 3), p)

    def poly(self, pts: Iterable[Pt]) -> Path:
        """Append straight segments through the points."""
        for p in pts:
            self.line(p)
        return self

    def extend(self, other: Path) -> Path:
        """Append another path, joining with a line if it does not start where this one ends."""
        if dist(self.end, other.start) > 1e-6:
            self.line(other.start)
        self.segs.extend(other.segs)
        return self

    def reversed(self) -> Path:
        """The same curve traversed backwards."""
        pts = [self.start] + [s.end for s in self.segs]
        out = Path(pts[-1])
        for i in range(len(self.segs) - 1, -1, -1):
            seg = self.segs[i]
            out.segs.append(Seg(tuple(reversed(seg.ctrl)), pts[i]))
        return out

    def mapped(self, fn: MapFn) -> Path:
        """Apply a point transform to every point."""
        return Path(fn(self.start), [Seg(tuple(fn(c) for c in s.ctrl), fn(s.end)) for s in self.segs])

    def mirrored(self) -> Path:
        """Reflect across the centre front (x → -x)."""
        return self.mapped(lambda p: (-p[0], p[1]))

    def moved(self, dx: float, dy: float) -> Path:
        """Translate."""
        return self.mapped(lambda p: (p[0] + dx, p[1] + dy))

    def points(self) -> list[Pt]:
        """Every point including control points (a conservative bounding hull)."""
        out = [self.start]
        for s in self.segs:
            out.extend(s.ctrl)
            out.append(s.end)
        return out

    def flatten(self, steps: int = 8) -> list[Pt]:
        """Polyline approximation (used for measuring, never for drawing)."""
        out = [self.start]
        cur = self.start
        for s in self.segs:
            if not s.ctrl:
                out.append(s.end)
            else:
                c1, c2 = s.ctrl
                out.extend(bezier_point(cur, c1, c2, s.end, i / steps) for i in range(1, steps + 1))
            cur = s.end
        return out

    def d(self, close: bool = False) -> str:
        """SVG path data."""
        parts = [f"M{fmt(self.start[0])} {fmt(self.start[1])}"]
        for s in self.segs:
            if s.ctrl:
                (a, b), (c, e), p = s.ctrl[0], s.ctrl[1], s.end
                parts.append(f"C{fmt(a)} {fmt(b)} {fmt(c)} {fmt(e)} {fmt(p[0])} {fmt(p[1])}")
            else:
                parts.append(f"L{fmt(s.end[0])} {fmt(s.end[1])}")
        if close:
            parts.append("Z")
        return "".join(parts)


def bezier_point(p0: Pt, c1: Pt, c2: Pt, p1: Pt, t: float) -> Pt:
    """Point on a cubic Bézier."""
    u = 1 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return (
        a * p0[0] + b * c1[0] + c * c2[0] + d * p1[0],
        a * p0[1] + b * c1[1] + c * c2[1] + d * p1[1],
    )


def smooth(points: Sequence[Pt], tension: float = 1.0) -> Path:
    """A C1-smooth path through the points (Catmull-Rom converted to cubic Béziers)."""
    path = Path(points[0])
    n = len(points)
    for i in range(n - 1):
        p0 = points[max(i - 1, 0)]
        p1, p2 = points[i], points[i + 1]
        p3 = points[min(i + 2, n - 1)]
        k = tension / 6
        c1 = (p1[0] + (p2[0] - p0[0]) * k, p1[1] + (p2[1] - p0[1]) * k)
        c2 = (p2[0] - (p3[0] - p1[0]) * k, p2[1] - (p3[1] - p1[1]) * k)
        path.curve(c1, c2, p2)
    return path


def split_y(path: Path, y_cut: float) -> tuple[Path, Path]:
    """Split a downward-running path where it crosses y_cut (segments split exactly)."""
    upper = Path(path.start)
    cur = path.start
    for i, s in enumerate(path.segs):
        if s.end[1] <= y_cut:
            upper.segs.append(s)
            cur = s.end
            continue
        if not s.ctrl:
            t = (y_cut - cur[1]) / (s.end[1] - cur[1]) if s.end[1] != cur[1] else 0.0
            mid = lerp(cur, s.end, max(0.0, min(1.0, t)))
            upper.line(mid)
            lower = Path(mid).line(s.end)
        else:
            c1, c2 = s.ctrl
            lo, hi = 0.0, 1.0
            for _ in range(30):  # bisection: y is monotone along side seams
                m = (lo + hi) / 2
                if bezier_point(cur, c1, c2, s.end, m)[1] < y_cut:
                    lo = m
                else:
                    hi = m
            t = (lo + hi) / 2
            a, b, c = lerp(cur, c1, t), lerp(c1, c2, t), lerp(c2, s.end, t)
            ab, bc = lerp(a, b, t), lerp(b, c, t)
            mid = lerp(ab, bc, t)
            upper.curve(a, ab, mid)
            lower = Path(mid).curve(bc, c, s.end)
        lower.segs.extend(path.segs[i + 1 :])
        return upper, lower
    return upper, Path(upper.end)


def truncate_y(path: Path, y_end: float) -> Path:
    """The part of a downward-running path above `y_end`."""
    return split_y(path, y_end)[0]


def x_at(path: Path, y: float) -> float:
    """x of a downward-running path at height y (clamped to its ends)."""
    pts = path.flatten(12)
    if y <= pts[0][1]:
        return pts[0][0]
    for a, b in pairwise(pts):
        if a[1] <= y <= b[1] and b[1] != a[1]:
            return a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1])
    return pts[-1][0]


@dataclass(frozen=True)
class Hem:
    """A hem line: straight between its two side points plus a parabolic sag at the middle.

    Because it is a function y(x) it can be extended past the side seams, which lets
    parallel stitch lines be drawn long and then clipped to the garment outline.
    """

    xr: float
    yr: float
    xl: float
    yl: float
    sag: float = 0.0

    def y(self, x: float) -> float:
        """Height of the hem at x."""
        span = self.xr - self.xl
        u = 0.0 if span == 0 else (x - self.xl) / span
        base = self.yl + (self.yr - self.yl) * u
        w = 2 * u - 1
        return base + self.sag * (1 - w * w)

    def path(self, x0: float, x1: float, dy: float = 0.0) -> Path:
        """The hem between x0 and x1 (either direction), shifted by dy, as one exact curve."""
        p0 = (x0, self.y(x0) + dy)
        p1 = (x1, self.y(x1) + dy)
        slope0 = self._slope(x0)
        mid_x = (x0 + x1) / 2
        ctrl = (mid_x, p0[1] + slope0 * (mid_x - x0))
        return Path(p0).quad(ctrl, p1)

    def _slope(self, x: float) -> float:
        h = 1e-3
        return (self.y(x + h) - self.y(x - h)) / (2 * h)


def scallops(a: Pt, b: Pt, count: int, depth: float) -> Path:
    """A row of arcs from a to b bulging `depth` to the left of travel (downwards for right→left)."""
    path = Path(a)
    direction = sub(b, a)
    normal = norm((direction[1], -direction[0]))
    for i in range(count):
        p0 = lerp(a, b, i / count)
        p1 = lerp(a, b, (i + 1) / count)
        bulge = mul(normal, -depth * 1.33)
        path.curve(add(lerp(p0, p1, 0.2), bulge), add(lerp(p0, p1, 0.8), bulge), p1)
    return path


def rect(x0: float, y0: float, x1: float, y1: float) -> Path:
    """Axis-aligned rectangle as a path."""
    return Path((x0, y0)).poly([(x1, y0), (x1, y1), (x0, y1)])


def ellipse(cx: float, cy: float, rx: float, ry: float) -> Path:
    """Ellipse approximated by four cubic arcs."""
    k = 0.5523
    p = Path((cx + rx, cy))
    p.curve((cx + rx, cy + ry * k), (cx + rx * k, cy + ry), (cx, cy + ry))
    p.curve((cx - rx * k, cy + ry), (cx - rx, cy + ry * k), (cx - rx, cy))
    p.curve((cx - rx, cy - ry * k), (cx - rx * k, cy - ry), (cx, cy - ry))
    p.curve((cx + rx * k, cy - ry), (cx + rx, cy - ry * k), (cx + rx, cy))
    return p
