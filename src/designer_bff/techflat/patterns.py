"""Print and weave patterns as SVG <pattern> tiles in garment (centimetre-like) units.

Every tile paints the primary colour as ground and keeps the secondary colour's share well
under half, so the garment still reads as its primary colour at a glance.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from designer_bff.techflat.colors import Palette, mix
from designer_bff.techflat.geometry import Path, Pt, ellipse, fmt

SCALE = {"small": 0.6, "medium": 1.0, "large": 1.7}
BASE_SIZE = {
    "stripe": 4.2,
    "check": 6.0,
    "houndstooth": 2.8,
    "floral": 20.0,
    "polka-dot": 4.2,
    "geometric": 7.0,
    "animal": 13.0,
    "paisley": 15.0,
    "abstract": 22.0,
}
Painter = Callable[[float, Palette, random.Random], str]


def _poly(pts: list[Pt], fill: str) -> str:
    d = "M" + "L".join(f"{fmt(x)} {fmt(y)}" for x, y in pts) + "Z"
    return f'<path d="{d}" fill="{fill}"/>'


def _rect(x: float, y: float, w: float, h: float, fill: str, opacity: float | None = None) -> str:
    op = f' fill-opacity="{fmt(opacity)}"' if opacity is not None else ""
    return f'<rect x="{fmt(x)}" y="{fmt(y)}" width="{fmt(w)}" height="{fmt(h)}" fill="{fill}"{op}/>'


def _wrapped(t: float, x: float, y: float, reach: float, body: str) -> str:
    """Repeat a motif at the neighbouring tile offsets it spills into, so tiles join seamlessly."""
    out = []
    for ox in (-t, 0.0, t):
        for oy in (-t, 0.0, t):
            cx, cy = x + ox, y + oy
            if -reach < cx < t + reach and -reach < cy < t + reach:
                out.append(f'<g transform="translate({fmt(cx)} {fmt(cy)})">{body}</g>')
    return "".join(out)


def _stripe(t: float, pal: Palette, rng: random.Random) -> str:
    w = t * rng.uniform(0.3, 0.38)
    return _rect(0, (t - w) / 2, t, w, pal.secondary)


def _stripe_vertical(t: float, pal: Palette, rng: random.Random) -> str:
    w = t * rng.uniform(0.3, 0.38)
    return _rect((t - w) / 2, 0, w, t, pal.secondary)


def _check(t: float, pal: Palette, rng: random.Random) -> str:
    # Gingham: half-tone bands, solid where they cross; a hairline adds a woven feel.
    # Colours are pre-mixed because translucent fills slow resvg's pattern rendering a lot.
    b = t * 0.26
    band = mix(pal.primary, pal.secondary, 0.45)
    line = mix(pal.primary, pal.secondary, 0.6)
    return (
        _rect(0, 0, b, t, band)
        + _rect(0, 0, t, b, band)
        + _rect(0, 0, b, b, pal.secondary)
        + _rect(t * 0.63, 0, t * 0.03, t, line)
        + _rect(0, t * 0.63, t, t * 0.03, line)
    )


def _clip_band(square: list[Pt], lo: float, hi: float) -> list[Pt]:
    """Part of a convex polygon with lo ≤ x + y ≤ hi (Sutherland–Hodgman, two half-planes)."""

    def cut(poly: list[Pt], inside: Callable[[Pt], float]) -> list[Pt]:
        out: list[Pt] = []
        for i, p in enumerate(poly):
            q = poly[(i + 1) % len(poly)]
            fp, fq = inside(p), inside(q)
            if fp >= 0:
                out.append(p)
            if (fp >= 0) != (fq >= 0):
                k = fp / (fp - fq)
                out.append((p[0] + (q[0] - p[0]) * k, p[1] + (q[1] - p[1]) * k))
        return out

    poly = cut(square, lambda p: p[0] + p[1] - lo)
    return cut(poly, lambda p: hi - p[0] - p[1]) if poly else poly


def _houndstooth(t: float, pal: Palette, rng: random.Random) -> str:
    # Dark square in one quadrant, diagonal stripes in the two mixed quadrants: the classic tooth.
    # Teeth are trimmed by a hair (inset) so the ground colour keeps the majority of the cloth.
    h = t / 2
    inset = h * 0.05
    out = [_rect(inset, h + inset, h - 2 * inset, h - 2 * inset, pal.secondary)]
    for qx, qy in ((0.0, 0.0), (h, h)):
        square = [(qx, qy), (qx + h, qy), (qx + h, qy + h), (qx, qy + h)]
        base = qx + qy
        for k in range(4):
            if k % 2 == 1:
                band = _clip_band(square, base + k * h / 2 + inset, base + (k + 1) * h / 2 - inset)
                if len(band) >= 3:
                    out.append(_poly(band, pal.secondary))
    return "".join(out)


def _dots(t: float, pal: Palette, rng: random.Random) -> str:
    r = t * 0.16
    return _wrapped(t, t * 0.25, t * 0.25, r, f'<circle r="{fmt(r)}" fill="{pal.secondary}"/>') + _wrapped(
        t, t * 0.75, t * 0.75, r, f'<circle r="{fmt(r)}" fill="{pal.secondary}"/>'
    )


def _petal_flower(r: float, petals: int, rot: float, pal: Palette) -> str:
    centre = mix(pal.secondary, pal.primary, 0.5)
    parts = []
    for i in range(petals):
        a = rot + 360 * i / petals
        parts.append(
            f'<ellipse cx="0" cy="{fmt(-r * 0.55)}" rx="{fmt(r * 0.36)}" ry="{fmt(r * 0.55)}" '
            f'transform="rotate({fmt(a)})" fill="{pal.secondary}"/>'
        )
    parts.append(f'<circle r="{fmt(r * 0.24)}" fill="{centre}"/>')
    return "".join(parts)


def _leaf(r: float, rot: float, color: str) -> str:
    d = Path((0, 0)).curve((r * 0.5, -r * 0.3), (r * 0.9, -r * 0.1), (r * 1.2, 0))
    d.curve((r * 0.9, r * 0.25), (r * 0.4, r * 0.3), (0, 0))
    return f'<path d="{d.d(True)}" fill="{color}" transform="rotate({fmt(rot)})"/>'


def _floral(t: float, pal: Palette, rng: random.Random) -> str:
    leaf = mix(pal.secondary, pal.primary, 0.45)
    out = []
    # A jittered 3×3 grid with mixed flower sizes hides the tile repeat.
    cells = [((i + 0.5 + (0.5 if j % 2 else 0.0)) / 3, (j + 0.5) / 3) for j in range(3) for i in range(3)]
    for i, (u, v) in enumerate(cells):
        x = (u + rng.uniform(-0.07, 0.07)) * t
        y = (v + rng.uniform(-0.07, 0.07)) * t
        r = t * (0.1 if i % 3 == 0 else 0.07) * rng.uniform(0.85, 1.15)
        rot = rng.uniform(0, 72)
        body = _leaf(r * 1.3, rot + 20, leaf) + _leaf(r * 1.1, rot + 200, leaf)
        body += _petal_flower(r, 5 if i % 2 == 0 else 6, rot, pal)
        out.append(_wrapped(t, x, y, r * 2.2, body))
    for _ in range(5):
        x, y = rng.uniform(0, t), rng.uniform(0, t)
        out.append(_wrapped(t, x, y, t * 0.03, f'<circle r="{fmt(t * 0.018)}" fill="{pal.secondary}"/>'))
    return "".join(out)


def _geometric(t: float, pal: Palette, rng: random.Random) -> str:
    h = t / 2
    diamond = [(h, t * 0.18), (t * 0.82, h), (h, t * 0.82), (t * 0.18, h)]
    inner = mix(pal.secondary, pal.primary, 0.55)
    small = [(h, t * 0.36), (t * 0.64, h), (h, t * 0.64), (t * 0.36, h)]
    lines = (
        f'<path d="M0 0L{fmt(t)} {fmt(t)}M{fmt(t)} 0L0 {fmt(t)}" stroke="{pal.secondary}" '
        f'stroke-width="{fmt(t * 0.03)}" fill="none"/>'
    )
    return lines + _poly(diamond, pal.secondary) + _poly(small, inner)


def _blob(r: float, rng: random.Random, n: int = 7) -> Path:
    """An irregular closed blob around the origin."""
    radii = [r * rng.uniform(0.7, 1.15) for _ in range(n)]
    pts = [
        (radii[i] * math.cos(2 * math.pi * i / n), radii[i] * math.sin(2 * math.pi * i / n)) for i in range(n)
    ]
    path = Path(((pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2))
    for i in range(1, n + 1):
        p, q = pts[i % n], pts[(i + 1) % n]
        path.quad(p, ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2))
    return path


def _animal(t: float, pal: Palette, rng: random.Random) -> str:
    # Leopard rosettes: broken dark rings around a tinted centre.
    centre = mix(pal.primary, pal.secondary, 0.3)
    out = []
    cells = [(i, j) for i in range(3) for j in range(3)]
    for i, j in cells:  # a jittered grid spreads spots evenly, as on a real pelt
        x = (i + 0.5 + rng.uniform(-0.3, 0.3) + (0.5 if j % 2 else 0.0)) * t / 3
        y = (j + 0.5 + rng.uniform(-0.3, 0.3)) * t / 3
        r = t * rng.uniform(0.06, 0.085)
        body = f'<path d="{_blob(r * 0.75, rng).d(True)}" fill="{centre}"/>'
        for k in range(rng.randint(3, 4)):
            a = math.radians(k * 100 + rng.uniform(0, 40))
            px, py = math.cos(a) * r, math.sin(a) * r
            body += (
                f'<ellipse cx="{fmt(px)}" cy="{fmt(py)}" rx="{fmt(r * 0.52)}" ry="{fmt(r * 0.3)}" '
                f'transform="rotate({fmt(math.degrees(a) + 90)} {fmt(px)} {fmt(py)})" '
                f'fill="{pal.secondary}"/>'
            )
        out.append(_wrapped(t, x, y, r * 1.6, body))
    return "".join(out)


def _paisley_motif(r: float, pal: Palette) -> str:
    outer = Path((0, r)).curve((-r * 1.1, r), (-r * 1.0, -r * 0.6), (0, -r * 0.8))
    outer.curve((r * 0.6, -r * 0.9), (r * 1.3, -r * 1.6), (r * 0.9, -r * 2.0))
    outer.curve((r * 1.6, -r * 1.2), (r * 1.2, r), (0, r))
    inner = mix(pal.secondary, pal.primary, 0.5)
    return (
        f'<path d="{outer.d(True)}" fill="{pal.secondary}"/>'
        f'<path d="{ellipse(0, 0, r * 0.5, r * 0.55).d(True)}" fill="{inner}"/>'
        f'<circle r="{fmt(r * 0.2)}" fill="{pal.primary}"/>'
    )


def _paisley(t: float, pal: Palette, rng: random.Random) -> str:
    out = []
    for u, v, rot in ((0.3, 0.3, 20.0), (0.75, 0.75, 200.0)):
        x, y = (u + rng.uniform(-0.05, 0.05)) * t, (v + rng.uniform(-0.05, 0.05)) * t
        r = t * 0.1
        body = f'<g transform="rotate({fmt(rot + rng.uniform(-15, 15))})">{_paisley_motif(r, pal)}</g>'
        out.append(_wrapped(t, x, y, r * 2.5, body))
    for u, v in ((0.75, 0.2), (0.2, 0.8)):
        out.append(
            _wrapped(t, u * t, v * t, t * 0.04, f'<circle r="{fmt(t * 0.025)}" fill="{pal.secondary}"/>')
        )
    return "".join(out)


def _abstract(t: float, pal: Palette, rng: random.Random) -> str:
    tint = mix(pal.secondary, pal.primary, 0.5)
    out = []
    for i in range(4):
        x, y = rng.uniform(0, t), rng.uniform(0, t)
        blob = _blob(t * rng.uniform(0.06, 0.11), rng).d(True)
        body = f'<path d="{blob}" fill="{tint if i % 2 else pal.secondary}"/>'
        out.append(_wrapped(t, x, y, t * 0.15, body))
    for _ in range(3):
        x, y = rng.uniform(0, t), rng.uniform(0, t)
        a, ln = rng.uniform(0, math.pi), t * rng.uniform(0.15, 0.25)
        stroke = Path((0, 0)).quad(
            (ln * 0.5, ln * rng.uniform(-0.4, 0.4)), (ln * math.cos(a), ln * math.sin(a))
        )
        body = (
            f'<path d="{stroke.d()}" fill="none" stroke="{pal.secondary}" stroke-width="{fmt(t * 0.025)}" '
            'stroke-linecap="round"/>'
        )
        out.append(_wrapped(t, x, y, ln + 1, body))
    return "".join(out)


PAINTERS: dict[str, Painter] = {
    "stripe": _stripe,
    "stripe-v": _stripe_vertical,
    "check": _check,
    "houndstooth": _houndstooth,
    "floral": _floral,
    "polka-dot": _dots,
    "geometric": _geometric,
    "animal": _animal,
    "paisley": _paisley,
    "abstract": _abstract,
}


def pattern_def(
    pid: str, kind: str, scale: str | None, pal: Palette, rng: random.Random, *, vertical_stripes: bool
) -> str | None:
    """A <pattern> element for the print, or None for solid cloth."""
    if kind not in BASE_SIZE:
        return None
    t = BASE_SIZE[kind] * SCALE.get(scale or "medium", 1.0)
    painter = PAINTERS["stripe-v" if kind == "stripe" and vertical_stripes else kind]
    body = _rect(-0.01, -0.01, t + 0.02, t + 0.02, pal.primary) + painter(t, pal, rng)
    # Seeds shift the print's placement (motifs are already turned individually); a rotated
    # patternTransform would triple resvg's raster time, so the tile itself is never rotated.
    ox, oy = rng.uniform(0, t), rng.uniform(0, t)
    return (
        f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="{fmt(t)}" height="{fmt(t)}" '
        f'patternTransform="translate({fmt(ox)} {fmt(oy)})">{body}</pattern>'
    )
