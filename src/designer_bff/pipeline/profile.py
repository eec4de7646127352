"""Stage 2 (style profile): portfolio images → named style clusters with weights and distributions.

Each image becomes one vector: its stated attributes (one-hot, weighted like the embedding stage and scaled
by the analyser's confidence) joined with its image features when the portfolio has them. Spherical k-means
picks K by silhouette (`clustering.cluster`); the clusters' sufficient statistics form a `ProfileState`,
from which `profile_naming.render_profile` writes the `StyleProfile`. Pure: no I/O, seeded.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from designer_bff.domain.profile import StyleProfile
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.clustering import cluster
from designer_bff.pipeline.profile_naming import name_clusters, path_label, percentages, render_profile
from designer_bff.pipeline.profile_state import (
    F64,
    ClusterStats,
    ItemRecord,
    Observation,
    ProfileItem,
    ProfileState,
    attribute_dim,
    attribute_vector,
    combine,
    observe,
    path_weight,
)

__all__ = [
    "Drift",
    "ProfileItem",
    "ProfileState",
    "build_profile",
    "build_profile_state",
    "drift_score",
    "state_from_assignment",
    "update_profile",
]

# A direction needs at least three images: with two, any pair of look-alikes (or two outliers) would be
# called a style, and the silhouette rewards splitting such pairs off. So K <= n // 3, and a portfolio of
# fewer than 6 images is one direction.
MIN_CLUSTER_SIZE = 3
# Features are used only when at least half the images have them; otherwise most rows would carry borrowed
# (imputed) features and the image part would mostly echo the attribute part.
MIN_FEATURE_SHARE = 0.5
IMPUTE_NEIGHBOURS = 5
EXEMPLARS = 5
# An update asks for a rebuild when the new images sit, on average, this much farther from their nearest
# centre than the members did at build time (and by more than 3 standard errors of that mean).
REBUILD_MARGIN = 0.5
# Drift: a batch whose distance ratio is 1 + RATIO_SPAN (2.5× the usual spread) counts as fully novel.
RATIO_SPAN = 1.5


def _encode_for_build(obs: Sequence[Observation]) -> tuple[F64, list[int], int]:
    """Vectors of the encodable items, their indices, and the feature dimension (0 = no feature part)."""
    attrs = np.stack([attribute_vector(o) for o in obs]) if obs else np.zeros((0, attribute_dim()))
    featured = [i for i, o in enumerate(obs) if o.features is not None]
    dims = {obs[i].features.size for i in featured}  # type: ignore[union-attr]
    if len(dims) > 1:
        raise InvalidInput(f"items have image features of different lengths {sorted(dims)}", field="features")
    feature_dim = dims.pop() if dims and len(featured) >= MIN_FEATURE_SHARE * len(obs) else 0
    rows: list[F64] = []
    kept: list[int] = []
    has_attr = np.linalg.norm(attrs, axis=1) > 0
    for i, o in enumerate(obs):
        features = o.features if feature_dim else None
        if feature_dim and features is None and has_attr[i]:
            # Borrow features from the images whose attributes are most alike (mean of the nearest few).
            sims = attrs[featured] @ attrs[i]
            nearest = [featured[j] for j in np.argsort(-sims, kind="stable")[:IMPUTE_NEIGHBOURS]]
            mean = np.mean([obs[j].features for j in nearest], axis=0)
            features = mean / max(float(np.linalg.norm(mean)), 1e-12)
        row = combine(attrs[i], features, feature_dim)
        if np.linalg.norm(row) > 0:  # an image with nothing measured cannot be placed: it is left out
            rows.append(row)
            kept.append(i)
    return (np.stack(rows) if rows else np.zeros((0, attribute_dim() + feature_dim))), kept, feature_dim


def _observe_all(items: Sequence[ProfileItem]) -> list[Observation]:
    obs = [observe(item) for item in items]
    seen: set[str] = set()
    for o in obs:
        if o.id in seen:
            raise InvalidInput(f"duplicate portfolio item id {o.id!r}", field="id")
        seen.add(o.id)
    return obs


def _state(
    obs: Sequence[Observation],
    vectors: F64,
    labels: Sequence[int],
    *,
    seed: int,
    k_range: tuple[int, int],
    feature_dim: int,
    silhouette: float | None,
) -> ProfileState:
    k = max(labels) + 1 if len(labels) else 0
    stats = [ClusterStats.empty(vectors.shape[1]) for _ in range(k)]
    for o, v, c in zip(obs, vectors, labels, strict=True):
        stats[c].add(o, o.weight)
        stats[c].size += 1
        stats[c].vector_sum = stats[c].vector_sum + v
    distances = np.array([1.0 - float(v @ stats[c].centroid()) for v, c in zip(vectors, labels, strict=True)])
    for c, s in enumerate(stats):
        members = [(float(distances[i]), obs[i].id) for i in range(len(obs)) if labels[i] == c]
        s.exemplars = sorted(members)[:EXEMPLARS]
    items = {o.id: ItemRecord(int(c), o.weight, o.digest) for o, c in zip(obs, labels, strict=True)}
    # The spread new images are compared with is measured leave-one-out (each member against its centre
    # without itself): a new image is never part of the centre it is measured against, so in-sample
    # distances would make every batch look a little off-profile.
    held_out = []
    for v, c in zip(vectors, labels, strict=True):
        rest = stats[c].vector_sum - v
        norm = float(np.linalg.norm(rest))
        if stats[c].size > 1 and norm > 0:
            held_out.append(1.0 - float(v @ rest) / norm)
    spread_mean = float(np.mean(held_out)) if held_out else 0.0
    spread_std = float(np.std(held_out)) if held_out else 0.0
    return ProfileState(seed, k_range, feature_dim, stats, items, spread_mean, spread_std, silhouette)


def _check_k_range(k_range: tuple[int, int]) -> tuple[int, int]:
    if len(k_range) != 2 or not 2 <= int(k_range[0]) <= int(k_range[1]):
        raise InvalidInput(
            f"k_range must be (low, high) with 2 <= low <= high, got {k_range!r}", field="k_range"
        )
    return int(k_range[0]), int(k_range[1])


def build_profile_state(
    items: Sequence[ProfileItem], *, seed: int, k_range: tuple[int, int] = (3, 8)
) -> tuple[ProfileState, StyleProfile]:
    """Cluster the portfolio (K by silhouette, K <= n // 3) and return the state and the written profile."""
    low, high = _check_k_range(k_range)
    obs = _observe_all(items)
    vectors, kept, feature_dim = _encode_for_build(obs)
    used = [obs[i] for i in kept]
    n = len(used)
    k_max = min(high, n // MIN_CLUSTER_SIZE)
    silhouette: float | None = None
    labels: list[int] = [0] * n
    if k_max >= 2:
        result = cluster(vectors, k_range=(min(low, k_max), k_max), seed=seed)
        labels = [int(v) for v in result.labels]
        silhouette = round(result.silhouette, 4) if result.k > 1 else None
    state = _state(
        used, vectors, labels, seed=seed, k_range=(low, high), feature_dim=feature_dim, silhouette=silhouette
    )
    return state, render_profile(state)


def build_profile(
    items: Sequence[ProfileItem], *, seed: int, k_range: tuple[int, int] = (3, 8)
) -> StyleProfile:
    """The style profile of a portfolio (see `build_profile_state` for the incremental state as well)."""
    return build_profile_state(items, seed=seed, k_range=k_range)[1]


def state_from_assignment(
    items: Sequence[ProfileItem], labels: Sequence[int], *, seed: int, k_range: tuple[int, int] = (3, 8)
) -> ProfileState:
    """The state for a given cluster assignment (one label per item, 0..K-1), without clustering."""
    obs = _observe_all(items)
    vectors, kept, feature_dim = _encode_for_build(obs)
    if len(kept) != len(obs) or len(labels) != len(obs):
        raise InvalidInput("every item needs a label and at least one measured attribute", field="labels")
    return _state(
        obs,
        vectors,
        [int(v) for v in labels],
        seed=seed,
        k_range=k_range,
        feature_dim=feature_dim,
        silhouette=None,
    )


def _vectors_in(state: ProfileState, obs: Sequence[Observation]) -> tuple[F64, list[int]]:
    """Vectors of `obs` in the state's space; a missing feature part is borrowed from the nearest centre."""
    centres = state.centroids()
    a_dim = attribute_dim()
    rows: list[F64] = []
    kept: list[int] = []
    for i, o in enumerate(obs):
        attr = attribute_vector(o)
        features = o.features if state.feature_dim else None
        if features is not None and features.size != state.feature_dim:
            raise InvalidInput(
                f"item {o.id}: features have {features.size} values, the profile uses {state.feature_dim}",
                field="features",
            )
        if state.feature_dim and features is None and np.linalg.norm(attr) > 0 and len(centres):
            nearest = centres[int(np.argmax(centres[:, :a_dim] @ attr))][a_dim:]
            features = nearest / max(float(np.linalg.norm(nearest)), 1e-12)
        row = combine(attr, features, state.feature_dim)
        if np.linalg.norm(row) > 0:
            rows.append(row)
            kept.append(i)
    return (np.stack(rows) if rows else np.zeros((0, state.dim))), kept


def _nearest(state: ProfileState, vectors: F64) -> tuple[list[int], F64]:
    sims = vectors @ state.centroids().T
    labels = [int(v) for v in np.argmax(sims, axis=1)]
    return labels, 1.0 - sims[np.arange(len(vectors)), labels]


def _off_profile(state: ProfileState, distances: F64) -> bool:
    """True when the batch's mean distance to its nearest centre exceeds the recorded spread by a margin."""
    if len(distances) == 0:
        return False
    margin = max(REBUILD_MARGIN * state.spread_mean, 3 * state.spread_std / math.sqrt(len(distances)))
    return float(distances.mean()) > state.spread_mean + margin


def update_profile(
    profile_state: ProfileState, new_items: Sequence[ProfileItem]
) -> tuple[ProfileState, StyleProfile]:
    """Add images (nearest centre) or re-weight known ones (same id) without re-clustering.

    The returned state's `needs_rebuild` turns (and stays) True when the new images sit well outside the
    clusters, when a known id arrives with a different spec (its old contribution cannot be taken out
    exactly), or when the portfolio has grown past the size that limited K to one.
    """
    state = copy.deepcopy(profile_state)
    obs = _observe_all(new_items)
    known = [o for o in obs if o.id in state.items]
    fresh = [o for o in obs if o.id not in state.items]
    rebuild = False
    for o in known:
        record = state.items[o.id]
        rebuild |= record.digest != o.digest
        state.clusters[record.cluster].add(o, o.weight - record.weight)
        state.items[o.id] = ItemRecord(record.cluster, o.weight, o.digest)
    if fresh and not state.clusters:
        rebuild = True  # an empty profile has no centres to place images near
    elif fresh:
        vectors, kept = _vectors_in(state, fresh)
        labels, distances = _nearest(state, vectors)
        rebuild |= _off_profile(state, distances)
        for i, c, v, d in zip(kept, labels, vectors, distances, strict=True):
            stats = state.clusters[c]
            stats.add(fresh[i], fresh[i].weight)
            stats.size += 1
            stats.vector_sum = stats.vector_sum + v
            stats.exemplars = sorted([*stats.exemplars, (float(d), fresh[i].id)])[:EXEMPLARS]
            state.items[fresh[i].id] = ItemRecord(c, fresh[i].weight, fresh[i].digest)
    if len(state.clusters) == 1 and len(state.items) // MIN_CLUSTER_SIZE >= 2:
        rebuild = True  # K was clamped to one by the portfolio's size; there may now be room for directions
    state.needs_rebuild = state.needs_rebuild or rebuild
    return state, render_profile(state)


@dataclass(frozen=True)
class Drift:
    """How far a batch is from the profile: score 0..1, per-attribute JS divergence, distance ratio."""

    score: float
    divergences: dict[str, float]  # spec path → bias-corrected Jensen–Shannon divergence (bits, 0..1)
    distance_ratio: float  # batch mean distance to the nearest centre ÷ the profile's own spread
    explanation: str
    mix_shift: float = 0.0  # JS divergence (bits) of the batch's spread over directions from the weights


def _shares(table: dict[str, list[float]]) -> dict[str, float]:
    total = sum(cell[0] for cell in table.values() if cell[0] > 0)
    return {v: cell[0] / total for v, cell in table.items() if cell[0] > 0} if total > 0 else {}


def _js_bits(p: dict[str, float], q: dict[str, float]) -> float:
    keys = sorted(set(p) | set(q))
    a = np.array([p.get(k, 0.0) for k in keys])
    b = np.array([q.get(k, 0.0) for k in keys])
    m = (a + b) / 2

    def kl(x: F64) -> float:
        nz = x > 0
        return float(np.sum(x[nz] * np.log2(x[nz] / m[nz])))

    return max(0.0, 0.5 * kl(a) + 0.5 * kl(b))


def _expected(state: ProfileState, mix: dict[int, float], path: str) -> tuple[dict[str, float], float]:
    """The path's distribution the profile predicts for a batch spread over directions as `mix`."""
    parts = [(w, state.clusters[c].attributes.get(path, {})) for c, w in mix.items() if w > 0]
    parts = [(w, t) for w, t in parts if _shares(t)]
    total = sum(w for w, _ in parts)
    expected: dict[str, float] = {}
    for w, table in parts:
        for value, share in _shares(table).items():
            expected[value] = expected.get(value, 0.0) + w / total * share
    images = sum(sum(cell[1] for cell in t.values()) for _, t in parts)
    return expected, images


def drift_score(profile_state: ProfileState, batch_items: Sequence[ProfileItem]) -> Drift:
    """Compare a batch with the profile: attribute distributions (JS divergence) and distance to the centres.

    Each batch image is placed at its nearest direction; the batch's distributions are compared with the
    mixture of those directions' distributions, so a batch of, say, only evening pieces from an existing
    evening direction does not count as drift (its change of mix is reported as `mix_shift`). The JS
    divergence of a finite sample from its own source is positive on average, ≈ (k-1)/(8 ln 2)·(1/m + 1/n)
    bits for k values and m, n images; that bias is subtracted so a batch drawn from the profile scores ≈ 0.
    The score is the larger of the JS distance (√ of the path-weighted mean divergence) and the novelty of
    the distance ratio ((ratio - 1) / RATIO_SPAN, clipped to 0..1).
    """
    state = profile_state
    obs = _observe_all(batch_items)
    mix: dict[int, float] = {}
    ratio = 0.0
    if state.clusters and obs:
        vectors, kept = _vectors_in(state, obs)
        if len(vectors):
            labels, distances = _nearest(state, vectors)
            ratio = float(distances.mean()) / max(state.spread_mean, 1e-9)
            for i, c in zip(kept, labels, strict=True):
                mix[c] = mix.get(c, 0.0) + obs[i].weight
    total_mix = sum(mix.values())
    mix = {c: w / total_mix for c, w in mix.items()} if total_mix > 0 else {}
    batch = ClusterStats.empty(state.dim)
    for o in obs:
        batch.add(o, o.weight)
    divergences: dict[str, float] = {}
    described: dict[str, tuple[str, str]] = {}
    weights: dict[str, float] = {}
    for path, table in batch.attributes.items():
        q, n = _expected(state, mix, path)
        p = _shares(table)
        if not p or not q:
            continue
        stating = [o.weight / len(o.attrs[path]) for o in obs if path in o.attrs]
        m_eff = sum(stating) ** 2 / max(sum(w * w for w in stating), 1e-12)  # Kish effective sample size
        bias = (len(set(p) | set(q)) - 1) / (8 * math.log(2)) * (1 / m_eff + 1 / max(n, 1.0))
        divergences[path] = round(max(0.0, _js_bits(p, q) - bias), 4)
        described[path] = (max(p, key=lambda k: (p[k], k)), max(q, key=lambda k: (q[k], k)))
        weights[path] = sum(stating) * path_weight(path)
    total = sum(weights.values())
    js_mean = sum(divergences[p] * weights[p] for p in divergences) / total if total > 0 else 0.0
    novelty = min(1.0, max(0.0, (ratio - 1.0) / RATIO_SPAN))
    score = round(max(math.sqrt(js_mean), novelty), 3)
    own = {str(c): max(0.0, s.weight) for c, s in enumerate(state.clusters)}
    own_total = sum(own.values())
    mix_shift = (
        _js_bits({str(c): w for c, w in mix.items()}, {c: w / own_total for c, w in own.items()})
        if mix and own_total > 0
        else 0.0
    )
    return Drift(
        score,
        divergences,
        round(ratio, 3),
        _explain(state, score, divergences, described, ratio, mix),
        round(mix_shift, 4),
    )


def _explain(
    state: ProfileState,
    score: float,
    divergences: dict[str, float],
    described: dict[str, tuple[str, str]],
    ratio: float,
    mix: dict[int, float],
) -> str:
    moved = sorted((p for p in divergences if divergences[p] >= 0.05), key=lambda p: (-divergences[p], p))[:3]
    if not moved:
        text = f"No notable drift ({score:.2f}): the batch follows its directions' distributions"
    else:
        first = moved[0]
        now, was = described[first]
        text = (
            f"Drift {score:.2f}: {path_label(first)} moved most "
            f"(JS {divergences[first]:.2f}; now mostly {now}, was {was})"
        )
        if len(moved) > 1:
            text += ", then " + " and ".join(f"{path_label(p)} ({divergences[p]:.2f})" for p in moved[1:])
    text += f"; images sit {ratio:.1f}× the profile's usual distance from their nearest direction"
    if mix:
        top = max(mix, key=lambda c: (mix[c], -c))
        name = name_clusters(state)[top][0]
        own = percentages([max(0.0, c.weight) for c in state.clusters])[top]
        text += f"; {mix[top] * 100:.0f} % of the batch falls in {name} ({own:.0f} % of the profile)"
    return text + "."
