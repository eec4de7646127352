"""Pockets, hem finishes, construction seams and surface embellishments."""

from __future__ import annotations

import math

from designer_bff.techflat.colors import mix
from designer_bff.techflat.geometry import Hem, Path, Pt, ellipse, scallops
from designer_bff.techflat.studio import Studio


def patch_pocket(st: Studio, cx: float, y: float, w: float, h: float, *, flap: bool = False) -> None:
    """A patch pocket (pointed base) with edge stitching and an optional buttoned flap."""
    x0, x1 = cx - w / 2, cx + w / 2
    body = Path((x0, y)).line((x1, y)).line((x1, y + h - 1.0)).line((cx, y + h)).line((x0, y + h - 1.0))
    st.fabric(body, "seam")
    st.stitch(
        Path((x0 + 0.6, y + 0.6)).poly(
            [(x0 + 0.6, y + h - 1.4), (cx, y + h - 0.6), (x1 - 0.6, y + h - 1.4), (x1 - 0.6, y + 0.6)]
        )
    )
    if flap:
        flap_path = (
            Path((x0 - 0.3, y - 0.4)).line((x1 + 0.3, y - 0.4)).line((x1 + 0.3, y + 2.6)).line((cx, y + 3.6))
        )
        flap_path.line((x0 - 0.3, y + 2.6))
        st.fabric(flap_path, "seam")
        st.button((cx, y + 2.3), 0.5)
    else:
        st.seg((x0 + 0.6, y + 1.4), (x1 - 0.6, y + 1.4), dashed=True)


def welt_pocket(st: Studio, cx: float, y: float, w: float, angle: float = 0.0) -> None:
    """A jetted welt: a narrow slot, optionally slanted."""
    a = math.radians(angle)
    dx, dy = math.cos(a) * w / 2, math.sin(a) * w / 2
    nx, ny = -math.sin(a) * 1.1, math.cos(a) * 1.1
    slot = Path((cx - dx, y - dy)).poly(
        [(cx + dx, y + dy), (cx + dx + nx, y + dy + ny), (cx - dx + nx, y - dy + ny)]
    )
    st.fabric(slot, "seam")
    st.seg((cx - dx + nx / 2, y - dy + ny / 2), (cx + dx + nx / 2, y + dy + ny / 2), "fine")


def flap_pocket(st: Studio, cx: float, y: float, w: float) -> None:
    """A flap over a welt, as on tailored jackets and coats."""
    x0, x1 = cx - w / 2, cx + w / 2
    st.seg((x0, y), (x1, y), "seam")
    flap = Path((x0, y)).line((x1, y)).line((x1 + 0.1, y + 4.0)).quad((x1, y + 4.6), (x1 - 0.6, y + 4.6))
    flap.line((x0 + 0.6, y + 4.6)).quad((x0, y + 4.6), (x0 - 0.1, y + 4.0))
    st.fabric(flap, "seam")
    st.stitch(Path((x0 + 0.6, y + 0.5)).poly([(x0 + 0.6, y + 3.9), (x1 - 0.6, y + 3.9), (x1 - 0.6, y + 0.5)]))


def slash_pocket(st: Studio, a: Pt, b: Pt) -> None:
    """Slanted side pockets from a (at the waist) to b (past the side seam), both sides."""
    for sign in (1.0, -1.0):
        st.seg((sign * a[0], a[1]), (sign * b[0], b[1]), "seam")
        st.seg((sign * (a[0] + 0.7), a[1]), (sign * (b[0] - 0.3), b[1] - 0.8), dashed=True)


def scoop_pocket(st: Studio, a: Pt, b: Pt, *, coin: bool) -> None:
    """Jeans-style curved front pockets from a (waist) to b (side), with stitching and rivets."""
    for sign in (1.0, -1.0):
        curve = Path((sign * a[0], a[1])).curve(
            (sign * (a[0] + 0.3), b[1] - 2.0), (sign * (b[0] - 4.0), b[1]), (sign * (b[0] + 1.0), b[1])
        )
        st.seam(curve)
        st.stitch(curve.moved(-sign * 0.8, 0.8))
        st.rivet((sign * (a[0] + 0.4), a[1] + 0.7))
        st.rivet((sign * (b[0] - 0.9), b[1] - 0.6))
    if coin:
        cx = a[0] + 0.6
        st.seam(Path((cx, a[1])).poly([(cx, a[1] + 4.8), (cx + 4.0, a[1] + 4.8), (cx + 4.6, a[1] + 1.0)]))
        st.stitch(Path((cx + 0.6, a[1] + 1.4)).poly([(cx + 0.6, a[1] + 4.2), (cx + 3.6, a[1] + 4.2)]))


def cargo_pocket(st: Studio, x: float, y: float) -> None:
    """Big bellows pocket with flap on the outer thigh (both legs; x is the right-leg centre)."""
    for sign in (1.0, -1.0):
        cx = sign * x
        patch_pocket(st, cx, y, 7.5, 9.0, flap=True)
        st.seg((cx, y + 4.0), (cx, y + 8.4), "fine")


def inseam_pocket(st: Studio, side: Pt, length: float = 9.0) -> None:
    """Bar-tacked openings hinted along the side seams."""
    x, y = side
    for sign in (1.0, -1.0):
        st.seg((sign * (x - 0.9), y), (sign * (x - 1.2), y + length), dashed=True)
        for yy in (y, y + length):
            st.seg((sign * (x - 1.6), yy), (sign * (x - 0.1), yy), "seam")


def ruffle_tier(st: Studio, hem: Hem, height: float, flare: float = 0.18) -> None:
    """A flounce sewn to the hem with a scalloped lower edge and fold lines."""
    xr, xl = hem.xr, hem.xl
    fr = (xr - xl) * flare / 2
    br, bl = (xr + fr, hem.yr + height), (xl - fr, hem.yl + height)
    n = max(5, int((br[0] - bl[0]) / 4.2))
    tier = hem.path(xl - 0.2, xr + 0.2).line(br)
    tier.extend(scallops(br, bl, n, 1.0)).line((xl - 0.2, hem.y(xl)))
    st.fabric(tier)
    for k in range(1, n):
        t = k / n
        bx = br[0] + (bl[0] - br[0]) * t
        tx = xr + (xl - xr) * t
        st.seg((tx, hem.y(tx) + 0.5), (bx, br[1] + (bl[1] - br[1]) * t - 0.3), "fine")


def rib_hem(st: Studio, hem: Hem, depth: float) -> None:
    """Knit rib band lines above the hem (draw inside the piece's clip)."""
    lo, hi = hem.xl - 4, hem.xr + 4
    st.seam(hem.path(lo, hi, -depth))
    x = lo
    while x < hi:
        st.seg((x, hem.y(x) - depth), (x, hem.y(x)), "fine")
        x += 0.9


def hem_stitch(st: Studio, hem: Hem, offset: float = 1.8) -> None:
    """Topstitched hem line (draw inside the piece's clip)."""
    st.stitch(hem.path(hem.xl - 4, hem.xr + 4, -offset))


def raw_hem(st: Studio, hem: Hem) -> None:
    """Frayed edge: a fringe of short threads."""
    x = hem.xl + 0.3
    i = 0
    while x < hem.xr - 0.3:
        y = hem.y(x)
        st.c.seg((x, y), (x + 0.1, y + (0.9 if i % 2 else 0.5)), "fine", stroke=st.p.palette.line)
        x += 0.6
        i += 1


def fringe(st: Studio, hem: Hem, length: float = 5.0) -> None:
    """Hanging fringe below the hem."""
    color = mix(st.p.palette.primary, st.p.palette.line, 0.35)
    x = hem.xl + 0.4
    while x < hem.xr - 0.3:
        y = hem.y(x)
        st.c.seg((x, y), (x + 0.15, y + length), "stitch", stroke=color)
        x += 0.75


def split(st: Studio, hem: Hem, x: float, height: float) -> None:
    """A slit rising from the hem, shown slightly open."""
    y = hem.y(x)
    gap = Path((x, y - height)).line((x + 1.1, y + 0.05)).line((x - 1.1, y + 0.05))
    st.c.shape(gap, "#fbfaf7", "seam", bounds=False)
    st.seg((x, y - height - 1.0), (x, y - height), "seam")


def lace_trim(st: Studio, hem: Hem) -> None:
    """A scalloped lace edging under the hem."""
    a, b = (hem.xr, hem.yr), (hem.xl, hem.yl)
    n = max(6, int((hem.xr - hem.xl) / 2.4))
    trim = hem.path(hem.xl, hem.xr).line((a[0], a[1] + 1.6))
    trim.extend(scallops((a[0], a[1] + 1.6), (b[0], b[1] + 1.6), n, 0.9)).line(b)
    st.c.shape(trim, "#f7f4ec", "seam")
    for k in range(n):
        x = hem.xr - (hem.xr - hem.xl) * (k + 0.5) / n
        st.c.dot((x, hem.y(x) + 1.5), 0.32, "none", "fine", stroke=st.p.palette.line)


def princess(st: Studio, s: Pt, waist: Pt, hem_y: float) -> None:
    """Princess seams from the armhole over the bust to the hem (both sides)."""
    for sign in (1.0, -1.0):
        path = Path((sign * (s[0] - 2.0), s[1] + 6.0)).curve(
            (sign * (s[0] - 5.0), s[1] + 14.0), (sign * waist[0], waist[1] - 8.0), (sign * waist[0], waist[1])
        )
        path.curve(
            (sign * waist[0], waist[1] + 8.0),
            (sign * (waist[0] + 1.5), hem_y - 10),
            (sign * (waist[0] + 2.0), hem_y + 3),
        )
        st.seam(path)


def darts(st: Studio, x: float, waist_y: float, side_x: float) -> None:
    """Bust and waist darts (both sides)."""
    for sign in (1.0, -1.0):
        st.seg((sign * (side_x + 1.0), 25.0), (sign * (side_x - 6.0), 23.0), "fine")
        st.seg((sign * x, waist_y - 9.0), (sign * (x - 0.4), waist_y), "fine")
        st.seg((sign * (x - 0.4), waist_y), (sign * x, waist_y + 7.0), "fine")


def quilting(st: Studio, box: tuple[float, float, float, float], step: float = 5.0) -> None:
    """Diagonal diamond quilting over a region (draw inside a clip)."""
    x0, y0, x1, y1 = box
    span = (x1 - x0) + (y1 - y0)
    k = -span
    while k < span:
        st.seg((x0 + k, y0), (x0 + k + (y1 - y0), y1), dashed=True)
        st.seg((x1 - k, y0), (x1 - k - (y1 - y0), y1), dashed=True)
        k += step


def scatter(st: Studio, box: tuple[float, float, float, float], kind: str, count: int) -> None:
    """Beading / sequins scattered in a region (draw inside a clip)."""
    x0, y0, x1, y1 = box
    rng = st.p.rng
    bead = "#f4ecd8" if kind == "beading" else mix(st.p.palette.primary, "#ffffff", 0.55)
    for _ in range(count):
        c = (rng.uniform(x0, x1), rng.uniform(y0, y1))
        if kind == "sequins":
            st.c.dot(c, 0.55, bead, "fine", stroke=mix(st.p.palette.primary, "#141414", 0.4))
        else:
            st.c.dot(c, 0.28, bead, "none")


def flower(st: Studio, c: Pt, r: float, color: str) -> None:
    """A small embroidered flower (also used for appliqué)."""
    for i in range(5):
        a = math.radians(72 * i)
        st.c.shape(
            ellipse(c[0] + math.cos(a) * r * 0.55, c[1] + math.sin(a) * r * 0.55, r * 0.42, r * 0.42),
            color,
            "fine",
            stroke=mix(color, "#141414", 0.5),
            bounds=False,
        )
    st.c.dot(c, r * 0.3, mix(color, "#f6d32d", 0.6), "fine")


def gathers(st: Studio, y: float, half: float, length: float = 3.0, step: float = 1.6) -> None:
    """Short gather lines hanging from a seam at y."""
    x = -half + step / 2
    while x < half:
        st.seg((x, y + 0.4), (x * 1.02, y + length), "fine")
        x += step
