"""Planning stages: prompt parsing, sampling, prompts, routing, sizes, colour analysis."""

from __future__ import annotations

import numpy as np
import pytest

from designer_bff.domain.generation import GenerationSettings
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.analysis import dominant_colors, spec_hints_from_colors
from designer_bff.pipeline.prompt import build_prompt
from designer_bff.pipeline.query import parse_prompt
from designer_bff.pipeline.routing import RouteOption, choose
from designer_bff.pipeline.run import PlanRequest, StageRecorder, plan_generation
from designer_bff.pipeline.sampling import sample_specs
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.providers.tech_flat import TechFlatProvider


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (
            "bohemian maxi dress in rust linen",
            {
                "garment.type": "dress",
                "garment.length": "maxi",
                "fabric.type": "linen",
                "style.aesthetic": "bohemian",
            },
        ),
        ("20 structured blazers", {"garment.type": "blazer", "garment.silhouette": "fitted"}),
        (
            "red polka dot wrap dress with puff sleeves",
            {"color.pattern.type": "polka-dot", "garment.silhouette": "wrap", "garment.sleeve.type": "puff"},
        ),
        (
            "wide leg high waisted trousers",
            {"garment.type": "pants", "garment.silhouette": "wide-leg", "garment.waist": "high"},
        ),
    ],
)
def test_parse_prompt(prompt: str, expected: dict[str, str]) -> None:
    parsed = parse_prompt(prompt)
    for path, value in expected.items():
        assert parsed.attributes[path] == value


def test_parse_prompt_colours_and_unplaced_words() -> None:
    parsed = parse_prompt("navy and white striped shirt with zorblax trim")
    assert parsed.colors == ["navy", "white"]
    tree = parsed.to_spec_tree()
    assert tree["color"] == {"pattern": {"type": "stripe"}, "primary": "navy", "secondary": "white"}
    assert "zorblax" in parsed.unplaced


def test_sampling_is_deterministic_and_keeps_given_values() -> None:
    partial = parse_prompt("bohemian maxi dress in rust linen").to_spec_tree()
    a = sample_specs(partial, 6, seed=11)
    assert a == sample_specs(partial, 6, seed=11)
    assert a != sample_specs(partial, 6, seed=12)
    for spec in a:
        assert (spec.garment.type, spec.garment.length, spec.fabric.type, spec.color.primary) == (
            "dress",
            "maxi",
            "linen",
            "rust",
        )
        if spec.color.pattern.type != "solid":
            assert spec.color.secondary and spec.color.secondary != "rust"
    assert len({s.model_dump_json() for s in a}) > 1  # open attributes vary


def test_prompt_mentions_spec_and_user_words() -> None:
    spec = sample_specs({"garment": {"type": "coat"}, "color": {"primary": "camel"}}, 1, seed=1)[0]
    pair = build_prompt(spec, user_prompt="a camel coat", user_negative="fur")
    assert pair.prompt.startswith("a camel coat")
    assert "coat" in pair.prompt and "camel" in pair.prompt
    assert pair.negative_prompt.startswith("fur") and "watermark" in pair.negative_prompt


@pytest.mark.parametrize(
    ("settings", "size"),
    [
        ({}, (1024, 1024)),
        ({"aspectRatio": "3:4"}, (768, 1024)),
        ({"aspectRatio": "16:9", "quality": "hd"}, (1536, 864)),
        ({"size": "640x480"}, (640, 480)),
    ],
)
def test_dimensions(settings: dict[str, str], size: tuple[int, int]) -> None:
    assert GenerationSettings.model_validate(settings).dimensions(min_side=64, max_side=2048) == size


@pytest.mark.parametrize(
    "bad",
    [
        {"aspectRatio": "wide"},
        {"aspectRatio": "1:9"},
        {"size": "huge"},
        {"size": "512x512", "aspectRatio": "1:1"},
    ],
)
def test_bad_settings_are_refused(bad: dict[str, str]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - pydantic ValidationError is a ValueError
        GenerationSettings.model_validate(bad)


def test_oversized_explicit_size_is_refused() -> None:
    with pytest.raises(InvalidInput):
        GenerationSettings(size="4096x4096").dimensions(min_side=64, max_side=2048)


def test_plan_records_every_stage() -> None:
    recorder = StageRecorder()
    registry = ProviderRegistry([TechFlatProvider()])
    options = [RouteOption("tech-flat", "tech-flat-v1", TechFlatProvider.capabilities, 0.0, 0.2)]
    plan, choices = plan_generation(
        PlanRequest(count=3, settings=GenerationSettings(seed=5), seed=5, prompt="emerald satin gown"),
        registry,
        choose_route=lambda spec, needs, rng: choose(options, needs, strategy="balanced", rng=rng),
        recorder=recorder,
    )
    assert list(recorder.stages) == ["query", "sampling", "persona", "optimization", "routing", "prompt"]
    assert [c.route for c in choices] == ["tech-flat:tech-flat-v1"] * 3
    assert {i.route for i in plan.items} == {"tech-flat:tech-flat-v1"}
    assert all(stage["ms"] >= 0 for stage in recorder.stages.values())
    assert [i.slot for i in plan.items] == [0, 1, 2]
    assert {i.spec.garment.type for i in plan.items} == {"gown"}
    assert len({i.seed for i in plan.items}) == 3


def test_dominant_colours_ignore_background() -> None:
    image = np.full((120, 90, 3), 250, dtype=np.uint8)  # white studio background
    image[20:100, 20:70] = (31, 42, 68)  # navy garment
    image[20:100, 55:70] = (200, 16, 46)  # red panel
    analysis = dominant_colors(image)
    names = [c.name for c in analysis.colors]
    assert names[0] == "navy" and "red" in names
    assert analysis.background_hex is not None and analysis.background_share > 0.5
    hints, confidence = spec_hints_from_colors(analysis)
    assert hints["color"]["primary"] == "navy"
    assert hints["color"]["secondary"] == "red"
    assert 0 < confidence["color.primary"] <= 1
