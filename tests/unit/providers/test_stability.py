"""StabilityProvider (httpx, REST v2beta stable-image generate) against the local Stability fake."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import ImageProvider, ImageRequest
from designer_bff.providers.stability import MAX_SEED, StabilityProvider, nearest_aspect_ratio
from tests.fakes.faults import FaultPlan
from tests.fakes.server import free_port, serve
from tests.fakes.stability_server import make_app

KEY = "sk-test"
PROMPT = "a rust linen midi dress, studio photo"
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
    """A running fake and its base URL."""
    app = make_app(api_key=KEY, **kwargs)
    with serve(app) as url:
        yield app, url


def provider(base_url: str, model: str = "sd3.5-large", **kwargs: Any) -> StabilityProvider:
    return StabilityProvider(model=model, api_key=kwargs.pop("api_key", KEY), base_url=base_url, **kwargs)


def fails(p: StabilityProvider, request: ImageRequest = REQUEST) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        p.generate(request)
    assert info.value.provider == "stability"
    return info.value


def test_sd35_large_sends_the_documented_form_and_returns_the_decoded_image() -> None:
    with fake() as (app, url):
        image = provider(url).generate(REQUEST)
    decoded = Image.open(io.BytesIO(image.data))
    assert (decoded.format, decoded.size) == ("PNG", (1024, 1024))
    assert (image.width, image.height, image.mime, image.seed) == (1024, 1024, "image/png", 7)
    assert (image.provider, image.model, image.revised_prompt) == ("stability", "sd3.5-large", None)
    assert image.cost_usd == 0.065
    assert image.extra["cost_basis"] == "price table: 6.5 credits × $0.01 (2026-11-21)"
    assert image.vendor_ref is not None and re.fullmatch(r"[0-9a-f]{32}", image.vendor_ref)
    [sent] = app.state.requests
    assert (sent["endpoint"], sent["accept"], sent["content_type"]) == (
        "sd3",
        "image/*",
        "multipart/form-data",
    )
    assert sent["authorization"] == f"Bearer {KEY}"
    assert sent["form"] == {
        "prompt": PROMPT,
        "negative_prompt": "blurry, watermark",
        "aspect_ratio": "1:1",
        "seed": "7",
        "output_format": "png",
        "model": "sd3.5-large",
    }
    assert sent["idempotency_key"] is None  # the API has no such header; nothing pretends otherwise
    assert app.state.images_served == 1


@pytest.mark.parametrize(
    ("model", "size", "endpoint", "ratio", "pixels", "usd"),
    [
        ("stable-image-ultra", (768, 1024), "ultra", "4:5", (896, 1088), 0.08),
        ("stable-image-core", (1792, 1024), "core", "16:9", (1344, 768), 0.03),
        ("sd3.5-medium", (1200, 800), "sd3", "3:2", (1216, 832), 0.035),
    ],
)
def test_models_map_to_their_endpoint_and_the_nearest_aspect_ratio(
    model: str, size: tuple[int, int], endpoint: str, ratio: str, pixels: tuple[int, int], usd: float
) -> None:
    with fake() as (app, url):
        image = provider(url, model).generate(replace(REQUEST, width=size[0], height=size[1], quality="hd"))
    assert (image.width, image.height, image.cost_usd, image.extra["aspect_ratio"]) == (*pixels, usd, ratio)
    [sent] = app.state.requests
    assert (sent["endpoint"], sent["form"]["aspect_ratio"]) == (endpoint, ratio)
    assert ("model" in sent["form"]) == (endpoint == "sd3")
    assert sent["form"]["negative_prompt"] == "blurry, watermark"


def test_turbo_gets_no_negative_prompt() -> None:
    with fake() as (app, url):
        p = provider(url, "sd3.5-large-turbo")
        p.generate(REQUEST)
    assert not p.capabilities.negative_prompt
    assert "negative_prompt" not in app.state.requests[0]["form"]
    assert app.state.requests[0]["form"]["model"] == "sd3.5-large-turbo"


def test_seed_zero_reports_the_seed_the_vendor_chose_and_big_seeds_wrap_into_range() -> None:
    with fake(seed=1) as (app, url):
        random_seed = provider(url).generate(replace(REQUEST, seed=0))
        wrapped = provider(url).generate(replace(REQUEST, seed=MAX_SEED + 1 + 5))
    assert random_seed.seed is not None and 1 <= random_seed.seed <= MAX_SEED
    assert [r["form"]["seed"] for r in app.state.requests] == ["0", "5"]
    assert wrapped.seed == 5


def test_content_filtered_output_is_a_refusal_and_not_billed() -> None:
    with fake(filtered_terms=("forbidden",)) as (app, url):
        error = fails(provider(url), replace(REQUEST, prompt="a forbidden dress"))
    assert error.kind == "refusal" and "CONTENT_FILTERED" in error.message
    assert app.state.images_served == 0


def test_content_moderation_403_is_a_refusal() -> None:
    with fake(faults=FaultPlan(["refusal"])) as (_, url):
        error = fails(provider(url))
    assert error.kind == "refusal" and not error.retryable
    assert (
        "flagged by our content moderation" in error.message
        and "HTTP 403, content_moderation" in error.message
    )


def test_wrong_key_is_auth() -> None:
    with fake() as (_, url):
        error = fails(provider(url, api_key="sk-wrong"))
    assert (
        error.kind == "auth" and "authorization: invalid or missing header value (HTTP 401" in error.message
    )


def test_429_uses_retry_after_or_the_documented_60_s_timeout() -> None:
    with fake(faults=FaultPlan(["429"], retry_after=0.25)) as (_, url):
        with_header = fails(provider(url))
    with fake(faults=FaultPlan(["429"]), send_retry_after=False) as (_, url):
        without = fails(provider(url))
    assert (with_header.kind, with_header.retry_after, with_header.retryable) == ("rate_limit", 0.25, True)
    assert (without.kind, without.retry_after) == ("rate_limit", 60.0)
    assert "rate limit of 150 requests" in without.message


def test_500_and_a_truncated_image_are_transient() -> None:
    with fake(faults=FaultPlan(["500", "malformed"])) as (app, url):
        server_error = fails(provider(url))
        malformed = fails(provider(url))
    assert (server_error.kind, malformed.kind) == ("transient", "transient")
    assert "HTTP 500, internal_error" in server_error.message
    assert "does not decode" in malformed.message
    assert app.state.images_served == 0


def test_the_vendors_400_is_invalid() -> None:
    with fake() as (_, url):
        error = fails(provider(url), replace(REQUEST, negative_prompt="x" * 10001))
    assert error.kind == "invalid" and "negative_prompt: must be at most 10000 characters" in error.message


def test_a_hang_longer_than_timeout_s_is_timeout_and_serves_nothing() -> None:
    with fake(faults=FaultPlan(["timeout"], hang_s=2.0)) as (app, url):
        started = time.monotonic()
        error = fails(provider(url, timeout_s=0.3))
        assert time.monotonic() - started < 1.5
        deadline = time.monotonic() + 2
        while not app.state.requests[0].get("abandoned") and time.monotonic() < deadline:
            time.sleep(0.02)
    assert (error.kind, error.retryable) == ("timeout", True)
    assert app.state.requests[0]["abandoned"] is True and app.state.images_served == 0


def test_connection_refused_is_transient() -> None:
    error = fails(provider(f"http://127.0.0.1:{free_port()}"))
    assert error.kind == "transient" and "connection failed" in error.message


def test_local_checks_fail_before_any_request() -> None:
    with fake() as (app, url):
        kinds = [
            fails(provider(url), replace(REQUEST, prompt="x" * 10001)).kind,
            fails(provider(url), replace(REQUEST, reference_images=(b"png",))).kind,
            fails(provider(url), replace(REQUEST, quality="ultra")).kind,
            fails(provider(url, api_key=None)).kind,
        ]
    assert kinds == ["invalid", "invalid", "invalid", "auth"]
    assert app.state.requests == []


def test_random_faults_each_map_to_their_kind_and_only_successes_are_served() -> None:
    expected = {"500": "transient", "429": "rate_limit", "malformed": "transient", "refusal": "refusal"}
    expected["timeout"] = "timeout"
    plan = FaultPlan(rate=0.7, seed=6, hang_s=1.0, slow_s=0.05)
    with fake(faults=plan) as (app, url):
        p = provider(url, "stable-image-core", timeout_s=0.4)
        outcomes: list[str] = []
        for slot in range(24):
            try:
                p.generate(replace(REQUEST, idempotency_key=f"gen-2:{slot}"))
                outcomes.append("ok")
            except ProviderError as exc:
                outcomes.append(exc.kind)
    assert outcomes == [expected.get(r["fault"] or "", "ok") for r in app.state.requests]
    assert app.state.images_served == outcomes.count("ok") > 0
    assert set(plan.served) == {"ok", "500", "429", "malformed", "refusal", "timeout", "slow"}


def test_prices_and_capabilities() -> None:
    prices = {
        "stable-image-ultra": 0.08,
        "stable-image-core": 0.03,
        "sd3.5-large": 0.065,
        "sd3.5-large-turbo": 0.04,
        "sd3.5-medium": 0.035,
    }
    for model, usd in prices.items():
        p = StabilityProvider(model=model, api_key="sk")
        assert isinstance(p, ImageProvider) and p.is_configured() and p._client is None
        assert p.price_usd(1024, 1024, "standard") == p.price_usd(640, 1536, "hd") == usd
        assert (
            re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.prices.as_of) and "platform.stability.ai" in p.prices.source
        )
        caps = p.capabilities
        assert caps.seed and not caps.reference_images and caps.max_prompt_length == 10000
        assert caps.negative_prompt == (model != "sd3.5-large-turbo")
    assert not StabilityProvider(model="sd3.5-large", api_key=None).is_configured()
    assert not StabilityProvider(model="sd3.5-large", api_key="").is_configured()
    with pytest.raises(ConfigurationError, match="unknown model 'sdxl'"):
        StabilityProvider(model="sdxl", api_key="sk")
    assert [
        nearest_aspect_ratio(*s) for s in [(1, 1), (768, 1024), (1024, 576), (500, 1200), (4000, 1000)]
    ] == [
        "1:1",
        "4:5",
        "16:9",
        "9:21",
        "21:9",
    ]
