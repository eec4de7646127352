"""Shared parts of the learned embedders: the `ml` install hint, PIL + numpy preprocessing, batching.

Nothing here imports torch at module level, so the studio (and this module) loads without the extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from designer_bff.errors import ConfigurationError, InvalidInput
from designer_bff.pipeline import embedding as emb
from designer_bff.pipeline.image_features import to_rgb

if TYPE_CHECKING:
    import torch

INSTALL_HINT = "pip install torch==2.13.0 && pip install 'designer-bff[ml]'"
Fit = Literal["crop", "pad"]


def missing_extra(exc: ImportError) -> ConfigurationError:
    """The error for a missing optional dependency, naming it and how to install the extra."""
    return ConfigurationError(
        f"learned embedders need the optional 'ml' extra ({exc.name or exc} is not installed): "
        + INSTALL_HINT,
        extra="ml",
    )


@dataclass(frozen=True)
class Preprocess:
    """PIL + numpy preprocessing: optional pad to square, resize the shorter side, centre-crop, normalise."""

    resize: int
    crop: tuple[int, int]  # (width, height)
    mean: tuple[float, ...]
    std: tuple[float, ...]
    fit: Fit = "crop"
    resample: Image.Resampling = Image.Resampling.BICUBIC

    def __call__(self, image: Image.Image) -> NDArray[np.float32]:
        """(3, height, width) float32 array of one RGB image."""
        if self.fit == "pad":
            # White is the studio background; padding keeps a tall dress's hem and both views of a two-view
            # sheet, which a centre crop of the shorter side would cut off.
            side = max(image.size)
            square = Image.new("RGB", (side, side), "white")
            square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
            image = square
        scale = self.resize / min(image.size)
        width, height = (max(c, round(s * scale)) for c, s in zip(self.crop, image.size, strict=True))
        # PIL's bicubic widens its kernel when shrinking (antialiasing), so a 1024 px render and a 512 px
        # one of the same design end up on nearly the same pixels.
        image = image.resize((width, height), self.resample)
        left, top = (width - self.crop[0]) // 2, (height - self.crop[1]) // 2
        image = image.crop((left, top, left + self.crop[0], top + self.crop[1]))
        pixels = np.asarray(image, dtype=np.float32) / 255
        mean, std = np.asarray(self.mean, dtype=np.float32), np.asarray(self.std, dtype=np.float32)
        return np.ascontiguousarray(((pixels - mean) / std).transpose(2, 0, 1))


def check_options(batch_size: int, fit: str) -> None:
    """InvalidInput for a batch size below 1 or an unknown fit."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidInput(f"batch_size must be an int ≥ 1, got {batch_size!r}", field="batch_size")
    if fit not in ("crop", "pad"):
        raise InvalidInput(f"fit must be 'crop' or 'pad', got {fit!r}", field="fit", allowed=["crop", "pad"])


def move_to_device(model: Any, device: str) -> tuple[Any, torch.device]:
    """The model in eval mode on `device`; ConfigurationError if this torch build cannot use that device."""
    import torch

    try:
        target = torch.device(device)
        return model.eval().to(target), target
    except (RuntimeError, AssertionError) as exc:  # torch asserts when a CPU-only build is asked for CUDA
        raise ConfigurationError(f"cannot use torch device {device!r}: {exc}", field="device") from exc


class TorchImageEmbedder:
    """Shared batching for torch image models: decode, preprocess, run under inference_mode, normalise."""

    _name: str
    _dim: int
    _batch_size: int
    _max_pixels: int
    _prep: Preprocess
    _device: torch.device

    @property
    def name(self) -> str:
        """Feature-space id: vectors are comparable only between equal names."""
        return self._name

    @property
    def dim(self) -> int:
        """Vector length."""
        return self._dim

    def embed(self, items: Sequence[emb.EmbeddingInput]) -> emb.Vectors:
        """One unit float32 row per item; InvalidInput if an item has no image (or it cannot be decoded)."""
        import torch

        missing = [i for i, item in enumerate(items) if item.image is None]
        if missing:
            raise InvalidInput(f"{self._name} needs an image; item {missing[0]} has none", field="image")
        images = [item.image for item in items if item.image is not None]
        rows = [np.zeros((0, self._dim), dtype=np.float32)]
        for start in range(0, len(images), self._batch_size):
            chunk = images[start : start + self._batch_size]
            batch = np.stack([self._prep(to_rgb(i, max_pixels=self._max_pixels)) for i in chunk])
            with torch.inference_mode():
                features = self._forward(torch.from_numpy(batch).to(self._device))
            rows.append(features.float().cpu().numpy())
        return emb.normalize_rows(np.concatenate(rows))

    def _forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """(batch, dim) features of a preprocessed (batch, 3, height, width) tensor."""
        raise NotImplementedError
