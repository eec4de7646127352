"""Stage 12 (clustering): group a batch's feature rows into looks with spherical k-means, K by silhouette.

Rows are L2-normalised and clustered with Lloyd k-means, which on the unit sphere approximates cosine
geometry; K is the one with the highest cosine silhouette over `k_range`. Pure numpy, no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from designer_bff.errors import InvalidInput

_RESTARTS = 8  # k-means++ restarts per K; the lowest inertia wins
_MAX_ITER = 100
_NAME_PARTS = 3

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ClusterSummary:
    """One cluster: size, share of the batch, most central rows, dominant attribute values and a name."""

    label: int
    size: int
    share: float
    central: list[int]
    dominant: dict[str, tuple[str, float]]
    name: str


# eq=False: ndarray equality is element-wise, so a generated __eq__ would raise on `if a == b`.
@dataclass(frozen=True, eq=False)
class Clustering:
    """A partition of the rows: labels (0..k-1, largest cluster first), K, silhouette and summaries."""

    labels: IntArray
    k: int
    silhouette: float
    scores: dict[int, float]
    clusters: list[ClusterSummary]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (labels as a list, score keys as strings)."""
        return {
            "labels": [int(v) for v in self.labels],
            "k": self.k,
            "silhouette": self.silhouette,
            "scores": {str(k): v for k, v in self.scores.items()},
            "clusters": [
                {
                    "label": c.label,
                    "size": c.size,
                    "share": c.share,
                    "central": list(c.central),
                    "dominant": {p: {"value": v, "share": s} for p, (v, s) in c.dominant.items()},
                    "name": c.name,
                }
                for c in self.clusters
            ],
        }


def _unit_rows(features: ArrayLike, field: str = "features") -> FloatArray:
    try:
        x = np.asarray(features, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field} must be a numeric 2-D array", field=field) from exc
    if x.ndim != 2:
        raise InvalidInput(f"{field} must be 2-D (rows × dimensions), got {x.ndim}-D", field=field)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise InvalidInput(f"{field} is empty (shape {x.shape})", field=field)
    if not np.all(np.isfinite(x)):
        raise InvalidInput(f"{field} contains NaN or infinite values", field=field)
    # Scale by the max first so the norm of very large finite rows cannot overflow to inf.
    scale = np.max(np.abs(x), axis=1)
    zero = np.flatnonzero(scale == 0)
    if zero.size:
        raise InvalidInput(f"{field} row {int(zero[0])} is all zeros; cosine needs a direction", field=field)
    x = x / scale[:, None]
    unit: FloatArray = x / np.linalg.norm(x, axis=1)[:, None]
    return unit


def _check_k_range(k_range: tuple[int, int]) -> tuple[int, int]:
    ok = (
        isinstance(k_range, tuple | list)
        and len(k_range) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in k_range)
    )
    if not ok or not 2 <= k_range[0] <= k_range[1]:
        raise InvalidInput(
            f"k_range must be (low, high) integers with 2 <= low <= high, got {k_range!r}", field="k_range"
        )
    return int(k_range[0]), int(k_range[1])


def _sq_dist(x: FloatArray, centres: FloatArray) -> FloatArray:
    # Rows are unit vectors, so |x|² = 1 needs no recomputation on every iteration.
    d2: FloatArray = np.maximum(1.0 - 2.0 * (x @ centres.T) + (centres * centres).sum(1)[None, :], 0.0)
    return d2  # clipped: rounding can dip just below zero


def _kmeans_pp(x: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    n = len(x)
    centres = np.empty((k, x.shape[1]))
    centres[0] = x[rng.integers(n)]
    d2 = ((x - centres[0]) ** 2).sum(1)
    for j in range(1, k):
        total = d2.sum()
        idx = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
        centres[j] = x[idx]
        d2 = np.minimum(d2, ((x - centres[j]) ** 2).sum(1))
    return centres


def _lloyd(x: FloatArray, centres: FloatArray) -> tuple[IntArray, float]:
    n, k = len(x), len(centres)
    labels = np.full(n, -1, dtype=np.int64)
    rows = np.arange(n)
    for _ in range(_MAX_ITER):
        d2 = _sq_dist(x, centres)
        new = np.argmin(d2, axis=1).astype(np.int64)
        counts = np.bincount(new, minlength=k)
        if np.any(counts == 0):
            # An empty cluster takes the point worst served by its centre (from a cluster that can spare it).
            own = d2[rows, new]
            for j in np.flatnonzero(counts == 0):
                for i in np.argsort(-own, kind="stable"):
                    if counts[new[i]] > 1:
                        break
                counts[new[i]] -= 1
                new[i], counts[j], own[i] = j, 1, 0.0
        if np.array_equal(new, labels):
            break
        labels = new
        centres = np.stack([x[labels == j].mean(0) for j in range(k)])
    inertia = float(((x - centres[labels]) ** 2).sum())
    return labels, inertia


def _fit(x: FloatArray, k: int, seed: int) -> IntArray:
    # One generator per (seed, K): the partition for a K does not depend on which other Ks were tried.
    rng = np.random.default_rng((seed, k))
    best: tuple[float, IntArray] | None = None
    for _ in range(_RESTARTS):
        labels, inertia = _lloyd(x, _kmeans_pp(x, k, rng))
        if best is None or inertia < best[0]:
            best = (inertia, labels)
    assert best is not None
    return _canonical(best[1], k)


def _canonical(labels: IntArray, k: int) -> IntArray:
    """Relabel so cluster 0 is the largest (ties: the one holding the earliest row)."""
    sizes = np.bincount(labels, minlength=k)
    first = np.array([np.flatnonzero(labels == j)[0] for j in range(k)])
    order = sorted(range(k), key=lambda j: (-sizes[j], first[j]))
    mapping = np.empty(k, dtype=np.int64)
    mapping[order] = np.arange(k)
    return mapping[labels]


def _silhouette(unit: FloatArray, labels: IntArray, k: int) -> float:
    # Cosine distance is 1 - u·v on unit rows, so the sum of distances from row i to cluster c is
    # |c| - u_i·S_c (S_c = sum of the cluster's rows): exact silhouette in O(n·k·d), not O(n²·d).
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.zeros((k, unit.shape[1]))
    np.add.at(sums, labels, unit)
    dist_sum = np.maximum(sizes[None, :] - unit @ sums.T, 0.0)
    rows = np.arange(len(unit))
    own_size = sizes[labels]
    a = np.where(own_size > 1, dist_sum[rows, labels] / np.maximum(own_size - 1, 1), 0.0)
    other = dist_sum / sizes[None, :]
    other[rows, labels] = np.inf
    b = other.min(axis=1)
    denom = np.maximum(a, b)
    s = np.where((own_size > 1) & (denom > 0), (b - a) / np.where(denom > 0, denom, 1.0), 0.0)
    return float(s.mean())


def cosine_silhouette(features: ArrayLike, labels: ArrayLike) -> float:
    """Mean silhouette of `labels` under cosine distance (singleton clusters score 0, as in sklearn)."""
    unit = _unit_rows(features)
    lab = np.asarray(labels)
    if lab.shape != (len(unit),) or not np.issubdtype(lab.dtype, np.integer):
        raise InvalidInput("labels must be one integer per feature row", field="labels")
    _, dense = np.unique(lab, return_inverse=True)
    k = int(dense.max()) + 1
    if not 2 <= k <= len(unit) - 1:
        raise InvalidInput(f"silhouette needs 2..n-1 clusters, got {k} for n={len(unit)}", field="labels")
    return _silhouette(unit, dense.astype(np.int64), k)


def cluster(
    features: ArrayLike,
    k_range: tuple[int, int] = (3, 8),
    seed: int = 0,
    *,
    attributes: Sequence[Mapping[str, str]] | None = None,
    central: int = 3,
) -> Clustering:
    """Spherical k-means over `k_range` (clamped to K <= n-1 and distinct rows), K by cosine silhouette.

    With n <= 2 rows (or fewer than two distinct directions) no K >= 2 has a silhouette, so the result
    is a single cluster with silhouette 0 and empty `scores`.
    """
    unit = _unit_rows(features)
    low, high = _check_k_range(k_range)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInput(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    if isinstance(central, bool) or not isinstance(central, int) or central < 0:
        raise InvalidInput(f"central must be a non-negative integer, got {central!r}", field="central")
    n = len(unit)
    if attributes is not None and len(attributes) != n:
        raise InvalidInput(f"attributes has {len(attributes)} rows, features has {n}", field="attributes")
    # Rounded so that rows differing only by float noise count as one direction.
    distinct = len(np.unique(np.round(unit, 12), axis=0))
    high = min(high, n - 1, distinct)
    low = min(low, high)
    scores: dict[int, float] = {}
    best: tuple[float, int, IntArray] = (0.0, 1, np.zeros(n, dtype=np.int64))
    for k in range(low, high + 1) if high >= 2 else ():
        labels = _fit(unit, k, int(seed))
        scores[k] = _silhouette(unit, labels, k)
        if k == low or scores[k] > best[0]:  # strict: ties keep the smaller K
            best = (scores[k], k, labels)
    silhouette, k, labels = best
    labels.flags.writeable = False  # the result is frozen; so are its labels
    return Clustering(labels, k, silhouette, scores, _summaries(unit, labels, k, attributes, central))


def _summaries(
    unit: FloatArray,
    labels: IntArray,
    k: int,
    attributes: Sequence[Mapping[str, str]] | None,
    central: int,
) -> list[ClusterSummary]:
    n = len(unit)
    overall = _frequencies(attributes) if attributes is not None else {}
    out = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        centroid = unit[members].mean(0)
        norm = float(np.linalg.norm(centroid))
        closeness = unit[members] @ centroid / norm if norm > 0 else np.zeros(len(members))
        nearest = [int(members[i]) for i in np.argsort(-closeness, kind="stable")[:central]]
        dominant: dict[str, tuple[str, float]] = {}
        name = ""
        if attributes is not None:
            dominant = _dominant([attributes[int(i)] for i in members])
            name = _name(dominant, overall, n)
        out.append(ClusterSummary(c, len(members), len(members) / n, nearest, dominant, name))
    return out


def _frequencies(rows: Sequence[Mapping[str, str]]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        for path, value in row.items():
            if value:
                counts.setdefault(path, Counter())[value] += 1
    return counts


def _dominant(rows: Sequence[Mapping[str, str]]) -> dict[str, tuple[str, float]]:
    """Most frequent value per path (ties: alphabetical) with its share of the cluster's rows."""
    result = {}
    for path, counts in _frequencies(rows).items():
        value, count = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        result[path] = (value, count / len(rows))
    return result


def _name(dominant: dict[str, tuple[str, float]], overall: dict[str, Counter[str]], n: int) -> str:
    # Distinctiveness = share·ln(share / batch share): positive only when the value is more common
    # here than in the whole batch, so values every cluster shares (e.g. "solid") stay out of names.
    scored = []
    for order, (path, (value, share)) in enumerate(dominant.items()):
        score = share * math.log(share / (overall[path][value] / n))
        scored.append((-score, -share, order, value))
    scored.sort()
    picked = [s for s in scored if s[0] < -1e-12] or scored  # nothing distinctive: fall back to shares
    parts: list[tuple[int, str]] = []
    for _, _, order, value in picked:
        if len(parts) < _NAME_PARTS and value not in {v for _, v in parts}:
            parts.append((order, value))
    return " · ".join(v for _, v in sorted(parts))  # in attribute order, so names read naturally
