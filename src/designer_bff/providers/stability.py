"""Stability AI's Stable Image models (REST v2beta `stable-image/generate`) over httpx: translation only.

There is no maintained official Python SDK for the v2beta REST API (`stability-sdk` is the retired gRPC
client), so this adapter speaks the documented HTTP API directly with httpx: a multipart/form-data POST
to `/v2beta/stable-image/generate/{ultra|core|sd3}` with `Accept: image/*`, answered with the image bytes
and `seed` / `finish-reason` headers, or with an error `{"id", "name", "errors": [...]}`. The API takes
no idempotency key, and reports no usage: cost is the model's flat credit price. No retries here.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import Capabilities, GeneratedImage, ImageRequest, Price, PriceTable

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api.stability.ai"
ASPECT_RATIOS = ("1:1", "16:9", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
MAX_SEED = 4_294_967_294  # the API's documented seed range is 0..4294967294 (0 = pick one at random)
USD_PER_CREDIT = 0.01
# Without a Retry-After header: the docs say a client over the limit is "timed out for 60 seconds".
DEFAULT_RATE_LIMIT_WAIT_S = 60.0
PRICES_AS_OF = "2026-11-21"
PRICES_SOURCE = (
    "https://platform.stability.ai/pricing (credits per generation as tabulated, June 2026, at "
    "https://developer.puter.com/tutorials/stability-ai-api-pricing/)"
)


@dataclass(frozen=True)
class _Model:
    endpoint: str  # the path segment after /generate/
    form_model: str | None  # the `model` form field (the sd3 endpoint serves several models)
    credits: float
    negative_prompt: bool
    typical_latency_s: float


MODELS: dict[str, _Model] = {
    "stable-image-ultra": _Model("ultra", None, 8.0, True, 12.0),
    "stable-image-core": _Model("core", None, 3.0, True, 5.0),
    "sd3.5-large": _Model("sd3", "sd3.5-large", 6.5, True, 9.0),
    # The docs: negative_prompt "does not work with" the turbo model, so it is not sent there.
    "sd3.5-large-turbo": _Model("sd3", "sd3.5-large-turbo", 4.0, False, 4.0),
    "sd3.5-medium": _Model("sd3", "sd3.5-medium", 3.5, True, 6.0),
}


def nearest_aspect_ratio(width: int, height: int) -> str:
    """The API's aspect ratio closest to width:height (compared on a log scale, so 2:1 and 1:2 are even)."""
    wanted = math.log(width / height)
    return min(
        ASPECT_RATIOS, key=lambda r: abs(math.log(int(r.split(":")[0]) / int(r.split(":")[1])) - wanted)
    )


class StabilityProvider:
    """One Stability stable-image model behind `generate`."""

    provider_id = "stability"
    model: str
    capabilities: Capabilities
    prices: PriceTable

    def __init__(
        self, *, model: str, api_key: str | None, base_url: str | None = None, timeout_s: float = 120.0
    ) -> None:
        if model not in MODELS:
            raise ConfigurationError(f"stability: unknown model {model!r}; known: {', '.join(MODELS)}")
        self.model = model
        self._spec = MODELS[model]
        self.capabilities = Capabilities(
            negative_prompt=self._spec.negative_prompt,
            aspect_ratios=ASPECT_RATIOS,
            max_prompt_length=10_000,
            images_per_call=1,
            seed=True,
            min_side=640,
            max_side=1536,
            # The API has no quality knob: both tiers get the model's one output at the same price.
            qualities=("standard", "hd"),
            typical_latency_s=self._spec.typical_latency_s,
            prompt_family="sd",  # v2beta reads "(word:weight)"
        )
        usd = round(self._spec.credits * USD_PER_CREDIT, 4)
        self.prices = PriceTable(as_of=PRICES_AS_OF, source=PRICES_SOURCE, rows=(Price(usd),))
        self._api_key = api_key
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._timeout_s = timeout_s
        self._client: httpx.Client | None = None

    def is_configured(self) -> bool:
        """True when an API key is set."""
        return bool(self._api_key)

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """The model's flat price per image (credits × $0.01), whatever the size and quality."""
        return self.prices.price(width, height, quality)

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Make one image; raises ProviderError with the vendor's own message on any failure."""
        import httpx

        self._check(request)
        # The API takes an aspect ratio, not pixels: it renders ~1 MP at the nearest supported ratio.
        ratio = nearest_aspect_ratio(request.width, request.height)
        # Folded into the API's range; 0 asks the vendor to pick one, which its `seed` header then reports.
        seed = request.seed % (MAX_SEED + 1)
        form = {"prompt": request.prompt, "aspect_ratio": ratio, "seed": str(seed), "output_format": "png"}
        if request.negative_prompt and self._spec.negative_prompt:
            form["negative_prompt"] = request.negative_prompt
        if self._spec.form_model:
            form["model"] = self._spec.form_model
        # (None, value) parts: plain form fields, yet always multipart/form-data as the API requires.
        files = {name: (None, value) for name, value in form.items()}
        url = f"{self._base_url}/v2beta/stable-image/generate/{self._spec.endpoint}"
        try:
            response = self._get_client().post(url, files=files)
        except httpx.TimeoutException as exc:
            raise self._fail(
                f"no answer within {self._timeout_s:g} s ({type(exc).__name__})", "timeout"
            ) from exc
        except httpx.TransportError as exc:
            raise self._fail(f"connection failed: {exc!r}", "transient") from exc
        if response.status_code != 200:
            raise self._status_error(response)
        finish = response.headers.get("finish-reason", "SUCCESS")
        if finish == "CONTENT_FILTERED":
            raise self._fail(
                "the output was blocked by the content filter (finish-reason CONTENT_FILTERED)", "refusal"
            )
        if finish != "SUCCESS":
            raise self._fail(f"generation finished with {finish!r}", "transient")
        data = response.content
        width, height, mime = self._decode(data)
        used_seed = response.headers.get("seed", "")
        usd = self.prices.price(width, height, request.quality)
        basis = f"price table: {self._spec.credits:g} credits × ${USD_PER_CREDIT} ({PRICES_AS_OF})"
        return GeneratedImage(
            data=data,
            mime=mime,
            width=width,
            height=height,
            provider=self.provider_id,
            model=self.model,
            seed=int(used_seed) if used_seed.isdigit() else seed,
            cost_usd=usd,
            vendor_ref=response.headers.get("x-request-id"),
            extra={
                "aspect_ratio": ratio,
                "endpoint": self._spec.endpoint,
                "cost_basis": basis,
            },
        )

    def _check(self, request: ImageRequest) -> None:
        if not self._api_key:
            raise self._fail("no API key is configured (STABILITY_API_KEY)", "auth")
        limit = self.capabilities.max_prompt_length
        if not request.prompt or len(request.prompt) > limit:
            raise self._fail(
                f"the prompt has {len(request.prompt)} characters; allowed 1..{limit}", "invalid"
            )
        if request.quality not in self.capabilities.qualities:
            raise self._fail(
                f"quality {request.quality!r} is not one of {self.capabilities.qualities}", "invalid"
            )
        if request.reference_images:
            raise self._fail("this adapter takes no reference images", "invalid")

    def _get_client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                timeout=self._timeout_s,
                headers={"Authorization": f"Bearer {self._api_key}", "Accept": "image/*"},
            )
        return self._client

    def _decode(self, data: bytes) -> tuple[int, int, str]:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return image.width, image.height, Image.MIME.get(image.format or "", "image/png")
        except (ValueError, OSError, SyntaxError) as exc:  # what Pillow raises on truncated or foreign data
            raise self._fail(f"the image data does not decode ({exc})", "transient") from exc

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            errors = body.get("errors")
            name = str(body.get("name", ""))
            detail = "; ".join(map(str, errors)) if isinstance(errors, list) else str(errors or "")
            text = f"{detail or name} (HTTP {status}, {name or 'no name'}, id {body.get('id')})"
        else:
            name, text = "", f"{response.text[:300]!r} (HTTP {status})"
        if status == 403 and name == "content_moderation":
            return self._fail(text, "refusal")
        if status in (401, 402, 403):
            # 402 means the account has no credits left: waiting will not help, fixing the account will.
            return self._fail(text, "auth")
        if status == 429:
            wait = _seconds(response.headers.get("retry-after"))
            return self._fail(
                text, "rate_limit", retry_after=DEFAULT_RATE_LIMIT_WAIT_S if wait is None else wait
            )
        if status >= 500:
            return self._fail(text, "transient")
        if status == 408:
            return self._fail(text, "timeout")
        return self._fail(text, "invalid")

    def _fail(self, message: str, kind: str, *, retry_after: float | None = None) -> ProviderError:
        return ProviderError(
            f"stability {self.model}: {message}",
            provider=self.provider_id,
            kind=kind,
            retry_after=retry_after,
        )


def _seconds(value: str | None) -> float | None:
    """A Retry-After given in seconds (the API sends no dates); None when absent or unreadable."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
