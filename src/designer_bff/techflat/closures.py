"""Closures and waist hardware: plackets, buttons, zips, lacing, drawstrings, belts and bows."""

from __future__ import annotations

from designer_bff.techflat.colors import mix
from designer_bff.techflat.geometry import Path, Pt, ellipse, rect
from designer_bff.techflat.studio import Studio


def button_column(st: Studio, x: float, y0: float, y1: float, count: int, r: float = 0.7) -> None:
    """`count` buttons evenly spaced on x from y0 to y1."""
    if count <= 0:
        return
    step = (y1 - y0) / max(count - 1, 1)
    for i in range(count):
        st.button((x, y0 + step * i if count > 1 else y0), r)


def placket(st: Studio, y0: float, y1: float, *, half: float = 1.6, buttons: int = 0) -> None:
    """A centre-front button stand with edge stitching."""
    for x in (-half, half):
        st.seg((x, y0), (x, y1), "seam")
    st.seg((-half + 0.45, y0), (-half + 0.45, y1), dashed=True)
    button_column(st, 0.0, y0 + 1.6, y1 - max(4.0, (y1 - y0) * 0.08), buttons)


def front_opening(
    st: Studio, y0: float, y1: float, *, x: float = 1.7, buttons: int = 0, stitch: bool = True
) -> None:
    """The overlapping front edge of an open garment, buttons on the centre line just inside it."""
    st.c.seg((x, y0), (x, y1), "outline", stroke=st.p.palette.line)
    if stitch:
        st.seg((x - 0.6, y0 + 0.5), (x - 0.6, y1 - 0.7), dashed=True)
    button_column(st, x - 1.7, y0 + 1.6, y1 - max(4.0, (y1 - y0) * 0.14), buttons, 0.8)


def zipper(st: Studio, y0: float, y1: float, *, x: float = 0.0, exposed: bool = True) -> None:
    """A zip: tape line with teeth ticks and a pull at the top."""
    st.seg((x, y0), (x, y1), "seam")
    if exposed:
        tape = mix(st.p.palette.hardware, "#141414", 0.2)
        st.c.shape(rect(x - 0.45, y0, x + 0.45, y1), tape, "fine", stroke=mix(tape, "#141414", 0.5))
        y = y0 + 0.4
        while y < y1 - 0.3:
            st.c.seg((x - 0.35, y), (x + 0.35, y), "fine", stroke=mix(tape, "#ffffff", 0.45))
            y += 0.55
    for dx in (-1.2, 1.2):
        st.seg((x + dx, y0 + 0.5), (x + dx, y1), dashed=True)
    pull = Path((x - 0.5, y0 + 0.4)).poly([(x + 0.5, y0 + 0.4), (x + 0.35, y0 + 3.4), (x - 0.35, y0 + 3.4)])
    st.c.shape(pull, st.p.palette.hardware, "fine")


def lace_up(st: Studio, y0: float, y1: float, *, gap: float = 1.3) -> None:
    """Grommets either side of the centre with criss-cross laces."""
    n = max(3, int((y1 - y0) / 2.6))
    step = (y1 - y0) / (n - 1)
    pts = [(y0 + i * step) for i in range(n)]
    cord = mix(st.p.palette.line, st.p.palette.primary, 0.25)
    for i in range(n - 1):
        st.c.seg((-gap, pts[i]), (gap, pts[i + 1]), "seam", stroke=cord)
        st.c.seg((gap, pts[i]), (-gap, pts[i + 1]), "seam", stroke=cord)
    for y in pts:
        for x in (-gap, gap):
            st.c.dot((x, y), 0.42, "#f2efe8", "fine", stroke=st.p.palette.hardware)
    bow(st, (0.0, y0 - 0.3), 1.6)


def bow(st: Studio, c: Pt, size: float) -> None:
    """A small bow with trailing ends, filled with the garment fabric."""
    x, y = c
    left = Path((x, y)).curve(
        (x - size * 0.6, y - size * 0.9), (x - size * 1.4, y - size * 0.6), (x - size * 1.3, y)
    )
    left.curve((x - size * 1.4, y + size * 0.6), (x - size * 0.6, y + size * 0.8), (x, y))
    for path in (left, left.mapped(lambda p: (2 * x - p[0], p[1]))):
        st.fabric(path, "seam")
    for sign in (-1.0, 1.0):
        tail = (
            Path((x, y))
            .line((x + sign * size * 0.7, y + size * 1.9))
            .line((x + sign * size * 0.25, y + size * 1.7))
        )
        tail.line((x, y))
        st.fabric(tail, "seam")
    st.fabric(ellipse(x, y, size * 0.28, size * 0.36), "seam")


def drawstring(st: Studio, y: float, half: float, *, casing: float = 2.2) -> None:
    """A casing across the body with two cords and aglets hanging from the centre."""
    if half > 0:
        st.seam(Path((-half, y)).line((half, y)))
        st.seam(Path((-half, y + casing)).line((half, y + casing)))
    cord = mix(st.p.palette.line, "#ffffff", 0.2)
    for sign in (-1.0, 1.0):
        top = (sign * 1.2, y + casing * 0.5)
        end = (sign * 2.2, y + casing + 7.0)
        path = Path(top).curve((sign * 1.4, y + 3.5), (sign * 2.4, y + 5.0), end)
        st.c.line(path, "seam", stroke=cord)
        st.c.shape(rect(end[0] - 0.3, end[1], end[0] + 0.3, end[1] + 1.4), st.p.palette.hardware, "fine")
        st.c.dot(top, 0.4, "#f2efe8", "fine")


def snaps(st: Studio, x: float, y0: float, y1: float, count: int) -> None:
    """Snap fasteners: ringed dots."""
    step = (y1 - y0) / max(count - 1, 1)
    for i in range(count):
        c = (x, y0 + step * i)
        st.c.dot(c, 0.6, st.p.palette.hardware, "fine")
        st.c.dot(c, 0.25, mix(st.p.palette.hardware, "#ffffff", 0.5), "none")


def hooks(st: Studio, y: float, count: int = 2) -> None:
    """Hook-and-eye pairs at the centre front."""
    for i in range(count):
        yy = y + i * 1.4
        st.c.line(Path((-0.8, yy)).quad((0.2, yy - 0.6), (0.8, yy)), "fine", stroke=st.p.palette.hardware)


def belt(
    st: Studio, y: float, half: float, *, height: float = 3.2, tie: bool = False, loops: bool = True
) -> None:
    """A self-fabric belt across the waist, buckled (or tied) at the centre."""
    band = (
        Path((-half - 0.6, y))
        .line((half + 0.6, y))
        .line((half + 0.6, y + height))
        .line((-half - 0.6, y + height))
    )
    st.fabric(band)
    st.seg((-half, y + 0.5), (half, y + 0.5), dashed=True)
    st.seg((-half, y + height - 0.5), (half, y + height - 0.5), dashed=True)
    if tie:
        bow(st, (half * 0.35, y + height / 2), height * 0.9)
        return
    bw = height + 1.4
    outer = rect(-bw / 2, y - 0.7, bw / 2, y + height + 0.7)
    st.c.shape(outer, "none", "seam", stroke=st.p.palette.hardware)
    st.c.shape(
        rect(-bw / 2 + 0.6, y - 0.1, bw / 2 - 0.6, y + height + 0.1),
        "none",
        "fine",
        stroke=st.p.palette.hardware,
    )
    st.seg((0.0, y + 0.2), (0.0, y + height - 0.2), "seam")
    if loops:
        for x in (-half + 0.6, half - 0.6):
            st.c.shape(rect(x - 0.6, y - 0.6, x + 0.6, y + height + 0.6), st.fill, "seam", bounds=False)


def wrap_front(st: Studio, neck_depth: float, waist_y: float, waist_half: float, hem: Pt | None) -> None:
    """A wrap: one front crosses the other from shoulder to waist, tied at the side."""
    st.c.line(
        Path((-5.0, 0.5 + 1.0)).curve(
            (-3.0, neck_depth * 0.6), (waist_half * 0.4, waist_y - 4.0), (waist_half - 0.5, waist_y)
        ),
        "outline",
    )
    if hem is not None:
        st.c.line(
            Path((waist_half - 0.5, waist_y)).curve(
                (waist_half * 0.3, waist_y + 10), (hem[0] + 3, hem[1] - 15), hem
            ),
            "seam",
        )
    bow(st, (waist_half - 0.2, waist_y + 0.5), 2.2)
