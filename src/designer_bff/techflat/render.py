"""Public entry points: a GarmentSpec → technical-flat SVG / PNG."""

from __future__ import annotations

import struct
from collections.abc import Callable

import resvg_py

from designer_bff.domain.spec import GarmentSpec
from designer_bff.techflat.bottoms import draw_skirt, draw_trousers
from designer_bff.techflat.canvas import Canvas
from designer_bff.techflat.colors import BACKGROUND
from designer_bff.techflat.onepiece import draw_bodysuit, draw_dress, draw_jumpsuit
from designer_bff.techflat.outerwear import draw_outerwear
from designer_bff.techflat.plan import BOTTOM_LENGTH, TOP_LENGTH, Plan, make_plan
from designer_bff.techflat.studio import Studio
from designer_bff.techflat.tops import draw_top

Builder = Callable[[Studio], None]
BUILDERS: dict[str, Builder] = {
    "dress": draw_dress,
    "gown": draw_dress,
    "top": draw_top,
    "blouse": draw_top,
    "shirt": draw_top,
    "t-shirt": draw_top,
    "sweater": draw_top,
    "cardigan": draw_top,
    "blazer": draw_outerwear,
    "jacket": draw_outerwear,
    "bomber": draw_outerwear,
    "vest": draw_outerwear,
    "coat": draw_outerwear,
    "trench": draw_outerwear,
    "pants": draw_trousers,
    "jeans": draw_trousers,
    "shorts": draw_trousers,
    "skirt": draw_skirt,
    "jumpsuit": draw_jumpsuit,
    "romper": draw_jumpsuit,
    "bodysuit": draw_bodysuit,
}
TOP_SILHOUETTES = {
    "fitted",
    "relaxed",
    "oversized",
    "a-line",
    "empire",
    "wrap",
    "bodycon",
    "shift",
    "straight",
}
SKIRT_SILHOUETTES = {"a-line", "pencil", "mermaid", "ball-gown"}
PANTS_SILHOUETTES = {"fitted", "relaxed", "oversized", "straight", "wide-leg", "tapered"}
MIN_SIZE, MAX_SIZE = 16, 4096


def _set_plans(spec: GarmentSpec, seed: int) -> tuple[Plan, Plan]:
    """Plans for the two pieces of a co-ord set: a top and a matching bottom."""
    g = spec.garment
    sil = g.silhouette
    length = g.length or "ankle"
    bottom_kind = "skirt" if sil in SKIRT_SILHOUETTES else "shorts" if length in ("mini", "hip") else "pants"
    top = make_plan(spec, seed, kind="set", part="top")
    top.hem_y = TOP_LENGTH["crop"] if length == "crop" else TOP_LENGTH["hip"]
    if sil not in TOP_SILHOUETTES:
        top.silhouette = "relaxed"
    bottom = make_plan(spec, seed, kind=bottom_kind, part="bottom")
    bottom.hem_y = BOTTOM_LENGTH["ankle" if length == "crop" else length]
    if not g.closures:
        bottom.closures = ("drawstring",)
    if bottom_kind != "skirt" and sil not in PANTS_SILHOUETTES:
        bottom.silhouette = "wide-leg"
    top.closures = tuple(c for c in top.closures if c != "drawstring")
    return top, bottom


def build_canvas(spec: GarmentSpec, seed: int) -> Canvas:
    """Draw the garment(s) described by the spec onto a fresh canvas."""
    kind = spec.garment.type
    if kind != "set":
        plan = make_plan(spec, seed)
        canvas = Canvas(plan.palette.line)
        BUILDERS[kind](Studio(canvas, plan))
        return canvas
    top, bottom = _set_plans(spec, seed)
    canvas = Canvas(top.palette.line)
    with canvas.group() as g_top:
        draw_top(Studio(canvas, top))
    with canvas.group() as g_bottom:
        (draw_skirt if bottom.kind == "skirt" else draw_trousers)(Studio(canvas, bottom))
    tx0, ty0, tx1, _ = canvas.bounds(g_top)
    bx0, by0, _, _ = canvas.bounds(g_bottom)
    # Side by side, tops aligned, with a gap proportional to the top's width.
    canvas.translate(g_bottom, tx1 + (tx1 - tx0) * 0.08 - bx0, ty0 - by0 + 4.0)
    return canvas


def _check_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or not MIN_SIZE <= value <= MAX_SIZE:
            raise ValueError(f"{name} must be an int in [{MIN_SIZE}, {MAX_SIZE}], got {value!r}")


def render_svg(spec: GarmentSpec, *, seed: int, width: int, height: int) -> str:
    """Render the spec as a self-contained technical-flat SVG document of width×height."""
    _check_size(width, height)
    return build_canvas(spec, seed).svg(width, height, BACKGROUND)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def render_png(spec: GarmentSpec, *, seed: int, width: int, height: int) -> bytes:
    """Render the spec as PNG bytes of exactly width×height pixels."""
    svg = render_svg(spec, seed=seed, width=width, height=height)
    data = bytes(resvg_py.svg_to_bytes(svg_string=svg, skip_system_fonts=True))
    if png_size(data) != (width, height):  # resvg rounds odd sizes; never hand back a wrong size
        import io

        from PIL import Image

        img = Image.open(io.BytesIO(data)).convert("RGBA").resize((width, height), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        data = buf.getvalue()
    return data
