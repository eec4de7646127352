"""Bottoms: pants, jeans, shorts and skirts (and the legs of jumpsuits and rompers)."""

from __future__ import annotations

from dataclasses import dataclass

from designer_bff.techflat import closures, trims
from designer_bff.techflat.bodice import build_piece, hem_shape, skirt_knots
from designer_bff.techflat.geometry import Hem, Path, rect, smooth, x_at
from designer_bff.techflat.plan import Plan
from designer_bff.techflat.studio import Studio

# (knee width, hem width) of one trouser leg, by silhouette.
LEGS = {
    "fitted": (16.0, 12.0),
    "bodycon": (15.5, 11.5),
    "tapered": (18.0, 13.5),
    "straight": (20.5, 20.0),
    "relaxed": (22.5, 22.0),
    "wide-leg": (24.5, 30.0),
    "oversized": (24.0, 25.0),
    "a-line": (18.5, 25.5),
    "pencil": (16.0, 12.0),
    "sheath": (17.0, 14.5),
}
WAIST_Y = {"high": 31.0, "low": 41.0, "dropped": 43.0}


@dataclass
class Bottom:
    """Measurements of a bottom garment below the waist seam."""

    waist_y: float
    band: float
    waist_x: float
    hip_y: float
    hip_x: float
    crotch_y: float
    hem_y: float


def bottom_dims(plan: Plan, waist_y: float | None = None, waist_x: float | None = None) -> Bottom:
    """Measurements for a bottom (or the lower half of a one-piece when waist_* are given)."""
    e, jw, jl = plan.ease, plan.jw, plan.jl
    wy = waist_y if waist_y is not None else WAIST_Y.get(plan.waist or "", 37.0) * jl
    # Flats draw the waist a little fuller than anatomy so the hip does not balloon out.
    wx = waist_x if waist_x is not None else (17.2 + e * 0.6 + (wy - 37.0) * 0.3) * jw
    band = (
        0.0
        if waist_y is not None
        else (4.6 if plan.waist == "elasticated" or plan.has("drawstring") else 3.8)
    )
    return Bottom(
        wy, band, wx, 55.0 * jl, max((21.8 + e) * jw, wx + 2.0), 69.0 * jl + e * 0.3, plan.hem_y * jl
    )


@dataclass
class Legs:
    """A drawn pair of trouser legs."""

    outline: Path
    outseam: Path
    hem_in: float
    hem_out: float
    hem_y: float


def legs(plan: Plan, b: Bottom) -> Legs:
    """Trouser (or shorts) outline from the waist down, both legs."""
    knee_w, hem_w = LEGS.get(plan.silhouette, LEGS["straight"])
    knee_w += plan.ease * 0.3
    hem_w += plan.ease * 0.3
    knee_y = 100.0 * plan.jl
    short = b.hem_y < knee_y - 6
    if short:
        hem_in = 1.8
        hem_out = b.hip_x + 1.2 + (3.0 if plan.silhouette in ("wide-leg", "a-line", "relaxed") else 0.0)
        outs = [(b.waist_x, b.waist_y), (b.hip_x, b.hip_y), (hem_out, b.hem_y)]
        if b.hem_y < b.hip_y + 3:
            outs = [(b.waist_x, b.waist_y), (hem_out, b.hem_y)]
        ins = [(hem_in, b.hem_y), (0.9, b.crotch_y + 0.4)]
    else:
        knee_in = 1.7
        hem_in = max(0.9, 2.6 - max(0.0, hem_w - knee_w) * 0.2)
        hem_out = hem_in + hem_w
        outs = [(b.waist_x, b.waist_y), (b.hip_x, b.hip_y), (knee_in + knee_w, knee_y), (hem_out, b.hem_y)]
        ins = [(hem_in, b.hem_y), (knee_in, knee_y), (0.9, b.crotch_y + 0.4)]
        if b.hem_y < knee_y + 6:
            outs[-2:] = [(hem_out, b.hem_y)]
            ins[1:2] = []
    outseam = smooth(outs)
    right = Path((0.0, b.waist_y)).line((b.waist_x, b.waist_y)).extend(outseam).line((hem_in, b.hem_y))
    right.extend(smooth(ins)).line((0.0, b.crotch_y))
    outline = Path(right.start).extend(right).extend(right.mirrored().reversed())
    return Legs(outline, outseam, hem_in, hem_out, b.hem_y)


def waistband(st: Studio, b: Bottom, side: Path, *, loops: bool) -> None:
    """Waistband with belt loops, elastic gathers or drawstring as the plan says."""
    plan = st.p
    y0, y1 = b.waist_y, b.waist_y + b.band
    x1 = x_at(side, y1)
    band = Path((-b.waist_x, y0)).line((b.waist_x, y0)).line((x1, y1)).line((-x1, y1))
    st.fabric(band)
    if plan.waist == "elasticated" or plan.has("drawstring"):
        x = -b.waist_x + 0.8
        while x < b.waist_x - 0.5:
            st.seg((x, y0 + 0.4), (x, y1 - 0.4), "fine")
            x += 1.1
    else:
        st.seg((-b.waist_x + 0.3, y0 + 0.6), (b.waist_x - 0.3, y0 + 0.6), dashed=True)
        st.seg((-x1 + 0.3, y1 - 0.6), (x1 - 0.3, y1 - 0.6), dashed=True)
    if plan.has("drawstring"):
        closures.drawstring(st, y0 + 0.3, 0.0, casing=b.band - 0.6)
    elif plan.has("buttons") or plan.has("zipper") or plan.kind in ("jeans", "pants", "shorts"):
        st.button((0.0, (y0 + y1) / 2), 0.75 if plan.kind != "jeans" else 0.85)
    if loops and plan.waist != "elasticated" and not plan.has("drawstring"):
        for x in (-b.waist_x + 2.0, -b.waist_x * 0.42, b.waist_x * 0.42, b.waist_x - 2.0):
            st.c.shape(rect(x - 0.5, y0 - 0.4, x + 0.5, y1 + 0.6), st.fill, "seam", bounds=False)
    if plan.waist == "belted":
        closures.belt(st, y0 + 0.3, b.waist_x - 0.2, height=b.band - 0.6, loops=False)


def fly(st: Studio, top: float, bottom: float, *, jeans: bool) -> None:
    """Centre-front seam and J-stitched fly."""
    st.seg((0.0, top), (0.0, bottom), "seam")
    j = Path((3.4, top)).line((3.4, bottom - 5.5)).quad((3.4, bottom - 2.0), (0.1, bottom - 1.6))
    st.stitch(j)
    if jeans:
        st.stitch(j.mapped(lambda p: (p[0] + 0.7 if p[0] > 1 else p[0], p[1] + 0.6)))


def bottom_pockets(st: Studio, b: Bottom, side: Path, *, top: float) -> None:
    """Front pockets for trousers/shorts/skirts (call inside the clip)."""
    plan = st.p
    kind = plan.pockets
    jitter = plan.rng.uniform(-0.6, 0.6)
    if kind == "slash" and plan.kind == "jeans":
        y = top + 7.5 + jitter
        trims.scoop_pocket(st, (b.waist_x - 6.5, top), (x_at(side, y) + 0.4, y), coin=True)
    elif kind == "slash":
        y = top + 11.0 + jitter
        trims.slash_pocket(st, (b.waist_x - 4.8, top), (x_at(side, y) + 1.5, y))
    elif kind in ("patch", "flap", "welt"):
        for sign in (1.0, -1.0):
            cx = sign * b.waist_x * 0.52
            if kind == "welt":
                trims.welt_pocket(st, cx, top + 3.0, 9.0)
            elif kind == "flap":
                trims.flap_pocket(st, cx, top + 2.0, 10.0)
            else:
                trims.patch_pocket(st, cx, top + 3.0, 10.0, 11.0)
    elif kind == "cargo":
        y = min(b.crotch_y + 4.0, b.hem_y - 12.0) + jitter
        trims.cargo_pocket(st, x_at(side, y) - 4.6, y)
    elif kind == "in-seam":
        y = top + 3.0
        trims.inseam_pocket(st, (x_at(side, y), y), 10.0)


def draw_trousers(st: Studio) -> None:
    """Pants, jeans and shorts."""
    plan = st.p
    b = bottom_dims(plan)
    lg = legs(plan, b)
    st.fabric(lg.outline)
    top = b.waist_y + b.band
    jeans = plan.kind == "jeans"
    with st.c.group(clip=st.c.clip(lg.outline)):
        fly(st, top, b.crotch_y - 1.0, jeans=jeans) if plan.has("zipper") else st.seg(
            (0, top), (0, b.crotch_y), "seam"
        )
        if plan.has("buttons") and not plan.has("zipper"):
            closures.button_column(st, 0.0, top + 2.0, b.crotch_y - 5.0, 3, 0.6)
        bottom_pockets(st, b, lg.outseam, top=top)
        if plan.kind == "pants" and lg.hem_y > 90:
            for sign in (1.0, -1.0):
                x0, x1 = (b.hip_x * 0.5 + 0.8), (lg.hem_in + lg.hem_out) / 2
                st.seg((sign * x0, top + 13.0), (sign * x1, lg.hem_y - 0.5), "fine")
        if plan.hem not in ("raw",):
            st.stitch(Path((-60.0, lg.hem_y - 2.0)).line((60.0, lg.hem_y - 2.0)))
        if plan.quilted:
            trims.quilting(st, (-40, b.waist_y, 40, lg.hem_y))
    if plan.hem == "raw":
        for sign in (1.0, -1.0):
            trims.raw_hem(
                st,
                Hem(
                    sign * lg.hem_out if sign > 0 else -lg.hem_in,
                    lg.hem_y,
                    lg.hem_in if sign > 0 else -lg.hem_out,
                    lg.hem_y,
                ),
            )
    if plan.hem == "split":
        for sign in (1.0, -1.0):
            x = sign * (lg.hem_out - 0.4)
            st.seg((x, lg.hem_y - 7.0), (x, lg.hem_y), "seam")
    if "fringe" in plan.embellishments:
        for sign in (1.0, -1.0):
            lo, hi = sorted((sign * lg.hem_in, sign * lg.hem_out))
            trims.fringe(st, Hem(hi, lg.hem_y, lo, lg.hem_y), 3.5)
    waistband(st, b, lg.outseam, loops=plan.kind in ("jeans", "pants"))


def draw_skirt(st: Studio) -> None:
    """Skirts of every silhouette and hem."""
    plan = st.p
    b = bottom_dims(plan)
    top = b.waist_y + b.band
    sil = plan.silhouette if plan.silhouette not in ("relaxed", "oversized", "empire", "shift") else "a-line"
    tier = 0.0
    if plan.hem == "ruffled" or "ruffles" in plan.embellishments:
        tier = max(5.0, min(12.0, 0.22 * (b.hem_y - b.waist_y)))
    hem_y = b.hem_y - tier
    side = smooth(skirt_knots(sil, b.waist_x, b.waist_y, b.hip_x, b.hip_y, hem_y))
    width = x_at(side, hem_y)
    rise = min(0.3 * (hem_y - b.waist_y), 17.0 if plan.hem == "high-low" else 40.0)
    shape = plan.hem if plan.hem in ("asymmetric", "high-low") else "straight"
    hem = hem_shape(shape, side, hem_y, 0.3 + max(0.0, width - b.hip_x) * 0.1, rise)
    top_right = Path((0.0, b.waist_y)).line((b.waist_x, b.waist_y))
    if shape == "high-low":
        back_side = smooth(skirt_knots(sil, b.waist_x, b.waist_y, b.hip_x, b.hip_y, hem_y + rise * 0.5))
        back = hem_shape("straight", back_side, hem_y + rise * 0.5, 2.0, 0.0)
        st.fabric(build_piece(top_right, back_side, back).outline, shadow=0.12)
    piece = build_piece(top_right, side, hem)
    st.fabric(piece.outline)
    with st.c.group(clip=st.c.clip(piece.outline)):
        if plan.has("buttons"):
            closures.placket(st, top, hem.y(0.0), buttons=plan.buttons)
        if plan.has("snaps"):
            closures.snaps(st, 0.0, top + 2.0, hem.y(0.0) - 3.0, 5)
        if plan.has("lace-up"):
            closures.lace_up(st, top + 1.0, top + 12.0)
        if "pleats" in plan.embellishments or sil == "ball-gown":
            n = 11
            for k in range(1, n):
                t = -1 + 2 * k / n
                st.seg((t * b.waist_x, top), (t * width, hem.y(t * width)), "fine")
        bottom_pockets(st, b, side, top=top)
        if plan.quilted:
            trims.quilting(st, (-60, b.waist_y, 60, hem_y + 20))
        if tier == 0 and plan.hem != "raw":
            trims.hem_stitch(st, hem)
    if plan.has("zipper"):
        zx = x_at(side, top + 8.0)
        closures.zipper(
            st, top, top + 16.0, x=(b.waist_x + zx) / 2 - 0.9, exposed="exposed-zipper" in plan.hardware
        )
    if plan.has("wrap-tie") or plan.silhouette == "wrap":
        edge = Path((b.waist_x * 0.55, top)).curve(
            (b.waist_x * 0.2, top + 15), (hem.xl * 0.2, hem.y(0) - 15), (hem.xl * 0.35, hem.y(hem.xl * 0.35))
        )
        st.c.line(edge, "outline")
        closures.bow(st, (b.waist_x - 1.0, top - 1.5), 2.0)
    if tier > 0:
        trims.ruffle_tier(st, hem, tier)
    if plan.hem == "raw":
        trims.raw_hem(st, hem)
    if plan.hem == "split":
        trims.split(st, hem, hem.xr * 0.45, min(18.0, (hem_y - top) * 0.3))
    if "fringe" in plan.embellishments:
        trims.fringe(st, hem)
    if "lace-trim" in plan.embellishments:
        trims.lace_trim(st, hem)
    waistband(st, b, side, loops=False)
