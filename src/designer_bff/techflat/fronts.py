"""Neck, front-closure and waist treatments shared by tops, dresses and one-pieces."""

from __future__ import annotations

from designer_bff.techflat import closures, collars, trims
from designer_bff.techflat.geometry import Path
from designer_bff.techflat.studio import Studio
from designer_bff.techflat.upper import Torso

KNIT_BANDS = {"crew", "v-neck", "scoop", "boat", "square"}


def draw_neck(st: Studio, torso: Torso, *, collar_spread: float = 1.0) -> None:
    """Neck finish for the plan's neckline (collars go on top of everything else)."""
    plan, top = st.p, torso.top
    neck = plan.neckline
    if neck == "turtleneck":
        collars.turtleneck(st, top)
    elif neck == "cowl":
        with st.c.group(clip=torso.clip):
            collars.cowl(st, top)
    elif neck == "halter":
        collars.halter_band(st, top)
    elif neck == "collared":
        collars.shirt_collar(st, top, collar_spread)
    elif neck == "off-shoulder":
        with st.c.group(clip=torso.clip):
            y = top.depth + 2.2
            st.seam(Path((-40.0, y - 0.8)).line((40.0, y - 0.8)))
            trims.gathers(st, y - 0.8, top.underarm[0] + 2, 1.8, 1.4)
    elif neck in KNIT_BANDS and top.shoulder is not None:
        with st.c.group(clip=torso.clip):
            collars.neck_band(st, top, 1.8 if plan.knit else 1.1, rib=plan.knit)
    if "embroidery" in plan.embellishments and top.shoulder is not None:
        for k in range(-2, 3):
            x = k * top.hps[0] * 0.35
            trims.flower(st, (x, top.depth + 3.0 - abs(k) * 1.6), 1.1, plan.palette.secondary)
    if "bows" in plan.embellishments:
        closures.bow(st, (0.0, top.depth + 0.6), 2.0)


def draw_front(st: Studio, torso: Torso, *, to_hem: bool, placket: bool = True) -> None:
    """Front closures of a top or bodice (call inside the torso clip)."""
    plan, top = st.p, torso.top
    y0 = top.depth + 0.3
    y1 = torso.hem.y(0.0) if to_hem or torso.seam_y is None else torso.seam_y
    y1 = min(y1, torso.hem.y(0.0))
    if plan.has("buttons"):
        if placket:
            closures.placket(st, y0, y1, buttons=plan.buttons)
        else:
            closures.button_column(st, 0.0, y0 + 1.5, y1 - 3.0, plan.buttons)
    if plan.has("zipper"):
        exposed = "exposed-zipper" in plan.hardware or to_hem
        closures.zipper(st, y0, y1 if to_hem else min(y1, y0 + 20.0), exposed=exposed)
    if plan.has("snaps"):
        closures.placket(st, y0, y1, buttons=0)
        closures.snaps(st, 0.0, y0 + 2.0, y1 - 3.0, max(4, plan.buttons))
    if plan.has("hook-and-eye"):
        closures.hooks(st, y0 + 0.8)
    if plan.has("lace-up"):
        closures.lace_up(st, y0 + 1.0, min(y0 + 13.0, y1 - 1.0))


def draw_wrap(st: Studio, torso: Torso) -> None:
    """Wrap-front lines and tie (call outside the clip so the bow can overhang)."""
    d = torso.dims
    waist = torso.seam_y or d.waist_y
    hem = (torso.hem.xl * 0.35, torso.hem.y(torso.hem.xl * 0.35)) if torso.hem.yr > waist + 10 else None
    with st.c.group(clip=torso.clip):
        closures.wrap_front(st, torso.top.depth, waist, torso.half(waist), hem)
    closures.bow(st, (torso.half(waist) - 0.5, waist + 0.5), 2.2)


def draw_waist(st: Studio, torso: Torso) -> None:
    """Waist treatment: belt, elastic shirring or drawstring."""
    plan = st.p
    y = torso.seam_y or torso.dims.waist_y
    if torso.seam_y is None and y > torso.hem.yr - 2:
        return  # cropped above the waist
    half = torso.half(min(y, torso.hem.yr - 0.5))
    if plan.waist == "belted":
        closures.belt(st, y - 1.6, half, tie=plan.kind in ("dress", "jumpsuit", "romper", "gown"))
    elif plan.waist == "elasticated":
        for k in range(5):
            yy = y - 2.0 + k * 1.0
            w = torso.half(min(yy, torso.hem.yr)) - 0.2
            st.seam(Path((-w, yy)).line((w, yy)), "fine")
    if plan.has("drawstring"):
        closures.drawstring(st, y - 1.1, half - 0.2)


def draw_pockets(st: Studio, torso: Torso, *, level: str) -> None:
    """Pockets of a torso garment at 'chest' or 'hip' level (call inside the torso clip)."""
    plan = st.p
    kind = plan.pockets
    if kind == "none":
        return
    jitter = plan.rng.uniform(-0.8, 0.8)
    chest_y = torso.top.underarm[1] - 2.0 + jitter * 0.5
    if level == "chest" and kind in ("patch", "flap", "welt"):
        x = torso.top.hps[0] + 1.0 + jitter * 0.3
        if kind == "welt":
            trims.welt_pocket(st, x, chest_y, 8.0)
        else:
            trims.patch_pocket(st, x, chest_y, 8.5, 9.5, flap=kind == "flap")
        return
    hem_y = torso.hem.y(0.0)
    y = min(max(torso.dims.waist_y + 8.0, hem_y - 22.0), hem_y - 14.0) + jitter
    if y < torso.top.underarm[1] + 6:
        return
    half = torso.half(y)
    x = half * 0.5
    for sign in (1.0, -1.0):
        cx = sign * x
        if kind == "patch":
            trims.patch_pocket(st, cx, y, min(11.0, half * 0.55), 11.0)
        elif kind == "cargo":
            trims.patch_pocket(st, cx, y, min(11.0, half * 0.55), 12.0, flap=True)
        elif kind == "flap":
            trims.flap_pocket(st, cx, y, min(13.0, half * 0.6))
        elif kind == "welt":
            trims.welt_pocket(
                st, cx, y + 3.0, min(12.0, half * 0.5), sign * -60.0 if plan.kind == "bomber" else 0.0
            )
    if kind == "slash":
        top_y = y - 4.0
        trims.slash_pocket(
            st, (torso.half(top_y) - 5.0, top_y), (torso.half(top_y + 11.0) + 1.5, top_y + 11.0)
        )
    elif kind == "in-seam":
        trims.inseam_pocket(st, (torso.half(y - 2.0), y - 2.0))
