"""Tests for the offline technical-flat renderer."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pytest
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.taxonomy import load_taxonomy
from designer_bff.techflat import render_png, render_svg

BACKGROUND = np.array([0xFB, 0xFA, 0xF7])
GARMENT_TYPES = load_taxonomy().category("garment_type").values


def spec(garment_type: str, **garment: Any) -> GarmentSpec:
    color = garment.pop("color", {})
    return GarmentSpec.model_validate({"garment": {"type": garment_type, **garment}, "color": color})


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int32)


def garment_mask(img: np.ndarray) -> np.ndarray:
    # The background is one flat colour, so anything else (even a white garment) is garment.
    return np.any(img != BACKGROUND, axis=2)


def hex_rgb(value: str) -> np.ndarray:
    return np.array([int(value[i : i + 2], 16) for i in (1, 3, 5)])


def near(img: np.ndarray, color: np.ndarray, tol: int = 16) -> np.ndarray:
    return np.abs(img - color).max(axis=2) <= tol


def dominant(img: np.ndarray) -> np.ndarray:
    flat = img[garment_mask(img)]
    values, counts = np.unique(flat, axis=0, return_counts=True)
    return np.asarray(values[int(np.argmax(counts))])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_same_seed_is_byte_identical() -> None:
    s = spec("dress", color={"primary": "rust", "secondary": "cream", "pattern": {"type": "floral"}})
    assert render_svg(s, seed=11, width=256, height=256) == render_svg(s, seed=11, width=256, height=256)
    assert render_png(s, seed=11, width=256, height=256) == render_png(s, seed=11, width=256, height=256)


def test_different_seeds_vary_details() -> None:
    s = spec("shirt", color={"primary": "sky blue", "pattern": {"type": "check"}})
    outputs = {render_png(s, seed=seed, width=256, height=256) for seed in range(4)}
    assert len(outputs) == 4


def test_seed_never_changes_the_garment_type() -> None:
    dress = [garment_mask(pixels(render_png(spec("dress"), seed=s, width=200, height=200))) for s in range(3)]
    pants = garment_mask(pixels(render_png(spec("pants"), seed=0, width=200, height=200)))
    assert min(iou(dress[0], d) for d in dress[1:]) > 0.85
    assert max(iou(pants, d) for d in dress) < 0.8


@pytest.mark.parametrize(
    "size", [(64, 64), (300, 400), (400, 300), (180, 320), (320, 180), (1024, 1024), (2048, 1536)]
)
def test_png_has_exact_requested_size(size: tuple[int, int]) -> None:
    png = render_png(spec("coat"), seed=1, width=size[0], height=size[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(png)).size == size


@pytest.mark.parametrize("size", [(300, 800), (800, 300)])
def test_garment_is_centred_with_margins(size: tuple[int, int]) -> None:
    mask = garment_mask(pixels(render_png(spec("dress"), seed=2, width=size[0], height=size[1])))
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    assert xs.min() > 0
    assert ys.min() > 0
    assert xs.max() < w - 1
    assert ys.max() < h - 1
    assert abs((xs.min() + xs.max()) / 2 - w / 2) < w * 0.05
    assert abs((ys.min() + ys.max()) / 2 - h / 2) < h * 0.05


@pytest.mark.parametrize("garment_type", GARMENT_TYPES)
def test_every_garment_type_renders(garment_type: str) -> None:
    img = pixels(render_png(spec(garment_type), seed=3, width=160, height=160))
    coverage = garment_mask(img).mean()
    assert 0.08 < coverage < 0.9


@pytest.mark.parametrize("color", ["red", "navy", "mustard", "sage", "white", "black"])
def test_primary_colour_dominates(color: str) -> None:
    img = pixels(render_png(spec("t-shirt", color={"primary": color}), seed=5, width=256, height=256))
    expected = hex_rgb(load_taxonomy().colors[color])
    assert np.abs(dominant(img) - expected).max() <= 6


@pytest.mark.parametrize(
    "pattern",
    ["stripe", "check", "floral", "polka-dot", "houndstooth", "geometric", "animal", "paisley", "abstract"],
)
def test_pattern_shows_secondary_but_primary_still_dominates(pattern: str) -> None:
    color = {"primary": "cream", "secondary": "red", "pattern": {"type": pattern}}
    img = pixels(render_png(spec("skirt", color=color), seed=4, width=256, height=256))
    mask = garment_mask(img)
    secondary = near(img, hex_rgb(load_taxonomy().colors["red"]))[mask].mean()
    assert secondary > 0.01
    assert np.abs(dominant(img) - hex_rgb(load_taxonomy().colors["cream"])).max() <= 6


def test_solid_has_no_secondary_colour() -> None:
    color = {"primary": "cream", "secondary": "red", "pattern": {"type": "solid"}}
    img = pixels(render_png(spec("skirt", color=color), seed=4, width=256, height=256))
    assert near(img, hex_rgb(load_taxonomy().colors["red"]))[garment_mask(img)].mean() < 0.002


def test_default_secondary_contrasts_with_primary() -> None:
    light = render_svg(
        spec("dress", color={"primary": "cream", "pattern": {"type": "polka-dot"}}),
        seed=1,
        width=128,
        height=128,
    )
    dark = render_svg(
        spec("dress", color={"primary": "navy", "pattern": {"type": "polka-dot"}}),
        seed=1,
        width=128,
        height=128,
    )
    assert "#1f2a44" in light  # dark dots on a light ground
    assert "#f3ead3" in dark or "#f8f8f5" in dark


def test_pattern_scale_changes_tile_size() -> None:
    def tile(scale: str) -> float:
        color = {"primary": "pink", "pattern": {"type": "polka-dot", "scale": scale}}
        svg = render_svg(spec("dress", color=color), seed=1, width=128, height=128)
        match = re.search(r'<pattern [^>]*width="([0-9.]+)"', svg)
        assert match
        return float(match.group(1))

    assert tile("small") < tile("medium") < tile("large")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (spec("dress"), spec("pants")),
        (spec("skirt"), spec("shorts")),
        (spec("t-shirt"), spec("coat")),
        (spec("jumpsuit"), spec("gown")),
        (spec("top"), spec("sweater")),
        (spec("bodysuit"), spec("romper")),
    ],
)
def test_garment_types_have_distinct_silhouettes(a: GarmentSpec, b: GarmentSpec) -> None:
    ma = garment_mask(pixels(render_png(a, seed=1, width=200, height=200)))
    mb = garment_mask(pixels(render_png(b, seed=1, width=200, height=200)))
    assert iou(ma, mb) < 0.8


def test_spec_attributes_change_the_drawing() -> None:
    def mask(**garment: Any) -> np.ndarray:
        return garment_mask(pixels(render_png(spec("dress", **garment), seed=1, width=200, height=200)))

    sleeveless = mask(sleeve={"type": "set-in", "length": "sleeveless"}, length="knee")
    long_sleeve = mask(sleeve={"type": "set-in", "length": "long"}, length="knee")
    assert iou(sleeveless, long_sleeve) < 0.85
    assert iou(mask(length="mini"), mask(length="floor")) < 0.85
    assert iou(mask(silhouette="sheath"), mask(silhouette="ball-gown")) < 0.85


def test_every_neckline_and_sleeve_renders_distinctly() -> None:
    svgs = {
        n: render_svg(spec("top", neckline=n), seed=1, width=128, height=128)
        for n in load_taxonomy().category("neckline").values
    }
    assert len(set(svgs.values())) == len(svgs)
    sleeves = {
        (t, ln): render_svg(spec("blouse", sleeve={"type": t, "length": ln}), seed=1, width=128, height=128)
        for t in ("set-in", "bell", "puff", "bishop", "raglan")
        for ln in ("cap", "short", "elbow", "three-quarter", "long")
    }
    assert len(set(sleeves.values())) == len(sleeves)


def test_svg_is_self_contained() -> None:
    s = spec("blazer", color={"primary": "charcoal", "pattern": {"type": "houndstooth"}})
    svg = render_svg(s, seed=9, width=512, height=384)
    assert "href" not in svg
    assert "<text" not in svg
    assert "<image" not in svg
    assert re.findall(r"https?://[^\"']+", svg) == ["http://www.w3.org/2000/svg"]
    assert 'width="512"' in svg
    assert 'height="384"' in svg


def test_rejects_silly_sizes() -> None:
    with pytest.raises(ValueError, match="width"):
        render_png(spec("dress"), seed=0, width=0, height=100)
