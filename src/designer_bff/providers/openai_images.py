"""OpenAI image models (`gpt-image-1`, `dall-e-3`) through the official `openai` SDK: translation only.

Neither model takes a negative prompt or a seed. gpt-image-1 reports token usage, so its cost is computed
from the tokens billed; dall-e-3 reports nothing, so its cost is the list price of what was produced.
The SDK's own retries are off (`max_retries=0`): retrying is the job of the layer above.
"""

from __future__ import annotations

import base64
import io
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import Capabilities, GeneratedImage, ImageRequest, Price, PriceTable

if TYPE_CHECKING:
    import openai

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_SQUARE = 1024 * 1024


@dataclass(frozen=True)
class TokenPrices:
    """USD per 1M tokens of an image model that bills by tokens, dated like a PriceTable."""

    as_of: str
    source: str
    text_input: float
    image_input: float
    image_output: float


@dataclass(frozen=True)
class _Model:
    sizes: tuple[tuple[int, int], ...]
    qualities: dict[str, str]  # ours → the vendor's
    capabilities: Capabilities
    prices: PriceTable
    tokens: TokenPrices | None = None


_GPT_IMAGE_1_SOURCE = "https://developers.openai.com/api/docs/models/gpt-image-1"
# The gpt-image models share sizes and parameters.
_GPT_IMAGE_SIZES = ((1024, 1024), (1024, 1536), (1536, 1024))
# Our two tiers onto the vendor's three: "low" is too rough for a design review.
_GPT_IMAGE_QUALITIES = {"standard": "medium", "hd": "high"}
_GPT_IMAGE_CAPS = Capabilities(
    negative_prompt=False,
    aspect_ratios=("1:1", "2:3", "3:2"),
    max_prompt_length=32000,
    images_per_call=10,
    reference_images=True,
    seed=False,
    min_side=1024,
    max_side=1536,
    qualities=("standard", "hd"),
)
MODELS: dict[str, _Model] = {
    "gpt-image-1": _Model(
        sizes=_GPT_IMAGE_SIZES,
        qualities=_GPT_IMAGE_QUALITIES,
        capabilities=replace(_GPT_IMAGE_CAPS, typical_latency_s=40.0),
        prices=PriceTable(
            as_of="2026-11-21",
            source=_GPT_IMAGE_1_SOURCE,
            rows=(
                Price(0.042, "standard", _SQUARE),
                Price(0.063, "standard"),
                Price(0.167, "hd", _SQUARE),
                Price(0.25, "hd"),
            ),
        ),
        tokens=TokenPrices(
            as_of="2026-11-21",
            source=_GPT_IMAGE_1_SOURCE,
            text_input=5.0,
            image_input=10.0,
            image_output=40.0,
        ),
    ),
    # gpt-image-1's successor (December 2025): same sizes and parameters, cheaper and about 4× faster.
    "gpt-image-1.5": _Model(
        sizes=_GPT_IMAGE_SIZES,
        qualities=_GPT_IMAGE_QUALITIES,
        capabilities=replace(_GPT_IMAGE_CAPS, typical_latency_s=10.0),
        prices=PriceTable(
            as_of="2025-12-16",
            source="https://runware.ai/docs/models/openai-gpt-image-1-5 (OpenAI's list prices, quoted)",
            rows=(
                Price(0.034, "standard", _SQUARE),
                Price(0.051, "standard"),
                Price(0.133, "hd", _SQUARE),
                Price(0.20, "hd"),
            ),
        ),
        tokens=TokenPrices(
            as_of="2025-12-16",
            # $32/M image-output tokens: 1 056 tokens of a medium 1024² image = the $0.034 list price.
            source="https://runware.ai/docs/models/openai-gpt-image-1-5 (token prices, quoted)",
            text_input=5.0,
            image_input=8.0,
            image_output=32.0,
        ),
    ),
    "dall-e-3": _Model(
        sizes=((1024, 1024), (1024, 1792), (1792, 1024)),
        qualities={"standard": "standard", "hd": "hd"},
        capabilities=Capabilities(
            negative_prompt=False,
            aspect_ratios=("1:1", "4:7", "7:4"),
            max_prompt_length=4000,
            images_per_call=1,
            seed=False,
            min_side=1024,
            max_side=1792,
            qualities=("standard", "hd"),
            typical_latency_s=15.0,
            prompt_family="dalle",
        ),
        prices=PriceTable(
            as_of="2023-12-25",
            source="https://openai.com/api/pricing (DALL·E 3 rows, unchanged until the model was retired)",
            rows=(
                Price(0.04, "standard", _SQUARE),
                Price(0.08, "standard"),
                Price(0.08, "hd", _SQUARE),
                Price(0.12, "hd"),
            ),
        ),
    ),
}


class OpenAIImagesProvider:
    """One OpenAI image model behind `generate`; edits with reference images on gpt-image-1."""

    provider_id = "openai"
    model: str
    capabilities: Capabilities
    prices: PriceTable

    def __init__(
        self, *, model: str, api_key: str | None, base_url: str | None = None, timeout_s: float = 120.0
    ) -> None:
        if model not in MODELS:
            raise ConfigurationError(f"openai: unknown image model {model!r}; known: {', '.join(MODELS)}")
        self.model = model
        self._spec = MODELS[model]
        self.capabilities = self._spec.capabilities
        self.prices = self._spec.prices
        self._api_key = api_key
        # An explicit URL: left None, the SDK would read OPENAI_BASE_URL from the environment itself.
        self._base_url = base_url or DEFAULT_BASE_URL
        self._timeout_s = timeout_s
        self._client: openai.OpenAI | None = None

    def is_configured(self) -> bool:
        """True when an API key is set."""
        return bool(self._api_key)

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """The supported size whose aspect ratio is nearest the request's (ties: the smaller size)."""
        # The vendor accepts only these sizes; composition depends on the aspect ratio, so match that.
        wanted = math.log(width / height)
        return min(self._spec.sizes, key=lambda s: (abs(math.log(s[0] / s[1]) - wanted), s[0] * s[1]))

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """List price of one image at the size this model will actually produce."""
        w, h = self.size_for(width, height)
        return self.prices.price(w, h, quality)

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Make one image; raises ProviderError with the vendor's own message on any failure."""
        import openai

        self._check(request)
        width, height = self.size_for(request.width, request.height)
        quality = self._spec.qualities[request.quality]
        params: dict[str, Any] = {
            "model": self.model,
            "prompt": request.prompt,
            "size": f"{width}x{height}",
            "quality": quality,
            "n": 1,
            "extra_headers": {"Idempotency-Key": request.idempotency_key},
        }
        extra = {"size": f"{width}x{height}", "vendor_quality": quality}
        if self.model == "dall-e-3":
            # "natural" over the default "vivid": vivid leans hyper-real and dramatic, which fights the
            # true-to-life fabric, colour and fit a garment design needs to show.
            params.update(style="natural", response_format="b64_json")
            extra["style"] = "natural"
        try:
            client = self._get_client()
            if request.reference_images:
                files = [_upload(i, data) for i, data in enumerate(request.reference_images)]
                raw = client.images.with_raw_response.edit(image=files, **params)
                extra["endpoint"] = "edits"
            else:
                raw = client.images.with_raw_response.generate(**params)
                extra["endpoint"] = "generations"
            response = raw.parse()
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        except ValueError as exc:  # a 200 whose body is not JSON at all
            raise self._fail(f"unusable answer: {exc}", "transient") from exc
        if not isinstance(response, openai.types.ImagesResponse) or not response.data:
            raise self._fail("the answer carries no image", "transient")
        item = response.data[0]
        if not item.b64_json:
            raise self._fail("the answer carries no b64_json image data", "transient")
        data, mime, real_w, real_h = self._decode(item.b64_json)
        cost, extra["cost_basis"] = self._cost(response, real_w, real_h, request.quality)
        return GeneratedImage(
            data=data,
            mime=mime,
            width=real_w,
            height=real_h,
            provider=self.provider_id,
            model=self.model,
            seed=None,
            cost_usd=cost,
            revised_prompt=item.revised_prompt,
            vendor_ref=raw.headers.get("x-request-id"),
            extra=extra,
        )

    def _check(self, request: ImageRequest) -> None:
        if not self._api_key:
            raise self._fail("no API key is configured (OPENAI_API_KEY)", "auth")
        limit = self.capabilities.max_prompt_length
        if len(request.prompt) > limit:
            raise self._fail(
                f"the prompt has {len(request.prompt)} characters; the limit is {limit}", "invalid"
            )
        if request.quality not in self._spec.qualities:
            raise self._fail(
                f"quality {request.quality!r} is not one of {self.capabilities.qualities}", "invalid"
            )
        if request.reference_images and not self.capabilities.reference_images:
            raise self._fail("this model takes no reference images", "invalid")

    def _get_client(self) -> openai.OpenAI:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self._api_key, base_url=self._base_url, timeout=self._timeout_s, max_retries=0
            )
        return self._client

    def _decode(self, b64: str) -> tuple[bytes, str, int, int]:
        from PIL import Image

        try:
            data = base64.b64decode(b64, validate=True)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                mime, (width, height) = Image.MIME.get(image.format or "", "image/png"), image.size
        except (ValueError, OSError, SyntaxError) as exc:  # what base64 and Pillow raise on bad data
            raise self._fail(f"the image data does not decode ({exc})", "transient") from exc
        return data, mime, width, height

    def _cost(
        self, response: openai.types.ImagesResponse, width: int, height: int, quality: str
    ) -> tuple[float, str]:
        usage, tokens = response.usage, self._spec.tokens
        if usage is not None and tokens is not None:
            text_in = usage.input_tokens_details.text_tokens
            image_in = usage.input_tokens_details.image_tokens
            details = usage.output_tokens_details
            image_out = details.image_tokens if details is not None else usage.output_tokens
            usd = (
                text_in * tokens.text_input + image_in * tokens.image_input + image_out * tokens.image_output
            ) / 1e6
            rates = f"${tokens.text_input:g}/${tokens.image_input:g}/${tokens.image_output:g} per 1M"
            return round(usd, 6), (
                f"usage: {text_in} text-in, {image_in} image-in, {image_out} image-out tokens "
                f"at {rates} ({tokens.as_of})"
            )
        usd = self.prices.price(width, height, quality)
        return usd, f"price table: {quality} {width}x{height} ({self.prices.as_of})"

    def _error(self, exc: openai.OpenAIError) -> ProviderError:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return self._fail(f"no answer within {self._timeout_s:g} s", "timeout")
        if isinstance(exc, openai.APIConnectionError):
            return self._fail(f"connection failed: {exc}", "transient")
        if not isinstance(exc, openai.APIStatusError):
            return self._fail(f"unusable answer: {exc}", "transient")
        body = exc.body if isinstance(exc.body, dict) else {}
        text = f"{body.get('message') or exc.message} (HTTP {exc.status_code}, code {exc.code})"
        if isinstance(exc, openai.RateLimitError):
            if exc.code == "insufficient_quota":
                # Out of credit: waiting will not help, fixing the account will, like a bad key.
                return self._fail(text, "auth")
            return self._fail(text, "rate_limit", retry_after=parse_retry_after(exc.response.headers))
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return self._fail(text, "auth")
        if exc.code in ("content_policy_violation", "moderation_blocked"):
            return self._fail(text, "refusal")
        if exc.status_code >= 500:
            return self._fail(text, "transient")
        if exc.status_code == 408:
            return self._fail(text, "timeout")
        return self._fail(text, "invalid")

    def _fail(self, message: str, kind: str, *, retry_after: float | None = None) -> ProviderError:
        return ProviderError(
            f"openai {self.model}: {message}", provider=self.provider_id, kind=kind, retry_after=retry_after
        )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date); None if absent."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / scale)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
    return None


def _upload(index: int, data: bytes) -> tuple[str, bytes, str]:
    """A reference image as a multipart file: name and content type from its magic bytes."""
    if data.startswith(b"\x89PNG"):
        ext, mime = "png", "image/png"
    elif data.startswith(b"\xff\xd8"):
        ext, mime = "jpg", "image/jpeg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        ext, mime = "webp", "image/webp"
    else:
        # Sent as is: the vendor's 400 names the problem better than a guess here would.
        ext, mime = "bin", "application/octet-stream"
    return f"reference-{index}.{ext}", data, mime
