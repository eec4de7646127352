"""Replicate: any image model by slug through the official `replicate` SDK (predictions, polled).

Inputs are shaped per model family (Imagen 4, Stable Diffusion 3.5, FLUX, or a generic prompt/width/height
fallback). A prediction's id is reported through `request.on_submitted` as soon as it exists, and a
request that carries `vendor_ref` resumes polling that prediction instead of paying for a new one.
"""

from __future__ import annotations

import io
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from designer_bff.errors import ProviderError
from designer_bff.providers.base import Capabilities, GeneratedImage, ImageRequest, Price, PriceTable

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.prediction import Prediction

PRICING_URL = "https://replicate.com/pricing"
# Nvidia L40S, the usual image-model GPU (replicate.com/pricing as of 2026-05-04): community models bill
# by the second, so their cost is metrics.predict_time × this rate.
L40S_USD_PER_SECOND = 0.000975
# Official models bill per output image: (USD, date checked). FLUX from replicate.com/pricing; Imagen 4
# Ultra and SD 3.5 Large from their model pages' listed price.
OFFICIAL_PRICES: dict[str, tuple[float, str]] = {
    "google/imagen-4-ultra": (0.06, "2026-11-21"),
    "stability-ai/stable-diffusion-3.5-large": (0.065, "2026-11-21"),
    "black-forest-labs/flux-1.1-pro": (0.04, "2026-10-07"),
    "black-forest-labs/flux-dev": (0.025, "2026-10-07"),
    "black-forest-labs/flux-schnell": (0.003, "2026-10-07"),
}
# Error texts of failed predictions that mean a safety filter said no.
REFUSAL = re.compile(r"nsfw|safety|sensitive|flagged|content polic|prohibited|E005", re.IGNORECASE)
VALIDATION = re.compile(r"input validation|invalid input|must be one of|is required", re.IGNORECASE)


@dataclass(frozen=True)
class Family:
    """How one model family is called: its capabilities and its input builder."""

    capabilities: Capabilities
    build: Callable[[ImageRequest, str, str], dict[str, Any]]  # (request, aspect ratio, slug) → input


def _imagen(req: ImageRequest, ratio: str, slug: str) -> dict[str, Any]:
    # block_only_high is Replicate's default and the most lenient level Google allows.
    return {
        "prompt": req.prompt,
        "aspect_ratio": ratio,
        "safety_filter_level": "block_only_high",
        "output_format": "png",
    }


def _sd35(req: ImageRequest, ratio: str, slug: str) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "prompt": req.prompt,
        "aspect_ratio": ratio,
        "seed": req.seed,
        "output_format": "png",
    }
    if slug.endswith("stable-diffusion-3.5-large"):
        inputs["cfg"] = 3.5  # the model card's guidance, pinned so a changed default cannot drift results
    if req.negative_prompt:
        inputs["negative_prompt"] = req.negative_prompt
    return inputs


def _flux(req: ImageRequest, ratio: str, slug: str) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "prompt": req.prompt,
        "aspect_ratio": ratio,
        "seed": req.seed,
        "output_format": "png",
    }
    steps = {"black-forest-labs/flux-dev": 28, "black-forest-labs/flux-schnell": 4}.get(slug)
    if steps:
        inputs.update(num_inference_steps=steps, num_outputs=1)
    return inputs


def _generic(req: ImageRequest, ratio: str, slug: str) -> dict[str, Any]:
    # Most community models take pixel sizes in multiples of 8.
    return {"prompt": req.prompt, "width": req.width // 8 * 8, "height": req.height // 8 * 8}


SD_RATIOS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "9:16", "9:21")
FAMILIES: dict[str, Family] = {
    # Google's prompt limit is 480 tokens (~1900 characters); no seed or negative prompt on Replicate.
    "imagen": Family(
        Capabilities(
            negative_prompt=False,
            aspect_ratios=("1:1", "3:4", "4:3", "9:16", "16:9"),
            max_prompt_length=1900,
            max_side=1408,
            typical_latency_s=12.0,
            prompt_family="imagen",
        ),
        _imagen,
    ),
    # SD 3.5 reads ~256 T5 tokens (~1000 characters); ~1 megapixel outputs.
    "sd35": Family(
        Capabilities(
            negative_prompt=True,
            aspect_ratios=SD_RATIOS,
            max_prompt_length=1000,
            seed=True,
            max_side=1536,
            typical_latency_s=8.0,
            prompt_family="sd",
        ),
        _sd35,
    ),
    # FLUX reads 512 T5 tokens (~2000 characters) and has no negative prompt.
    "flux": Family(
        Capabilities(
            negative_prompt=False,
            aspect_ratios=("1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3"),
            max_prompt_length=2000,
            seed=True,
            max_side=1440,
            typical_latency_s=5.0,
            prompt_family="flux",
        ),
        _flux,
    ),
    "generic": Family(
        Capabilities(
            negative_prompt=False,
            aspect_ratios=("1:1", "3:4", "4:3", "2:3", "3:2", "9:16", "16:9"),
            max_prompt_length=2000,
            max_side=2048,
            typical_latency_s=15.0,
            prompt_family="flux",
        ),
        _generic,
    ),
}


def nearest_ratio(width: int, height: int, ratios: tuple[str, ...]) -> str:
    """The supported aspect ratio closest to width:height (compared on a log scale, so 2:1 ≈ 1:2)."""

    def distance(ratio: str) -> float:
        w, h = (int(x) for x in ratio.split(":"))
        return abs(math.log((width / height) / (w / h)))

    return min(ratios, key=distance)


def family_of(slug: str) -> str:
    """The input family of a model slug (`owner/name` or `owner/name:version`)."""
    name = slug.split(":")[0].lower()
    for prefix, family in (
        ("google/imagen-4", "imagen"),
        ("stability-ai/stable-diffusion-3.5", "sd35"),
        ("black-forest-labs/flux-", "flux"),
    ):
        if name.startswith(prefix):
            return family
    return "generic"


class ReplicateProvider:
    """One Replicate model: create (or resume) a prediction, poll it, download its first output."""

    provider_id = "replicate"

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None,
        base_url: str | None = None,
        timeout_s: float = 120.0,
        poll_interval_s: float = 0.5,
        usd_per_second: float = L40S_USD_PER_SECOND,
    ) -> None:
        self.model = model
        self._name, _, self._version = model.partition(":")
        self._family = FAMILIES[family_of(model)]
        self.capabilities = self._family.capabilities
        price = OFFICIAL_PRICES.get(self._name) if not self._version else None
        self._per_image = price[0] if price else None
        self._per_second = usd_per_second
        if price:
            self.prices = PriceTable(price[1], f"https://replicate.com/{self._name}", (Price(price[0]),))
        else:  # billed by time: priced at the typical run time until metrics say otherwise
            estimate = round(usd_per_second * self.capabilities.typical_latency_s, 4)
            self.prices = PriceTable("2026-05-04", PRICING_URL, (Price(estimate),))
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._poll_interval_s = poll_interval_s
        self._client: Client | None = None
        self._files: httpx.Client | None = None
        self._seen = threading.local()  # the Retry-After of this thread's last answer

    def is_configured(self) -> bool:
        """True when an API token is set."""
        return bool(self._api_key)

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """List price of one image (Replicate's official models charge per image whatever its size)."""
        return self.prices.price(width, height, quality)

    def _remember_retry_after(self, response: httpx.Response) -> None:
        # The SDK's ReplicateError drops headers, so note Retry-After before it raises.
        self._seen.retry_after = response.headers.get("retry-after")

    @staticmethod
    def _bound_timeout(timeout: httpx.Timeout) -> Callable[[httpx.Request], None]:
        def hook(request: httpx.Request) -> None:
            # predictions.create sends timeout=None, which httpx takes as "no limit": restore ours.
            if request.extensions.get("timeout", {}).get("read", 0) is None:
                request.extensions["timeout"] = timeout.as_dict()

        return hook

    def _api(self) -> Client:
        if self._client is None:
            from replicate.client import Client

            timeout = httpx.Timeout(self._timeout_s)
            hooks = {"request": [self._bound_timeout(timeout)], "response": [self._remember_retry_after]}
            # The SDK wraps its transport in a RetryTransport (429/503 on reads, up to 10 tries); a mount
            # for every URL takes precedence over it, so each failure reaches the retry layer above.
            self._client = Client(
                api_token=self._api_key,
                base_url=self._base_url,
                timeout=timeout,
                mounts={"all://": httpx.HTTPTransport()},
                event_hooks=hooks,
            )
        return self._client

    def _fail(self, message: str, kind: str, retry_after: float | None = None) -> ProviderError:
        return ProviderError(
            f"replicate {self.model}: {message}",
            provider=self.provider_id,
            kind=kind,
            retry_after=retry_after,
        )

    def _translate(self, exc: Exception) -> ProviderError:
        """A ProviderError for anything the SDK or httpx raised."""
        from replicate.exceptions import ReplicateError

        if isinstance(exc, ReplicateError):
            text = f"{exc.status} {exc.title}: {exc.detail}"
            status = exc.status or 0
            if status in (401, 403):
                return self._fail(text, "auth")
            if status == 429:
                header = getattr(self._seen, "retry_after", None)
                found = re.search(r"available in (\d+(?:\.\d+)?) second", exc.detail or "")
                delay = float(header) if header and re.fullmatch(r"\d+(\.\d+)?", header) else None
                return self._fail(text, "rate_limit", delay or (float(found.group(1)) if found else None))
            if status in (408, 504):
                return self._fail(text, "timeout")
            return self._fail(text, "transient" if status >= 500 else "invalid")
        if isinstance(exc, httpx.TimeoutException):
            return self._fail(f"{type(exc).__name__}: {exc}", "timeout")
        if isinstance(exc, httpx.TransportError | ValueError):  # ValueError: an unparsable answer
            return self._fail(f"{type(exc).__name__}: {exc}", "transient")
        raise exc

    def _create(self, request: ImageRequest) -> Prediction:
        ratio = nearest_ratio(request.width, request.height, self.capabilities.aspect_ratios)
        inputs = self._family.build(request, ratio, self._name)
        api = self._api()
        prediction: Prediction
        if self._version:
            prediction = api.predictions.create(version=self._version, input=inputs)
        else:
            prediction = api.models.predictions.create(model=self._name, input=inputs)
        return prediction

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Make (or resume) one prediction and return its first output image."""
        if not self._api_key:
            # Checked here because the SDK would otherwise fall back to REPLICATE_API_TOKEN.
            raise self._fail("no API token configured", "auth")
        if len(request.prompt) > self.capabilities.max_prompt_length:
            raise self._fail(
                f"prompt is {len(request.prompt)} characters; the limit is "
                f"{self.capabilities.max_prompt_length}",
                "invalid",
            )
        deadline = time.monotonic() + self._timeout_s
        try:
            if request.vendor_ref:
                prediction = self._api().predictions.get(request.vendor_ref)
            else:
                prediction = self._create(request)
                if request.on_submitted:
                    request.on_submitted(prediction.id)
            prediction = self._wait(prediction, deadline)
            data = self._download(prediction, deadline)
        except ProviderError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc
        return self._image(request, prediction, data)

    def _wait(self, prediction: Prediction, deadline: float) -> Prediction:
        """Poll with exponential backoff (0.5 s doubling to 5 s) until the prediction ends or time is up."""
        delay = self._poll_interval_s
        while prediction.status in ("starting", "processing"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._fail(
                    f"prediction {prediction.id} still {prediction.status} after "
                    f"{self._timeout_s:g}s (resume it with vendor_ref)",
                    "timeout",
                )
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0)
            prediction = self._api().predictions.get(prediction.id)
        if prediction.status == "succeeded":
            return prediction
        error = str(prediction.error or prediction.status)
        kind = "refusal" if REFUSAL.search(error) else "invalid" if VALIDATION.search(error) else "transient"
        raise self._fail(f"prediction {prediction.id} {prediction.status}: {error}", kind)

    def _download(self, prediction: Prediction, deadline: float) -> bytes:
        """The first output file (output is one URL or a list of them), fetched within the deadline."""
        output = prediction.output
        url = output[0] if isinstance(output, list) and output else output
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise self._fail(
                f"prediction {prediction.id} succeeded without an output URL ({output!r})", "transient"
            )
        if self._files is None:
            # No token here: output files live on a public CDN and must not receive the API key.
            self._files = httpx.Client(follow_redirects=True)
        response = self._files.get(url, timeout=max(0.1, deadline - time.monotonic()))
        if response.status_code != 200:
            raise self._fail(f"downloading {url} answered {response.status_code}", "transient")
        return response.content

    def _image(self, request: ImageRequest, prediction: Prediction, data: bytes) -> GeneratedImage:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as decoded:
                width, height, fmt = decoded.width, decoded.height, decoded.format or "PNG"
        except Exception as exc:
            message = f"prediction {prediction.id} output does not decode ({exc})"
            raise self._fail(message, "transient") from exc
        metrics = prediction.metrics or {}
        if self._per_image is not None:
            count = int(metrics.get("image_count") or 1)
            cost = count * self._per_image
            basis = f"{count} image(s) × ${self._per_image} list price ({self.prices.as_of})"
        elif metrics.get("predict_time") is not None:
            seconds = float(metrics["predict_time"])
            cost = seconds * self._per_second
            basis = f"metrics.predict_time {seconds:g}s × ${self._per_second}/s"
        else:
            cost, basis = self.prices.price(width, height, request.quality), "estimate (no metrics reported)"
        seed = request.seed if self.capabilities.seed else None
        return GeneratedImage(
            data=data,
            mime=Image.MIME.get(fmt, "image/png"),
            width=width,
            height=height,
            provider=self.provider_id,
            model=self.model,
            seed=seed,
            cost_usd=round(cost, 6),
            vendor_ref=prediction.id,
            extra={"cost_basis": basis},
        )
