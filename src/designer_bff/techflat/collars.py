"""Neck finishes drawn over the body: back neck, rib bands, turtlenecks, cowls, collars, lapels."""

from __future__ import annotations

from designer_bff.techflat.bodice import Top
from designer_bff.techflat.geometry import Path, Pt
from designer_bff.techflat.studio import Studio


def back_inside(st: Studio, top: Top) -> None:
    """The inside of the back neck, visible through the front neckline (classic flat shading)."""
    if top.shoulder is None:
        return
    hx, hy = top.hps
    back = Path((-hx, hy)).curve((-hx * 0.55, hy + 2.0), (hx * 0.55, hy + 2.0), (hx, hy))
    back.extend(top.neck.reversed()).extend(top.neck.mirrored())
    st.inside(back)


def _both(path: Path) -> list[Path]:
    return [path, path.mirrored()]


def neck_band(st: Studio, top: Top, width: float, *, rib: bool) -> None:
    """A band following the front neckline (knit rib or a stitched facing line)."""
    hx = top.hps[0]
    depth = top.depth

    def off(p: Pt) -> Pt:
        return (p[0] * (hx + width) / hx, p[1] + width * (1.0 - 0.25 * p[1] / max(depth, 1.0)))

    band = top.neck.mapped(off)
    band.line((band.end[0] + 0.4, -2.0))
    for path in _both(band):
        if rib:
            st.seam(path)
            st.stitch(path.mapped(lambda p: (p[0] * 1.03, p[1] + 0.8)))
        else:
            st.stitch(path)
    if rib and st.p.neckline == "v-neck":
        st.seg((0, depth), (0, depth + width), "seam")


def turtleneck(st: Studio, top: Top) -> None:
    """A ribbed roll collar standing above the neckline."""
    w = top.hps[0] - 0.2
    tube = (
        Path((-w, top.depth)).line((-w - 0.4, -7.5)).curve((-w * 0.4, -8.6), (w * 0.4, -8.6), (w + 0.4, -7.5))
    )
    tube.line((w, top.depth)).curve((w * 0.5, top.depth + 0.6), (-w * 0.5, top.depth + 0.6), (-w, top.depth))
    st.fabric(tube)
    cid = st.c.clip(tube)
    with st.c.group(clip=cid):
        st.seam(Path((-w - 1, -2.0)).curve((-w * 0.4, -1.0), (w * 0.4, -1.0), (w + 1, -2.0)))
        n = int(w * 2 / 1.1)
        for k in range(1, n):
            x = -w + 2 * w * k / n
            st.seg((x * 1.02, -9.0), (x, top.depth + 1), "fine")


def cowl(st: Studio, top: Top) -> None:
    """Soft drape folds below a cowl neckline."""
    hx, depth = top.hps[0], top.depth
    for k in range(1, 4):
        y = depth + k * 3.4
        side = hx - 0.5 - k * 0.7
        st.seam(
            Path((-side, 1.0 + k * 1.6)).curve((-side * 0.45, y), (side * 0.45, y), (side, 1.0 + k * 1.6)),
            "fine",
        )


def halter_band(st: Studio, top: Top) -> None:
    """The strap that ties or buttons around the neck of a halter."""
    assert top.strap_top is not None
    x, y = top.strap_top
    band = Path((-x - 2.2, y + 0.2)).curve((-x - 1.5, -3.0), (-x * 0.3, -5.2), (0, -5.2))
    band.curve((x * 0.3, -5.2), (x + 1.5, -3.0), (x + 2.2, y + 0.2)).line((x, y + 0.2))
    band.curve((x, -2.6), (x * 0.3, -3.2), (0, -3.2)).curve((-x * 0.3, -3.2), (-x, -2.6), (-x, y + 0.2))
    st.fabric(band)


def shirt_collar(st: Studio, top: Top, spread: float = 1.0) -> None:
    """A pointed shirt collar with its stand, closing at the centre front."""
    hx = top.hps[0]
    point = (hx + 2.6 * spread, 9.3 + spread)
    meet = (0.4, top.depth - 0.2)
    hole = (
        Path((meet[0], meet[1]))
        .line((hx - 1.0, 0.8))
        .curve((hx * 0.5, 0.1), (-hx * 0.5, 0.1), (-hx + 1.0, 0.8))
    )
    hole.line((-meet[0], meet[1]))
    st.inside(hole)
    right = Path((0, -2.6)).curve((hx * 0.6, -2.6), (hx + 1.3, -1.8), (hx + 1.6, -0.6))
    right.curve((hx + 2.2, 3.0), (point[0], point[1] - 3.0), point).line(meet).line((hx - 1.0, 0.8))
    right.curve((hx * 0.6, 0.2), (hx * 0.3, 0.15), (0, 0.15))
    collar = Path(right.start).extend(right).extend(right.mirrored().reversed())
    st.fabric(collar)
    # The fold line where the collar turns over its stand.
    st.seam(Path((-hx - 1.4, -0.9)).curve((-hx * 0.5, -1.7), (hx * 0.5, -1.7), (hx + 1.4, -0.9)), "fine")
    if st.p.topstitch:
        for side in (1, -1):
            st.stitch(Path((side * 0.9, meet[1] - 0.6)).line((side * (point[0] - 1.1), point[1] - 1.0)))


def lapels(st: Studio, top: Top, break_y: float, *, peak: bool, wide: float = 1.0) -> None:
    """Notched (or peaked) lapels with the collar behind the neck."""
    hx = top.hps[0]
    b = (0.3, break_y)
    lp = (hx + 6.2 * wide, 12.0) if not peak else (hx + 7.6 * wide, 9.0)
    g = (hx + 2.4 * wide, 11.4) if not peak else (hx + 2.6 * wide, 11.8)
    cp = (hx + 3.6 * wide, 9.0) if not peak else (hx + 3.2 * wide, 9.8)
    n = (hx - 0.3, 1.2)
    lapel = Path(b).curve((b[0] + 4.0, b[1] - 7.0), (lp[0] + 0.6, lp[1] + 6.0), lp).line(g).line(n)
    lapel.curve((n[0] - 1.5, n[1] + 8.0), (b[0] + 1.0, b[1] - 8.0), b)
    for path in (lapel, lapel.mirrored()):
        st.fabric(path)
    right = Path((0, -2.4)).curve((hx * 0.6, -2.4), (hx + 1.6, -1.6), (hx + 2.0, -0.3))
    right.curve((hx + 2.6, 3.0), (cp[0] - 0.4, cp[1] - 3.0), cp).line(g).line(n)
    right.curve((hx * 0.6, 0.4), (hx * 0.3, 0.3), (0, 0.3))
    collar = Path(right.start).extend(right).extend(right.mirrored().reversed())
    st.fabric(collar)
    st.seam(Path((-hx - 1.6, -0.8)).curve((-hx * 0.5, -1.6), (hx * 0.5, -1.6), (hx + 1.6, -0.8)), "fine")
    if st.p.topstitch:
        for side in (1.0, -1.0):
            st.stitch(Path((side * (b[0] + 0.6), b[1] - 1.0)).line((side * (lp[0] - 0.9), lp[1] + 0.9)))
