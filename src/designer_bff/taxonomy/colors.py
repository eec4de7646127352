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


def rgb_to_lab(rgb: FloatArray) -> FloatArray:
    """Convert an (..., 3) array of sRGB values in 0..255 to CIELAB (D65)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    lightness = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


def nearest_color_name(hex_value: str, colors: Mapping[str, str]) -> str:
    """Name of the taxonomy colour closest to `hex_value` in CIELAB (ΔE*ab 1976)."""
    names = list(colors)
    palette = rgb_to_lab(np.array([hex_to_rgb(colors[n]) for n in names], dtype=np.float64))
    target = rgb_to_lab(np.array(hex_to_rgb(hex_value), dtype=np.float64))
    distances = np.linalg.norm(palette - target, axis=1)
    return names[int(np.argmin(distances))]
