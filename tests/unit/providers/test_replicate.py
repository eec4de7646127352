"""The Replicate adapter through the official replicate SDK against the local Replicate fake."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import ProviderError
from designer_bff.providers.base import ImageProvider, ImageRequest
from designer_bff.providers.replicate import FAMILIES, ReplicateProvider, family_of
from tests.fakes.faults import FaultPlan
from tests.fakes.replicate_server import NSFW_ERROR, make_app
from tests.fakes.server import free_port, serve

TOKEN = "r8_test"
PROMPT = "A rust linen midi dress with a square neckline, studio photo"


def request(
    width: int = 768,
    height: int = 1024,
    *,
    prompt: str = PROMPT,
    vendor_ref: str | None = None,
    submitted: list[str] | None = None,
) -> ImageRequest:
    """A request for one image; submitted prediction ids are appended to `submitted`."""
    spec = GarmentSpec.model_validate({"garment": {"type": "dress"}, "color": {"primary": "rust"}})
    callback = submitted.append if submitted is not None else None
    return ImageRequest(
        prompt=prompt,
        negative_prompt="blurry, watermark",
        spec=spec,
        width=width,
        height=height,
        seed=42,
        quality="standard",
        idempotency_key="slot-1",
        vendor_ref=vendor_ref,
        on_submitted=callback,
    )


def provider(
    url: str,
    model: str = "black-forest-labs/flux-1.1-pro",
    *,
    token: str | None = TOKEN,
    timeout_s: float = 10.0,
    poll_interval_s: float = 0.01,
) -> ReplicateProvider:
    """An adapter pointed at the fake, polling fast."""
    return ReplicateProvider(
        model=model, api_key=token, base_url=url, timeout_s=timeout_s, poll_interval_s=poll_interval_s
    )


@pytest.fixture
def fake() -> Iterator[tuple[Any, str]]:
    """A fault-free fake and its base URL."""
    app = make_app(token=TOKEN)
    with serve(app) as url:
        yield app, url


def failure(url: str, **kwargs: Any) -> ProviderError:
    """The ProviderError one generation raises."""
    with pytest.raises(ProviderError) as caught:
        provider(url, **kwargs).generate(request())
    return caught.value


def api_calls(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every API request the fake received."""
    return [(r["method"], r["path"]) for r in app.state.requests]


@pytest.mark.parametrize(
    ("model", "sent", "size", "cost", "seed"),
    [
        (
            "black-forest-labs/flux-1.1-pro",
            {"prompt": PROMPT, "aspect_ratio": "3:4", "seed": 42, "output_format": "png"},
            (896, 1152),
            0.04,
            42,
        ),
        (
            "stability-ai/stable-diffusion-3.5-large",
            {
                "prompt": PROMPT,
                "aspect_ratio": "4:5",
                "seed": 42,
                "output_format": "png",
                "cfg": 3.5,
                "negative_prompt": "blurry, watermark",
            },
            (896, 1088),
            0.065,
            42,
        ),
        (
            "google/imagen-4-ultra",
            {
                "prompt": PROMPT,
                "aspect_ratio": "3:4",
                "safety_filter_level": "block_only_high",
                "output_format": "png",
            },
            (896, 1280),
            0.06,
            None,
        ),
        (
            "black-forest-labs/flux-schnell",
            {
                "prompt": PROMPT,
                "aspect_ratio": "3:4",
                "seed": 42,
                "output_format": "png",
                "num_inference_steps": 4,
                "num_outputs": 1,
            },
            (896, 1152),
            0.003,
            42,
        ),
    ],
)
def test_official_models_get_their_family_input_and_per_image_cost(
    fake: tuple[Any, str],
    model: str,
    sent: dict[str, Any],
    size: tuple[int, int],
    cost: float,
    seed: int | None,
) -> None:
    app, url = fake
    submitted: list[str] = []
    image = provider(url, model).generate(request(submitted=submitted))

    assert Image.open(io.BytesIO(image.data)).size == size == (image.width, image.height)
    assert (image.provider, image.model, image.mime, image.seed) == ("replicate", model, "image/png", seed)
    assert image.cost_usd == cost and image.extra["cost_basis"].startswith(f"1 image(s) × ${cost}")
    [create, *polls] = app.state.requests
    assert create["path"] == f"/v1/models/{model}/predictions" and create["json"] == {"input": sent}
    assert create["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert submitted == [image.vendor_ref] and image.vendor_ref in app.state.predictions
    assert [p["path"] for p in polls] == [f"/v1/predictions/{image.vendor_ref}"] * 2
    assert app.state.created == 1


def test_a_versioned_community_model_uses_width_height_and_costs_predict_time(fake: tuple[Any, str]) -> None:
    app, url = fake
    image = provider(url, "someone/fashion-xl:abc123").generate(request(770, 1030))

    assert app.state.requests[0]["path"] == "/v1/predictions"
    assert app.state.requests[0]["json"] == {
        "version": "abc123",
        "input": {"prompt": PROMPT, "width": 768, "height": 1024},
    }
    assert (image.width, image.height, image.seed) == (768, 1024, None)
    assert image.cost_usd == round(7.25 * 0.000975, 6)
    assert image.extra["cost_basis"] == "metrics.predict_time 7.25s × $0.000975/s"


def test_resume_with_vendor_ref_polls_that_prediction_and_creates_none() -> None:
    app = make_app(token=TOKEN, polls_until_done=4)
    submitted: list[str] = []
    with serve(app) as url:
        with pytest.raises(ProviderError) as caught:
            provider(url, timeout_s=0.1, poll_interval_s=0.04).generate(request(submitted=submitted))
        assert caught.value.kind == "timeout" and submitted[0] in caught.value.message
        assert app.state.created == 1

        image = provider(url).generate(request(vendor_ref=submitted[0], submitted=submitted))
    assert app.state.created == 1 and len(submitted) == 1  # no second prediction, no second callback
    assert image.vendor_ref == submitted[0] and image.width == 896
    assert api_calls(app)[0][0] == "POST" and all(method == "GET" for method, _ in api_calls(app)[1:])


def test_wrong_token_is_auth(fake: tuple[Any, str]) -> None:
    _, url = fake
    error = failure(url, token="r8_wrong")
    assert error.kind == "auth" and "401" in error.message and "authentication token" in error.message


def test_missing_token_is_auth_without_a_call(fake: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    app, url = fake
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)  # the SDK would pick this up; the adapter must not
    assert provider(url, token=None).is_configured() is False and provider(url).is_configured() is True
    assert failure(url, token=None).kind == "auth"
    assert app.state.requests == []


def test_throttled_create_is_rate_limit_with_retry_after() -> None:
    app = make_app(token=TOKEN, faults=FaultPlan(["429"], retry_after=0.2))
    with serve(app) as url:
        error = failure(url)
    assert error.kind == "rate_limit" and error.retry_after == 0.2
    assert app.state.created == 0


def test_throttled_poll_is_not_retried_by_the_sdk() -> None:
    app = make_app(token=TOKEN, poll_faults=FaultPlan([None, "429"], retry_after=3))
    submitted: list[str] = []
    with serve(app) as url, pytest.raises(ProviderError) as caught:
        provider(url).generate(request(submitted=submitted))
    assert caught.value.kind == "rate_limit" and caught.value.retry_after == 3.0
    poll = ("GET", f"/v1/predictions/{submitted[0]}")
    assert api_calls(app) == [("POST", "/v1/models/black-forest-labs/flux-1.1-pro/predictions"), poll, poll]


@pytest.mark.parametrize(
    ("faults", "poll_faults", "kind"),
    [
        (["500"], None, "transient"),
        (["malformed"], None, "transient"),
        (None, [None, "500"], "transient"),
        (None, ["malformed"], "transient"),
    ],
)
def test_server_errors_and_unusable_answers_are_transient(
    faults: list[str | None] | None, poll_faults: list[str | None] | None, kind: str
) -> None:
    app = make_app(
        token=TOKEN,
        faults=FaultPlan(faults) if faults else None,
        poll_faults=FaultPlan(poll_faults) if poll_faults else None,
    )
    with serve(app) as url:
        error = failure(url)
    assert error.kind == kind
    assert sum(1 for method, _ in api_calls(app) if method == "POST") == 1


def test_nsfw_failure_is_a_refusal() -> None:
    app = make_app(token=TOKEN, faults=FaultPlan(["refusal"]))
    with serve(app) as url:
        error = failure(url)
    assert error.kind == "refusal" and NSFW_ERROR in error.message and app.state.created == 1


@pytest.mark.parametrize(
    ("fail_error", "kind"),
    [("CUDA out of memory", "transient"), ("Input validation failed: width must be <= 1440", "invalid")],
)
def test_other_failed_predictions(fail_error: str, kind: str) -> None:
    app = make_app(token=TOKEN, fail_error=fail_error)
    with serve(app) as url:
        error = failure(url)
    assert error.kind == kind and fail_error in error.message


def test_input_rejected_by_the_api_is_invalid(fake: tuple[Any, str]) -> None:
    app, url = fake
    with pytest.raises(ProviderError) as caught:
        provider(url).generate(request(prompt=" "))
    assert caught.value.kind == "invalid" and "422" in caught.value.message and app.state.created == 0


def test_a_hanging_create_times_out_within_the_timeout() -> None:
    app = make_app(token=TOKEN, faults=FaultPlan(["timeout"], hang_s=1.5))
    with serve(app) as url:
        started = time.monotonic()
        error = failure(url, timeout_s=0.3)
        elapsed = time.monotonic() - started
    assert error.kind == "timeout" and elapsed < 1.2


def test_unreachable_server_is_transient() -> None:
    assert failure(f"http://127.0.0.1:{free_port()}").kind == "transient"


def test_over_long_prompt_is_invalid_and_nothing_is_sent(fake: tuple[Any, str]) -> None:
    app, url = fake
    with pytest.raises(ProviderError) as caught:
        provider(url, "stability-ai/stable-diffusion-3.5-large").generate(request(prompt="x" * 1001))
    assert caught.value.kind == "invalid" and app.state.requests == []


def test_families_capabilities_and_prices() -> None:
    assert family_of("google/imagen-4-ultra") == "imagen"
    assert family_of("stability-ai/stable-diffusion-3.5-large-turbo") == "sd35"
    assert family_of("black-forest-labs/flux-dev:1234") == "flux"
    assert family_of("bytedance/sdxl-lightning-4step:5599ed30") == "generic"
    assert FAMILIES["sd35"].capabilities.negative_prompt and FAMILIES["sd35"].capabilities.seed
    assert not FAMILIES["flux"].capabilities.negative_prompt and not FAMILIES["imagen"].capabilities.seed
    for model, price in [
        ("google/imagen-4-ultra", 0.06),
        ("stability-ai/stable-diffusion-3.5-large", 0.065),
        ("black-forest-labs/flux-1.1-pro", 0.04),
    ]:
        adapter = ReplicateProvider(model=model, api_key=TOKEN)
        assert isinstance(adapter, ImageProvider)
        assert adapter.price_usd(1024, 1024, "standard") == price == adapter.price_usd(2048, 768, "hd")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", adapter.prices.as_of)
        assert adapter.prices.source == f"https://replicate.com/{model}"
    community = ReplicateProvider(model="someone/model:abc", api_key=TOKEN)
    assert community.price_usd(512, 512, "standard") == round(0.000975 * 15.0, 4)
    assert community.prices.source == "https://replicate.com/pricing"
