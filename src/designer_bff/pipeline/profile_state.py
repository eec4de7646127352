"""Stage 2 (style profile) data: portfolio items, their flat attributes and vectors, per-cluster statistics.

The profile is a pure function of `ProfileState`: per cluster the item count, summed item weight,
confidence-weighted attribute counts, coverage-weighted CIELAB colour sums and the sum of member vectors.
These are sufficient statistics, so adding or re-weighting images updates them exactly without
re-clustering (see `profile.update_profile`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from designer_bff.errors import InvalidInput
from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import hex_to_rgb, rgb_to_lab

F64 = NDArray[np.float64]

# Spec path → taxonomy category ("color" = the named colours). Photography is left out on purpose: how an
# image was shot says nothing about the designer's garments (the embedding stage skips it too).
PROFILE_PATHS: dict[str, str] = {
    "garment.type": "garment_type",
    "garment.silhouette": "silhouette",
    "garment.fit": "fit",
    "garment.neckline": "neckline",
    "garment.sleeve.type": "sleeve_type",
    "garment.sleeve.length": "sleeve_length",
    "garment.length": "length",
    "garment.waist": "waist",
    "garment.closures": "closure",
    "garment.pockets": "pockets",
    "garment.hem": "hem",
    "fabric.type": "fabric_type",
    "fabric.texture": "texture",
    "fabric.weight": "fabric_weight",
    "fabric.drape": "drape",
    "fabric.finish": "finish",
    "fabric.stretch": "stretch",
    "fabric.opacity": "opacity",
    "color.primary": "color",
    "color.secondary": "color",
    "color.pattern.type": "pattern",
    "color.pattern.scale": "pattern_scale",
    "construction.seams": "seams",
    "construction.stitching": "stitching",
    "construction.lining": "lining",
    "construction.embellishments": "embellishment",
    "construction.hardware": "hardware",
    "style.aesthetic": "aesthetic",
    "style.formality": "formality",
    "style.season": "season",
    "style.occasion": "occasion",
    "style.mood": "mood",
}
MULTI_PATHS = frozenset({"garment.closures", "construction.embellishments", "construction.hardware"})
COLOR_ONLY_PATHS = frozenset(
    {"color.primary", "color.secondary", "color.pattern.type", "color.pattern.scale"}
)
# A detail list given as [] states "no embellishments" and is recorded as this value; a missing key is not.
NONE = "none"
# Image features get this share of the combined vector's squared norm when used (the container's
# CombinedEmbedder weighs the attribute and image parts 1 : 1 as well).
FEATURE_SHARE = 0.5
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def path_values(path: str) -> tuple[str, ...]:
    """The taxonomy values a profile path may take (detail lists also take 'none')."""
    tax = load_taxonomy()
    category = PROFILE_PATHS[path]
    values = tuple(tax.colors) if category == "color" else tax.category(category).values
    return (*values, NONE) if path in MULTI_PATHS and NONE not in values else values


def _canonical(path: str, raw: object, item_id: str) -> str:
    tax = load_taxonomy()
    category = PROFILE_PATHS[path]
    value = None
    if isinstance(raw, str):
        value = tax.color(raw) if category == "color" else tax.category(category).lookup(raw)
        if value is None and path in MULTI_PATHS and raw.strip().lower() == NONE:
            value = NONE
    if value is None:
        raise InvalidInput(f"item {item_id}: {path} value {raw!r} is not in the taxonomy", field=path)
    return value


def flatten_spec(tree: Mapping[str, Any], item_id: str = "?") -> dict[str, list[str]]:
    """Stated attributes of a (possibly partial) spec tree: path → canonical values (one unless a list)."""
    flat: dict[str, list[str]] = {}
    for path in PROFILE_PATHS:
        node: Any = tree
        for key in path.split("."):
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is None or node == "":
            continue
        if path in MULTI_PATHS:
            raw = node if isinstance(node, list | tuple) else [node]
            values = list(dict.fromkeys(_canonical(path, v, item_id) for v in raw))
            flat[path] = [v for v in values if v != NONE] or [NONE]
        else:
            flat[path] = [_canonical(path, node, item_id)]
    return flat


@dataclass(frozen=True, eq=False)  # eq=False: ndarray fields cannot be compared with ==
class ProfileItem:
    """One portfolio image: its (maybe partial) spec tree, confidences, features, weight and palette."""

    id: str
    spec: Mapping[str, Any]
    confidence: Mapping[str, float] = field(default_factory=dict)
    features: NDArray[np.floating[Any]] | None = None
    weight: float = 1.0
    palette: Sequence[tuple[str, str, float]] = ()


@dataclass(frozen=True, eq=False)
class Observation:
    """An item reduced to what the statistics need: attributes, confidences, colours (Lab) and a digest."""

    id: str
    attrs: dict[str, list[str]]
    confidence: dict[str, float]
    weight: float
    colors: list[tuple[str, F64, float]]  # (taxonomy name, Lab, fraction of the item's palette)
    features: F64 | None
    digest: str


def _palette(item: ProfileItem, attrs: Mapping[str, list[str]]) -> list[tuple[str, str, float]]:
    if item.palette:
        return [(str(n), str(h), float(c)) for n, h, c in item.palette]
    color = item.spec.get("color") if isinstance(item.spec, Mapping) else None
    entries = color.get("palette") if isinstance(color, Mapping) else None
    if entries:
        return [(str(e.get("name", "")), str(e.get("hex", "")), float(e.get("coverage", 0))) for e in entries]
    # No measured palette: the named colours stand in, primary over secondary 2 : 1 (rank, not measurement).
    tax = load_taxonomy()
    named = [
        (attrs[p][0], share) for p, share in (("color.primary", 2.0), ("color.secondary", 1.0)) if p in attrs
    ]
    return [(name, tax.colors[name], share) for name, share in named]


def observe(item: ProfileItem) -> Observation:
    """Validate an item and reduce it to an `Observation` (InvalidInput naming the item and the field)."""
    if not isinstance(item.id, str) or not item.id:
        raise InvalidInput("every portfolio item needs a non-empty string id", field="id")
    weight = float(item.weight)
    if not (math.isfinite(weight) and weight >= 0):
        raise InvalidInput(
            f"item {item.id}: weight must be a finite number ≥ 0, got {item.weight!r}", field="weight"
        )
    attrs = flatten_spec(item.spec, item.id)
    confidence: dict[str, float] = {}
    for path in attrs:
        c = float(item.confidence.get(path, 1.0))
        if not (math.isfinite(c) and 0 <= c <= 1):
            raise InvalidInput(
                f"item {item.id}: confidence of {path} must be within 0..1, got {c}", field=path
            )
        confidence[path] = c
    tax = load_taxonomy()
    colors: list[tuple[str, F64, float]] = []
    raw_palette = _palette(item, attrs)
    total = sum(max(0.0, c) for _, _, c in raw_palette)
    for name, hex_value, coverage in raw_palette:
        if not _HEX.match(hex_value) or not (math.isfinite(coverage) and coverage >= 0):
            raise InvalidInput(
                f"item {item.id}: palette entry {name!r} needs #rrggbb and coverage ≥ 0", field="palette"
            )
        canonical = tax.color(name) if name else None
        canonical = canonical or tax.color(hex_value)
        assert canonical is not None  # a valid hex always has a nearest name
        if coverage > 0 and total > 0:
            lab = rgb_to_lab(np.array(hex_to_rgb(hex_value), dtype=np.float64))
            colors.append((canonical, lab, coverage / total))  # each image contributes its weight, once
    features = None
    if item.features is not None:
        features = np.asarray(item.features, dtype=np.float64).ravel()
        norm = float(np.linalg.norm(features))
        if features.size == 0 or not np.all(np.isfinite(features)) or norm == 0:
            raise InvalidInput(f"item {item.id}: features must be a finite non-zero vector", field="features")
        features = features / norm
    text = json.dumps([attrs, confidence, [(n, round(f, 6)) for n, _, f in colors]], sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Observation(item.id, attrs, confidence, weight, colors, features, digest)


# Colour stories a designer names (profile_naming words them): clustering compares palettes by these
# families as well as by CIELAB closeness, so rust, terracotta and camel read as one earthy story.
COLOR_FAMILIES: dict[str, tuple[str, ...]] = {
    "dark": ("black", "charcoal", "grey"),
    "light": ("white", "ivory", "cream", "beige", "silver"),
    "earth": ("camel", "tan", "brown", "chocolate", "rust", "terracotta", "khaki", "olive", "mustard"),
    "warm": ("orange", "coral", "red", "burgundy", "wine", "gold"),
    "soft": ("peach", "pink", "blush", "lavender", "lilac", "mint", "sky blue", "champagne", "sage"),
    "cool": ("navy", "indigo", "cobalt", "blue", "teal", "turquoise"),
    "jewel": ("fuchsia", "magenta", "purple", "plum", "emerald", "forest green"),
    "fresh": ("green", "yellow"),
}
FAMILY_OF = {c: f for f, members in COLOR_FAMILIES.items() for c in members}
# Width of the palette kernel in ΔE*ab, wider than the embedding's 20: a story groups neighbouring colours.
PALETTE_SIGMA = 25.0
# How much each attribute counts when grouping images into directions. Unlike the embedding stage (whose
# weights say what makes two designs *the same*, garment type first), a style direction is what a designer
# keeps across garment types: aesthetic, occasion and formality, cloth and drape, the colour story. Garment
# type and cut still count, lower, so a rail of blazers and trousers in one spirit stays one direction.
PROFILE_WEIGHTS: dict[str, float] = {
    "style.aesthetic": 1.0, "style.occasion": 0.8, "style.formality": 0.8, "style.mood": 0.5,
    "style.season": 0.3, "fabric.type": 0.7, "fabric.drape": 0.6, "fabric.finish": 0.5,
    "fabric.texture": 0.3, "fabric.weight": 0.3, "color.pattern.type": 0.5, "color.pattern.scale": 0.2,
    "garment.type": 0.6, "garment.silhouette": 0.5, "garment.fit": 0.3, "garment.neckline": 0.3,
    "garment.sleeve.length": 0.3, "garment.length": 0.3, "construction.embellishments": 0.3,
}  # fmt: skip
_OTHER_WEIGHT = 0.15  # every other profile path: a light tie-breaker
PALETTE_WEIGHT = 0.8  # the colour story (primary and secondary are read from the palette)


@dataclass(frozen=True)
class _Layout:
    index: dict[tuple[str, str], int]
    weights: dict[str, float]
    anchors: F64  # Lab of every taxonomy colour
    palette_start: int
    dim: int


@lru_cache(maxsize=1)
def _layout() -> _Layout:
    """One-hot layout over every non-colour profile path, then the palette block."""
    tax = load_taxonomy()
    index: dict[tuple[str, str], int] = {}
    weights: dict[str, float] = {}
    dim = 0
    for path, category in PROFILE_PATHS.items():
        if category == "color":
            continue  # primary and secondary are read from the palette block instead
        weights[path] = PROFILE_WEIGHTS.get(path, _OTHER_WEIGHT)
        for value in tax.category(category).values:
            index[(path, value)] = dim
            dim += 1
    anchors = rgb_to_lab(np.array([hex_to_rgb(h) for h in tax.colors.values()], dtype=np.float64))
    return _Layout(index, weights, anchors, dim, dim + len(COLOR_FAMILIES) + len(anchors))


def attribute_dim() -> int:
    """Length of the attribute part of a profile vector (fixed by the taxonomy)."""
    return _layout().dim


def path_weight(path: str) -> float:
    """How much a path counts when comparing images (colour names count as the palette does)."""
    return _layout().weights.get(path, PALETTE_WEIGHT)


def _palette_block(obs: Observation, lay: _Layout) -> F64:
    """Coverage-weighted colour-family histogram and CIELAB kernel histogram, each unit, joined 1 : 1."""
    families = np.zeros(len(COLOR_FAMILIES))
    kernel = np.zeros(len(lay.anchors))
    order = list(COLOR_FAMILIES)
    for name, lab, fraction in obs.colors:
        families[order.index(FAMILY_OF[name])] += fraction
        kernel += fraction * np.exp(-0.5 * (np.linalg.norm(lay.anchors - lab, axis=1) / PALETTE_SIGMA) ** 2)
    parts = [v / n if (n := float(np.linalg.norm(v))) > 0 else v for v in (families, kernel)]
    return np.concatenate(parts) / math.sqrt(2)


def attribute_vector(obs: Observation) -> F64:
    """Unit (or all-zero) weighted one-hot vector of the stated attributes, each scaled by its confidence.

    Colours enter as the palette (families and CIELAB neighbours, weighted by coverage) rather than as two
    exact names: a style direction is a colour story, and the names of measured colours are the nearest
    taxonomy entries, so a rust/terracotta boundary is measurement noise, not style.
    """
    lay = _layout()
    row = np.zeros(lay.dim)
    for path, values in obs.attrs.items():
        weight = lay.weights.get(path, 0.0) * obs.confidence[path]
        chosen = [v for v in values if (path, v) in lay.index]  # 'none' of a detail list encodes nothing
        for value in chosen:
            row[lay.index[(path, value)]] += weight / math.sqrt(len(chosen))
    if obs.colors:
        confidence = obs.confidence.get("color.primary", 1.0)
        row[lay.palette_start :] = PALETTE_WEIGHT * confidence * _palette_block(obs, lay)
    norm = float(np.linalg.norm(row))
    return row / norm if norm > 0 else row


def combine(attr: F64, features: F64 | None, feature_dim: int) -> F64:
    """Attribute part and (when the space has one) feature part, weighted by FEATURE_SHARE, unit norm."""
    if feature_dim == 0:
        return attr
    feat = features if features is not None else np.zeros(feature_dim)
    row = np.concatenate([math.sqrt(1 - FEATURE_SHARE) * attr, math.sqrt(FEATURE_SHARE) * feat])
    norm = float(np.linalg.norm(row))
    return row / norm if norm > 0 else row


@dataclass
class ClusterStats:
    """Sufficient statistics of one cluster (see the module docstring)."""

    size: int
    weight: float
    attributes: dict[str, dict[str, list[float]]]  # path → value → [Σ weight·confidence, Σ weight]
    colors: dict[str, list[float]]  # name → [Σ weight·fraction, and the same times L*, a*, b*]
    vector_sum: F64
    exemplars: list[tuple[float, str]]  # (cosine distance to the centre when recorded, id), nearest first

    @classmethod
    def empty(cls, dim: int) -> ClusterStats:
        """Statistics of a cluster with no members yet."""
        return cls(0, 0.0, {}, {}, np.zeros(dim), [])

    def add(self, obs: Observation, weight: float) -> None:
        """Add an observation with `weight` (negative to take a re-weighted image's old weight back out)."""
        self.weight += weight
        for path, values in obs.attrs.items():
            table = self.attributes.setdefault(path, {})
            share = weight / len(values)  # a detail list shares one image between its values
            for value in values:
                cell = table.setdefault(value, [0.0, 0.0])
                cell[0] += share * obs.confidence[path]
                cell[1] += share
        for name, lab, fraction in obs.colors:
            cell = self.colors.setdefault(name, [0.0, 0.0, 0.0, 0.0])
            mass = weight * fraction
            cell[0] += mass
            for j in range(3):
                cell[1 + j] += mass * float(lab[j])

    def centroid(self) -> F64:
        """Unit mean direction of the members' vectors (zeros for an empty cluster)."""
        norm = float(np.linalg.norm(self.vector_sum))
        return self.vector_sum / norm if norm > 0 else self.vector_sum


@dataclass
class ItemRecord:
    """Where an image sits in the state: its cluster, the weight it was counted with, its content digest."""

    cluster: int
    weight: float
    digest: str


@dataclass
class ProfileState:
    """Centroids and per-cluster sufficient statistics; JSON-serialisable with to_dict/from_dict."""

    seed: int
    k_range: tuple[int, int]
    feature_dim: int  # 0 when the space has no image-feature part
    clusters: list[ClusterStats]
    items: dict[str, ItemRecord]
    spread_mean: float  # mean leave-one-out cosine distance of members to their centre, at build time
    spread_std: float
    silhouette: float | None
    needs_rebuild: bool = False

    @property
    def dim(self) -> int:
        """Length of a vector in this state's space."""
        return attribute_dim() + self.feature_dim

    def centroids(self) -> F64:
        """(K, dim) unit centre per cluster."""
        if not self.clusters:
            return np.zeros((0, self.dim))
        return np.stack([c.centroid() for c in self.clusters])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (arrays as lists)."""
        return {
            "version": 1,
            "attributeDim": attribute_dim(),
            "seed": self.seed,
            "kRange": list(self.k_range),
            "featureDim": self.feature_dim,
            "spreadMean": self.spread_mean,
            "spreadStd": self.spread_std,
            "silhouette": self.silhouette,
            "needsRebuild": self.needs_rebuild,
            "items": {k: [r.cluster, r.weight, r.digest] for k, r in self.items.items()},
            "clusters": [
                {
                    "size": c.size,
                    "weight": c.weight,
                    "attributes": c.attributes,
                    "colors": c.colors,
                    "vectorSum": [float(v) for v in c.vector_sum],
                    "exemplars": [[d, i] for d, i in c.exemplars],
                }
                for c in self.clusters
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileState:
        """Inverse of to_dict; InvalidInput when the state was stored by another taxonomy or version."""
        if data.get("version") != 1 or data.get("attributeDim") != attribute_dim():
            raise InvalidInput(
                "stored profile state is from another version or taxonomy; rebuild it", field="state"
            )
        clusters = [
            ClusterStats(
                size=int(c["size"]),
                weight=float(c["weight"]),
                attributes={
                    p: {v: [float(x) for x in cell] for v, cell in t.items()}
                    for p, t in c["attributes"].items()
                },
                colors={n: [float(x) for x in cell] for n, cell in c["colors"].items()},
                vector_sum=np.asarray(c["vectorSum"], dtype=np.float64),
                exemplars=[(float(d), str(i)) for d, i in c["exemplars"]],
            )
            for c in data["clusters"]
        ]
        low, high = data["kRange"]
        return cls(
            seed=int(data["seed"]),
            k_range=(int(low), int(high)),
            feature_dim=int(data["featureDim"]),
            clusters=clusters,
            items={k: ItemRecord(int(c), float(w), str(d)) for k, (c, w, d) in data["items"].items()},
            spread_mean=float(data["spreadMean"]),
            spread_std=float(data["spreadStd"]),
            silhouette=None if data["silhouette"] is None else float(data["silhouette"]),
            needs_rebuild=bool(data["needsRebuild"]),
        )
