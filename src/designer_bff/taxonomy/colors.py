"""Colour maths: hex ↔ sRGB ↔ CIELAB and the nearest named taxonomy colour (ΔE*ab)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# D65 reference white, as used by sRGB.
_WHITE = np.array([0.95047, 1.0, 1.08883])
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    """'#c8102e' → (200, 16, 46)."""
    text = value.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def rgb_to_hex(rgb: tuple[int, int, int]) -> str:
    """(200, 16, 46) → '#c8102e'."""
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, int(c))) for c in rgb))


_LEVELS = np.arange(256, dtype=np.float64) / 255.0
# sRGB decoding of every 8-bit level, pre-multiplied into each channel's share of X, Y and Z
# ([channel, X/Y/Z, level]): table lookups replace the per-pixel power law (the hot spot) and a 3×3 BLAS
# product whose threads burn CPU. Rounding averaged pixels to a level moves ΔE by far less than 1.
_LINEAR = np.where(_LEVELS <= 0.04045, _LEVELS / 12.92, ((_LEVELS + 0.055) / 1.055) ** 2.4)
_SHARE = np.ascontiguousarray(
    (_LINEAR[None, :, None] * (_RGB_TO_XYZ.T / _WHITE)[:, None, :]).transpose(0, 2, 1)
)


def rgb_to_lab(rgb: FloatArray | NDArray[np.uint8]) -> FloatArray:
    """Convert an (..., 3) array of sRGB values in 0..255 (any dtype) to CIELAB (D65)."""
    raw = np.asarray(rgb)
    levels: NDArray[np.uint8] = (
        raw.astype(np.uint8) if raw.dtype == np.uint8 else np.clip(np.rint(raw), 0, 255).astype(np.uint8)
    )
    r, g, b = levels[..., 0], levels[..., 1], levels[..., 2]
    xyz = [np.take(_SHARE[0, j], r) + np.take(_SHARE[1, j], g) + np.take(_SHARE[2, j], b) for j in range(3)]
    fx, fy, fz = (np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29) for t in xyz)
    return np.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], -1)


def nearest_color_name(hex_value: str, colors: Mapping[str, str]) -> str:
    """Name of the taxonomy colour closest to `hex_value` in CIELAB (ΔE*ab 1976)."""
    names = list(colors)
    palette = rgb_to_lab(np.array([hex_to_rgb(colors[n]) for n in names], dtype=np.float64))
    target = rgb_to_lab(np.array(hex_to_rgb(hex_value), dtype=np.float64))
    distances = np.linalg.norm(palette - target, axis=1)
    return names[int(np.argmin(distances))]
