"""The offline `tech-flat` provider: technical flat sketches rendered from the spec, no network, no cost."""

from __future__ import annotations

from designer_bff.providers.base import FREE, Capabilities, GeneratedImage, ImageRequest


class TechFlatProvider:
    """Draws the garment a spec describes as clean tech-pack line art (SVG → PNG)."""

    provider_id = "tech-flat"
    model = "tech-flat-v1"
    capabilities = Capabilities(
        negative_prompt=False,
        aspect_ratios=("1:1", "3:4", "4:3", "2:3", "3:2", "9:16", "16:9", "4:5", "5:4"),
        max_prompt_length=100_000,
        seed=True,
        qualities=("standard", "hd"),
        typical_latency_s=0.2,
        prompt_family="tech-flat",
        vendor_quota=False,  # renders in-process: no per-minute quota to respect
    )
    prices = FREE

    def is_configured(self) -> bool:
        """Always available: it needs no key and no weights."""
        return True

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """Rendering locally costs nothing."""
        return 0.0

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Render the request's spec (the prompt text is not needed: the spec is the source of truth)."""
        from designer_bff.techflat import render_png

        data = render_png(request.spec, seed=request.seed, width=request.width, height=request.height)
        return GeneratedImage(
            data=data,
            mime="image/png",
            width=request.width,
            height=request.height,
            provider=self.provider_id,
            model=self.model,
            seed=request.seed,
            cost_usd=0.0,
        )
