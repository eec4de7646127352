"""VltAnalyzer against the local fake of the visual-descriptor API."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from designer_bff.analyzers.base import Analyzer
from designer_bff.analyzers.vlt import VltAnalyzer
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import ProviderError
from tests.fakes.server import free_port
from tests.fakes.vlt_server import VltFault, default_record, running

KEY = "vlt-key"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 60), (128, 0, 32)).save(buffer, format="PNG")
    return buffer.getvalue()


def vlt(url: str, **kwargs: Any) -> VltAnalyzer:
    return VltAnalyzer(url, kwargs.pop("api_key", KEY), **kwargs)


def fails(analyser: VltAnalyzer) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        analyser.analyse(png(), mime="image/png")
    assert info.value.provider == analyser.name
    return info.value


def test_job_is_multipart_with_passes_and_model_and_maps_onto_the_spec() -> None:
    image = png()
    with running() as (state, url):
        analyser = vlt(url, model="gemini", passes="A,B")
        assert isinstance(analyser, Analyzer) and analyser.is_configured()
        result = analyser.analyse(image, mime="image/png", filename="look-07.png")
    [sent] = state.requests
    assert sent["filename"] == "look-07.png"
    assert sent["content_type"] == "image/png"
    assert sent["size"] == len(image)
    assert (sent["passes"], sent["model"]) == ("A,B", "gemini")
    assert (sent["authorization"], sent["x_api_key"]) == (f"Bearer {KEY}", KEY)

    assert result.analyser == "vlt:gemini"
    assert result.spec == {
        "garment": {"type": "dress", "silhouette": "a-line", "closures": ["zipper"]},
        "fabric": {"type": "silk", "texture": "smooth", "weight": "light", "finish": "sheen"},
        "color": {"primary": "burgundy", "secondary": "blush", "pattern": {"type": "floral"}},
        "construction": {"seams": "french", "embellishments": ["embroidery"]},
        "style": {"aesthetic": "romantic", "formality": "cocktail", "season": "spring"},
        "notes": "hand embroidery at the hem",
    }
    assert result.measured == (
        "garment.type",
        "garment.silhouette",
        "garment.closures",
        "fabric.type",
        "fabric.texture",
        "fabric.weight",
        "fabric.finish",
        "color.primary",
        "color.secondary",
        "color.pattern.type",
        "construction.seams",
        "construction.embellishments",
        "style.aesthetic",
        "style.formality",
        "style.season",
    )
    # One number in the record: the same confidence for every attribute it gave.
    assert set(result.confidence.values()) == {0.84}
    assert result.details["job_id"].startswith("job_")
    assert result.details["summary"]["passes"] == ["A", "B"]
    assert result.details["prompt_text"] == "burgundy silk a-line midi dress with floral print"
    assert "records[0].garmentType: mapped 'Midi Dress' to 'dress'" in result.warnings
    assert GarmentSpec.model_validate(result.spec).garment.sleeve is None  # no invented defaults


def test_per_field_confidence_object() -> None:
    record = {
        **default_record(),
        "confidence": {"garmentType": 0.95, "fabric": {"type": 0.6}, "colors": 0.8, "colors.pattern": 0.4},
    }
    with running(script=[record], envelope=False) as (_, url):
        result = vlt(url).analyse(png(), mime="image/png")
    assert result.confidence["garment.type"] == 0.95
    assert result.confidence["fabric.type"] == 0.6
    assert result.confidence["color.primary"] == 0.8
    assert result.confidence["color.pattern.type"] == 0.4
    # Attributes the object does not cover get the default, and a warning names them.
    assert result.confidence["style.season"] == 0.5
    assert any(
        w.startswith("VLT stated no confidence for garment.silhouette, garment.closures")
        for w in result.warnings
    )
    assert result.details["job_id"] is None  # a bare record has no envelope


def test_overall_in_a_confidence_object_covers_the_rest_and_out_of_range_is_clipped() -> None:
    record = {**default_record(), "confidence": {"overall": 0.7, "garmentType": 1.3}}
    with running(script=[record]) as (_, url):
        result = vlt(url).analyse(png(), mime="image/png")
    assert result.confidence["garment.type"] == 1.0
    assert result.confidence["fabric.type"] == 0.7
    assert "confidence garment_type: 1.3 clipped to 0..1" in result.warnings


def test_unknown_values_are_kept_as_unmapped() -> None:
    record = {**default_record(), "fabric": {"type": "mohair blend", "texture": "smooth"}}
    with running(script=[record]) as (_, url):
        result = vlt(url).analyse(png(), mime="image/png")
    assert result.spec["unmapped"] == {"fabric.type": "mohair blend"}
    assert (
        "records[0].fabric.type: 'mohair blend' is not in the taxonomy; kept as unmapped" in result.warnings
    )
    assert "fabric.type" not in result.measured


def test_health() -> None:
    with running() as (_, url):
        assert vlt(url).health() == {
            "status": "ok",
            "models": ["gemini", "gpt-4o", "claude"],
            "version": "fake-1",
        }


def test_wrong_key_is_auth() -> None:
    with running() as (state, url):
        error = fails(vlt(url, api_key="nope"))
    assert error.kind == "auth"
    assert "invalid or missing API key (HTTP 401)" in error.message
    assert len(state.requests) == 1


def test_rate_limit_carries_retry_after() -> None:
    busy = VltFault(429, {"error": "quota exceeded"}, {"Retry-After": "7"})
    with running(script=[busy]) as (_, url):
        error = fails(vlt(url))
    assert (error.kind, error.retry_after, error.retryable) == ("rate_limit", 7.0, True)


def test_server_error_is_transient_and_bad_request_is_invalid() -> None:
    with running(script=[VltFault(503, {"error": "model backend unavailable"})]) as (_, url):
        error = fails(vlt(url))
    assert error.kind == "transient" and "model backend unavailable (HTTP 503)" in error.message
    with running() as (_, url):
        error = fails(vlt(url, passes="A,D"))
    assert error.kind == "invalid" and "passes must be letters A-C" in error.message


def test_hang_is_timeout() -> None:
    with running(script=[VltFault(hang_s=5.0)]) as (_, url):
        error = fails(vlt(url, timeout_s=0.3))
    assert error.kind == "timeout" and "no answer within 0.3 s" in error.message


def test_record_without_a_usable_garment_type_is_invalid() -> None:
    record = {k: v for k, v in default_record().items() if k != "garmentType"}
    with running(script=[record]) as (_, url):
        error = fails(vlt(url))
    assert error.kind == "invalid" and "garmentType is missing" in error.message


def test_nothing_listening_is_transient_and_no_url_is_not_configured() -> None:
    error = fails(vlt(f"http://127.0.0.1:{free_port()}"))
    assert error.kind == "transient" and "connection failed" in error.message
    unconfigured = VltAnalyzer(None, None)
    assert not unconfigured.is_configured()
    assert fails(unconfigured).kind == "auth"
