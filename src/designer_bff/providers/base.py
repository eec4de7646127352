"""What every image provider adapter is: a Protocol, its request/response types and capabilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from designer_bff.domain.spec import GarmentSpec

# How a model wants its prompt (stage 6 renders one per family): "sd" = weighted tags "(silk:1.2)" in
# CLIP 77-token windows; "sd-plain" = the same tags without weight syntax (pipelines that do not parse
# it); "flux"/"imagen"/"dalle"/"gpt-image"/"gemini" = natural prose in each model's register;
# "tech-flat" = the offline renderer, which reads the spec and only shows the prompt.
PromptFamily = Literal["sd", "sd-plain", "flux", "imagen", "dalle", "gpt-image", "gemini", "tech-flat"]


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do; routing filters on these."""

    negative_prompt: bool
    aspect_ratios: tuple[str, ...]
    max_prompt_length: int
    images_per_call: int = 1
    reference_images: bool = False
    seed: bool = False
    min_side: int = 64
    max_side: int = 2048
    qualities: tuple[str, ...] = ("standard",)
    # Prior for the routing speed term until latencies have been observed.
    typical_latency_s: float = 10.0
    prompt_family: PromptFamily = "gpt-image"
    # Whether calls count against a vendor's requests-per-minute quota. An in-process renderer has no
    # such quota, so the default rpm limit (meant for vendor APIs) would only throttle it for nothing;
    # an rpm set for it in `provider_limits` still applies.
    vendor_quota: bool = True


@dataclass(frozen=True)
class Price:
    """One row of a price table: USD per image for a quality (None = any) up to a pixel count."""

    usd: float
    quality: str | None = None
    max_pixels: int | None = None


@dataclass(frozen=True)
class PriceTable:
    """A model's list prices per image, dated: `as_of` is when they were checked at `source`."""

    as_of: str
    source: str
    rows: tuple[Price, ...]

    def price(self, width: int, height: int, quality: str) -> float:
        """The first row matching this quality and size; the last row is the catch-all."""
        pixels = width * height
        for row in self.rows:
            if row.quality not in (None, quality):
                continue
            if row.max_pixels is not None and pixels > row.max_pixels:
                continue
            return row.usd
        return self.rows[-1].usd


FREE = PriceTable(as_of="2026-11-21", source="runs locally", rows=(Price(0.0),))


@dataclass(frozen=True)
class ImageRequest:
    """One image to make. `idempotency_key` is stable across retries and re-runs of the same slot."""

    prompt: str
    negative_prompt: str | None
    spec: GarmentSpec
    width: int
    height: int
    seed: int
    quality: str
    idempotency_key: str
    reference_images: tuple[bytes, ...] = ()
    # Asynchronous vendors (Replicate, ComfyUI): a job id from an earlier attempt to resume instead of
    # paying for a new one, and a callback told the id as soon as a new job is submitted.
    vendor_ref: str | None = None
    on_submitted: Callable[[str], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class GeneratedImage:
    """A provider's answer: encoded image bytes plus what it cost."""

    data: bytes
    mime: str
    width: int
    height: int
    provider: str
    model: str
    seed: int | None
    cost_usd: float
    revised_prompt: str | None = None
    vendor_ref: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ImageProvider(Protocol):
    """An adapter that only translates one vendor's API into `generate`."""

    provider_id: str
    model: str
    capabilities: Capabilities
    prices: PriceTable

    def is_configured(self) -> bool:
        """True when keys/weights needed to call it are present."""
        ...

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """List price of one image of this size and quality (from `prices`)."""
        ...

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Make one image; `cost_usd` is what the vendor confirmed (raises ProviderError on failure)."""
        ...
