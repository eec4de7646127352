"""OpenAIImagesProvider through the official `openai` SDK against the local OpenAI Images fake."""

from __future__ import annotations

import io
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import ImageProvider, ImageRequest
from designer_bff.providers.openai_images import OpenAIImagesProvider, parse_retry_after
from tests.fakes.faults import FaultPlan
from tests.fakes.openai_server import gradient_png, make_app
from tests.fakes.server import free_port, serve

KEY = "sk-test"
PROMPT = "a rust linen midi dress, studio photo"  # 37 characters → 10 text tokens at the fake's 4 chars/token
REQUEST = ImageRequest(
    prompt=PROMPT,
    negative_prompt="blurry, watermark",
    spec=GarmentSpec.model_validate({"garment": {"type": "dress"}}),
    width=1024,
    height=1024,
    seed=7,
    quality="standard",
    idempotency_key="gen-1:0",
)


@contextmanager
def fake(**kwargs: Any) -> Iterator[tuple[FastAPI, str]]:
    """A running fake and the SDK base URL for it."""
    app = make_app(api_key=KEY, **kwargs)
    with serve(app) as url:
        yield app, f"{url}/v1"


def provider(base_url: str, model: str = "gpt-image-1", **kwargs: Any) -> OpenAIImagesProvider:
    return OpenAIImagesProvider(model=model, api_key=kwargs.pop("api_key", KEY), base_url=base_url, **kwargs)


def fails(p: OpenAIImagesProvider, request: ImageRequest = REQUEST) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        p.generate(request)
    assert info.value.provider == "openai"
    return info.value


def test_gpt_image_1_square_standard_costs_the_tokens_billed() -> None:
    with fake() as (app, url):
        image = provider(url).generate(REQUEST)
    decoded = Image.open(io.BytesIO(image.data))
    assert (decoded.format, decoded.size) == ("PNG", (1024, 1024))
    assert (image.width, image.height, image.mime) == (1024, 1024, "image/png")
    assert (image.provider, image.model, image.seed, image.revised_prompt) == (
        "openai",
        "gpt-image-1",
        None,
        None,
    )
    # 10 text tokens at $5/1M + 1056 image tokens at $40/1M.
    assert image.cost_usd == pytest.approx(0.04229)
    assert image.extra["cost_basis"].startswith("usage: 10 text-in, 0 image-in, 1056 image-out tokens")
    assert image.extra["vendor_quality"] == "medium"
    assert image.vendor_ref is not None and re.fullmatch(r"req_[0-9a-f]{32}", image.vendor_ref)
    [sent] = app.state.requests
    assert sent["endpoint"] == "generations"
    assert (sent["model"], sent["prompt"], sent["size"], sent["quality"], sent["n"]) == (
        "gpt-image-1",
        PROMPT,
        "1024x1024",
        "medium",
        1,
    )
    assert sent["authorization"] == f"Bearer {KEY}"
    assert sent["idempotency_key"] == "gen-1:0"
    assert not {"negative_prompt", "seed", "style", "response_format"} & sent.keys()
    assert app.state.images_served == 1


def test_gpt_image_1_portrait_hd_maps_to_the_nearest_size_and_high_quality() -> None:
    with fake() as (app, url):
        image = provider(url).generate(replace(REQUEST, width=768, height=1024, quality="hd"))
    assert (image.width, image.height) == (1024, 1536)
    assert Image.open(io.BytesIO(image.data)).size == (1024, 1536)
    assert image.cost_usd == pytest.approx((10 * 5 + 6240 * 40) / 1e6)
    assert (app.state.requests[0]["size"], app.state.requests[0]["quality"]) == ("1024x1536", "high")


def test_dall_e_3_sends_natural_style_and_b64_and_costs_the_list_price() -> None:
    with fake() as (app, url):
        image = provider(url, "dall-e-3").generate(replace(REQUEST, width=1600, height=900, quality="hd"))
    assert (image.width, image.height) == (1792, 1024)
    assert image.revised_prompt == f"A photorealistic image: {PROMPT}"
    assert image.cost_usd == 0.12
    assert image.extra["cost_basis"] == "price table: hd 1792x1024 (2023-12-25)"
    assert image.extra["style"] == "natural"
    [sent] = app.state.requests
    assert (sent["model"], sent["size"], sent["quality"], sent["style"], sent["response_format"]) == (
        "dall-e-3",
        "1792x1024",
        "hd",
        "natural",
        "b64_json",
    )


def test_reference_images_go_to_the_edits_endpoint_and_their_tokens_are_paid() -> None:
    reference = gradient_png("mood board", 64, 64)
    with fake() as (app, url):
        image = provider(url).generate(replace(REQUEST, reference_images=(reference, reference)))
    assert image.extra["endpoint"] == "edits"
    assert image.cost_usd == pytest.approx((10 * 5 + 2 * 323 * 10 + 1056 * 40) / 1e6)
    [sent] = app.state.requests
    assert (sent["endpoint"], sent["reference_images"], sent["idempotency_key"]) == ("edits", 2, "gen-1:0")
    assert (sent["model"], sent["size"], sent["quality"]) == ("gpt-image-1", "1024x1024", "medium")


def test_an_unreadable_reference_image_is_the_vendors_400_mapped_to_invalid() -> None:
    with fake() as (_, url):
        error = fails(provider(url), replace(REQUEST, reference_images=(b"not an image",)))
    assert error.kind == "invalid" and not error.retryable
    assert "Invalid image file" in error.message and "HTTP 400" in error.message


def test_local_checks_fail_before_any_request() -> None:
    with fake() as (app, url):
        too_long = fails(provider(url, "dall-e-3"), replace(REQUEST, prompt="x" * 4001))
        no_refs = fails(provider(url, "dall-e-3"), replace(REQUEST, reference_images=(b"png",)))
        bad_quality = fails(provider(url), replace(REQUEST, quality="ultra"))
        no_key = fails(provider(url, api_key=None))
    assert (too_long.kind, no_refs.kind, bad_quality.kind, no_key.kind) == (
        "invalid",
        "invalid",
        "invalid",
        "auth",
    )
    assert "4001 characters; the limit is 4000" in too_long.message
    assert app.state.requests == []


def test_wrong_key_is_auth_with_the_vendors_message() -> None:
    with fake() as (_, url):
        error = fails(provider(url, api_key="sk-wrong"))
    assert error.kind == "auth" and not error.retryable
    assert error.message.startswith("openai gpt-image-1: Incorrect API key provided")
    assert "HTTP 401" in error.message


def test_unverified_organisation_403_is_auth() -> None:
    with fake(unverified_models=("gpt-image-1",)) as (_, url):
        error = fails(provider(url))
    assert error.kind == "auth" and "must be verified" in error.message and "HTTP 403" in error.message


def test_429_is_rate_limit_with_the_retry_after_the_vendor_sent() -> None:
    with fake(faults=FaultPlan(["429"], retry_after=0.25)) as (_, url):
        error = fails(provider(url))
    assert (error.kind, error.retry_after, error.retryable) == ("rate_limit", 0.25, True)


@pytest.mark.parametrize(
    ("model", "code"), [("gpt-image-1", "moderation_blocked"), ("dall-e-3", "content_policy_violation")]
)
def test_safety_block_is_refusal(model: str, code: str) -> None:
    with fake(faults=FaultPlan(["refusal"])) as (app, url):
        error = fails(provider(url, model))
    assert error.kind == "refusal" and not error.retryable
    assert f"code {code}" in error.message and "safety system" in error.message
    assert app.state.images_served == 0


def test_500_and_malformed_answers_are_transient() -> None:
    with fake(faults=FaultPlan(["500", "malformed"])) as (app, url):
        server_error = fails(provider(url))
        malformed = fails(provider(url))
    assert (server_error.kind, malformed.kind) == ("transient", "transient")
    assert "HTTP 500" in server_error.message and "Sorry about that" in server_error.message
    assert "no b64_json" in malformed.message
    assert app.state.images_served == 0


def test_a_hang_longer_than_timeout_s_is_timeout_and_serves_nothing() -> None:
    with fake(faults=FaultPlan(["timeout"], hang_s=2.0)) as (app, url):
        started = time.monotonic()
        error = fails(provider(url, timeout_s=0.3))
        assert time.monotonic() - started < 1.5
        deadline = time.monotonic() + 2
        while not app.state.requests[0].get("abandoned") and time.monotonic() < deadline:
            time.sleep(0.02)
    assert (error.kind, error.retryable) == ("timeout", True)
    assert app.state.requests[0]["abandoned"] is True
    assert app.state.images_served == 0


def test_connection_refused_is_transient() -> None:
    error = fails(provider(f"http://127.0.0.1:{free_port()}/v1"))
    assert error.kind == "transient" and "connection failed" in error.message


def test_slow_answers_still_succeed() -> None:
    with fake(faults=FaultPlan(["slow"], slow_s=0.2)) as (app, url):
        image = provider(url).generate(REQUEST)
    assert image.width == 1024 and app.state.images_served == 1


def test_a_repeated_idempotency_key_is_answered_without_a_new_image() -> None:
    with fake() as (app, url):
        p = provider(url)
        first, second = p.generate(REQUEST), p.generate(REQUEST)
        p.generate(replace(REQUEST, idempotency_key="gen-1:1"))
    assert first.data == second.data
    assert [r.get("replayed", False) for r in app.state.requests] == [False, True, False]
    assert app.state.images_served == 2


def test_random_faults_each_map_to_their_kind_and_only_successes_are_served() -> None:
    expected = {
        "500": "transient",
        "429": "rate_limit",
        "malformed": "transient",
        "refusal": "refusal",
        "timeout": "timeout",
    }
    plan = FaultPlan(rate=0.7, seed=6, hang_s=1.0, slow_s=0.05)
    with fake(faults=plan) as (app, url):
        p = provider(url, timeout_s=0.4)
        outcomes: list[str] = []
        for slot in range(24):
            try:
                p.generate(replace(REQUEST, idempotency_key=f"gen-2:{slot}"))
                outcomes.append("ok")
            except ProviderError as exc:
                outcomes.append(exc.kind)
    faults = [r["fault"] for r in app.state.requests]
    assert outcomes == [expected.get(f or "", "ok") for f in faults]
    assert app.state.images_served == outcomes.count("ok") > 0
    assert set(plan.served) >= {"ok", "500", "429", "malformed", "refusal", "timeout", "slow"}


def test_prices_and_capabilities() -> None:
    gpt = OpenAIImagesProvider(model="gpt-image-1", api_key=None)
    dalle = OpenAIImagesProvider(model="dall-e-3", api_key="sk")
    assert isinstance(gpt, ImageProvider) and isinstance(dalle, ImageProvider)
    assert (
        gpt.is_configured(),
        dalle.is_configured(),
        OpenAIImagesProvider(model="dall-e-3", api_key="").is_configured(),
    ) == (False, True, False)
    assert gpt._client is None  # nothing built, nothing dialled before the first call
    assert [
        gpt.price_usd(*size)
        for size in [
            (1024, 1024, "standard"),
            (768, 1024, "standard"),
            (1024, 1024, "hd"),
            (1536, 1024, "hd"),
        ]
    ] == [0.042, 0.063, 0.167, 0.25]
    assert [
        dalle.price_usd(*size)
        for size in [
            (1024, 1024, "standard"),
            (1024, 1024, "hd"),
            (576, 1024, "standard"),
            (1792, 1024, "hd"),
        ]
    ] == [0.04, 0.08, 0.08, 0.12]
    assert gpt.capabilities.reference_images and not dalle.capabilities.reference_images
    for p in (gpt, dalle):
        caps = p.capabilities
        assert not caps.negative_prompt and not caps.seed and caps.qualities == ("standard", "hd")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.prices.as_of) and p.prices.source.startswith("https://")
    assert (gpt.capabilities.max_prompt_length, dalle.capabilities.max_prompt_length) == (32000, 4000)
    assert gpt.size_for(1000, 1000) == (1024, 1024) and dalle.size_for(720, 1280) == (1024, 1792)
    with pytest.raises(ConfigurationError, match="unknown image model 'dall-e-2'"):
        OpenAIImagesProvider(model="dall-e-2", api_key="sk")


def test_parse_retry_after_reads_milliseconds_seconds_and_dates() -> None:
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({}) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert math.isclose(parse_retry_after({"retry-after": later}) or 0, 30, abs_tol=2)
