"""The offline analyser: only measured paths filled, unmeasured ones listed, scene cues, bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from designer_bff.analyzers.base import Analyzer
from designer_bff.analyzers.offline import MEASURED_SECTIONS, UNMEASURED, OfflineAnalyzer, analyse_rgb
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput, PayloadTooLarge
from designer_bff.techflat import render_png

RGB = NDArray[np.uint8]


def _png(rgb: RGB) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def _flat(primary: str, pattern: str = "solid", garment: str = "dress", **color: str) -> bytes:
    spec = GarmentSpec.model_validate(
        {"garment": {"type": garment}, "color": {"primary": primary, "pattern": {"type": pattern}, **color}}
    )
    return render_png(spec, seed=3, width=320, height=320)


def _garment_on(ground: tuple[int, int, int], garment: tuple[int, int, int], size: int = 200) -> RGB:
    """A rectangular garment with mild noise centred on a uniform ground."""
    rng = np.random.default_rng(0)
    image = np.zeros((size, size, 3)) + ground
    image[40:170, 60:140] = np.array(garment) + rng.normal(0, 2, (130, 80, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def analyser() -> OfflineAnalyzer:
    return OfflineAnalyzer(max_pixels=20_000_000)


def test_it_is_an_always_configured_analyser(analyser: OfflineAnalyzer) -> None:
    assert isinstance(analyser, Analyzer)
    assert analyser.name == "offline" and analyser.is_configured()


def test_fills_only_measured_paths_and_lists_the_rest(analyser: OfflineAnalyzer) -> None:
    result = analyser.analyse(_flat("rust"), mime="image/png", filename="flat.png")
    assert result.analyser == "offline"
    assert set(result.spec) <= {"color", "photography"}  # never a garment type, fabric or style
    assert set(result.measured) <= set(MEASURED_SECTIONS)
    assert set(result.measured) == set(result.confidence)
    assert all(0 < v <= 1 for v in result.confidence.values())
    cannot_see = {"garment.type", "garment.silhouette", "garment.neckline", "garment.sleeve.length",
                  "garment.sleeve.type", "garment.length", "fabric.type", "style.aesthetic"}  # fmt: skip
    assert cannot_see <= set(UNMEASURED)
    assert result.unmeasured == UNMEASURED and not set(result.measured) & set(result.unmeasured)
    assert result.spec["color"]["primary"] == "rust" and result.spec["color"]["pattern"] == {"type": "solid"}
    assert 0 < result.overall_confidence() <= 1
    # What it fills is valid canonical spec once a garment type is known.
    spec = GarmentSpec.model_validate({"garment": {"type": "dress"}, **result.spec})
    assert spec.color.primary == "rust" and spec.color.palette[0].role == "primary"


def test_details_carry_palette_brightness_background_framing_and_pattern(analyser: OfflineAnalyzer) -> None:
    details = analyser.analyse(_flat("navy"), mime="image/png").details
    assert details["scene"] == "clean"
    assert details["palette"][0]["name"] == "navy" and details["palette"][0]["coverage"] > 60
    assert {"mean_l", "contrast", "garment_mean_l"} <= set(details["brightness"])
    assert details["background"]["kind"] == "white"
    framing = details["framing"]
    assert framing["centred"] and not framing["cropped"] and 0.1 < framing["occupancy"] < 0.8
    assert {"departure_share", "edge_density", "spectrum_orientation_peak", "period_px"} <= set(
        details["pattern"]["statistics"]
    )


def test_white_background_is_white_seamless(analyser: OfflineAnalyzer) -> None:
    result = analyser.analyse(_flat("emerald"), mime="image/png")
    assert result.spec["photography"]["background"] == "white-seamless"
    assert result.confidence["photography.background"] >= 0.9


def test_grey_uniform_background_is_grey_seamless() -> None:
    result = analyse_rgb(_garment_on((150, 150, 150), (200, 16, 46)))
    assert result.spec["photography"]["background"] == "grey-seamless"
    assert result.spec["color"]["primary"] == "red"


def test_busy_background_names_no_background() -> None:
    rng = np.random.default_rng(1)
    busy = rng.integers(0, 256, (200, 200, 3)).astype(np.uint8)
    busy[40:170, 60:140] = (31, 42, 68)
    result = analyse_rgb(busy)
    assert "background" not in result.spec.get("photography", {})
    assert result.details["background"]["kind"] == "busy"
    assert "photography.background" not in result.measured


def test_dark_image_is_low_key_and_bright_image_high_key() -> None:
    dark = analyse_rgb(_garment_on((12, 12, 14), (60, 20, 30)))
    assert dark.spec["photography"]["lighting_type"] == "low-key"
    bright = analyse_rgb(_garment_on((250, 250, 248), (243, 234, 211)))
    assert bright.spec["photography"]["lighting_type"] == "high-key"
    middle = analyse_rgb(_garment_on((120, 120, 120), (31, 42, 68)))
    assert "lighting_type" not in middle.spec.get("photography", {})


def test_stripes_have_a_secondary_colour_and_a_scale(analyser: OfflineAnalyzer) -> None:
    result = analyser.analyse(_flat("navy", "stripe", "shirt", secondary="white"), mime="image/png")
    color = result.spec["color"]
    assert color["pattern"]["type"] == "stripe" and color["pattern"]["scale"] in ("small", "medium", "large")
    assert color["primary"] == "navy" and color["secondary"] in ("white", "ivory", "cream")
    assert [p["role"] for p in color["palette"][:2]] == ["primary", "secondary"]
    assert result.confidence["color.pattern.scale"] < result.confidence["color.pattern.type"]


def test_a_print_is_reported_as_abstract_with_lower_confidence(analyser: OfflineAnalyzer) -> None:
    stripe = analyser.analyse(_flat("red", "stripe"), mime="image/png")
    floral = analyser.analyse(_flat("red", "floral"), mime="image/png")
    assert floral.spec["color"]["pattern"]["type"] == "abstract"
    assert floral.details["pattern"]["kind"] == "print" and "floral" in floral.details["pattern"]["note"]
    assert any("not told apart" in w for w in floral.warnings)
    assert floral.confidence["color.pattern.type"] < stripe.confidence["color.pattern.type"]


def test_cropped_garment_is_reported_as_touching_the_edges() -> None:
    image = np.full((200, 200, 3), 248, dtype=np.uint8)
    image[60:, 30:170] = (0, 128, 128)  # runs off the bottom of the frame
    framing = analyse_rgb(image).details["framing"]
    assert framing["touching"] == ["bottom"] and framing["cropped"]


def _studio_photo() -> RGB:
    """A photo-like scene: shaded wall, a soft cast shadow, a textured rust garment and a face."""
    rng = np.random.default_rng(5)
    h, w = 300, 400
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    wall = (236 - 14 * x - 6 * y)[..., None] + np.zeros(3)
    shadow = Image.new("L", (w, h), 0)
    ImageDraw.Draw(shadow).ellipse([40, 90, 150, 290], fill=255)
    soft = np.asarray(shadow.resize((w // 8, h // 8)).resize((w, h), Image.Resampling.BILINEAR)) / 255
    wall = wall * (1 - 0.35 * soft[..., None])  # a soft-edged grey shadow on the wall
    body = Image.new("L", (w, h), 0)
    ImageDraw.Draw(body).polygon([(170, 80), (230, 80), (260, 300), (140, 300)], fill=255)
    garment = np.asarray(body) > 0
    folds = 0.85 + 0.15 * np.sin(x * 90)[..., None]  # vertical folds: light and shade
    cloth = np.array([183, 65, 14]) * folds + rng.normal(0, 4, (h, w, 3))
    image = np.where(garment[..., None], cloth, wall + rng.normal(0, 1.0, (h, w, 3)))
    face = np.hypot((np.arange(w)[None] - 200) / 22, (np.arange(h)[:, None] - 52) / 28) < 1
    image[face] = (224, 172, 140)
    result: RGB = np.clip(image, 0, 255).astype(np.uint8)
    return result


def test_photo_palette_ignores_wall_shadow_and_skin() -> None:
    result = analyse_rgb(_studio_photo())
    assert result.details["scene"] == "photo"
    palette = result.details["palette"]
    assert result.spec["color"]["primary"] == "rust", palette
    backdrop = sum(p["coverage"] for p in palette if p["name"] in ("white", "silver", "grey", "ivory"))
    skin = sum(p["coverage"] for p in palette if p["name"] in ("peach", "tan", "beige", "blush", "champagne"))
    assert backdrop < 5 and skin < 5, palette
    assert result.spec["photography"]["background"] == "white-seamless"
    assert any("photo" in w for w in result.warnings)


def test_analysis_is_deterministic(analyser: OfflineAnalyzer) -> None:
    data = _flat("mustard", "polka-dot")
    assert analyser.analyse(data, mime="image/png") == analyser.analyse(data, mime="image/png")


@pytest.mark.parametrize("data", [b"", b"not an image at all", _png(np.zeros((8, 8, 3), np.uint8))[:40]])
def test_undecodable_bytes_are_invalid_input(analyser: OfflineAnalyzer, data: bytes) -> None:
    with pytest.raises(InvalidInput):
        analyser.analyse(data, mime="image/png")


def test_images_over_the_pixel_limit_are_refused() -> None:
    with pytest.raises(PayloadTooLarge):
        OfflineAnalyzer(max_pixels=1000).analyse(_png(np.zeros((100, 100, 3), np.uint8)), mime="image/png")
