"""Stage 11 (embedding, image part): offline colour, texture and shape descriptors, no model weights.

Seven blocks measured on the garment (background removed), each L2-normalised and scaled by its weight; the
concatenation is L2-normalised, so a block's share of the cosine similarity is weight² / Σ weight².
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import accumulate

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from designer_bff.errors import InvalidInput
from designer_bff.imaging import load_rgb
from designer_bff.pipeline import embedding as emb
from designer_bff.taxonomy.colors import rgb_to_lab

F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]
Box = tuple[int, int, int, int]

L_BINS, AB_BINS, AB_RANGE = 4, 6, 60.0  # a*, b* beyond ±60 are rare for cloth and land in the outer bins
HOG_CELLS, HOG_ORIENTATIONS = 4, 9
GRID, PROFILE_ROWS, RBF_CENTRES = 8, 16, 6
# (low, high) of each scalar statistic. Scalars are encoded as Gaussian bumps over RBF_CENTRES centres so the
# dot product measures closeness (raw scalars under L2 normalisation would only keep their ratios).
_MOMENT_RANGES = ((0, 100), (-AB_RANGE, AB_RANGE), (-AB_RANGE, AB_RANGE), (0, 35), (0, 35), (0, 35))
_TEXTURE_RANGES = ((0.0, 0.5), (0.0, 1.0), (0.0, 2.0))
_SHAPE_RANGES = ((-1.0, 1.5), (0.2, 1.0), (1.0, 3.0), (1.0, 3.0), (1.0, 3.0), (1.0, 3.0))
# Block → (dimensions, default weight). Shape leads (80 % of the squared norm): it separates dresses from
# trousers from jackets and barely moves under recolouring (same-type cos ≈ 0.99). Colour (9 %) and gradients
# (11 %) then rank designs of one shape; with more colour, a same-coloured other type outranks a recolour.
BLOCKS: dict[str, tuple[int, float]] = {
    "color_hist": (L_BINS * AB_BINS * AB_BINS, 0.4),
    "color_moments": (len(_MOMENT_RANGES) * RBF_CENTRES, 0.2),
    "hog": ((HOG_CELLS - 1) ** 2 * 4 * HOG_ORIENTATIONS, 0.45),
    "texture": (len(_TEXTURE_RANGES) * RBF_CENTRES, 0.25),
    "occupancy": (GRID * GRID, 1.0),
    "width_profile": (PROFILE_ROWS, 0.7),
    "shape_stats": (len(_SHAPE_RANGES) * RBF_CENTRES, 0.6),
}
DEFAULT_BLOCK_WEIGHTS: dict[str, float] = {name: weight for name, (_, weight) in BLOCKS.items()}
_ENDS = list(accumulate(dims for dims, _ in BLOCKS.values()))
BLOCK_SLICES: dict[str, slice] = {k: slice(e - BLOCKS[k][0], e) for k, e in zip(BLOCKS, _ENDS, strict=True)}
_EPS = 1e-9


def _unit(v: F64) -> F64:
    n = float(np.linalg.norm(v))
    return v / n if n > _EPS else v


def _rbf(values: Sequence[float], ranges: Sequence[tuple[float, float]]) -> F64:
    """Each value as unit-norm Gaussian bumps over evenly spaced centres of its range, concatenated."""
    lo, hi = np.array(ranges, dtype=np.float64).T
    spacing = (hi - lo)[:, None] / (RBF_CENTRES - 1)
    centres = lo[:, None] + spacing * np.arange(RBF_CENTRES)
    x = np.clip(np.asarray(values, dtype=np.float64), lo, hi)[:, None]
    bumps = np.exp(-0.5 * ((x - centres) / spacing) ** 2)
    encoded: F64 = (bumps / np.linalg.norm(bumps, axis=1, keepdims=True)).ravel()
    return encoded


def to_rgb(image: bytes | Image.Image, *, max_pixels: int) -> Image.Image:
    """Decoded RGB image; transparency flattened onto white as `load_rgb` does for bytes."""
    if isinstance(image, bytes | bytearray):
        return load_rgb(bytes(image), max_pixels=max_pixels)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def resize_long_side(image: Image.Image, size: int) -> Image.Image:
    """Deterministic resize so the longer side is `size` (box filter down, bilinear up)."""
    w, h = image.size
    scale = size / max(w, h)
    target = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Box averaging is area resampling, so a 512 and a 1024 render land on nearly the same pixels; the
    # reducing gap first box-reduces by an integer factor (same filter, about twice as fast).
    method = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    return image.resize(target, method, reducing_gap=2.0 if scale < 0.5 else None)


def _grow(mask: Mask) -> Mask:
    """`mask` dilated by one pixel (4-neighbourhood)."""
    p = np.pad(mask, 1)
    grown: Mask = p[1:-1, 1:-1] | p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:]
    return grown


def _spread(seed: Mask, allowed: Mask) -> Mask:
    """Extend `seed` along whole horizontal runs of `allowed` pixels."""
    h, w = allowed.shape
    padded = np.zeros((h, w + 1), dtype=bool)  # the extra column stops runs crossing rows
    padded[:, :w] = allowed
    flat = padded.ravel()
    starts = np.cumsum(flat & ~np.concatenate(([False], flat[:-1])))
    run_id = (starts * flat).reshape(h, w + 1)[:, :w]
    hit = np.zeros(int(starts[-1]) + 1, dtype=bool)
    hit[run_id[seed & allowed]] = True
    hit[0] = False  # id 0 marks pixels outside every run
    return hit[run_id]


def foreground(lab: F64) -> Mask:
    """Garment pixels: all but the uniform background region connected to the border (all, if none)."""
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    median = np.median(border, axis=0)
    if np.mean(np.linalg.norm(border - median, axis=1) < 10) <= 0.6:
        return np.ones(lab.shape[:2], dtype=bool)  # busy border: no studio background to remove
    # Downsizing thins outlines until the fill could leak into a garment of the background's colour;
    # thickening the barrier by a pixel closes such gaps.
    similar = ~_grow(np.linalg.norm(lab - median, axis=-1) >= 12)
    reached = similar.copy()
    reached[1:-1, 1:-1] = False  # seeds: the background pixels on the border
    # Connectivity, not colour alone, decides, so a white garment outlined on white stays garment. Row and
    # column run-filling in turn reaches every connected pixel in a few passes for garment-like shapes.
    for _ in range(64):
        grown = _spread(_spread(reached, similar).T, similar.T).T
        if np.array_equal(grown, reached):
            break
        reached = grown
    mask = ~reached
    return mask if mask.mean() >= 0.02 else np.ones_like(mask)


def _square(values: F64, box: Box) -> F64:
    """The square window centred on `box` (side = its longer side), zero outside the image."""
    # Square, not the box, so grids keep proportions: stretched to its box, shorts look like a vest.
    y0, y1, x0, x1 = box
    side = max(y1 - y0, x1 - x0)
    top, left = y0 - (side - (y1 - y0)) // 2 + side, x0 - (side - (x1 - x0)) // 2 + side  # + the padding
    return np.pad(values, side)[top : top + side, left : left + side]


def _color_blocks(lab: F64, mask: Mask) -> tuple[F64, F64]:
    """Soft (trilinear) L×a×b histogram of the garment, Hellinger-mapped, and encoded colour moments."""
    pts = lab[mask]
    low_edge, span = np.array([0, -AB_RANGE, -AB_RANGE]), np.array([100, 2 * AB_RANGE, 2 * AB_RANGE])
    top = np.array([L_BINS - 1, AB_BINS - 1, AB_BINS - 1])
    pos = np.clip((pts - low_edge) / span * (top + 1) - 0.5, 0, top)  # in bin units, 0 = first bin centre
    low = np.minimum(pos.astype(np.int64), top - 1)
    base = (low[:, 0] * AB_BINS + low[:, 1]) * AB_BINS + low[:, 2]
    w = [(1 - f, f) for f in (pos - low).T]
    hist = np.zeros(L_BINS * AB_BINS * AB_BINS)
    for i, j, k in np.ndindex(2, 2, 2):  # each pixel spreads over the 8 bins around it
        share = w[0][i] * w[1][j] * w[2][k]
        hist += np.bincount(base + (i * AB_BINS + j) * AB_BINS + k, weights=share, minlength=hist.size)
    # The square root (Hellinger) keeps small accent colours visible next to a dominant base colour.
    hist = np.sqrt(hist / max(float(hist.sum()), _EPS))
    return hist, _rbf([*pts.mean(axis=0), *pts.std(axis=0)], _MOMENT_RANGES)


def _hog(gx: F64, gy: F64, box: Box) -> F64:
    """Orientation histograms on a grid over the garment's square, L2-Hys normalised per 2×2 cell block."""
    gx, gy = _square(gx, box), _square(gy, box)
    side = gx.shape[0]
    position = (np.arctan2(gy, gx).ravel() % math.pi) / (math.pi / HOG_ORIENTATIONS) - 0.5
    low = np.floor(position)
    frac, mag = position - low, np.hypot(gx, gy).ravel()
    bin0 = low.astype(np.int64) % HOG_ORIENTATIONS
    index = np.arange(side) * HOG_CELLS // side
    cell = (index[:, None] * HOG_CELLS + index[None, :]).ravel() * HOG_ORIENTATIONS
    size = HOG_CELLS * HOG_CELLS * HOG_ORIENTATIONS
    hist = np.bincount(cell + bin0, weights=mag * (1 - frac), minlength=size)
    hist += np.bincount(cell + (bin0 + 1) % HOG_ORIENTATIONS, weights=mag * frac, minlength=size)
    cells = hist.reshape(HOG_CELLS, HOG_CELLS, HOG_ORIENTATIONS)
    n = HOG_CELLS - 1
    blocks = np.stack([cells[y : y + 2, x : x + 2].ravel() for y in range(n) for x in range(n)])
    blocks = np.minimum(blocks / (np.linalg.norm(blocks, axis=1, keepdims=True) + _EPS), 0.2)
    # L2-Hys: clipping at 0.2 (Lowe) stops one strong edge from dominating its block.
    hys: F64 = (blocks / (np.linalg.norm(blocks, axis=1, keepdims=True) + _EPS)).ravel()
    return hys


def _texture(gx: F64, gy: F64, lum: F64, mask: Mask) -> F64:
    """Edge density, mean gradient and a high-frequency ratio inside the garment (away from its outline)."""
    inner = ~_grow(_grow(~mask))  # eroded twice: the silhouette's own outline is shape, not texture
    if not inner.any():
        inner = mask
    mag = np.hypot(gx, gy)[inner]
    p = np.pad(lum, 1, mode="edge")
    laplacian = np.abs(4 * lum - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:])[inner]
    mean_mag = float(mag.mean())
    high_freq = float(laplacian.mean()) / (mean_mag + 0.01)
    return _rbf([float(np.mean(mag > 0.2)), mean_mag, high_freq], _TEXTURE_RANGES)


def _shape(mask: Mask, box: Box) -> tuple[F64, F64, F64]:
    """Occupancy grid and width profile of the silhouette's square, and its proportion statistics."""
    square = _square(mask.astype(np.float64), box) > 0.5
    side = square.shape[0]
    tile = Image.fromarray(square.astype(np.uint8) * 255).resize((GRID, GRID), Image.Resampling.BOX)
    # Centred on "half full" so empty and full cells point opposite ways: all-positive grids of different
    # garments would all be within cos 0.9 of each other and shape would barely move the similarity.
    occupancy = np.asarray(tile, dtype=np.float64).ravel() / 255 - 0.5
    first = np.argmax(square, axis=1)
    last = side - 1 - np.argmax(square[:, ::-1], axis=1)
    extent: F64 = np.where(square.any(axis=1), (last - first + 1) / side, 0.0)
    band = np.arange(side) * PROFILE_ROWS // side
    counts = np.maximum(np.bincount(band, minlength=PROFILE_ROWS), 1)
    profile = np.bincount(band, weights=extent, minlength=PROFILE_ROWS) / counts - 0.5
    y0, y1, x0, x1 = box
    crop = mask[y0:y1, x0:x1]
    h, w = crop.shape
    # Separate pieces per row (legs, sleeves beside a body) tell trousers from skirts and jackets from tops.
    runs = (crop[:, 1:] & ~crop[:, :-1]).sum(axis=1) + crop[:, 0]
    quarter = np.arange(h) * 4 // h
    rows_per_quarter = np.maximum(np.bincount(quarter, minlength=4), 1)  # a box under 4 rows leaves gaps
    runs_per_quarter = np.bincount(quarter, weights=runs, minlength=4) / rows_per_quarter
    stats = _rbf([math.log(h / w), float(crop.mean()), *runs_per_quarter], _SHAPE_RANGES)
    return occupancy, profile, stats


class OfflineImageEmbedder:
    """Colour, texture and shape descriptors of garment images: fixed dimension, unit norm, no model."""

    def __init__(
        self,
        size: int = 128,
        *,
        weights: Mapping[str, float] | None = None,
        max_pixels: int = 50_000_000,
        workers: int = 1,
    ) -> None:
        if not isinstance(size, int) or not 32 <= size <= 1024:
            raise InvalidInput(f"image feature size must be an int in [32, 1024], got {size!r}", field="size")
        if workers < 1:
            raise InvalidInput(f"workers must be at least 1, got {workers}", field="workers")
        self._size, self._max_pixels, self._workers = size, max_pixels, workers
        self._weights = emb.merge_weights(DEFAULT_BLOCK_WEIGHTS, weights, "image block")
        self._name = f"offline-image-v1/{size}" + emb.weights_tag(self._weights, DEFAULT_BLOCK_WEIGHTS)

    @property
    def name(self) -> str:
        """Feature-space id: version, working size and (if not default) a digest of the block weights."""
        return self._name

    @property
    def dim(self) -> int:
        """Vector length (independent of the image and the weights)."""
        return _ENDS[-1]

    @property
    def weights(self) -> dict[str, float]:
        """The effective weight per block."""
        return dict(self._weights)

    def embed(self, items: Sequence[emb.EmbeddingInput]) -> emb.Vectors:
        """One unit row per item; InvalidInput if an item has no image (or it cannot be decoded)."""
        missing = [i for i, item in enumerate(items) if item.image is None]
        if missing:
            raise InvalidInput(f"{self._name} needs an image; item {missing[0]} has none", field="image")
        with ThreadPoolExecutor(self._workers) as pool:  # decoding and resizing release the GIL
            rows = list(pool.map(self._vector, [item.image for item in items]))
        return emb.normalize_rows(np.stack(rows) if rows else np.zeros((0, self.dim)))

    def _vector(self, image: bytes | Image.Image | None) -> F64:
        assert image is not None  # embed checked
        return self.features(to_rgb(image, max_pixels=self._max_pixels))

    def features(self, image: Image.Image) -> F64:
        """Weighted, not yet globally normalised, feature vector of one decoded RGB image."""
        lab = rgb_to_lab(np.asarray(resize_long_side(image, self._size)))
        mask = foreground(lab)
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        box = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        lum = lab[..., 0] / 100
        p = np.pad(lum, 1, mode="edge")  # Sobel gradients of the lightness
        gx = (p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2])
        gy = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])
        colour, shape = _color_blocks(lab, mask), _shape(mask, box)
        blocks = [*colour, _hog(gx, gy, box), _texture(gx, gy, lum, mask), *shape]  # in BLOCKS order
        return np.concatenate([_unit(v) * self._weights[k] for k, v in zip(BLOCKS, blocks, strict=True)])
