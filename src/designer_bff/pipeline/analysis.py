"""Stage 1 (analysis, offline part): dominant colours of an image by k-means in CIELAB → taxonomy names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import hex_to_rgb, nearest_color_name, rgb_to_hex, rgb_to_lab


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


def _resize_to(rgb: NDArray[np.uint8], long_side: int) -> NDArray[np.float64]:
    """Area-averaged downscale: unlike striding, it never skips a thin outline, so the outline still
    separates a pale garment from a pale background."""
    from PIL import Image

    h, w = rgb.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1:
        return rgb.astype(np.float64)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX), dtype=np.float64)


def foreground_mask(lab: NDArray[np.float64]) -> tuple[NDArray[np.bool_], NDArray[np.float64] | None]:
    """Garment pixels: everything except the uniform background region connected to the border.

    Connectivity (not colour alone) decides, so a white garment outlined on a white background is
    still garment. Returns the mask and the background's Lab colour (None when the border is busy).
    """
    from scipy import ndimage

    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    median = np.median(border, axis=0)
    if np.mean(np.linalg.norm(border - median, axis=1) < 10) <= 0.6:
        return np.ones(lab.shape[:2], dtype=bool), None
    similar = np.linalg.norm(lab - median, axis=-1) < 12
    labels, _ = ndimage.label(similar)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    background = np.isin(labels, edge_labels[edge_labels > 0])
    mask = ~background
    if mask.mean() < 0.02:  # the whole image is that colour: measure it after all
        mask[:] = True
    return mask, median


def dominant_colors(rgb: NDArray[np.uint8], *, k: int = 5, seed: int = 0) -> ColorAnalysis:
    """Dominant colours of an (H, W, 3) RGB array, ignoring a uniform background found on the border."""
    tax = load_taxonomy()
    small = _resize_to(rgb, 96)
    lab = rgb_to_lab(small)
    mask, background = foreground_mask(lab)
    background_hex = None
    if background is not None:
        border_rgb = np.median(np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]]), axis=0)
        background_hex = rgb_to_hex(tuple(int(v) for v in border_rgb))  # type: ignore[arg-type]
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


@dataclass(frozen=True)
class ColourShares:
    """How much of the garment is in a given colour, and how much is clearly not the main colour."""

    near: float
    off_main: float
    main: float


def colour_shares(rgb: NDArray[np.uint8], main_hex: str, probe_hex: str | None = None) -> ColourShares:
    """Shares of garment pixels near `probe_hex` and near `main_hex` (ΔE*ab < 18), and clearly off it (> 30).

    Off-main pixels are measured after a 3×3 morphological opening: outlines, seams and topstitching
    are one or two pixels wide and vanish, so what remains is surface colour — a print, or a wrong colour.
    """
    from scipy import ndimage

    lab = rgb_to_lab(_resize_to(rgb, 384))
    mask, _ = foreground_mask(lab)
    area = max(1, int(mask.sum()))
    main = rgb_to_lab(np.array(hex_to_rgb(main_hex), dtype=np.float64))
    distance = np.linalg.norm(lab - main, axis=-1)
    off = ndimage.binary_opening(mask & (distance > 30), np.ones((3, 3), dtype=bool))
    on = float((mask & (distance < 18)).sum() / area)
    near = 0.0
    if probe_hex is not None:
        probe = rgb_to_lab(np.array(hex_to_rgb(probe_hex), dtype=np.float64))
        near = float((mask & (np.linalg.norm(lab - probe, axis=-1) < 18)).sum() / area)
    return ColourShares(near=round(near, 4), off_main=round(float(off.sum() / area), 4), main=round(on, 4))


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
