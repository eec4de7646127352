"""Pure cues behind the offline analyser: pattern statistics, framing, background, lighting, naming."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from designer_bff.pipeline import pattern_cues as cues
from designer_bff.pipeline.analysis import color_name, delta_e_cmc, garment_weights
from designer_bff.taxonomy.colors import rgb_to_lab

RGB = NDArray[np.uint8]
SIZE = 300


def _garment(surface: NDArray[np.float64]) -> tuple[RGB, NDArray[np.bool_]]:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[30:270, 50:250] = True
    image = np.where(mask[..., None], surface, 248.0)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), mask


def _stripes(angle: float, period: float) -> NDArray[np.float64]:
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    u = x * math.cos(math.radians(angle)) + y * math.sin(math.radians(angle))
    return np.where((np.mod(u, period) < period / 3)[..., None], (248.0, 248, 245), (31.0, 42, 68))


@pytest.mark.parametrize("angle", [0, 30, 45, 90, 135])
def test_stripes_are_found_at_their_angle(angle: float) -> None:
    cue = cues.pattern_cue(*_garment(_stripes(angle, 14)))
    assert cue.kind == "stripe" and cue.confidence >= 0.8
    difference = abs(cue.stats["edge_angle"] - angle) % 180
    assert min(difference, 180 - difference) <= 8  # the gradient points across the stripes


def test_stripe_scale_follows_the_period_relative_to_the_garment() -> None:
    scales = [cues.pattern_cue(*_garment(_stripes(0, p))).scale for p in (8, 18, 40)]
    assert scales == ["small", "medium", "large"]


def test_checks_solids_and_prints() -> None:
    check = np.maximum(_stripes(0, 20), _stripes(90, 20))  # windowpane: light lines across a dark ground
    assert cues.pattern_cue(*_garment(check)).kind == "check"
    rng = np.random.default_rng(2)
    solid = np.full((SIZE, SIZE, 3), (46.0, 139, 87)) + rng.normal(0, 5, (SIZE, SIZE, 3))
    assert cues.pattern_cue(*_garment(solid)).kind == "solid"
    dots = np.full((SIZE, SIZE, 3), (200.0, 16, 46))
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    for cx, cy, r in rng.uniform((0, 0, 3), (SIZE, SIZE, 9), (80, 3)):
        dots[np.hypot(x - cx, y - cy) < r] = (243, 234, 211)
    printed = cues.pattern_cue(*_garment(dots))
    assert printed.kind == "print" and printed.scale is not None


def test_classification_thresholds() -> None:
    base = {"departure_share": 0.0, "edge_density": 0.02, "edge_orientation_peak": 0.5,
            "edge_orientation_orthogonal": 0.1, "spectrum_orientation_peak": 0.5,
            "spectrum_orientation_orthogonal": 0.1}  # fmt: skip
    assert cues.classify_pattern(base)[0] == "solid"
    stripe = base | {"departure_share": 0.3, "spectrum_orientation_peak": 0.95, "edge_orientation_peak": 0.9}
    assert cues.classify_pattern(stripe)[0] == "stripe"
    check = stripe | {"spectrum_orientation_peak": 0.47, "spectrum_orientation_orthogonal": 0.45,
                      "edge_orientation_peak": 0.4, "edge_orientation_orthogonal": 0.38}  # fmt: skip
    assert cues.classify_pattern(check)[0] == "check"
    spread = check | {"spectrum_orientation_peak": 0.22, "spectrum_orientation_orthogonal": 0.2,
                      "edge_orientation_peak": 0.18, "edge_orientation_orthogonal": 0.15}  # fmt: skip
    assert cues.classify_pattern(spread)[0] == "print"


def test_framing() -> None:
    mask = np.zeros((100, 200), dtype=bool)
    mask[20:80, 80:120] = True
    centred = cues.framing(mask)
    assert centred.centred and centred.touching == () and centred.aspect == pytest.approx(1.5)
    assert centred.occupancy == pytest.approx(0.12)
    mask[:, :] = False
    mask[0:50, 0:40] = True
    corner = cues.framing(mask)
    assert not corner.centred and set(corner.touching) == {"top", "left"} and corner.offset_x < 0
    assert cues.framing(np.zeros((10, 10), dtype=bool)).occupancy == 0


@pytest.mark.parametrize(
    ("ground", "kind"),
    [((250, 250, 250), "white"), ((128, 128, 130), "grey"), ((200, 120, 150), "other"), (None, "busy")],
)
def test_background_kinds(ground: tuple[int, int, int] | None, kind: str) -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (120, 160, 3)).astype(np.uint8)
    if ground is not None:
        image[:] = ground
    image[30:100, 60:100] = (31, 42, 68)
    assert cues.background(image).kind == kind


def test_lighting_key_only_when_extreme() -> None:
    def light(mean: float, dark: float, bright: float) -> cues.Brightness:
        return cues.Brightness(mean, 10.0, mean, dark, bright)

    assert cues.lighting_key(light(90, 0.01, 0.9))[0] == "high-key"
    assert cues.lighting_key(light(20, 0.8, 0.0))[0] == "low-key"
    assert cues.lighting_key(light(60, 0.1, 0.3)) == (None, 0.0)
    assert cues.lighting_key(light(85, 0.2, 0.7))[0] is None  # bright but with real shadows


def test_colour_names_forgive_shading_but_not_hue() -> None:
    assert color_name("#1f2a44") == "navy"
    assert color_name("#a9a193") == "khaki"  # a photographed greige, not "grey"
    assert color_name("#c8102e") == "red" and color_name("#2e8b57") == "green"
    lab = rgb_to_lab(np.array([[31.0, 42, 68], [200, 16, 46]]))
    assert delta_e_cmc(lab[0], lab[0]) == pytest.approx(0.0)
    assert delta_e_cmc(lab[0], lab[1]) > 20


def test_garment_weights_drop_a_flat_wall_and_its_shadow() -> None:
    rng = np.random.default_rng(4)
    h, w = 192, 256
    x = np.linspace(0, 1, w)[None, :, None]
    image = 232 - 12 * x + np.zeros((h, w, 3))
    image[60:190, 20:90] *= 0.7  # a hard cast shadow on the wall
    image[40:, 110:170] = np.array([107, 66, 38]) + rng.normal(0, 6, (h - 40, 60, 3))  # a brown garment
    weights = garment_weights(np.clip(image, 0, 255).astype(np.uint8))
    assert weights.shape == (h * 192 // 256, 192)
    scale = 192 / 256
    garment = weights[int(60 * scale) : int(180 * scale), int(118 * scale) : int(162 * scale)]
    shadow = weights[int(70 * scale) : int(180 * scale), int(28 * scale) : int(82 * scale)]
    assert garment.mean() > 0.4 and shadow.max() == 0
