"""Stage 1 (analysis, offline part): dominant colours of an image by k-means in CIELAB → taxonomy names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import nearest_color_name, rgb_to_hex, rgb_to_lab


@dataclass(frozen=True)
class ColorShare:
    """One dominant colour: taxonomy name, measured hex, share of the garment pixels (0..100)."""

    name: str
    hex: str
    coverage: float


@dataclass(frozen=True)
class ColorAnalysis:
    """What the offline analyser measured."""

    colors: list[ColorShare]
    background_hex: str | None
    background_share: float


def _kmeans(points: NDArray[np.float64], k: int, seed: int, iterations: int = 12) -> NDArray[np.int64]:
    """Plain Lloyd k-means with k-means++ seeding; returns a label per point."""
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        d2 = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        total = d2.sum()
        if total <= 0:
            break
        centres.append(points[rng.choice(len(points), p=d2 / total)])
    c = np.array(centres)
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(iterations):
        labels = np.argmin(((points[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        updated = np.array(
            [points[labels == j].mean(0) if np.any(labels == j) else c[j] for j in range(len(c))]
        )
        if np.allclose(updated, c):
            break
        c = updated
    return labels


def dominant_colors(rgb: NDArray[np.uint8], *, k: int = 5, seed: int = 0) -> ColorAnalysis:
    """Dominant colours of an (H, W, 3) RGB array, ignoring a uniform background found on the border."""
    tax = load_taxonomy()
    step = max(1, int(max(rgb.shape[:2]) / 96))
    small = rgb[::step, ::step].astype(np.float64)
    lab = rgb_to_lab(small)
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    border_median = np.median(border, axis=0)
    background_hex = None
    mask = np.ones(lab.shape[:2], dtype=bool)
    # A studio or flat background is near-uniform on the border; excluding it measures the garment.
    if np.mean(np.linalg.norm(border - border_median, axis=1) < 10) > 0.6:
        mask = np.linalg.norm(lab - border_median, axis=-1) >= 12
        border_rgb = np.median(np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]]), axis=0)
        background_hex = rgb_to_hex(tuple(int(v) for v in border_rgb))  # type: ignore[arg-type]
        if mask.mean() < 0.02:  # the whole image is that colour: measure it after all
            mask[:] = True
    points = lab[mask]
    pixels = small[mask]
    labels = _kmeans(points, min(k, len(points)), seed)
    shares: dict[str, list[float]] = {}
    hexes: dict[str, str] = {}
    for j in np.unique(labels):
        members = labels == j
        mean_rgb = tuple(round(float(v)) for v in pixels[members].mean(0))
        hex_value = rgb_to_hex(mean_rgb)  # type: ignore[arg-type]
        name = nearest_color_name(hex_value, tax.colors)
        shares.setdefault(name, []).append(float(members.mean() * 100))
        hexes.setdefault(name, hex_value)
    colors = sorted(
        (ColorShare(name, hexes[name], round(sum(v), 1)) for name, v in shares.items()),
        key=lambda c: -c.coverage,
    )
    return ColorAnalysis(
        colors=colors, background_hex=background_hex, background_share=round(float(1 - mask.mean()), 3)
    )


def spec_hints_from_colors(analysis: ColorAnalysis) -> tuple[dict[str, object], dict[str, float]]:
    """Spec fragment (colour section) and per-attribute confidence from a colour analysis."""
    if not analysis.colors:
        return {}, {}
    top = analysis.colors[0]
    color: dict[str, object] = {
        "primary": top.name,
        "palette": [
            {
                "name": c.name,
                "hex": c.hex,
                "coverage": c.coverage,
                "role": "primary" if i == 0 else "secondary",
            }
            for i, c in enumerate(analysis.colors[:5])
        ],
    }
    confidence = {"color.primary": round(min(1.0, top.coverage / 60), 2)}
    if len(analysis.colors) > 1 and analysis.colors[1].coverage >= 8:
        color["secondary"] = analysis.colors[1].name
        confidence["color.secondary"] = round(min(1.0, analysis.colors[1].coverage / 30), 2)
    return {"color": color}, confidence
