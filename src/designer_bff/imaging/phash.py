"""Perceptual hashes: a 64-bit DCT hash that survives resizing, recompression and small edits."""

from __future__ import annotations

import numpy as np
from PIL import Image


def perceptual_hash(image: Image.Image) -> str:
    """pHash of an image as 16 hex digits: signs of the 8×8 lowest DCT frequencies of a 32×32 grey copy
    against their median (the DC term excluded, so overall brightness does not matter)."""
    from scipy.fft import dctn

    grey = np.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    low = dctn(grey, norm="ortho")[:8, :8].ravel()
    bits = low > np.median(low[1:])
    bits[0] = False
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
