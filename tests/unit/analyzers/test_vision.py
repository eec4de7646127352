"""VisionAnalyzer through ChatModel and the official SDK against the local OpenAI-compatible chat fake."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from PIL import Image

from designer_bff.analyzers.base import Analyzer
from designer_bff.analyzers.vision import VisionAnalyzer
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import UnsupportedMedia
from designer_bff.llm.chat import ChatModel
from designer_bff.llm.schema import spec_schema
from tests.fakes.chat_server import failure, running

CONFIDENT = {
    "garment": {"type": "dress", "silhouette": "a-line", "length": "midi", "sleeve": None},
    "fabric": {"type": "linen"},
    "color": {
        "primary": "rust",
        "palette": [
            {"name": "rust", "hex": "#B7410E", "coverage": 85, "role": "primary"},
            {"name": "cream", "hex": "#f3ead3", "coverage": 15, "role": "accent"},
        ],
        "pattern": {"type": "solid", "scale": None},
    },
    "photography": {"shot": "on-model-full-body", "background": "white-seamless"},
    "confidence": {
        "garment.type": 0.95,
        "garment.silhouette": 0.8,
        "garment.length": 0.85,
        "fabric.type": 0.7,
        "color": 0.9,
        "photography": 0.9,
    },
}


def jpeg(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (183, 65, 14)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def analyser(url: str, **kwargs: Any) -> VisionAnalyzer:
    return VisionAnalyzer(ChatModel(url, "sk-test", "gpt-4o-mini", backoff_s=0.01, **kwargs))


def with_confidence(answer: dict[str, Any], confidence: dict[str, float] | None) -> str:
    body = {k: v for k, v in answer.items() if k != "confidence"}
    if confidence is not None:
        body["confidence"] = confidence
    return json.dumps(body)


def test_image_goes_as_a_data_url_and_the_answer_becomes_the_canonical_spec() -> None:
    image = jpeg()
    with running(replies=[json.dumps(CONFIDENT)]) as (script, url):
        vision = analyser(url)
        assert isinstance(vision, Analyzer) and vision.is_configured()
        result = vision.analyse(image, mime="image/jpeg", filename="look.jpg")
    [body] = script.bodies()
    system, user = body["messages"]
    assert system["role"] == "system" and "fashion analyst" in system["content"]
    text, picture = user["content"]
    assert text["type"] == "text"
    assert picture["type"] == "image_url"
    prefix = "data:image/jpeg;base64,"
    assert picture["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(picture["image_url"]["url"][len(prefix) :]) == image
    assert body["response_format"]["json_schema"]["name"] == "garment_spec"
    assert body["response_format"]["json_schema"]["schema"] == spec_schema()

    assert result.analyser == "vision:gpt-4o-mini"
    assert result.spec["garment"] == {"type": "dress", "silhouette": "a-line", "length": "midi"}
    assert result.spec["color"]["palette"][0] == {
        "name": "rust",
        "hex": "#b7410e",
        "coverage": 85.0,
        "role": "primary",
    }
    assert result.measured == (
        "garment.type",
        "garment.silhouette",
        "garment.length",
        "fabric.type",
        "color.primary",
        "color.palette",
        "color.pattern.type",
        "photography.shot",
        "photography.background",
    )
    # Stated per path, or by section ("color", "photography") for the paths under it.
    assert result.confidence["garment.type"] == 0.95
    assert result.confidence["color.pattern.type"] == 0.9
    assert result.confidence["photography.background"] == 0.9
    assert result.overall_confidence() == pytest.approx((0.95 + 0.8 + 0.85 + 0.7 + 0.9 * 5) / 9)
    assert result.warnings == ()
    assert result.details["attempts"] == 1
    assert result.details["usage"]["requests"] == 1 and result.details["usage"]["prompt_tokens"] > 85
    assert GarmentSpec.model_validate(result.spec).caption() == "rust linen a-line midi dress"


def test_synonyms_are_mapped_and_unknown_values_kept_as_unmapped_with_warnings() -> None:
    answer = {
        "garment": {
            "type": "frock",
            "neckline": "keyhole",
            "closures": ["zip", "toggle"],
            "collarStyle": "peter pan",
        },
        "fabric": {"type": "silk", "finish": "glitter"},
        "color": {"primary": "crimson"},
        "confidence": {"garment": 0.9, "fabric": 0.8, "color": 0.9},
    }
    with running(replies=[json.dumps(answer)]) as (script, url):
        result = analyser(url).analyse(jpeg(), mime="image/jpeg")
    assert len(script.requests) == 1  # lenient: a synonym is no reason to ask again
    assert result.spec["garment"] == {"type": "dress", "closures": ["zipper"]}
    assert result.spec["color"] == {"primary": "red"}
    assert result.spec["unmapped"] == {
        "garment.neckline": "keyhole",
        "garment.closures": "toggle",
        "garment.collar_style": "peter pan",
        "fabric.finish": "glitter",
    }
    assert "garment.type: mapped 'frock' to 'dress'" in result.warnings
    assert "garment.neckline: 'keyhole' is not in the taxonomy; kept as unmapped" in result.warnings
    assert (
        "garment.collar_style: 'peter pan' is not an attribute of the spec; kept as unmapped"
        in result.warnings
    )
    assert "fabric.finish" not in result.measured and "garment.neckline" not in result.measured
    spec = GarmentSpec.model_validate(result.spec)
    assert spec.unmapped["fabric.finish"] == "glitter"


def test_low_confidence_asks_once_more_and_keeps_the_better_answer() -> None:
    unsure = with_confidence(
        CONFIDENT, {"garment": 0.6, "fabric.type": 0.3, "color": 0.5, "photography": 0.6}
    )
    sure = with_confidence(
        {**CONFIDENT, "fabric": {"type": "cotton"}},
        {"garment": 0.9, "fabric": 0.8, "color": 0.9, "photography": 0.9},
    )
    with running(replies=[unsure, sure]) as (script, url):
        result = analyser(url).analyse(jpeg(), mime="image/jpeg")
    first, second = script.bodies()
    assert second["messages"][:2] == first["messages"]
    assert second["messages"][2] == {"role": "assistant", "content": json.dumps(json.loads(unsure))}
    retry = second["messages"][3]["content"]
    assert retry.startswith("Your overall confidence was 0.53.")
    assert "fabric.type (0.30)" in retry and "color.primary (0.50)" in retry
    assert result.spec["fabric"] == {"type": "cotton"}
    assert result.confidence["fabric.type"] == 0.8
    assert result.details["attempts"] == 2 and result.details["first_overall"] == pytest.approx(
        0.5333, abs=1e-3
    )
    assert result.details["usage"]["requests"] == 2
    assert result.warnings[-1] == "overall confidence 0.53 < 0.70: asked again (0.89); kept the second answer"


def test_a_worse_second_answer_is_not_kept() -> None:
    unsure = with_confidence(CONFIDENT, {"garment": 0.6, "fabric": 0.6, "color": 0.6, "photography": 0.6})
    worse = with_confidence({"garment": {"type": "skirt"}}, {"garment.type": 0.2})
    with running(replies=[unsure, worse]) as (_, url):
        result = analyser(url).analyse(jpeg(), mime="image/jpeg")
    assert result.spec["garment"]["type"] == "dress"
    assert result.overall_confidence() == pytest.approx(0.6)
    assert result.warnings[-1].endswith("asked again (0.20); kept the first answer")


def test_no_stated_confidence_defaults_to_half_and_says_so() -> None:
    bare = with_confidence({"color": {"primary": "navy"}, "photography": {"shot": "flat-lay"}}, None)
    with running(replies=[bare, bare]) as (script, url):
        result = analyser(url).analyse(jpeg(), mime="image/jpeg")
    # 0.5 is below 0.70, so it asked again; the tie keeps the first answer.
    assert len(script.requests) == 2
    assert "garment" not in result.spec  # no garment type is a valid answer
    assert result.confidence == {"color.primary": 0.5, "photography.shot": 0.5}
    assert "the model stated no confidence for color.primary, photography.shot; used 0.5" in result.warnings


def test_a_failed_second_ask_keeps_the_first_answer() -> None:
    unsure = with_confidence(CONFIDENT, {"garment": 0.4})
    down = failure(503, "The engine is currently overloaded.", type="server_error")
    with running(replies=[unsure, down]) as (_, url):
        result = analyser(url, max_attempts=1).analyse(jpeg(), mime="image/jpeg")
    assert result.spec["garment"]["type"] == "dress"
    assert result.warnings[-1].startswith("the second ask failed (transient)")
    assert result.warnings[-1].endswith("kept the first answer")


def test_large_images_are_shrunk_before_sending() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 300), (31, 42, 68)).save(buffer, format="PNG")
    with running(replies=[json.dumps(CONFIDENT)]) as (script, url):
        result = analyser(url).analyse(buffer.getvalue(), mime="image/png")
    sent = script.bodies()[0]["messages"][1]["content"][1]["image_url"]["url"]
    assert sent.startswith("data:image/jpeg;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(sent.split(",", 1)[1])))
    assert decoded.size == (2048, 205)
    assert result.details["sent_size"] == [2048, 205]


def test_non_images_are_refused_before_any_request() -> None:
    with running(replies=[json.dumps(CONFIDENT)]) as (script, url), pytest.raises(UnsupportedMedia) as info:
        analyser(url).analyse(b"GIF89a" + b"\0" * 32, mime="image/gif")
    assert "GIF" in info.value.message
    assert script.requests == []
