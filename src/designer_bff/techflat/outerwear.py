"""Outerwear: blazer, jacket, bomber, vest, coat and trench."""

from __future__ import annotations

from designer_bff.techflat import closures, collars, trims
from designer_bff.techflat.bodice import Top, make_dims
from designer_bff.techflat.fronts import draw_neck, draw_pockets, draw_waist
from designer_bff.techflat.geometry import Path, Pt, add, dist, mul, norm, sub
from designer_bff.techflat.sleeves import SleeveGeo, draw_sleeves
from designer_bff.techflat.studio import Studio
from designer_bff.techflat.upper import Torso, build_torso, finish_hem, interior

LAPEL_BREAK = {"blazer": 27.0, "coat": 23.0, "trench": 21.0}
CUFF = {"bomber": "rib", "jacket": "cuff", "vest": "plain"}


def _rib_band(st: Studio, torso: Torso, depth: float) -> None:
    """A separate ribbed hem band, slightly narrower than the body so the body blouses over it."""
    hem = torso.hem
    y0 = hem.y(0.0)
    w = torso.half(y0) - 1.0
    band = Path((-w, y0 - 0.4)).line((w, y0 - 0.4)).line((w - 0.3, y0 + depth)).line((-w + 0.3, y0 + depth))
    st.fabric(band)
    x = -w + 0.9
    while x < w - 0.5:
        st.seg((x, y0 + 0.2), (x, y0 + depth - 0.3), "fine")
        x += 0.9


def _sleeve_buttons(st: Studio, geo: SleeveGeo, count: int) -> None:
    for g in (geo, geo.mirrored()):
        for k in range(count):
            p = add(add(g.co, mul(g.d, -2.2 - k * 1.3)), mul(g.e, -1.4))
            st.button(p, 0.42)


def _cuff_straps(st: Studio, geo: SleeveGeo) -> None:
    for g in (geo, geo.mirrored()):
        a = add(add(g.ci, mul(g.d, -6.0)), mul(g.e, -0.4))
        b = add(add(g.co, mul(g.d, -6.0)), mul(g.e, 0.4))
        strap = Path(a).line(b).line(add(b, mul(g.d, -2.2))).line(add(a, mul(g.d, -2.2)))
        st.fabric(strap, "seam")
        st.c.shape(
            Path(add(b, mul(g.e, -3.2)))
            .line(add(b, mul(g.e, -1.6)))
            .line(add(add(b, mul(g.e, -1.6)), mul(g.d, -2.2)))
            .line(add(add(b, mul(g.e, -3.2)), mul(g.d, -2.2))),
            "none",
            "seam",
            stroke=st.p.palette.hardware,
            bounds=False,
        )


def _epaulettes(st: Studio, top: Top) -> None:
    if top.shoulder is None:
        return
    s, h = top.shoulder, top.hps
    sd = norm(sub(s, h))
    nrm = (-sd[1], sd[0])
    a, b = add(h, mul(sd, 2.0)), add(s, mul(sd, -0.3))
    for sign in (1.0, -1.0):
        pts = [
            add(a, mul(nrm, 1.3)),
            add(b, mul(nrm, 1.3)),
            add(b, mul(nrm, -1.3)),
            add(a, mul(nrm, -1.3)),
            add(a, mul(sd, -1.2)),
        ]
        path = Path(pts[0]).poly(pts[1:])
        if sign < 0:
            path = path.mirrored()
        st.fabric(path, "seam")
        btn = add(a, mul(sd, 0.6))
        st.button((sign * btn[0], btn[1]), 0.5)


def _storm_flap(st: Studio, top: Top) -> None:
    if top.shoulder is None:
        return
    s, hx = top.shoulder, top.hps[0]
    pts: list[Pt] = [(-hx - 1.0, 0.7), (-s[0] + 0.7, s[1] + 0.3), (-s[0] + 0.3, 18.0)]
    flap = Path(pts[0]).poly(pts[1:]).curve((-s[0] + 2.0, 20.0), (-hx - 5.0, 20.5), (-hx - 6.5, 19.0))
    st.fabric(flap, "seam")
    st.stitch(Path((-s[0] + 1.2, s[1] + 1.2)).line((-s[0] + 1.0, 17.2)))
    st.button((-s[0] + 3.0, 17.8), 0.55)


def draw_outerwear(st: Studio) -> None:
    """Draw an outerwear garment from the studio's plan."""
    plan = st.p
    kind = plan.kind
    lapel = plan.neckline == "collared" and kind in LAPEL_BREAK
    double = kind == "trench" and plan.has("buttons")
    dims = make_dims(plan)
    band = 5.5 if kind == "bomber" else 0.0
    dims.hem_y -= band
    neck, depth = None, 0.0
    if lapel:
        neck, depth = "lapel", LAPEL_BREAK[kind] + (3.0 if kind == "blazer" and plan.buttons == 1 else 0.0)
    elif plan.neckline == "v-neck":
        depth = 24.0 if kind == "vest" else 20.0
    torso = build_torso(st, neck=neck, depth=depth, dims=dims, sag=4.5 if kind == "vest" else None)
    top = torso.top
    hem_y = torso.hem.y(0.0)
    open_front = lapel or kind in ("vest", "cardigan") or (plan.neckline == "v-neck" and plan.has("buttons"))
    with st.c.group(clip=torso.clip):
        interior(st, torso, hem_finish="none" if band else "stitch")
        if kind == "jacket":
            y = hem_y - 5.0
            st.seam(Path((-40.0, y)).line((40.0, y)))
            trims.hem_stitch(st, torso.hem, 4.4)
            yoke = top.underarm[1] - 9.0
            st.seam(Path((-40.0, yoke)).line((40.0, yoke)))
            for sign in (1.0, -1.0):
                st.seg((sign * top.hps[0] * 1.3, yoke), (sign * top.hps[0] * 1.3, y), "seam")
        if plan.has("buttons"):
            if double:
                edge = 7.0
                st.c.line(
                    Path((0.3, top.depth))
                    .curve((3.0, top.depth + 1.0), (edge, top.depth + 1.5), (edge, top.depth + 4.0))
                    .line((edge, hem_y)),
                    "outline",
                )
                rows = 3 if hem_y - top.depth > 40 else 2
                for x in (-4.8, 4.8):
                    closures.button_column(
                        st, x, top.depth + 2.0, top.depth + 2.0 + (rows - 1) * 7.5, rows, 0.85
                    )
            elif open_front:
                count = plan.buttons if kind != "coat" else max(3, plan.buttons)
                y_end = hem_y - 7.0 if kind == "blazer" else hem_y
                closures.front_opening(
                    st,
                    top.depth,
                    y_end + (1.5 if kind == "vest" else 0.0),
                    buttons=count,
                    stitch=plan.topstitch,
                )
            else:
                closures.placket(st, top.depth + 0.3, hem_y - band, buttons=plan.buttons)
        if plan.has("zipper") and not (plan.has("buttons") and open_front):
            closures.zipper(st, top.depth + 0.2, hem_y, exposed=True)
        if plan.has("snaps"):
            closures.snaps(st, 0.0, top.depth + 2.0, hem_y - 3.0, 5)
        if kind == "blazer" and lapel:
            trims.welt_pocket(st, top.hps[0] + 5.0, top.underarm[1] + 2.5, 7.5, -5.0)
            # Rounded front corners: the overlapping edge curves away into the hem.
            st.c.line(
                Path((1.7, hem_y - 7.0)).curve((1.7, hem_y - 2.5), (3.5, hem_y - 0.3), (7.0, hem_y + 0.2)),
                "outline",
            )
        if kind == "jacket" and plan.pockets in ("flap", "patch"):
            for sign in (1.0, -1.0):
                trims.patch_pocket(st, sign * top.hps[0] * 1.3, top.underarm[1] - 5.0, 8.0, 8.5, flap=True)
        else:
            draw_pockets(st, torso, level="hip")
        if kind == "vest" and plan.pockets == "welt":
            trims.welt_pocket(st, top.hps[0] + 2.5, top.underarm[1] + 3.0, 6.0, -6.0)
    finish_hem(st, torso)
    if band:
        _rib_band(st, torso, band)
    if kind == "trench":
        _storm_flap(st, top)
    geo = draw_sleeves(st, top, CUFF.get(kind, "plain"))
    if geo is not None and kind in ("blazer", "coat"):
        _sleeve_buttons(st, geo, 3 if kind == "blazer" else 2)
    if geo is not None and kind == "trench":
        _cuff_straps(st, geo)
    if kind == "trench":
        _epaulettes(st, top)
    if lapel:
        wide = 1.15 if kind in ("coat", "trench") else 1.0
        collars.lapels(st, top, top.depth, peak=kind == "trench", wide=wide)
    elif kind == "bomber" and plan.neckline in ("crew", "v-neck", "scoop"):
        _rib_collar(st, top)
    else:
        draw_neck(st, torso, collar_spread=1.35 if kind in ("jacket", "coat") else 1.0)
    if plan.waist in ("belted", "elasticated") or plan.has("drawstring"):
        draw_waist(st, torso)


def _rib_collar(st: Studio, top: Top) -> None:
    """The knit stand collar of a bomber, split by the zip."""
    for sign in (1.0, -1.0):
        inner = top.neck if sign > 0 else top.neck.mirrored()
        outer = inner.mapped(lambda p: (p[0] * 1.05, p[1] - 3.2))
        path = Path(inner.start).extend(inner).line(outer.end).extend(outer.reversed())
        st.fabric(path)
        n = max(6, int(dist(inner.start, inner.end) / 0.9))
        pts_in, pts_out = inner.flatten(n), outer.flatten(n)
        step = max(1, len(pts_in) // n)
        for a, b in list(zip(pts_in, pts_out, strict=False))[1:-1:step]:
            st.seg(a, b, "fine")
