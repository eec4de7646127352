"""Sleeves: set-in, raglan, bell, puff, bishop and cap, at every length, with cuff finishes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from designer_bff.techflat import trims
from designer_bff.techflat.bodice import Top
from designer_bff.techflat.geometry import Path, Pt, add, dist, lerp, mul, norm, polar, split_y, sub
from designer_bff.techflat.plan import Plan
from designer_bff.techflat.studio import Studio

# angle from vertical (deg), underarm-seam length, cuff width — flats hang short sleeves out wide.
LENGTHS: dict[str, tuple[float, float, float]] = {
    "short": (50.0, 7.0, 12.5),
    "elbow": (38.0, 19.0, 11.0),
    "three-quarter": (30.0, 30.0, 10.0),
    "long": (22.0, 42.0, 8.6),
}


@dataclass
class SleeveGeo:
    """A built sleeve: outline plus the cuff frame used to place finishes."""

    outline: Path
    ci: Pt  # cuff, inner (underarm side)
    co: Pt  # cuff, outer
    d: Pt  # unit axis pointing down the arm
    e: Pt  # unit vector across the cuff, from inner to outer
    cap: Pt  # top of the sleeve head (for gathers)
    kind: str
    length: str

    def mirrored(self) -> SleeveGeo:
        """The same sleeve on the other side of the body."""

        def m(p: Pt) -> Pt:
            return (-p[0], p[1])

        return SleeveGeo(
            self.outline.mirrored(),
            m(self.ci),
            m(self.co),
            m(self.d),
            m(self.e),
            m(self.cap),
            self.kind,
            self.length,
        )


def _cap_sleeve(top: Top) -> SleeveGeo:
    assert top.shoulder is not None
    assert top.armhole is not None
    s = top.shoulder
    upper, _ = split_y(top.armhole, s[1] + (top.underarm[1] - s[1]) * 0.62)
    mid = upper.end
    sdir = norm(sub(s, top.hps))
    tip = (s[0] + 6.5, s[1] + 7.5)
    out = Path(s).curve(add(s, mul(sdir, 3.5)), (tip[0] - 1.0, tip[1] - 4.0), tip)
    out.curve((tip[0] - 1.5, tip[1] + 2.5), (mid[0] + 3.0, mid[1] + 1.5), mid)
    out.extend(upper.reversed())
    d = polar(62)
    return SleeveGeo(out, mid, tip, d, (d[1], -d[0]), s, "cap", "cap")


def build_sleeve(plan: Plan, top: Top) -> SleeveGeo | None:
    """The right sleeve for the plan, attached to the top edge's armhole (None if sleeveless)."""
    if plan.sleeveless or top.armhole is None:
        return None
    if plan.sleeve_length == "cap" and top.shoulder is not None and plan.sleeve_type == "set-in":
        return _cap_sleeve(top)
    kind = plan.sleeve_type
    short = plan.sleeve_length in ("cap", "short")
    if kind == "bishop" and short:
        kind = "puff"  # a bishop sleeve cut short is simply a gathered puff
    angle, inner_len, cuff_w = LENGTHS.get(plan.sleeve_length, LENGTHS["long"])
    if plan.sleeve_length == "cap":
        angle, inner_len, cuff_w = 58.0, 3.5, 12.5
    angle += 4.0 if plan.ease >= 6 else 0.0
    bicep = 12.4 + plan.ease * 0.25
    cuff_w += plan.ease * 0.35
    inner_len *= plan.jl
    d = polar(angle)
    e = (d[1], -d[0])
    u = top.underarm
    t = top.armhole.start
    shoulder = top.shoulder or t
    sdir = norm(sub(shoulder, top.hps)) if top.shoulder else norm((1.0, 0.25))

    p = add(add(u, mul(e, bicep)), mul(d, 1.5))
    bi = add(u, mul(d, inner_len))
    flare = 1.6 if short else 2.3
    width = {"bell": max(cuff_w * flare, bicep * 1.3), "bishop": 7.8, "puff": cuff_w * 0.9}.get(kind, cuff_w)
    if kind == "puff" and plan.sleeve_length in ("three-quarter", "long"):
        width = cuff_w * 0.92
    # Extra width flares mostly outwards: flaring inwards past the underarm would cross the body.
    inward = min(max(width - cuff_w, 0.0) / 2, inner_len * 0.3)
    ci = add(bi, mul(e, -inward))
    # Short flared sleeves tilt their hem down on the outside (a flutter) instead of flaring upwards.
    tilt_deg = {"cap": 30.0, "short": 30.0, "elbow": 22.0, "three-quarter": 12.0}.get(plan.sleeve_length, 0.0)
    tilt = math.radians(tilt_deg if kind == "bell" else 0.0)
    co = add(ci, mul(norm(add(mul(e, math.cos(tilt)), mul(d, math.sin(tilt)))), width))
    if kind == "bell":
        ci, co = add(ci, mul(d, 1.8)), add(co, mul(d, -0.6))

    out = Path(t)
    if top.raglan:
        out.line(top.hps).line(shoulder)
    cap_k = dist(shoulder, p) * 0.42
    gathered_head = kind == "puff" and plan.sleeve_type != "bishop"
    if gathered_head:
        out.curve(add(shoulder, (-0.6, -4.8)), add(p, add(mul(d, -cap_k), mul(e, 2.5))), p)
    else:
        out.curve(add(shoulder, mul(sdir, cap_k * 0.75)), add(p, mul(d, -cap_k * 0.8)), p)
    span = dist(p, co)
    if kind == "bell":
        knee = lerp(p, add(bi, mul(e, cuff_w)), 0.45)
        out.line(knee).curve(add(knee, mul(d, span * 0.25)), add(co, mul(sub(knee, co), 0.35)), co)
        out.curve(add(lerp(co, ci, 0.3), mul(d, 2.2)), add(lerp(co, ci, 0.7), mul(d, 2.2)), ci)
        iknee = lerp(u, bi, 0.5)
        out.curve(add(ci, mul(sub(iknee, ci), 0.45)), add(iknee, mul(d, span * 0.2)), iknee).line(u)
    elif kind == "bishop":
        co_top, ci_top = add(co, mul(d, -5.0)), add(ci, mul(d, -5.0))
        out.curve(add(p, mul(d, span * 0.45)), add(co_top, add(mul(e, 5.0), mul(d, -5.0))), co_top)
        out.line(co).line(ci).line(ci_top)
        out.curve(add(ci_top, add(mul(e, -4.5), mul(d, -4.5))), add(u, mul(d, span * 0.3)), u)
    elif kind == "puff":
        short = plan.sleeve_length in ("short", "cap", "elbow")
        bulge = 2.6 if short else 2.0
        # A short bishop billows low, just above its band; a puff balloons at the head.
        lo, hi = (0.55, 0.95) if plan.sleeve_type == "bishop" else (0.3, 0.75 if short else 0.5)
        out.curve(add(lerp(p, co, lo), mul(e, bulge)), add(lerp(p, co, hi), mul(e, bulge * 1.3)), co)
        out.line(ci)
        out.curve(
            add(lerp(ci, u, 0.3 if short else 0.5), mul(e, -bulge * 0.6)),
            add(lerp(ci, u, 0.8), mul(e, -1.0)),
            u,
        )
    else:
        out.line(co).line(ci).line(u)
    out.extend(top.armhole.reversed())
    geo_kind = "band" if kind == "puff" and not gathered_head else kind
    return SleeveGeo(out, ci, co, d, e, lerp(shoulder, p, 0.5), geo_kind, plan.sleeve_length)


def _across(geo: SleeveGeo, depth: float, over: float = 3.0) -> Path:
    """A line across the sleeve parallel to the cuff, `depth` up the arm (long; clipped later)."""
    a = add(add(geo.ci, mul(geo.d, -depth)), mul(geo.e, -over))
    b = add(add(geo.co, mul(geo.d, -depth)), mul(geo.e, over))
    return Path(a).line(b)


def draw_sleeve(st: Studio, geo: SleeveGeo, finish: str) -> None:
    """Draw one sleeve with its finish: 'rib', 'cuff', 'band', 'stitch' or 'plain'."""
    st.fabric(geo.outline)
    cid = st.c.clip(geo.outline)
    width = dist(geo.ci, geo.co)
    with st.c.group(clip=cid):
        if st.p.quilted:
            box = [*geo.outline.points()]
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            trims.quilting(st, (min(xs), min(ys), max(xs), max(ys)))
        if geo.kind == "puff":
            # Gathers fan out from the sleeve head.
            for k in range(-2, 3):
                base = add(geo.cap, mul(geo.e, k * 1.3))
                st.seg(add(base, mul(geo.d, 0.4)), add(base, mul(geo.d, 2.6)), "fine")
        if geo.kind == "bell":
            return
        if geo.kind == "bishop" or finish == "cuff":
            depth = 5.0 if geo.length in ("long", "three-quarter") else 3.0
            st.seam(_across(geo, depth))
            st.stitch(_across(geo, depth - 0.7))
            if geo.length in ("long", "three-quarter"):
                st.button(add(add(geo.ci, mul(geo.d, -depth / 2)), mul(geo.e, width * 0.78)), 0.55)
                slit = add(geo.ci, mul(geo.e, width * 0.62))
                st.seg(add(slit, mul(geo.d, -depth)), add(slit, mul(geo.d, -depth - 6)), "fine")
            if geo.kind == "bishop":
                for k in range(5):
                    base = add(add(geo.ci, mul(geo.d, -depth)), mul(geo.e, width * (k + 0.5) / 5))
                    st.seg(base, add(base, mul(geo.d, -2.2)), "fine")
        elif finish == "rib":
            depth = 5.0 if geo.length in ("long", "three-quarter") else 2.5
            st.seam(_across(geo, depth))
            n = max(4, int(width / 0.9))
            for k in range(1, n):
                base = add(geo.ci, mul(geo.e, width * k / n))
                st.seg(base, add(base, mul(geo.d, -depth)), "fine")
        elif finish == "band" or geo.kind in ("puff", "band"):
            st.seam(_across(geo, 2.0))
            for k in range(1, 6):
                base = add(geo.ci, mul(geo.e, width * k / 6))
                st.seg(add(base, mul(geo.d, -2.0)), add(base, mul(geo.d, -3.4)), "fine")
        elif finish == "stitch":
            st.stitch(_across(geo, 1.6))


def draw_sleeves(st: Studio, top: Top, finish: str) -> SleeveGeo | None:
    """Build, mirror and draw both sleeves; returns the right one for extra cuff details."""
    geo = build_sleeve(st.p, top)
    if geo is None:
        return None
    draw_sleeve(st, geo, finish)
    draw_sleeve(st, geo.mirrored(), finish)
    return geo
