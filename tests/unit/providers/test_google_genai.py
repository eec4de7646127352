"""The Google adapter through the official google-genai SDK against the local Gemini API fake."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import ImageProvider, ImageRequest
from designer_bff.providers.google_genai import MODELS, GoogleImagesProvider, nearest_ratio
from tests.fakes.faults import FaultPlan
from tests.fakes.google_server import make_app
from tests.fakes.server import free_port, serve

KEY = "gk-test"
PROMPT = "A rust linen midi dress with a square neckline, studio photo"


def request(
    width: int = 768,
    height: int = 1024,
    *,
    quality: str = "standard",
    prompt: str = PROMPT,
    references: tuple[bytes, ...] = (),
) -> ImageRequest:
    """A request for one image."""
    spec = GarmentSpec.model_validate({"garment": {"type": "dress"}, "color": {"primary": "rust"}})
    return ImageRequest(
        prompt=prompt,
        negative_prompt="blurry, watermark",
        spec=spec,
        width=width,
        height=height,
        seed=42,
        quality=quality,
        idempotency_key="slot-1",
        reference_images=references,
    )


def png(fmt: str = "PNG") -> bytes:
    """A small real image in this format."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 10, 10)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def fake() -> Iterator[tuple[Any, str]]:
    """A fault-free fake and its base URL."""
    app = make_app(api_key=KEY)
    with serve(app) as url:
        yield app, url


def provider(
    url: str, model: str = "gemini-3.1-flash-image", *, key: str | None = KEY, timeout_s: float = 10.0
) -> GoogleImagesProvider:
    """An adapter pointed at the fake."""
    return GoogleImagesProvider(model=model, api_key=key, base_url=url, timeout_s=timeout_s)


def failure(url: str, **kwargs: Any) -> ProviderError:
    """The ProviderError one generation raises."""
    with pytest.raises(ProviderError) as caught:
        provider(url, **kwargs).generate(request())
    return caught.value


def test_flash_image_happy_path_decodes_costs_and_sends_the_wire_format(fake: tuple[Any, str]) -> None:
    app, url = fake
    image = provider(url).generate(request(768, 1024))

    assert Image.open(io.BytesIO(image.data)).size == (896, 1200)  # 3:4 at the 1K tier
    assert (image.width, image.height, image.mime) == (896, 1200, "image/png")
    assert (image.provider, image.model, image.seed) == ("google", "gemini-3.1-flash-image", None)
    prompt_tokens = len(PROMPT) // 4
    assert image.cost_usd == round((prompt_tokens * 0.50 + 1120 * 60.0) / 1e6, 6)
    assert image.extra["cost_basis"].startswith(f"usageMetadata: {prompt_tokens} input")
    assert image.extra["aspect_ratio"] == "3:4" and image.extra["image_size"] == "1K"
    [sent] = app.state.requests
    assert image.vendor_ref == sent["response_id"]
    assert sent["headers"]["x-goog-api-key"] == KEY
    assert sent["model"] == "gemini-3.1-flash-image"
    assert sent["body"]["contents"] == [{"parts": [{"text": PROMPT}], "role": "user"}]
    assert sent["body"]["generationConfig"] == {
        "responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "3:4", "imageSize": "1K"},
    }
    assert "blurry" not in str(sent["body"])  # no negative prompt: the model has none


def test_hd_asks_for_the_2k_tier_and_costs_its_tokens(fake: tuple[Any, str]) -> None:
    app, url = fake
    adapter = provider(url)
    image = adapter.generate(request(1024, 1024, quality="hd"))

    assert (image.width, image.height) == (2048, 2048)
    assert app.state.requests[0]["body"]["generationConfig"]["imageConfig"]["imageSize"] == "2K"
    assert image.cost_usd == round((len(PROMPT) // 4 * 0.50 + 1680 * 60.0) / 1e6, 6)
    assert adapter.price_usd(1024, 1024, "hd") == 0.101
    assert adapter.price_usd(1024, 1024, "standard") == 0.067


def test_gemini_25_sends_no_image_size_and_picks_the_nearest_ratio(fake: tuple[Any, str]) -> None:
    app, url = fake
    image = provider(url, "gemini-2.5-flash-image").generate(request(1920, 1080))

    assert (image.width, image.height) == (1344, 768)
    assert app.state.requests[0]["body"]["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9"}
    assert image.cost_usd == round((len(PROMPT) // 4 * 0.30 + 1290 * 30.0) / 1e6, 6)


def test_reference_images_travel_as_inline_parts_with_their_mime_types(fake: tuple[Any, str]) -> None:
    app, url = fake
    image = provider(url).generate(request(references=(png("PNG"), png("JPEG"))))

    parts = app.state.requests[0]["body"]["contents"][0]["parts"]
    assert parts[0] == {"text": PROMPT}
    assert [p["inlineData"]["mime_type"] for p in parts[1:]] == ["image/png", "image/jpeg"]
    assert image.cost_usd == round(((len(PROMPT) // 4 + 2 * 258) * 0.50 + 1120 * 60.0) / 1e6, 6)


def test_unreadable_or_too_many_reference_images_are_invalid_before_any_call(fake: tuple[Any, str]) -> None:
    app, url = fake
    with pytest.raises(ProviderError) as caught:
        provider(url).generate(request(references=(b"not an image",)))
    assert caught.value.kind == "invalid"
    with pytest.raises(ProviderError) as caught:
        provider(url, "gemini-2.5-flash-image").generate(request(references=(png(),) * 4))
    assert caught.value.kind == "invalid" and "at most 3" in caught.value.message
    assert app.state.requests == []


def test_wrong_key_is_auth_even_though_the_api_answers_400(fake: tuple[Any, str]) -> None:
    _, url = fake
    error = failure(url, key="gk-wrong")
    assert error.kind == "auth" and not error.retryable
    assert "API key not valid" in error.message and "gemini-3.1-flash-image" in error.message


def test_missing_key_is_auth_without_a_call_and_not_configured(
    fake: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, url = fake
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)  # the SDK would pick this up; the adapter must not
    adapter = provider(url, key=None)
    assert adapter.is_configured() is False and provider(url).is_configured() is True
    with pytest.raises(ProviderError) as caught:
        adapter.generate(request())
    assert caught.value.kind == "auth"
    assert app.state.requests == []


@pytest.mark.parametrize(
    ("fault", "kind"), [("500", "transient"), ("malformed", "transient"), ("refusal", "refusal")]
)
def test_faults_map_to_kinds_with_one_attempt_only(fault: str, kind: str) -> None:
    app = make_app(api_key=KEY, faults=FaultPlan([fault]))
    with serve(app) as url:
        error = failure(url)
    assert error.kind == kind
    assert len(app.state.requests) == 1  # the SDK did not retry


def test_refusal_without_an_image_is_a_refusal_naming_the_finish_reason() -> None:
    app = make_app(api_key=KEY, faults=FaultPlan(["refusal"]), refusal_style="image")
    with serve(app) as url:
        error = failure(url)
    assert error.kind == "refusal" and "IMAGE_SAFETY" in error.message


def test_blocked_prompt_names_the_block_reason() -> None:
    app = make_app(api_key=KEY, faults=FaultPlan(["refusal"]))
    with serve(app) as url:
        error = failure(url)
    assert "PROHIBITED_CONTENT" in error.message


def test_quota_is_rate_limit_with_the_retry_delay() -> None:
    app = make_app(api_key=KEY, faults=FaultPlan(["429"], retry_after=0.2))
    with serve(app) as url:
        error = failure(url)
    assert error.kind == "rate_limit" and error.retry_after == 0.2
    assert "RESOURCE_EXHAUSTED" in error.message
    assert len(app.state.requests) == 1


def test_a_hanging_answer_is_a_timeout_within_the_timeout() -> None:
    app = make_app(api_key=KEY, faults=FaultPlan(["timeout"], hang_s=1.5))
    with serve(app) as url:
        started = time.monotonic()
        error = failure(url, timeout_s=0.3)
        elapsed = time.monotonic() - started
    assert error.kind == "timeout" and elapsed < 1.2


def test_slow_answer_within_the_timeout_succeeds() -> None:
    app = make_app(api_key=KEY, faults=FaultPlan(["slow"], slow_s=0.2))
    with serve(app) as url:
        image = provider(url).generate(request())
    assert image.width == 896


def test_bad_request_is_invalid(fake: tuple[Any, str]) -> None:
    _, url = fake
    with pytest.raises(ProviderError) as caught:
        provider(url).generate(request(prompt="   "))
    assert caught.value.kind == "invalid" and "INVALID_ARGUMENT" in caught.value.message


def test_unreachable_server_is_transient() -> None:
    with pytest.raises(ProviderError) as caught:
        provider(f"http://127.0.0.1:{free_port()}").generate(request())
    assert caught.value.kind == "transient"


def test_over_long_prompt_is_invalid_and_nothing_is_sent(fake: tuple[Any, str]) -> None:
    app, url = fake
    with pytest.raises(ProviderError) as caught:
        provider(url).generate(request(prompt="x" * 30_001))
    assert caught.value.kind == "invalid" and "30001" in caught.value.message
    assert app.state.requests == []


def test_imagen_and_unknown_models_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="2026-08-17"):
        GoogleImagesProvider(model="imagen-4.0-ultra-generate-001", api_key=KEY)
    with pytest.raises(ConfigurationError, match="unknown image model"):
        GoogleImagesProvider(model="gemini-9-image", api_key=KEY)
    preview = GoogleImagesProvider(model="gemini-3.1-flash-image-preview", api_key=KEY)
    assert preview.prices == MODELS["gemini-3.1-flash-image"].prices


def test_capabilities_and_prices_are_dated_and_consistent() -> None:
    for model in MODELS:
        adapter = GoogleImagesProvider(model=model, api_key=KEY)
        assert isinstance(adapter, ImageProvider)
        caps = adapter.capabilities
        assert not caps.negative_prompt and not caps.seed and caps.reference_images
        assert "3:4" in caps.aspect_ratios and caps.images_per_call == 1
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", adapter.prices.as_of)
        assert adapter.prices.source.startswith("https://ai.google.dev/")
    pro = GoogleImagesProvider(model="gemini-3-pro-image", api_key=KEY)
    assert pro.output_size(1024, 1024, "hd") == ("1:1", "2K", 2048, 2048)
    assert pro.output_size(4000, 4000, "standard") == ("1:1", "4K", 4096, 4096)
    assert (pro.price_usd(1024, 1024, "standard"), pro.price_usd(4000, 4000, "standard")) == (0.134, 0.24)
    flash25 = GoogleImagesProvider(model="gemini-2.5-flash-image", api_key=KEY)
    assert flash25.capabilities.qualities == ("standard",) and flash25.price_usd(4000, 4000, "hd") == 0.039


def test_nearest_ratio_compares_on_a_log_scale() -> None:
    ratios = MODELS["gemini-3.1-flash-image"].capabilities.aspect_ratios
    assert nearest_ratio(1000, 1000, ratios) == "1:1"
    assert nearest_ratio(1080, 1920, ratios) == "9:16"
    assert nearest_ratio(800, 1000, ratios) == "4:5"
    assert nearest_ratio(3000, 1000, ratios) == "21:9"
