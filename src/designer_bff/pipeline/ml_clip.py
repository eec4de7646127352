"""Stage 11 (embedding, learned part): CLIP image and text vectors in one space, from a local dir only.

Loading uses `local_files_only=True`, so a missing file is a ConfigurationError naming the directory and never
a download. Images are preprocessed with PIL + numpy from preprocessor_config.json (no torchvision).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from designer_bff.errors import ConfigurationError, InvalidInput
from designer_bff.pipeline import embedding as emb
from designer_bff.pipeline.ml_base import (
    Fit,
    Preprocess,
    TorchImageEmbedder,
    check_options,
    missing_extra,
    move_to_device,
)

if TYPE_CHECKING:
    import torch

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)  # CLIPImageProcessor's defaults, used when a dir has none
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
# Files that decide a CLIP directory's vectors (weights, configs, tokenizer); READMEs and the TF/Flax copies
# of the weights are left out of the digest so they cannot change the name.
_HASHED_SUFFIXES = frozenset({".json", ".txt", ".safetensors", ".bin", ".model"})
CLIP_DIR_CONTENTS = (
    "config.json (model_type 'clip'), model.safetensors or pytorch_model.bin, the tokenizer files "
    "(tokenizer.json, or vocab.json + merges.txt, with tokenizer_config.json) and optionally "
    "preprocessor_config.json — e.g. a local copy of openai/clip-vit-base-patch32"
)


def _read_json(path: Path, directory: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"CLIP weights directory {directory} has no readable {path.name} ({exc}); it must contain "
            + CLIP_DIR_CONTENTS,
            path=str(directory),
        ) from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} is not a JSON object", path=str(directory))
    return data


def _edge(value: Any, what: str, directory: Path) -> int:
    """A side length from a processor size entry: an int, {shortest_edge} or a square {height, width}."""
    if isinstance(value, dict):
        value = value.get(
            "shortest_edge", value.get("height") if value.get("height") == value.get("width") else 0
        )
    if not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"{directory / 'preprocessor_config.json'}: unsupported {what} {value!r} (need an int, "
            "{'shortest_edge': n} or a square {'height': n, 'width': n})",
            path=str(directory),
        )
    return value


def clip_preprocess(directory: Path, image_size: int, fit: Fit = "crop") -> Preprocess:
    """The dir's preprocessor_config.json as a `Preprocess` (CLIPImageProcessor's defaults if absent)."""
    path = directory / "preprocessor_config.json"
    cfg = _read_json(path, directory) if path.is_file() else {}
    crop = _edge(cfg.get("crop_size", image_size), "crop_size", directory)
    if crop != image_size:
        raise ConfigurationError(
            f"{path}: crop_size {crop} does not match the model's image_size {image_size}",
            path=str(directory),
        )
    try:
        mean = tuple(float(m) for m in cfg.get("image_mean", CLIP_MEAN))
        std = tuple(float(s) for s in cfg.get("image_std", CLIP_STD))
        resample = Image.Resampling(cfg.get("resample", Image.Resampling.BICUBIC))
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError("image_mean and image_std need 3 values each, std > 0")
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{path}: {exc}", path=str(directory)) from exc
    resize = _edge(cfg.get("size", image_size), "size", directory)
    return Preprocess(resize, (crop, crop), mean, std, fit, resample)


def directory_digest(directory: Path) -> str:
    """16 hex digits of SHA-256 over the names and contents of the files that decide a CLIP dir's vectors."""
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix in _HASHED_SUFFIXES:
            with path.open("rb") as handle:
                digest.update(path.name.encode() + b"\0" + hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:16]


class ClipEmbedder(TorchImageEmbedder):
    """CLIP image (`embed`) and text (`embed_text`) vectors in one projection space, from a local dir."""

    def __init__(
        self,
        weights_dir: Path | str,
        device: str = "cpu",
        *,
        batch_size: int = 16,
        fit: Fit = "crop",
        max_pixels: int = 50_000_000,
    ) -> None:
        check_options(batch_size, fit)
        directory = Path(weights_dir)
        if not directory.is_dir():
            raise ConfigurationError(
                f"CLIP weights directory {directory} does not exist; it must contain {CLIP_DIR_CONTENTS}",
                path=str(directory),
            )
        if (model_type := _read_json(directory / "config.json", directory).get("model_type")) != "clip":
            raise ConfigurationError(
                f"{directory / 'config.json'} has model_type {model_type!r}, not 'clip'", path=str(directory)
            )
        try:
            from transformers import AutoTokenizer, CLIPModel
        except ImportError as exc:
            raise missing_extra(exc) from exc
        try:
            # Any: the config and output types differ between transformers 4.x and 5.x; only stable
            # attributes (text_model, vision_model, the projections, pooler_output) are used below.
            model: Any = CLIPModel.from_pretrained(directory, local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        except Exception as exc:  # whatever transformers raises, the directory is not a usable checkpoint
            raise ConfigurationError(
                f"cannot load CLIP from {directory}: {exc}; it must contain {CLIP_DIR_CONTENTS}",
                path=str(directory),
            ) from exc
        if tokenizer.pad_token is None:  # batches of texts need padding; CLIP pads with its end token
            tokenizer.pad_token = tokenizer.eos_token
        # .float(): a checkpoint saved in fp16 would load as fp16, which is slow or unsupported on CPU.
        self._model, self._device = move_to_device(model.float(), device)
        self._tokenizer = tokenizer
        config = model.config
        self._max_tokens = min(
            int(tokenizer.model_max_length), int(config.text_config.max_position_embeddings)
        )
        image_size = int(config.vision_config.image_size)
        self._prep = clip_preprocess(directory, image_size, fit)
        self._batch_size, self._max_pixels, self._dim = batch_size, max_pixels, int(config.projection_dim)
        self._name = f"clip-{image_size}px-{self._dim}d/{directory_digest(directory)}"
        self._name += "/pad" if fit == "pad" else ""

    def embed_text(self, texts: Sequence[str]) -> emb.Vectors:
        """(len(texts), dim) unit float32 rows, comparable with `embed`'s image rows (same `name`)."""
        import torch

        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise InvalidInput("embed_text takes a sequence of strings", field="texts")
        rows = [np.zeros((0, self._dim), dtype=np.float32)]
        for start in range(0, len(texts), self._batch_size):
            tokens = self._tokenizer(
                list(texts[start : start + self._batch_size]),
                padding=True,
                truncation=True,  # CLIP's position table ends at 77 tokens; longer prompts lose their tail
                max_length=self._max_tokens,
                return_tensors="pt",
            ).to(self._device)
            with torch.inference_mode():
                # text_model + projection rather than get_text_features: its return type changed in 5.x.
                pooled = self._model.text_model(
                    input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
                ).pooler_output
                rows.append(self._model.text_projection(pooled).float().cpu().numpy())
        return emb.normalize_rows(np.concatenate(rows))

    def _forward(self, pixels: torch.Tensor) -> torch.Tensor:
        pooled = self._model.vision_model(pixel_values=pixels).pooler_output
        projected: torch.Tensor = self._model.visual_projection(pooled)
        return projected
