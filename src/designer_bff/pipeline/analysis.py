"""Stage 1 (analysis, offline part): dominant garment colours by k-means in CIELAB → taxonomy names.

Two kinds of scene are told apart. A clean render (tech flat, packshot on a perfectly uniform ground) loses
its border-connected background and every other pixel counts, as before. A photograph (wall gradients,
cast shadows, a room behind the model) gets a per-pixel garment weight (`garment_weights`), so the palette
describes the clothes rather than the backdrop or the skin.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from designer_bff.pipeline.pattern_cues import (
    SEGMENT_SIDE,
    flat_backdrop,
    frame_band,
    gradient_magnitude,
    shrink,
)
from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import hex_to_rgb, rgb_to_hex, rgb_to_lab

F64 = NDArray[np.float64]
# Photos: clusters closer than this (ΔE CMC 2:1) are one cloth in light and shade, so they are merged.
_SHADE_MERGE = 8.0
_PHOTO_K = 8  # over-cluster photos, then merge shades: a textured cloth splits into lit and shaded tones


@dataclass(frozen=True)
class ColorShare:
    """One dominant colour: taxonomy name, measured hex, share of the garment pixels (0..100)."""

    name: str
    hex: str
    coverage: float


@dataclass(frozen=True)
class ColorAnalysis:
    """What the offline analyser measured. `scene` is "clean" (uniform ground) or "photo"."""

    colors: list[ColorShare]
    background_hex: str | None
    background_share: float
    scene: str = "clean"


def _kmeans(
    points: F64, k: int, seed: int, iterations: int = 12, weights: F64 | None = None
) -> NDArray[np.int64]:
    """Plain Lloyd k-means with k-means++ seeding (optionally weighted); returns a label per point."""
    rng = np.random.default_rng(seed)
    w = np.ones(len(points)) if weights is None else weights
    first = rng.integers(len(points)) if weights is None else rng.choice(len(points), p=w / w.sum())
    centres = [points[first]]
    for _ in range(1, k):
        d2 = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1) * w
        total = d2.sum()
        if total <= 0:
            break
        centres.append(points[rng.choice(len(points), p=d2 / total)])
    c = np.array(centres)
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(iterations):
        labels = np.argmin(((points[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        updated = np.array(
            [
                np.average(points[labels == j], axis=0, weights=w[labels == j])
                if w[labels == j].sum() > 0
                else c[j]
                for j in range(len(c))
            ]
        )
        if np.allclose(updated, c):
            break
        c = updated
    return labels


def foreground_mask(lab: F64) -> tuple[NDArray[np.bool_], F64 | None]:
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


def delta_e_cmc(reference: F64, sample: F64, lightness: float = 2.0) -> F64:
    """ΔE CMC(l:1) of `sample` from `reference` (Lab arrays, broadcast). With l = 2 it is the textile
    industry's acceptability formula: lightness differences (shading, folds) weigh half as much as hue."""
    l1, a1, b1 = reference[..., 0], reference[..., 1], reference[..., 2]
    l2, a2, b2 = sample[..., 0], sample[..., 1], sample[..., 2]
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    dh2 = np.maximum((a1 - a2) ** 2 + (b1 - b2) ** 2 - (c1 - c2) ** 2, 0.0)
    hue = np.degrees(np.arctan2(b1, a1)) % 360
    sl = np.where(l1 < 16, 0.511, 0.040975 * l1 / (1 + 0.01765 * l1))
    sc = 0.0638 * c1 / (1 + 0.0131 * c1) + 0.638
    f = np.sqrt(c1**4 / (c1**4 + 1900))
    t = np.where(
        (hue >= 164) & (hue <= 345),
        0.56 + np.abs(0.2 * np.cos(np.radians(hue + 168))),
        0.36 + np.abs(0.4 * np.cos(np.radians(hue + 35))),
    )
    sh = sc * (f * t + 1 - f)
    result: F64 = np.sqrt(((l1 - l2) / (lightness * sl)) ** 2 + ((c1 - c2) / sc) ** 2 + dh2 / sh**2)
    return result


@lru_cache(maxsize=1)
def _palette_lab() -> tuple[tuple[str, ...], F64]:
    colors = load_taxonomy().colors
    names = tuple(colors)
    return names, rgb_to_lab(np.array([hex_to_rgb(colors[n]) for n in names], dtype=np.float64))


def color_name(hex_value: str) -> str:
    """Taxonomy colour a person would name `hex_value`: nearest by ΔE CMC(2:1), which forgives the
    lightness drift of photographed cloth (a shaded navy stays navy, a greige stays khaki, not grey)."""
    names, palette = _palette_lab()
    target = rgb_to_lab(np.array(hex_to_rgb(hex_value), dtype=np.float64))
    return names[int(np.argmin(delta_e_cmc(palette, target[None])))]


def _mean_hex(pixels: F64, weights: F64) -> str:
    return rgb_to_hex(tuple(round(float(v)) for v in np.average(pixels, axis=0, weights=weights)))  # type: ignore[arg-type]


def _merge_shades(groups: list[tuple[F64, F64]]) -> list[tuple[F64, F64]]:
    """Merge (pixels, weights) groups whose colours are all within `_SHADE_MERGE` ΔE CMC of each other
    (complete linkage, so black → charcoal → grey never chains into one neutral)."""
    groups = sorted(groups, key=lambda g: -float(g[1].sum()))
    centres = rgb_to_lab(np.array([np.average(p, axis=0, weights=w) for p, w in groups]))
    distance = np.maximum(
        delta_e_cmc(centres[:, None], centres[None]), delta_e_cmc(centres[None], centres[:, None])
    )
    members = [[i] for i in range(len(groups))]
    while len(members) > 1:
        pairs = [
            (max(distance[a, b] for a in x for b in y), i, j)
            for i, x in enumerate(members)
            for j, y in enumerate(members)
            if i < j
        ]
        gap, i, j = min(pairs)
        if gap >= _SHADE_MERGE:
            break
        members[i] += members.pop(j)
    return [
        (np.concatenate([groups[m][0] for m in ms]), np.concatenate([groups[m][1] for m in ms]))
        for ms in members
    ]


def _cluster_colors(pixels: F64, weights: F64 | None, k: int, seed: int, *, photo: bool) -> list[ColorShare]:
    """(Weighted) k-means of garment pixels → colour shares (names merged, sorted by coverage)."""
    lab = rgb_to_lab(pixels)
    labels = _kmeans(lab, min(max(k, _PHOTO_K) if photo else k, len(lab)), seed, weights=weights)
    w_all = np.ones(len(lab)) if weights is None else weights
    groups = [(pixels[labels == j], w_all[labels == j]) for j in np.unique(labels)]
    groups = [g for g in groups if g[1].sum() > 0]
    if photo:
        groups = _merge_shades(groups)
    total = float(w_all.sum())
    shares: dict[str, float] = {}
    hexes: dict[str, str] = {}
    for p, w in groups:
        hex_value = _mean_hex(p, w)
        name = color_name(hex_value)
        shares[name] = shares.get(name, 0.0) + float(w.sum()) / total * 100
        hexes.setdefault(name, hex_value)
    colors = sorted(
        (ColorShare(n, hexes[n], round(v, 1)) for n, v in shares.items()), key=lambda c: -c.coverage
    )
    return colors[:k] if photo else colors


def is_clean_ground(lab: F64, background: F64 | None) -> bool:
    """True for a rendered or keyed ground: where the border shows the ground (within ΔE 10 of its
    median), it is one colour to within noise (ΔE < 1.5 almost everywhere). A garment may run off the
    frame; a photographed wall always carries a gradient, vignetting or shadow."""
    if background is None:
        return False
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    distance = np.linalg.norm(border - background, axis=1)
    ground = distance < 10
    return bool(np.mean(distance[ground] < 1.5) > 0.97)


def skin_mask(lab: F64) -> NDArray[np.bool_]:
    """Pixels in the skin-tone range of CIELAB (warm hue 30–68°, moderate chroma), light to deep skin."""
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))
    result: NDArray[np.bool_] = (
        (lab[..., 0] > 20) & (lab[..., 0] < 88) & (lab[..., 1] > 7)
        & (chroma >= 16) & (chroma <= 45) & (hue >= 30) & (hue <= 68)
    )  # fmt: skip
    return result


def _frame_factor(lab: F64, subject: NDArray[np.bool_], seed: int) -> F64:
    """Per-pixel weight 1 → 0 for backdrop colours of a busy scene (a room, a floor), decided per colour
    cluster: backdrop lies along the frame band at least as often as the band's share of the image, and
    spreads across most of the width; a dressed figure stays inside the frame in a few column ranges."""
    band = frame_band(lab.shape)
    points = lab[subject]
    labels = _kmeans(points, min(10, len(points)), seed, iterations=20)
    full = np.full(lab.shape[:2], -1)
    full[subject] = labels
    expected = float(band.mean())
    factor = np.zeros(lab.shape[:2])
    for j in np.unique(labels):
        members = full == j
        ratio = float(members[band].sum()) / float(members.sum()) / expected
        spread = float(np.mean(members.mean(axis=0) >= 0.05))  # share of columns it fills ≥ 5 % of
        factor[members] = min(np.clip((0.9 - ratio) / 0.65, 0, 1), np.clip((0.6 - spread) / 0.2, 0, 1))
    return factor


def garment_weights(rgb: NDArray[np.uint8], *, seed: int = 0) -> F64:
    """How likely each pixel of a photo is garment (0..1), at `SEGMENT_SIDE` resolution.

    Flat backdrop (`pattern_cues.flat_backdrop`) and thin structures (shadow rims, strands) are dropped,
    colours crowding the frame are discounted (softly when that would erase nearly everything), skin is
    suppressed when it is a minority, and the centre counts a little more.
    """
    from scipy import ndimage

    small = shrink(rgb, SEGMENT_SIDE)
    lab = rgb_to_lab(small)
    gradient = gradient_magnitude(lab)
    subject = ndimage.binary_opening(~flat_backdrop(lab, gradient), np.ones((5, 5), dtype=bool))
    subject = ndimage.binary_erosion(subject)  # its outermost ring is half backdrop
    if subject.mean() < 0.02:
        subject = np.ones(lab.shape[:2], dtype=bool)
    weights = subject.astype(np.float64)
    factor = _frame_factor(lab, subject, seed)
    # When garment and backdrop share colours (beige clothes in a beige hall) the factor would erase
    # nearly everything: keep it as a soft preference instead.
    weights *= factor if (weights * factor).sum() >= 0.2 * weights.sum() else 0.25 + 0.75 * factor
    w = lab.shape[1]
    x = (np.arange(w) + 0.5) / w - 0.5
    weights *= 0.35 + 0.65 * np.exp(-0.5 * (x / 0.3) ** 2)[None, :]
    skin = skin_mask(lab)
    if (weights * skin).sum() < 0.3 * weights.sum():
        weights *= ~skin
    # Pixels on strong edges are mixtures of two colours (anti-aliasing, seams): they name neither.
    weights *= gradient < 12
    result: F64 = weights
    return result


def resample(weights: F64, shape: tuple[int, ...]) -> F64:
    """Weight map resized (bilinear) to `shape` (rows, columns)."""
    from PIL import Image

    if weights.shape[:2] == shape[:2]:
        return weights
    image = Image.fromarray(weights.astype(np.float32), mode="F")
    resized = image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float64)


def _ground(small: F64) -> tuple[F64, NDArray[np.bool_], F64 | None, str | None]:
    lab = rgb_to_lab(small)
    mask, background = foreground_mask(lab)
    background_hex = None
    if background is not None:
        border_rgb = np.median(np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]]), axis=0)
        background_hex = rgb_to_hex(tuple(int(v) for v in border_rgb))  # type: ignore[arg-type]
    return lab, mask, background, background_hex


def scene_of(rgb: NDArray[np.uint8], *, long_side: int = 96) -> str:
    """'clean' for a render or keyed packshot on a uniform ground, otherwise 'photo'."""
    lab, _, background, _ = _ground(shrink(rgb, long_side))
    return "clean" if is_clean_ground(lab, background) else "photo"


def dominant_colors(
    rgb: NDArray[np.uint8], *, k: int = 5, seed: int = 0, long_side: int = 96, weights: F64 | None = None
) -> ColorAnalysis:
    """Dominant colours of an (H, W, 3) RGB array: the garment's, not the background's (see module doc).

    `weights` may pass a photo's `garment_weights(rgb)` already computed by the caller.
    """
    small = shrink(rgb, long_side)
    lab, mask, background, background_hex = _ground(small)
    if is_clean_ground(lab, background):
        colors = _cluster_colors(small[mask], None, k, seed, photo=False)
        return ColorAnalysis(colors, background_hex, round(float(1 - mask.mean()), 3))
    weights = resample(garment_weights(rgb, seed=seed) if weights is None else weights, lab.shape[:2])
    keep = weights > 0.05
    colors = _cluster_colors(small[keep], weights[keep], k, seed, photo=True)
    share = round(float(1 - weights.sum() / weights.size), 3)
    return ColorAnalysis(colors, background_hex, share, scene="photo")


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

    lab = rgb_to_lab(shrink(rgb, 384))
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
