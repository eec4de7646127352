"""Typed generation requests: settings, sizes, and the plan a generation follows."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from designer_bff.domain.spec import CamelModel, GarmentSpec
from designer_bff.errors import InvalidInput

Quality = Literal["standard", "hd"]
Strategy = Literal["balanced", "quality_first", "cost_optimized", "speed_optimized"]
_LONG_SIDE = {"standard": 1024, "hd": 1536}


class GenerationSettings(CamelModel):
    """Per-request settings: provider, size (aspect ratio or explicit), quality, seed."""

    provider: str | None = Field(None, max_length=64, description="Provider id; default: the deployment's.")
    aspect_ratio: str | None = Field(None, description="e.g. '1:1', '3:4', '16:9'.")
    size: str | None = Field(None, description="Explicit 'WIDTHxHEIGHT', e.g. '768x1024'.")
    quality: Quality = "standard"
    strategy: Strategy | None = Field(None, description="Routing strategy; default: the deployment's.")
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="Fixes every random choice.")
    overgeneration: float | None = Field(
        None, ge=0, le=2, description="Extra candidates per kept image (default: the deployment's, 0.2)."
    )
    tradeoff: float | None = Field(
        None, ge=0, le=1, description="Quality–diversity trade-off of the selection (default 0.7)."
    )

    @field_validator("aspect_ratio")
    @classmethod
    def _ratio(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = re.fullmatch(r"\s*(\d{1,2})\s*:\s*(\d{1,2})\s*", value)
        if not match or int(match[1]) == 0 or int(match[2]) == 0:
            raise ValueError("aspectRatio must look like '3:4' (two whole numbers 1..99)")
        w, h = int(match[1]), int(match[2])
        if max(w / h, h / w) > 4:
            raise ValueError("aspectRatio must be between 1:4 and 4:1")
        return f"{w}:{h}"

    @field_validator("size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = re.fullmatch(r"\s*(\d{2,4})\s*[xX×]\s*(\d{2,4})\s*", value)
        if not match:
            raise ValueError("size must look like '1024x1024'")
        return f"{int(match[1])}x{int(match[2])}"

    @model_validator(mode="after")
    def _one_of(self) -> GenerationSettings:
        if self.aspect_ratio and self.size:
            raise ValueError("give either aspectRatio or size, not both")
        return self

    def candidates_for(self, keep: int) -> int:
        """Candidates to make so that `keep` are kept: ⌈keep × (1 + over-generation)⌉."""
        import math

        # round() first: 100 × 1.2 is 120.00000000000001 in floating point, which would ceil to 121.
        return math.ceil(round(keep * (1 + (self.overgeneration or 0.0)), 6))

    def ratio(self) -> str:
        """The aspect ratio asked for ('W:H' in lowest terms), from aspectRatio or size; default 1:1."""
        import math

        if self.size:
            w, h = (int(v) for v in self.size.split("x"))
            g = math.gcd(w, h)
            return f"{w // g}:{h // g}"
        return self.aspect_ratio or "1:1"

    def dimensions(self, *, min_side: int, max_side: int) -> tuple[int, int]:
        """Pixel size for this request within a provider's limits (InvalidInput when out of range)."""
        if self.size:
            w, h = (int(v) for v in self.size.split("x"))
            if not (min_side <= w <= max_side and min_side <= h <= max_side):
                raise InvalidInput(
                    f"size {self.size} is outside {min_side}..{max_side} px per side", field="settings.size"
                )
            return w, h
        rw, rh = (int(v) for v in (self.aspect_ratio or "1:1").split(":"))
        long_side = min(_LONG_SIDE[self.quality], max_side)
        # Round to multiples of 8: most image models (and JPEG/WebP blocks) prefer them.
        if rw >= rh:
            return long_side, max(min_side, round(long_side * rh / rw / 8) * 8)
        return max(min_side, round(long_side * rw / rh / 8) * 8), long_side


class RoutePrompt(CamelModel):
    """The prompt and negative prompt rendered for one route's model family."""

    prompt: str
    negative_prompt: str


class PlannedImage(CamelModel):
    """One image slot of a generation: what to make and how."""

    slot: int
    source: int = Field(0, description="Which given spec/record this image varies (0 for prompts).")
    spec: GarmentSpec
    prompt: str
    negative_prompt: str
    seed: int
    width: int
    height: int
    quality: Quality
    route: str | None = Field(None, description="provider:model chosen by routing (None: the plan's).")
    fallbacks: list[str] = Field(default_factory=list, description="Routes to try next, in order.")
    prompts: dict[str, RoutePrompt] = Field(
        default_factory=dict, description="The prompt rendered for each route this slot may use."
    )
    modifiers: list[str] = Field(default_factory=list, description="Prompt modifier ids chosen (stage 7).")
    persona: str | None = Field(None, description="The persona the request was matched to (stage 5).")
    persona_name: str | None = Field(None, description="That persona's name.")
    cluster: int | None = Field(None, description="The profile direction an exploratory slot came from.")
    direction: str | None = Field(None, description="That direction's name (e.g. 'Fluid Evening').")

    def prompt_for(self, route: str) -> RoutePrompt:
        """The prompt rendered for `route` (the planned one when the route was not planned for)."""
        return self.prompts.get(route) or RoutePrompt(
            prompt=self.prompt, negative_prompt=self.negative_prompt
        )


class GenerationPlan(CamelModel):
    """Everything a generation will make; stored so a resumed job makes exactly the same images."""

    provider: str
    model: str
    items: list[PlannedImage]
    warnings: list[str] = Field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Compact description for `pipeline_data`."""
        return {"provider": self.provider, "model": self.model, "images": len(self.items)}
