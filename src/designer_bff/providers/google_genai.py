"""Google's Gemini image models ("Nano Banana") through the official `google-genai` SDK.

Images come from `generateContent` with `responseModalities: ["IMAGE"]`. Imagen 4 (`:predict`) is not
offered: Google shut the Imagen 4 models down on the Gemini API on 2026-08-17 and the installed SDK only
runs `generate_images` against Vertex AI, so asking for an `imagen-*` model is a configuration error.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import Capabilities, GeneratedImage, ImageRequest, Price, PriceTable

if TYPE_CHECKING:
    from google import genai
    from google.genai import errors as genai_errors
    from google.genai import types

PRICING_URL = "https://ai.google.dev/gemini-api/docs/pricing"
PRICES_AS_OF = "2026-10-07"
RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
# Output size at the 1K tier per aspect ratio (Google's image-generation guide); 2K/4K scale it by 2/4.
SIZES_1K_3X = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
}
SIZES_1K_25 = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}
TIER_SCALE = {"1K": 1, "2K": 2, "4K": 4}
# Finish / block reasons that mean "the content policy said no": another prompt or provider may work.
REFUSALS = {
    "SAFETY",
    "IMAGE_SAFETY",
    "PROHIBITED_CONTENT",
    "IMAGE_PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "RECITATION",
    "IMAGE_RECITATION",
    "JAILBREAK",
    "MODEL_ARMOR",
}


@dataclass(frozen=True)
class GeminiImageModel:
    """What one Gemini image model can do and what its tokens cost (USD per 1M tokens)."""

    capabilities: Capabilities
    prices: PriceTable
    sizes_1k: dict[str, tuple[int, int]]
    tiers: tuple[str, ...]  # `imageSize` values it accepts; () = the field is not supported
    input_per_m: float
    text_output_per_m: float
    image_output_per_m: float
    max_reference_images: int


def _caps(*, tiers: tuple[str, ...], max_side: int, latency: float) -> Capabilities:
    # Prompts are text tokens in a 32k+ context; 30 000 characters stays well inside it.
    return Capabilities(
        negative_prompt=False,
        aspect_ratios=RATIOS,
        max_prompt_length=30_000,
        reference_images=True,
        seed=False,
        min_side=64,
        max_side=max_side,
        qualities=("standard", "hd") if len(tiers) > 1 else ("standard",),
        typical_latency_s=latency,
        prompt_family="gemini",
    )


MODELS: dict[str, GeminiImageModel] = {
    # $30/1M image tokens, 1290 tokens per image → $0.039 (shutdown announced for 2026-10-02).
    "gemini-2.5-flash-image": GeminiImageModel(
        _caps(tiers=(), max_side=1536, latency=8.0),
        PriceTable(PRICES_AS_OF, PRICING_URL, (Price(0.039),)),
        SIZES_1K_25,
        (),
        0.30,
        2.50,
        30.0,
        3,
    ),
    # $60/1M image tokens: 1K 1120 tokens $0.067, 2K 1680 $0.101, 4K 2520 $0.151.
    "gemini-3.1-flash-image": GeminiImageModel(
        _caps(tiers=("1K", "2K", "4K"), max_side=6336, latency=10.0),
        PriceTable(
            PRICES_AS_OF,
            PRICING_URL,
            (Price(0.067, max_pixels=1_100_000), Price(0.101, max_pixels=4_400_000), Price(0.151)),
        ),
        SIZES_1K_3X,
        ("1K", "2K", "4K"),
        0.50,
        3.00,
        60.0,
        14,
    ),
    # $120/1M image tokens: 1K and 2K 1120 tokens $0.134, 4K 2000 tokens $0.24.
    "gemini-3-pro-image": GeminiImageModel(
        _caps(tiers=("1K", "2K", "4K"), max_side=6336, latency=20.0),
        PriceTable(PRICES_AS_OF, PRICING_URL, (Price(0.134, max_pixels=4_400_000), Price(0.24))),
        SIZES_1K_3X,
        ("1K", "2K", "4K"),
        2.00,
        12.00,
        120.0,
        14,
    ),
}


def model_spec(model: str) -> GeminiImageModel:
    """The spec of a supported model (a `-preview` suffix shares its family's); ConfigurationError else."""
    if model.startswith("imagen-"):
        raise ConfigurationError(
            f"google: {model} is no longer served: Google shut Imagen 4 down on the Gemini API on 2026-08-17 "
            f"(use gemini-3.1-flash-image or gemini-3-pro-image, or google/imagen-4* through replicate)"
        )
    for family, spec in MODELS.items():
        if model == family or model.startswith(family + "-"):
            return spec
    raise ConfigurationError(f"google: unknown image model {model!r}; supported: {', '.join(MODELS)}")


def nearest_ratio(width: int, height: int, ratios: tuple[str, ...]) -> str:
    """The supported aspect ratio closest to width:height (compared on a log scale, so 2:1 ≈ 1:2)."""

    def distance(ratio: str) -> float:
        w, h = (int(x) for x in ratio.split(":"))
        return abs(math.log((width / height) / (w / h)))

    return min(ratios, key=distance)


def _http_failure(exc: BaseException) -> str | None:
    """'timeout'/'transient' for an httpx or httpx2 transport error (the SDK uses whichever is installed)."""
    for cls in type(exc).__mro__:
        if cls.__module__.split(".")[0] in ("httpx", "httpx2"):
            if cls.__name__ == "TimeoutException":
                return "timeout"
            if cls.__name__ == "TransportError":
                return "transient"
    return None


def _retry_delay(exc: genai_errors.APIError) -> float | None:
    """Seconds to wait from a `Retry-After` header or the body's `RetryInfo.retryDelay` ("20s")."""
    headers = getattr(exc.response, "headers", None) or {}
    header = headers.get("retry-after")
    if header:
        try:
            return float(header)
        except ValueError:
            pass
    match = re.search(r"retryDelay['\"]?\s*:\s*['\"]([\d.]+)s", str(exc.details))
    return float(match.group(1)) if match else None


class GoogleImagesProvider:
    """Gemini image models: text (+ reference images) in, one image out, cost from `usageMetadata`."""

    provider_id = "google"

    def __init__(
        self, *, model: str, api_key: str | None, base_url: str | None = None, timeout_s: float = 120.0
    ) -> None:
        self.model = model
        self._spec = model_spec(model)
        self.capabilities = self._spec.capabilities
        self.prices = self._spec.prices
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._client: genai.Client | None = None

    def is_configured(self) -> bool:
        """True when an API key is set."""
        return bool(self._api_key)

    def output_size(self, width: int, height: int, quality: str) -> tuple[str, str | None, int, int]:
        """(aspect ratio, imageSize tier or None, produced width, produced height) for a request.

        The tier is the smallest whose long side covers the requested long side; "hd" asks for at least 2K.
        """
        ratio = nearest_ratio(width, height, self.capabilities.aspect_ratios)
        base_w, base_h = self._spec.sizes_1k[ratio]
        chosen: str | None = None
        for tier in self._spec.tiers:
            chosen = tier
            enough = max(base_w, base_h) * TIER_SCALE[tier] >= max(width, height)
            if enough and (quality != "hd" or TIER_SCALE[tier] >= 2):
                break
        scale = TIER_SCALE[chosen] if chosen else 1
        return ratio, chosen, base_w * scale, base_h * scale

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """List price of the image this model would produce for this request."""
        _, _, out_w, out_h = self.output_size(width, height, quality)
        return self.prices.price(out_w, out_h, quality)

    def _client_or_build(self) -> genai.Client:
        if self._client is None:
            from google import genai
            from google.genai import types

            # One attempt only: retries live in the layer above, which must see every failure.
            options = types.HttpOptions(
                base_url=self._base_url,
                timeout=int(self._timeout_s * 1000),
                retry_options=types.HttpRetryOptions(attempts=1),
            )
            self._client = genai.Client(api_key=self._api_key, http_options=options)
        return self._client

    def _fail(self, message: str, kind: str, retry_after: float | None = None) -> ProviderError:
        return ProviderError(
            f"google {self.model}: {message}", provider=self.provider_id, kind=kind, retry_after=retry_after
        )

    def _api_error(self, exc: genai_errors.APIError) -> ProviderError:
        text = f"{exc.code} {exc.status}: {exc.message}"
        if exc.code in (401, 403) or "API_KEY_INVALID" in str(exc.details):
            return self._fail(text, "auth")  # the Gemini API answers a bad key with 400 API_KEY_INVALID
        if exc.code == 429:
            return self._fail(text, "rate_limit", _retry_delay(exc))
        if exc.code in (408, 504):
            return self._fail(text, "timeout")
        if exc.code >= 500:
            return self._fail(text, "transient")
        return self._fail(text, "invalid")

    def _contents(self, request: ImageRequest) -> list[Any]:
        from google.genai import types
        from PIL import Image, UnidentifiedImageError

        parts: list[Any] = [request.prompt]
        for data in request.reference_images:
            try:
                fmt = Image.open(io.BytesIO(data)).format or ""
            except UnidentifiedImageError as exc:
                raise self._fail("a reference image is not a readable image", "invalid") from exc
            parts.append(types.Part.from_bytes(data=data, mime_type=Image.MIME.get(fmt, "image/png")))
        return parts

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Make one image; refusals, errors and missing images become ProviderError."""
        from google.genai import errors as genai_errors
        from google.genai import types

        if not self._api_key:
            # Checked here because the SDK would otherwise fall back to GOOGLE_API_KEY from the environment.
            raise self._fail("no API key configured", "auth")
        if len(request.prompt) > self.capabilities.max_prompt_length:
            raise self._fail(
                f"prompt is {len(request.prompt)} characters; the limit is "
                f"{self.capabilities.max_prompt_length}",
                "invalid",
            )
        if len(request.reference_images) > self._spec.max_reference_images:
            raise self._fail(
                f"{len(request.reference_images)} reference images; the model takes at most "
                f"{self._spec.max_reference_images}",
                "invalid",
            )
        ratio, tier, _, _ = self.output_size(request.width, request.height, request.quality)
        image_config = types.ImageConfig(aspect_ratio=ratio, image_size=tier)
        config = types.GenerateContentConfig(response_modalities=["IMAGE"], image_config=image_config)
        try:
            response = self._client_or_build().models.generate_content(
                model=self.model, contents=self._contents(request), config=config
            )
        except genai_errors.APIError as exc:
            raise self._api_error(exc) from exc
        except ProviderError:
            raise
        except Exception as exc:
            kind = _http_failure(exc)
            if kind is None and not isinstance(exc, ValueError):  # ValueError: an unparsable answer
                raise
            raise self._fail(f"{type(exc).__name__}: {exc}", kind or "transient") from exc
        return self._image(response, request, ratio, tier)

    def _image(
        self, response: types.GenerateContentResponse, request: ImageRequest, ratio: str, tier: str | None
    ) -> GeneratedImage:
        from PIL import Image

        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            reason = getattr(feedback.block_reason, "value", feedback.block_reason)
            raise self._fail(
                f"prompt blocked ({reason}) {feedback.block_reason_message or ''}".strip(), "refusal"
            )
        if not response.candidates:
            raise self._fail("the answer has no candidates", "transient")
        candidate = response.candidates[0]
        parts = candidate.content.parts if candidate.content and candidate.content.parts else []
        blob = next((p.inline_data for p in parts if p.inline_data and p.inline_data.data), None)
        if blob is None or blob.data is None:
            reason = str(getattr(candidate.finish_reason, "value", candidate.finish_reason))
            said = " ".join(p.text for p in parts if p.text)
            kind = "refusal" if reason in REFUSALS else "transient"
            raise self._fail(f"no image returned (finish_reason {reason}) {said}".strip(), kind)
        try:
            with Image.open(io.BytesIO(blob.data)) as decoded:
                width, height = decoded.size
        except Exception as exc:
            raise self._fail(f"the returned image does not decode ({exc})", "transient") from exc
        cost, basis = self._cost(response, width, height, request.quality)
        extra = {"cost_basis": basis, "aspect_ratio": ratio}
        if tier:
            extra["image_size"] = tier
        return GeneratedImage(
            data=blob.data,
            mime=blob.mime_type or "image/png",
            width=width,
            height=height,
            provider=self.provider_id,
            model=self.model,
            seed=None,
            cost_usd=cost,
            vendor_ref=response.response_id,
            extra=extra,
        )

    def _cost(
        self, response: types.GenerateContentResponse, width: int, height: int, quality: str
    ) -> tuple[float, str]:
        """USD from the answer's token usage when reported, else the list price of the produced size."""
        usage = response.usage_metadata
        if usage is None or not usage.candidates_token_count:
            return self.prices.price(width, height, quality), f"list price ({self.prices.as_of})"
        output = usage.candidates_token_count
        details = usage.candidates_tokens_details or []
        image = sum(d.token_count or 0 for d in details if getattr(d.modality, "value", None) == "IMAGE")
        image = image if details else output
        text = output - image + (usage.thoughts_token_count or 0)
        prompt = usage.prompt_token_count or 0
        rates = self._spec
        cost = (
            prompt * rates.input_per_m + image * rates.image_output_per_m + text * rates.text_output_per_m
        ) / 1e6
        basis = (
            f"usageMetadata: {prompt} input × ${rates.input_per_m}/M + {image} image × "
            f"${rates.image_output_per_m}/M + {text} text × ${rates.text_output_per_m}/M "
            f"({self.prices.as_of})"
        )
        return round(cost, 6), basis
