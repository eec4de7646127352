"""Tops: top, blouse, shirt, t-shirt, sweater, cardigan (also the upper half of a set)."""

from __future__ import annotations

from designer_bff.techflat import closures
from designer_bff.techflat.collars import neck_band
from designer_bff.techflat.fronts import draw_front, draw_neck, draw_pockets, draw_waist, draw_wrap
from designer_bff.techflat.sleeves import draw_sleeves
from designer_bff.techflat.studio import Studio
from designer_bff.techflat.upper import build_torso, finish_hem, interior

CUFFS = {
    "shirt": "cuff",
    "blouse": "cuff",
    "sweater": "rib",
    "cardigan": "rib",
    "t-shirt": "stitch",
    "set": "stitch",
}
PLACKET_TYPES = {"shirt", "blouse", "top", "set", "t-shirt"}


def draw_top(st: Studio) -> None:
    """Draw a top-group garment from the studio's plan."""
    plan = st.p
    kind = plan.kind
    ribbed = plan.rib and kind != "set"
    depth = 0.0
    if kind == "cardigan" and plan.neckline == "v-neck":
        depth = 26.0  # cardigans button from a deep V
    torso = build_torso(st, depth=depth)
    hem_y = torso.hem.y(0.0)
    with st.c.group(clip=torso.clip):
        interior(st, torso, hem_finish="rib" if ribbed else "stitch")
        if kind == "cardigan":
            # An open front with a rib button band rather than a shirt placket.
            for x in (-1.8, 1.8):
                st.seg((x, torso.top.depth), (x, hem_y), "seam")
            st.seg((0.0, torso.top.depth), (0.0, hem_y), "outline")
            if plan.has("buttons"):
                closures.button_column(st, 0.0, torso.top.depth + 1.5, hem_y - 7.0, plan.buttons)
            if plan.has("zipper"):
                closures.zipper(st, torso.top.depth, hem_y)
        else:
            draw_front(st, torso, to_hem=True, placket=kind in PLACKET_TYPES)
        level = "hip" if kind == "cardigan" or plan.pockets in ("slash", "in-seam", "cargo") else "chest"
        draw_pockets(st, torso, level=level)
    if plan.has("drawstring") and plan.waist is None:
        closures.drawstring(st, hem_y - 4.5, torso.half(hem_y - 4.5) - 0.2)
    finish_hem(st, torso)
    cuff = "rib" if ribbed else CUFFS.get(kind, "band" if plan.sleeve_type == "puff" else "plain")
    draw_sleeves(st, torso.top, cuff)
    if plan.neckline == "v-neck" and kind == "cardigan":
        with st.c.group(clip=torso.clip):
            neck_band(st, torso.top, 1.8, rib=True)
    else:
        draw_neck(st, torso)
    if plan.has("wrap-tie") or plan.silhouette == "wrap":
        draw_wrap(st, torso)
    if plan.waist in ("belted", "elasticated") or (plan.has("drawstring") and plan.waist is not None):
        draw_waist(st, torso)
