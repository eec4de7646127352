"""One-pieces: dress, gown, jumpsuit, romper and bodysuit."""

from __future__ import annotations

from designer_bff.techflat import closures
from designer_bff.techflat.bodice import Piece, bodice_knots, make_dims, top_edge
from designer_bff.techflat.bottoms import bottom_dims, bottom_pockets, legs
from designer_bff.techflat.collars import back_inside
from designer_bff.techflat.fronts import draw_front, draw_neck, draw_pockets, draw_waist, draw_wrap
from designer_bff.techflat.geometry import Hem, Path, smooth
from designer_bff.techflat.sleeves import draw_sleeves
from designer_bff.techflat.studio import Studio
from designer_bff.techflat.upper import Torso, build_torso, finish_hem, interior


def _finish_upper(st: Studio, torso: Torso) -> None:
    plan = st.p
    cuff = "rib" if plan.rib else "band" if plan.sleeve_type in ("puff", "bishop") else "plain"
    draw_sleeves(st, torso.top, cuff)
    draw_neck(st, torso)
    if plan.has("wrap-tie") or plan.silhouette == "wrap":
        draw_wrap(st, torso)
    draw_waist(st, torso)


def draw_dress(st: Studio) -> None:
    """Dresses and gowns: bodice and skirt in one outline, seamed at the waist when cut so."""
    plan = st.p
    torso = build_torso(st, skirt=True)
    with st.c.group(clip=torso.clip):
        interior(st, torso, hem_finish="stitch")
        draw_front(st, torso, to_hem=plan.neckline == "collared", placket=plan.neckline == "collared")
        draw_pockets(st, torso, level="hip")
    finish_hem(st, torso)
    _finish_upper(st, torso)


def draw_jumpsuit(st: Studio) -> None:
    """Jumpsuits and rompers: a bodice seamed at the waist onto trouser or shorts legs."""
    plan = st.p
    dims = make_dims(plan)
    b = bottom_dims(plan, waist_y=dims.waist_y - 0.4, waist_x=dims.waist_x)
    b.hem_y = dims.hem_y
    lg = legs(plan, b)
    st.fabric(lg.outline)
    with st.c.group(clip=st.c.clip(lg.outline)):
        st.seg((0.0, dims.waist_y), (0.0, b.crotch_y), "seam")
        bottom_pockets(st, b, lg.outseam, top=dims.waist_y + 1.0)
        st.stitch(Path((-60.0, lg.hem_y - 2.0)).line((60.0, lg.hem_y - 2.0)))
    dims.hem_y = dims.waist_y + 0.3
    torso = build_torso(st, dims=dims, hem_style="straight", sag=0.0)
    with st.c.group(clip=torso.clip):
        interior(st, torso, hem_finish="none")
        draw_front(st, torso, to_hem=True, placket=plan.neckline == "collared")
    torso.seam_y = dims.waist_y
    _finish_upper(st, torso)


def draw_bodysuit(st: Studio) -> None:
    """A bodysuit: fitted torso with high-cut leg openings and a snap crotch."""
    plan = st.p
    dims = make_dims(plan)
    top = top_edge(plan, dims)
    leg_y = 50.0 * plan.jl
    crotch = 68.0 * plan.jl
    knots = bodice_knots(dims, top.underarm, leg_y)
    side = smooth(knots)
    xs = knots[-1][0]
    right = Path(top.path.start).extend(top.path).extend(side)
    right.curve((xs - 3.5, leg_y + 9.0), (4.5, crotch - 2.5), (3.0, crotch)).line((0.0, crotch))
    outline = Path(right.start).extend(right).extend(right.mirrored().reversed())
    if top.shoulder is not None:
        back_inside(st, top)
    st.fabric(outline)
    clip = st.c.clip(outline)
    torso = Torso(dims, top, Piece(outline, side, Hem(3.0, crotch, -3.0, crotch)), None, clip, 0.0)
    with st.c.group(clip=clip):
        for sign in (1.0, -1.0):
            st.stitch(
                Path((sign * (xs - 0.8), leg_y)).curve(
                    (sign * (xs - 4.3), leg_y + 8.5), (sign * 4.3, crotch - 3.3), (sign * 2.4, crotch - 0.9)
                )
            )
        st.seg((-3.0, crotch - 2.6), (3.0, crotch - 2.6), "seam")
        closures.snaps(st, -1.6, crotch - 1.3, crotch - 1.3, 1)
        closures.snaps(st, 1.6, crotch - 1.3, crotch - 1.3, 1)
        interior(st, torso, hem_finish="none")
        if plan.closures and not plan.has("snaps"):
            draw_front(st, torso, to_hem=False)
    draw_sleeves(st, top, "stitch")
    draw_neck(st, torso)
