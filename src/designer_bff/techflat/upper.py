"""The shared torso pipeline for tops, outerwear and dresses: body piece, hem and finishes."""

from __future__ import annotations

from dataclasses import dataclass

from designer_bff.techflat import trims
from designer_bff.techflat.bodice import (
    Dims,
    Piece,
    Top,
    bodice_knots,
    build_piece,
    hem_shape,
    make_dims,
    side_seam,
    skirt_knots,
    top_edge,
)
from designer_bff.techflat.collars import back_inside
from designer_bff.techflat.geometry import Hem, Path, smooth, x_at
from designer_bff.techflat.studio import Studio

SEAM_Y = {
    "empire": 27.0,
    "high": 33.0,
    "natural": 37.0,
    "belted": 37.0,
    "elasticated": 37.0,
    "low": 42.0,
    "dropped": 50.0,
}
FLARES = {"a-line", "empire", "ball-gown", "mermaid", "wrap"}


@dataclass
class Torso:
    """A drawn torso piece and what later details need to know about it."""

    dims: Dims
    top: Top
    piece: Piece
    seam_y: float | None
    clip: str
    tier: float  # height of a ruffle tier below the piece (0 = none)

    @property
    def hem(self) -> Hem:
        """The body's hem line."""
        return self.piece.hem

    def half(self, y: float) -> float:
        """Half-width of the body at height y."""
        return x_at(self.piece.side, y)


def torso_side(st: Studio, dims: Dims, top: Top, hem_y: float, *, skirt: bool) -> tuple[Path, float | None]:
    """Right side seam from the underarm to the hem, with a waist (or empire) seam when cut so."""
    plan = st.p
    u = top.underarm
    sil = plan.silhouette
    seam: float | None = None
    if plan.waist in SEAM_Y and (skirt or plan.waist == "empire"):
        seam = SEAM_Y[plan.waist] * plan.jl
    if sil == "empire" and plan.waist in (None, "natural"):
        seam = SEAM_Y["empire"] * plan.jl
    if skirt and seam is None and sil in FLARES:
        seam = dims.waist_y
    if seam is not None and u[1] + 3 < seam < hem_y - 3:
        upper = bodice_knots(dims, u, seam)
        if seam < dims.waist_y - 3:  # empire: the bodice stops under the bust
            upper[-1] = ((u[0] + dims.waist_x) / 2 + 0.5, seam)
        lower = skirt_knots(
            sil if skirt or sil in FLARES else "straight", upper[-1][0], seam, dims.hip_x, dims.hip_y, hem_y
        )
        return side_seam([upper, lower]), seam
    if sil in FLARES and hem_y > 32:
        start = 30.0 if sil != "empire" else 27.0
        knots = bodice_knots(dims, u, start)
        knots += skirt_knots("a-line", knots[-1][0], start, dims.hip_x, dims.hip_y, hem_y)[1:]
        return smooth(knots), None
    return smooth(bodice_knots(dims, u, hem_y)), None


def build_torso(
    st: Studio,
    *,
    neck: str | None = None,
    depth: float = 0.0,
    skirt: bool = False,
    hem_style: str | None = None,
    dims: Dims | None = None,
    sag: float | None = None,
) -> Torso:
    """Build and draw the torso piece (with back neck and high-low back); returns its clip."""
    plan = st.p
    dims = dims or make_dims(plan)
    top = top_edge(plan, dims, neck=neck, depth=depth)
    style = hem_style or plan.hem
    hem_y = dims.hem_y
    ref = dims.waist_y if hem_y > dims.waist_y + 8 else top.underarm[1]
    tier = 0.0
    if style == "ruffled" or ("ruffles" in plan.embellishments and skirt):
        tier = max(5.0, min(13.0, 0.2 * (hem_y - ref)))
    side, seam = torso_side(st, dims, top, hem_y - tier, skirt=skirt)
    rise = min(0.3 * (hem_y - tier - (seam or ref)), 17.0 if style == "high-low" else 40.0)
    width = x_at(side, hem_y - tier)
    sag = sag if sag is not None else 0.3 + max(0.0, width - dims.hip_x) * 0.1
    shape = style if style in ("asymmetric", "curved", "high-low") else "straight"
    hem = hem_shape(shape, side, hem_y - tier, sag, rise)
    piece = build_piece(top.path, side, hem)
    if top.shoulder is not None:
        back_inside(st, top)
    if shape == "high-low":
        back_side, _ = torso_side(st, dims, top, hem_y + rise * 0.5, skirt=skirt)
        back_hem = hem_shape("straight", back_side, hem_y + rise * 0.5, sag + 1.5, 0.0)
        st.fabric(build_piece(top.path, back_side, back_hem).outline, shadow=0.12)
    st.fabric(piece.outline)
    return Torso(dims, top, piece, seam, st.c.clip(piece.outline), tier)


def interior(st: Studio, torso: Torso, *, hem_finish: str = "stitch", seam_line: bool = True) -> None:
    """Construction lines inside the body (call inside the torso clip group)."""
    plan = st.p
    dims = torso.dims
    hem = torso.hem
    if torso.seam_y is not None and seam_line:
        y = torso.seam_y
        half = torso.half(y) + 3
        st.seam(Path((-half, y)).line((half, y)))
        if (
            plan.silhouette == "ball-gown"
            or plan.waist in ("elasticated", "empire")
            or "pleats" in plan.embellishments
        ):
            trims.gathers(st, y, half - 3, 3.5 if plan.silhouette == "ball-gown" else 2.5)
    if plan.seams == "princess" and torso.top.shoulder is not None:
        trims.princess(st, torso.top.shoulder, (dims.waist_x * 0.52, dims.waist_y), hem.yr)
    elif (
        plan.silhouette in ("fitted", "sheath", "bodycon", "mermaid", "ball-gown")
        and plan.kind != "t-shirt"
        and torso.top.underarm[1] + 6 < dims.waist_y < hem.yr
    ):
        trims.darts(st, dims.waist_x * 0.5, dims.waist_y, torso.top.underarm[0])
    if "pleats" in plan.embellishments and torso.seam_y is not None:
        y0 = torso.seam_y
        n = 9
        for k in range(1, n):
            t = -1 + 2 * k / n
            x0 = t * torso.half(y0)
            x1 = t * max(hem.xr, -hem.xl)
            st.seg((x0, y0 + 0.5), (x1, hem.y(x1) + 1), "fine")
    if plan.quilted:
        trims.quilting(st, (-60, -10, 60, hem.yr + 30))
    for emb in ("beading", "sequins"):
        if emb in plan.embellishments:
            trims.scatter(st, (-25, 0, 25, min(hem.yr, 45.0)), emb, 70 if emb == "sequins" else 110)
    if hem_finish == "rib":
        trims.rib_hem(st, hem, 5.0)
    elif hem_finish == "stitch" and plan.hem not in ("raw",) and torso.tier == 0:
        trims.hem_stitch(st, hem)


def finish_hem(st: Studio, torso: Torso) -> None:
    """Hem treatments that sit on or below the edge (call outside the clip)."""
    plan = st.p
    hem = torso.hem
    if torso.tier > 0:
        trims.ruffle_tier(st, hem, torso.tier)
    if plan.hem == "raw":
        trims.raw_hem(st, hem)
    if plan.hem == "split":
        trims.split(st, hem, hem.xr * 0.45, min(16.0, (hem.yr - (torso.seam_y or 30)) * 0.35))
    if "fringe" in plan.embellishments:
        trims.fringe(st, hem)
    if "lace-trim" in plan.embellishments:
        trims.lace_trim(st, hem)
