"""The `diffusers` provider: Stable Diffusion (1.x/2.x) on the CPU from a local weights directory.

Needs the optional `ml` extra (torch + diffusers + transformers), imported lazily so the studio runs
without it. Weights are only ever read from `weights_dir` (diffusers layout, `model_index.json` at the
top); nothing is downloaded. The pipeline is loaded once per instance, on first use, and one inference runs
at a time per instance (a lock), because a CPU pipeline already uses every core.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import math
import threading
import time
from pathlib import Path
from typing import Any

from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import FREE, Capabilities, GeneratedImage, ImageRequest

ML_MODULES = ("torch", "diffusers", "transformers")
INSTALL_HINT = (
    "pip install torch==2.13.0, then pip install -e '.[ml]' (torch first, so pip takes the CPU wheel)"
)
MIN_SIDE, MAX_SIDE = 64, 1024


class _DeadlinePassed(Exception):
    """Raised between denoising steps to abandon a run that has used up its time."""


def missing_ml_modules() -> list[str]:
    """The `ml` extra's modules that cannot be imported here (found without importing them: torch is slow)."""
    return [name for name in ML_MODULES if importlib.util.find_spec(name) is None]


def fit_size(width: int, height: int) -> tuple[int, int]:
    """Sides rounded to multiples of 8 (the VAE works on 1/8-scale latents) and kept in 64..1024."""
    w, h = (min(MAX_SIDE, max(MIN_SIDE, int(side / 8 + 0.5) * 8)) for side in (width, height))
    return w, h


def has_safety_checker(weights_dir: Path) -> bool:
    """Whether the weights ship a safety checker (listed in model_index.json and present on disk)."""
    try:
        entry = json.loads((weights_dir / "model_index.json").read_text()).get("safety_checker")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(entry, list) and entry[:1] != [None] and (weights_dir / "safety_checker").is_dir()


class DiffusersProvider:
    """Local Stable Diffusion through `diffusers`: free, deterministic per seed, slow on a CPU."""

    provider_id = "diffusers"
    prices = FREE
    capabilities = Capabilities(
        negative_prompt=True,
        aspect_ratios=("1:1", "3:4", "4:3", "2:3", "3:2", "9:16", "16:9", "4:5", "5:4", "1:2", "2:1"),
        # Longer prompts are encoded in 77-token windows (see `_embed`); this only stops runaways.
        max_prompt_length=2_000,
        seed=True,
        min_side=MIN_SIDE,
        # SD 1.x/2.x were trained at 512-768 px, and a CPU needs minutes per image beyond 1024.
        max_side=MAX_SIDE,
        qualities=("standard", "hd"),  # quality only changes the size the planner asks for
        prompt_family="sd-plain",  # StableDiffusionPipeline reads "(x:1.2)" literally
        typical_latency_s=90.0,  # SD 1.5, 25 steps at 512 px on two CPU cores
        vendor_quota=False,  # runs in-process: only the concurrency limit applies
    )

    def __init__(
        self,
        *,
        weights_dir: Path | None,
        steps: int = 25,
        model: str | None = None,
        timeout_s: float = 600.0,
        guidance_scale: float = 7.0,
    ) -> None:
        self.weights_dir = weights_dir
        self.steps, self.guidance_scale = steps, guidance_scale
        # torch cannot stop a running operation: the timeout is checked between denoising steps (and
        # while waiting for the instance's lock), so a run may overrun it by up to one step.
        self.timeout_s = timeout_s
        self.model = model or (weights_dir.name if weights_dir else "stable-diffusion")
        self._pipeline: Any = None
        self._lock = threading.Lock()

    def is_configured(self) -> bool:
        """True when the weights directory has a model_index.json and the `ml` extra is installed."""
        return (
            self.weights_dir is not None
            and (self.weights_dir / "model_index.json").is_file()
            and not missing_ml_modules()
        )

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """Running locally costs nothing per image."""
        return self.prices.price(*fit_size(width, height), quality)

    def _fail(self, message: str, kind: str) -> ProviderError:
        return ProviderError(f"diffusers ({self.model}): {message}", provider=self.provider_id, kind=kind)

    def _load(self) -> Any:
        """The pipeline, loaded on first use (call with the lock held)."""
        if self._pipeline is not None:
            return self._pipeline
        weights = self.weights_dir
        if weights is None or not (weights / "model_index.json").is_file():
            raise ConfigurationError(
                "the diffusers provider needs diffusers_weights_dir: a Stable Diffusion directory in "
                f"diffusers layout with a model_index.json ({weights or 'not set'} has none)",
                path=str(weights) if weights else None,
            )
        try:
            import torch

            # Through import_module: diffusers ships type hints, and mypy reading them (and torch's) would
            # triple its time for the three calls made here.
            diffusers = importlib.import_module("diffusers")
        except ImportError as exc:
            raise ConfigurationError(
                f"the diffusers provider needs the optional 'ml' extra ({exc.name or exc} is not installed): "
                + INSTALL_HINT,
                extra="ml",
            ) from exc
        pipeline_class = json.loads((weights / "model_index.json").read_text()).get("_class_name")
        if pipeline_class != "StableDiffusionPipeline":
            raise ConfigurationError(
                f"{weights} holds a {pipeline_class}; the diffusers provider runs StableDiffusionPipeline "
                "weights (Stable Diffusion 1.x/2.x)",
                path=str(weights),
            )
        options: dict[str, Any] = {}
        if not has_safety_checker(weights):
            # Weights published without a checker cannot be loaded with one, and diffusers would warn on
            # every load; a checker that ships with the weights is kept and its blocks become refusals.
            options = {"safety_checker": None, "requires_safety_checker": False}
        try:
            pipeline = diffusers.StableDiffusionPipeline.from_pretrained(
                str(weights), local_files_only=True, **options
            )
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise ConfigurationError(
                f"cannot load Stable Diffusion from {weights}: {exc}", path=str(weights)
            ) from exc
        # float32: half precision is slow or unsupported for several ops on CPUs. Cast only weights that came
        # in another precision (diffusers warns on every cast, even a no-op one).
        if pipeline.unet.dtype != torch.float32:
            pipeline.to("cpu", torch.float32)
        pipeline.set_progress_bar_config(disable=True)
        self._pipeline = pipeline
        return pipeline

    def _embed(self, pipeline: Any, texts: tuple[str, str]) -> tuple[Any, Any]:
        """Prompt and negative-prompt embeddings, in as many 77-token CLIP windows as the longer needs.

        The pipeline itself would cut the prompt at 77 tokens without saying so. Instead, like ComfyUI and
        AUTOMATIC1111, each window is encoded on its own (start and end tokens around up to 75 tokens) and the
        windows are concatenated: the UNet's cross-attention takes any sequence length. A prompt that fits
        one window gets exactly the pipeline's own embedding.
        """
        import torch

        tokenizer, encoder = pipeline.tokenizer, pipeline.text_encoder
        window = tokenizer.model_max_length - 2
        ids = [tokenizer(text, add_special_tokens=False, verbose=False).input_ids for text in texts]
        count = max(1, *(math.ceil(len(i) / window) for i in ids))
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        embeddings = []
        for token_ids in ids:
            rows = []
            for start in range(0, count * window, window):
                piece = token_ids[start : start + window]
                rows.append(
                    [tokenizer.bos_token_id, *piece, tokenizer.eos_token_id] + [pad] * (window - len(piece))
                )
            hidden = encoder(torch.tensor(rows))[0]  # (windows, 77, width)
            embeddings.append(hidden.reshape(1, -1, hidden.shape[-1]).to(encoder.dtype))
        return embeddings[0], embeddings[1]

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Denoise `steps` steps from the request's seed; the PNG is deterministic for a seed and prompt."""
        if len(request.prompt) > self.capabilities.max_prompt_length:
            raise self._fail(
                f"prompt of {len(request.prompt)} characters is over {self.capabilities.max_prompt_length}",
                "invalid",
            )
        deadline = time.monotonic() + self.timeout_s
        width, height = fit_size(request.width, request.height)
        if not self._lock.acquire(timeout=max(0.0, self.timeout_s)):
            raise self._fail(f"still busy with another image after {self.timeout_s:g}s", "timeout")
        try:
            output = self._run(self._load(), request, width, height, deadline)
        finally:
            self._lock.release()
        if output.nsfw_content_detected and any(output.nsfw_content_detected):
            raise self._fail("the safety checker shipped with the weights blocked this image", "refusal")
        image = output.images[0]
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return GeneratedImage(
            data=buffer.getvalue(),
            mime="image/png",
            width=image.width,
            height=image.height,
            provider=self.provider_id,
            model=self.model,
            seed=request.seed,
            cost_usd=self.prices.price(image.width, image.height, request.quality),
            extra={"cost_basis": "local", "steps": str(self.steps)},
        )

    def _run(self, pipeline: Any, request: ImageRequest, width: int, height: int, deadline: float) -> Any:
        import torch

        def check_deadline(_pipe: Any, step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            if time.monotonic() > deadline:
                raise _DeadlinePassed(f"stopped after step {step + 1} of {self.steps}")
            return tensors

        try:
            with torch.inference_mode():
                prompt_embeds, negative_embeds = self._embed(
                    pipeline, (request.prompt, request.negative_prompt or "")
                )
                return pipeline(
                    prompt_embeds=prompt_embeds,
                    negative_prompt_embeds=negative_embeds,
                    width=width,
                    height=height,
                    num_inference_steps=self.steps,
                    guidance_scale=self.guidance_scale,
                    generator=torch.Generator("cpu").manual_seed(request.seed),
                    callback_on_step_end=check_deadline,
                )
        except _DeadlinePassed as exc:
            raise self._fail(f"not finished within {self.timeout_s:g}s ({exc})", "timeout") from exc
        except (RuntimeError, ValueError) as exc:  # e.g. out of memory at a large size
            raise self._fail(f"inference failed at {width}x{height}: {exc}", "transient") from exc
