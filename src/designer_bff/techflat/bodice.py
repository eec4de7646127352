"""Upper-body geometry: body dimensions, necklines, shoulders/armholes and hemmed pieces."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from designer_bff.techflat.geometry import Hem, Path, Pt, smooth, split_y, truncate_y, x_at
from designer_bff.techflat.plan import Plan

BOXY = {"straight", "shift", "oversized", "relaxed"}


@dataclass
class Dims:
    """Key body-frame measurements (half widths, y downwards from the shoulder)."""

    nw: float
    shoulder: Pt
    underarm: Pt
    waist_y: float
    waist_x: float
    hip_y: float
    hip_x: float
    hem_y: float


def make_dims(plan: Plan) -> Dims:
    """Measurements for the plan's fit, silhouette and seed jitter."""
    e, jw, jl = plan.ease, plan.jw, plan.jl
    drop = 2.5 if plan.ease >= 6 or (plan.knit and plan.kind == "sweater") else 0.0
    bust = (19.5 + e) * jw
    sil = plan.silhouette
    boxy = sil in BOXY or plan.kind in ("t-shirt", "sweater", "shirt", "bomber", "coat")
    if sil in ("fitted", "bodycon", "sheath", "wrap", "empire", "a-line", "mermaid", "ball-gown", "pencil"):
        waist = (15.8 + e * 0.7) * jw
        if plan.group == "outerwear":  # tailoring suppresses the waist far less than a bodice
            waist = bust - 2.6
    elif boxy or plan.kind == "trench":
        waist = bust - 0.6 - (0.4 if sil == "straight" else 0.0)
    else:
        waist = bust - 2.0
    return Dims(
        nw=(7.2 + (0.6 if e >= 6 else 0.0)) * jw,
        shoulder=((18.3 + e * 0.45 + drop) * jw, 4.8 + drop * 0.5),
        underarm=(bust, (20.5 + e * 0.45 + drop) * jl),
        waist_y=37.0 * jl,
        waist_x=waist,
        hip_y=57.0 * jl,
        hip_x=bust + 0.8 if boxy else max((21.3 + e) * jw, waist + 1.0),
        hem_y=plan.hem_y * jl,
    )


@dataclass
class Top:
    """The right half of a garment's top edge, from centre front to the underarm."""

    path: Path
    neck: Path  # centre front → neck side (for bands and collars)
    depth: float  # centre-front neck drop
    hps: Pt
    shoulder: Pt | None  # None when there is no shoulder seam (strapless, off-shoulder, halter)
    underarm: Pt
    armhole: Path | None  # sleeve attachment, from the sleeve's top point down to the underarm
    raglan: bool = False
    strap_top: Pt | None = None  # halter neck point


def neck_path(kind: str, nw: float, depth: float = 0.0) -> Path:
    """Right half of a front neckline from centre front up to the neck side (HPS)."""
    if kind == "lapel":  # the V under tailored lapels, down to the break point
        return Path((0, depth)).curve((1.2, depth - 9.0), (nw - 1.6, 7.0), (nw - 0.3, 0))
    if kind == "v-neck" and depth:
        return Path((0, depth)).curve((1.6, depth - 7.0), (nw - 1.0, 5.0), (nw, 0))
    if kind == "v-neck":
        return Path((0, 17.0)).curve((2.2, 12.5), (nw - 1.0, 4.0), (nw, 0))
    if kind in ("scoop", "cowl"):
        w = nw + 2.6
        return Path((0, 13.0)).curve((5.5, 13.0), (w, 8.5), (w, 0))
    if kind == "square":
        w = nw + 1.2
        return Path((0, 9.5)).line((w - 1.0, 9.5)).quad((w, 9.5), (w, 8.5)).line((w, 0))
    if kind == "boat":
        w = nw + 5.0
        return Path((0, 3.2)).curve((6.0, 3.2), (w - 2.5, 0.8), (w, 0))
    if kind == "sweetheart":
        w = nw + 2.6
        p = Path((0, 15.0)).curve((0.8, 11.2), (3.8, 9.4), (6.6, 10.3))
        return p.curve((8.2, 10.8), (w, 9.5), (w, 0))
    if kind == "turtleneck":
        return Path((0, 3.2)).curve((3.5, 3.2), (nw - 0.6, 2.0), (nw - 0.5, 0))
    if kind == "collared":
        return Path((0, 6.0)).curve((3.5, 6.0), (nw - 0.8, 3.2), (nw - 0.6, 0))
    return Path((0, 7.5)).curve((4.2, 7.5), (nw - 0.2, 4.0), (nw, 0))  # crew


def armhole(s: Pt, u: Pt, *, cut_in: bool) -> Path:
    """Front armhole from shoulder point to underarm, curving in towards the body then out."""
    if cut_in:
        return Path(s).curve((s[0] - 0.6, s[1] + 7.0), (u[0] - 5.5, u[1] + 0.5), u)
    return Path(s).curve((s[0] - 1.0, s[1] + 6.5), (u[0] - 3.2, u[1] - 0.6), u)


def top_edge(plan: Plan, dims: Dims, *, neck: str | None = None, depth: float = 0.0) -> Top:
    """Build the neckline, shoulder and armhole (`neck`/`depth` override the plan's neckline)."""
    neck = neck or plan.neckline
    sleeveless = plan.sleeveless
    u = dims.underarm
    if neck == "off-shoulder":
        top_y = 11.5
        corner = (u[0] + (0.0 if sleeveless else 2.0), top_y)
        path = Path((0, top_y + 0.8)).curve((6.0, top_y + 0.8), (corner[0] - 6, top_y), corner)
        if sleeveless:
            und = (u[0] - 0.8, top_y + 8.0)
            path.curve((corner[0], top_y + 3), (und[0], und[1] - 3), und)
            return Top(path, path, top_y + 0.8, corner, None, und, None)
        und = (u[0] + 0.5, u[1] + 2.5)
        hole = Path(corner).curve((corner[0] - 0.8, corner[1] + 4), (und[0] - 1.5, und[1] - 2), und)
        return Top(path.extend(hole), path, top_y + 0.8, corner, None, und, hole)
    if neck == "halter":
        nx = dims.nw * 0.55
        und = (u[0] - 0.8, u[1] + 1.5)
        path = Path((0, 12.0)).line((nx, 0.6)).line((nx + 2.2, 0.8))
        path.curve((nx + 4.0, 9.0), (und[0] - 5.0, und[1] - 1.0), und)
        return Top(
            path, Path((0, 12.0)).line((nx, 0.6)), 12.0, (nx, 0.6), None, und, None, strap_top=(nx, 0.6)
        )
    if neck == "sweetheart" and sleeveless:
        # Strapless: two rounded cups meeting in a V, dropping to the side seam under the arm.
        und = (u[0] - 0.5, 15.0)
        path = Path((0, 14.0)).curve((0.6, 10.5), (4.0, 8.6), (7.6, 9.2))
        path.curve((11.0, 9.8), (und[0] - 2.0, und[1] - 3.0), und)
        return Top(path, path, 14.0, (7.6, 9.2), None, und, None)

    npath = neck_path(neck, dims.nw, depth)
    hps = npath.end
    s = dims.shoulder
    if sleeveless:
        s = (max(hps[0] + 3.5, s[0] - 3.2), s[1] - 0.4)
        u = (u[0] - 0.4, u[1] + 1.8)
    if plan.sleeve_type == "raglan" and not sleeveless:
        # The raglan seam leaves the neckline a little below the neck side point.
        _, lower = split_y(npath.reversed(), 2.2)
        r = lower.start
        seam = Path(r).curve((r[0] + 3.0, r[1] + 6.0), (u[0] - 4.0, u[1] - 6.0), u)
        body = lower.reversed().extend(seam)
        return Top(body, npath, npath.start[1], hps, s, u, seam, raglan=True)
    hole = armhole(s, u, cut_in=sleeveless)
    path = Path(npath.start)
    path.extend(npath).line(s).extend(hole)
    return Top(path, npath, npath.start[1], hps, s, u, None if sleeveless else hole)


def skirt_knots(sil: str, wx: float, wy: float, hip_x: float, hip_y: float, hem_y: float) -> list[Pt]:
    """Side-seam knots from the waist (or empire line) down to the hem for a skirt silhouette."""
    span = max(hem_y - wy, 1.0)
    if sil == "ball-gown":
        full = 0.46 * span
        return [
            (wx, wy),
            (wx + full * 0.42, wy + span * 0.16),
            (wx + full * 0.82, wy + span * 0.55),
            (wx + full, hem_y),
        ]
    if sil == "mermaid":
        knee = wy + span * 0.62
        return [
            (wx, wy),
            (hip_x, hip_y),
            (hip_x - 2.2, knee),
            (hip_x + 2.0, knee + (hem_y - knee) * 0.5),
            (hip_x + 15.0, hem_y),
        ]
    if sil in ("pencil", "bodycon"):
        return (
            [(wx, wy), (hip_x, hip_y), (hip_x - 2.6, hem_y)]
            if hem_y > hip_y + 4
            else [(wx, wy), (hip_x, hem_y)]
        )
    if sil in ("sheath", "fitted", "straight", "tapered"):
        return (
            [(wx, wy), (hip_x, hip_y), (hip_x - 0.6, hem_y)]
            if hem_y > hip_y + 4
            else [(wx, wy), (hip_x, hem_y)]
        )
    slope = {
        "a-line": 0.34,
        "empire": 0.24,
        "wrap": 0.26,
        "wide-leg": 0.3,
        "oversized": 0.2,
        "relaxed": 0.14,
        "shift": 0.05,
    }.get(sil, 0.2)
    slope = max(slope, (hip_x - wx) / max(hip_y - wy, 1.0) * 0.95)
    mid_y = wy + span * 0.5
    return [(wx, wy), (wx + slope * span * 0.5 + 0.4, mid_y), (wx + slope * span, hem_y)]


@dataclass
class Piece:
    """A closed, hemmed garment piece and the lines needed to decorate it."""

    outline: Path
    side: Path  # right side seam, top to (untruncated) bottom
    hem: Hem


def hem_shape(style: str, side: Path, hem_y: float, sag: float, rise: float) -> Hem:
    """Hem line for a style: asymmetric tilts it, curved lifts the sides, high-low arcs it up."""
    if style == "asymmetric":
        yr, yl = hem_y - rise, hem_y
    elif style == "curved":
        yr = yl = hem_y - 4.5
        sag = max(sag, 5.0)
    elif style == "high-low":
        yr = yl = hem_y
        sag = -rise
    else:
        yr = yl = hem_y
    return Hem(x_at(side, yr), yr, -x_at(side, yl), yl, sag)


def build_piece(top_right: Path, side: Path, hem: Hem) -> Piece:
    """Close a symmetric top edge + side seam with a (possibly asymmetric) hem."""
    right = Path(top_right.start)
    right.extend(top_right).extend(truncate_y(side, hem.yr))
    left = Path(top_right.start).extend(top_right).extend(truncate_y(side, hem.yl)).mirrored().reversed()
    outline = right.extend(hem.path(right.end[0], left.start[0])).extend(left)
    return Piece(outline, side, hem)


def side_seam(knot_runs: list[list[Pt]]) -> Path:
    """Smooth runs of knots joined end to end (a kink is kept where two runs meet)."""
    path = smooth(knot_runs[0])
    for run in knot_runs[1:]:
        path.extend(smooth(run))
    return path


def bodice_knots(dims: Dims, start: Pt, until: float) -> list[Pt]:
    """Side-seam knots of the upper body from the underarm down to `until`."""

    def guide(y: float) -> float:
        # Piecewise-linear width guide through underarm, waist and hip.
        pts = [(start[1], start[0]), (dims.waist_y, dims.waist_x), (dims.hip_y, dims.hip_x)]
        if y <= pts[0][0]:
            return pts[0][1]
        for (y0, x0), (y1, x1) in pairwise(pts):
            if y <= y1:
                return x0 + (x1 - x0) * (y - y0) / max(y1 - y0, 1e-6)
        return dims.hip_x

    pts: list[Pt] = [start]
    for y, gap in ((dims.waist_y, 2.0), (dims.hip_y, 12.0)):
        # A hip knot just above the hem would make the spline overshoot into a peplum.
        if start[1] + 3 < y < until - gap:
            pts.append((guide(y), y))
    pts.append((guide(until), until))
    return pts
