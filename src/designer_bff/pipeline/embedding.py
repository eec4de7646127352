"""Stage 11 (embedding): the Embedder protocol, spec attribute vectors, weighted combination, storage blobs.

Every embedder returns float32 rows of unit L2 norm, so the dot product of two rows is their cosine
similarity. A row is all zeros only when its input carries nothing the embedder can use (an attribute
embedder whose every positively weighted category is unset in the spec); such a row is similar to nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import hex_to_rgb, rgb_to_lab

Vectors = NDArray[np.float32]


@dataclass(frozen=True)
class EmbeddingInput:
    """What an embedder may look at: a canonical spec, an image (encoded bytes or decoded PIL), or both."""

    spec: GarmentSpec | None = None
    image: bytes | Image.Image | None = None


class Embedder(Protocol):
    """Maps inputs to L2-normalised float32 vectors of a fixed dimension (read-only `name` and `dim`)."""

    @property
    def name(self) -> str:
        """Identifies the feature space: vectors are comparable only between equal names."""
        ...

    @property
    def dim(self) -> int:
        """Length of every vector."""
        ...

    def embed(self, items: Sequence[EmbeddingInput]) -> Vectors:
        """(len(items), dim) float32 rows of norm 1; InvalidInput naming what is missing from an item."""
        ...


def normalize_rows(matrix: NDArray[np.floating]) -> Vectors:
    """Rows scaled to unit L2 norm as float32; all-zero rows stay zero."""
    m = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return (m / np.where(norms > 0, norms, 1.0)).astype(np.float32)


# Category → (attribute path in `GarmentSpec.attributes()`, default weight). The first seven follow what a
# designer means by "the same design": type, then cut, then cloth, then details. Colour and pattern matter
# but are the cheapest things to change, so they sit below the cut; the rest are light tie-breakers.
# Photography is left out on purpose: how a garment is shown says nothing about the garment.
CATEGORIES: dict[str, tuple[str, float]] = {
    "garment_type": ("garment.type", 1.0),
    "silhouette": ("garment.silhouette", 0.9),
    "fabric_type": ("fabric.type", 0.8),
    "neckline": ("garment.neckline", 0.7),
    "sleeve_type": ("garment.sleeve.type", 0.6),
    "sleeve_length": ("garment.sleeve.length", 0.6),
    "length": ("garment.length", 0.5),
    "color_primary": ("color.primary", 0.6),
    "pattern": ("color.pattern.type", 0.5),
    "color_secondary": ("color.secondary", 0.3),
    "fit": ("garment.fit", 0.4),
    "aesthetic": ("style.aesthetic", 0.4),
    "waist": ("garment.waist", 0.3),
    "closure": ("garment.closures", 0.3),
    "texture": ("fabric.texture", 0.3),
    "embellishment": ("construction.embellishments", 0.3),
    "formality": ("style.formality", 0.3),
    "hem": ("garment.hem", 0.2),
    "pockets": ("garment.pockets", 0.2),
    "pattern_scale": ("color.pattern.scale", 0.2),
    "fabric_weight": ("fabric.weight", 0.2),
    "drape": ("fabric.drape", 0.2),
    "finish": ("fabric.finish", 0.2),
    "occasion": ("style.occasion", 0.2),
    "hardware": ("construction.hardware", 0.15),
    "season": ("style.season", 0.15),
    "mood": ("style.mood", 0.15),
}
DEFAULT_WEIGHTS: dict[str, float] = {name: weight for name, (_, weight) in CATEGORIES.items()}
_MULTI = {"closure", "embellishment", "hardware"}
_COLOR_BLOCKS = {"color_primary", "color_secondary"}
# Share of a colour block's energy given to the CIELAB-similarity dims; the rest is the exact-name one-hot.
# A small share keeps "same colour" clearly best while rust still scores above navy against red.
COLOR_SIMILARITY_SHARE = 0.35
# Width of the colour-similarity kernel in ΔE*ab: colours closer than this count as neighbours.
COLOR_SIGMA = 20.0


def _check_weights(weights: Mapping[str, float], allowed: Sequence[str], what: str) -> None:
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"unknown {what} weight name(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}",
            field="weights",
            allowed=list(allowed),
        )
    for key, value in weights.items():
        if not (isinstance(value, int | float | np.floating) and math.isfinite(value) and value >= 0):
            raise InvalidInput(f"{what} weight {key} must be a finite number ≥ 0, got {value!r}", field=key)
    if not any(v > 0 for v in weights.values()):
        raise InvalidInput(f"at least one {what} weight must be positive", field="weights")


def merge_weights(
    defaults: Mapping[str, float], overrides: Mapping[str, float] | None, what: str
) -> dict[str, float]:
    """Defaults updated by `overrides`; InvalidInput naming the allowed names for an unknown one."""
    merged = {**defaults, **(overrides or {})}
    _check_weights(merged, list(defaults), what)
    return {k: float(v) for k, v in merged.items()}


def weights_tag(weights: Mapping[str, float], defaults: Mapping[str, float]) -> str:
    """'' for the default weights, else '/w-<8 hex digits>' so differently weighted spaces get other names."""
    if dict(weights) == dict(defaults):
        return ""
    text = ",".join(f"{k}={weights[k]!r}" for k in sorted(weights))
    return "/w-" + hashlib.sha256(text.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class _Block:
    name: str
    path: str
    start: int
    values: tuple[str, ...]


class AttributeEmbedder:
    """A canonical spec → weighted one-hot / multi-hot vector over the taxonomy (cosine = weighted agreement).

    Each set category contributes exactly weight² to the squared norm (a multi-valued one spreads it evenly
    over its values); unset categories contribute nothing, so "unknown" never counts as agreement.
    """

    def __init__(self, weights: Mapping[str, float] | None = None) -> None:
        tax = load_taxonomy()
        self._weights = merge_weights(DEFAULT_WEIGHTS, weights, "attribute")
        self._name = f"attributes-v1/taxonomy-{tax.version}" + weights_tag(self._weights, DEFAULT_WEIGHTS)
        colors = tuple(tax.colors)
        lab = rgb_to_lab(np.array([hex_to_rgb(tax.colors[c]) for c in colors], dtype=np.float64))
        distance = np.linalg.norm(lab[:, None, :] - lab[None, :, :], axis=-1)
        kernel = np.exp(-0.5 * (distance / COLOR_SIGMA) ** 2)
        self._color_kernel = kernel / np.linalg.norm(kernel, axis=1, keepdims=True)
        layout: list[tuple[str, str]] = []
        blocks: list[_Block] = []
        for name, (path, _) in CATEGORIES.items():
            values = colors if name in _COLOR_BLOCKS else tax.category(name).values
            blocks.append(_Block(name, path, len(layout), values))
            layout.extend((path, v) for v in values)
            if name in _COLOR_BLOCKS:
                # "~navy" = how close the colour is to navy in CIELAB; makes similar colours near.
                layout.extend((path, f"~{v}") for v in values)
        self._blocks = tuple(blocks)
        self._layout = tuple(layout)

    @property
    def name(self) -> str:
        """Feature-space id: version, taxonomy version and (if not default) a digest of the weights."""
        return self._name

    @property
    def dim(self) -> int:
        """Vector length, fixed by the taxonomy (independent of weights and of the spec)."""
        return len(self._layout)

    @property
    def layout(self) -> tuple[tuple[str, str], ...]:
        """(attribute path, value) per dimension; '~value' marks a colour-similarity dimension."""
        return self._layout

    @property
    def weights(self) -> dict[str, float]:
        """The effective weight per category."""
        return dict(self._weights)

    def block_slice(self, category: str) -> slice:
        """The dimensions belonging to one weight category."""
        for block in self._blocks:
            if block.name == category:
                width = len(block.values) * (2 if category in _COLOR_BLOCKS else 1)
                return slice(block.start, block.start + width)
        raise InvalidInput(f"unknown category {category!r}", field="category", allowed=list(CATEGORIES))

    def embed(self, items: Sequence[EmbeddingInput]) -> Vectors:
        """One unit row per item; InvalidInput if an item has no spec."""
        out = np.zeros((len(items), self.dim), dtype=np.float64)
        for i, item in enumerate(items):
            if item.spec is None:
                raise InvalidInput(f"{self._name} needs a spec; item {i} has none", field="spec")
            self._fill(out[i], item.spec.attributes())
        return normalize_rows(out)

    def _fill(self, row: NDArray[np.float64], attrs: Mapping[str, str]) -> None:
        for block in self._blocks:
            weight = self._weights[block.name]
            raw = attrs.get(block.path)
            if weight <= 0 or not raw:
                continue
            chosen = list(dict.fromkeys(raw.split(","))) if block.name in _MULTI else [raw]
            for value in chosen:
                try:
                    index = block.values.index(value)
                except ValueError:
                    raise InvalidInput(
                        f"{block.path} value {value!r} is not in the taxonomy", field=block.path
                    ) from None
                share = weight / math.sqrt(len(chosen))
                if block.name in _COLOR_BLOCKS:
                    n = len(block.values)
                    row[block.start + index] += share * math.sqrt(1 - COLOR_SIMILARITY_SHARE)
                    similar = self._color_kernel[index] * share * math.sqrt(COLOR_SIMILARITY_SHARE)
                    row[block.start + n : block.start + 2 * n] += similar
                else:
                    row[block.start + index] += share


class CombinedEmbedder:
    """Weighted concatenation of other embedders' unit vectors, renormalised (a part's share of cos ∝ w²)."""

    def __init__(self, parts: Sequence[tuple[Embedder, float]]) -> None:
        if not parts:
            raise InvalidInput("a combined embedder needs at least one part", field="parts")
        weights = {f"{i}:{e.name}": w for i, (e, w) in enumerate(parts)}
        _check_weights(weights, list(weights), "part")
        self._parts = tuple((e, float(w)) for e, w in parts)
        self._name = "combined(" + " + ".join(f"{w:g}*{e.name}" for e, w in self._parts) + ")"

    @property
    def name(self) -> str:
        """'combined(0.7*<name> + 0.3*<name>)'."""
        return self._name

    @property
    def dim(self) -> int:
        """Sum of the parts' dimensions."""
        return sum(e.dim for e, _ in self._parts)

    @property
    def parts(self) -> tuple[tuple[Embedder, float], ...]:
        """The (embedder, weight) pairs in concatenation order."""
        return self._parts

    def embed(self, items: Sequence[EmbeddingInput]) -> Vectors:
        """Concatenate weight × part vectors and renormalise; a part with weight 0 is not even run."""
        blocks: list[Vectors] = []
        for embedder, weight in self._parts:
            if weight == 0:
                # Skipping (rather than multiplying by 0) means a disabled part cannot demand its input.
                blocks.append(np.zeros((len(items), embedder.dim), dtype=np.float32))
                continue
            vectors = embedder.embed(items)
            if vectors.shape != (len(items), embedder.dim):
                raise ValueError(
                    f"{embedder.name} returned shape {vectors.shape}, expected {(len(items), embedder.dim)}"
                )
            blocks.append(vectors * np.float32(weight))
        return normalize_rows(np.concatenate(blocks, axis=1))


def to_blob(vec: NDArray[np.floating]) -> bytes:
    """A 1-D vector as little-endian float32 bytes (4 bytes per value) for storage."""
    array = np.asarray(vec)
    if array.ndim != 1:
        raise ValueError(f"to_blob stores one vector at a time; got shape {array.shape}")
    return array.astype("<f4").tobytes()


def from_blob(data: bytes, dim: int) -> Vectors:
    """The float32 vector stored by `to_blob`; ValueError if the byte length does not match `dim`."""
    if len(data) != 4 * dim:
        raise ValueError(
            f"embedding blob has {len(data)} bytes, expected {4 * dim} ({dim} float32 values); "
            "it was written by a different embedder or is corrupt"
        )
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def stack_blobs(blobs: Sequence[bytes]) -> Vectors:
    """Stored vectors of one feature space as an (n, dim) matrix; ValueError if their lengths differ."""
    dims = {len(b) // 4 for b in blobs}
    if len(dims) > 1:
        raise ValueError(
            f"stored vectors have different dimensions {sorted(dims)}; they come from different embedders"
        )
    return np.stack([from_blob(b, len(b) // 4) for b in blobs])
