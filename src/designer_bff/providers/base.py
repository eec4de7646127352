"""What every image provider adapter is: a Protocol, its request/response types and capabilities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from designer_bff.domain.spec import GarmentSpec


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
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ImageProvider(Protocol):
    """An adapter that only translates one vendor's API into `generate`."""

    provider_id: str
    model: str
    capabilities: Capabilities

    def is_configured(self) -> bool:
        """True when keys/weights needed to call it are present."""
        ...

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """Price of one image of this size and quality."""
        ...

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Make one image (raises ProviderError on failure)."""
        ...
