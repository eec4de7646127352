"""Stage 13 (diversity): choose k of M candidates that are both good and different, as a DPP MAP.

The kernel is L = diag(r)·S·diag(r): S is the cosine similarity of the feature rows and r_i = exp(α·q_i)
with α = θ / (2(1 − θ)) for the trade-off θ ∈ [0, 1], so log det L_Y = 2α·Σ_Y q + log det S_Y:
θ = 0 is pure diversity, θ → 1 tends to quality order. The MAP set is approximated by the standard fast
greedy (Chen, Zhang & Zhou, NeurIPS 2018, Algorithm 1); see `diversity_core` for the numerics.

Decisions (each tested in tests/unit/test_diversity.py):

* Quality is any finite real; θ is calibrated for qualities in [0, 1] (the paper's relevance scores).
  Only differences matter: adding a constant to every q shifts each gain by 2α·c and changes no pick.
  Everything runs in log space (gain = 2α·q_i + log d_i²), so no quality scale overflows.
* θ = 1 (α = ∞) returns the top-k by quality, ties by lowest index. Every L-gain would be +∞ there, so
  `gains` reports the finite part that remains, the gains of S (log det S_{Y∪j} − log det S_Y), and
  `log_det` is log det S_Y: how much spread quality order happened to buy. A top-k item in the span of
  earlier ones (d² ≤ 1e-10) gets −inf and is skipped when conditioning the items after it.
* Zero feature rows are rejected: cosine similarity is undefined for them, and any convention (e.g.
  orthogonal to everything) would make a failed embedding look maximally novel to a diversity selector.
* Once no candidate has d² > 1e-10 given the picks (duplicates, k > rank), the determinant cannot rank
  anything and the remaining slots are filled by a farthest-point fallback: the largest minimum cosine
  distance to the picks so far (within 1e-9), then the highest quality, then the lowest index. Fallback
  picks have gain −inf (numerically zero determinant) and are flagged in `fallback`. No d² grows as
  picks are added, so once the fallback starts it fills every remaining slot.
* Cluster quotas: with labels, cluster c keeps ⌊k·n_c/M⌋ picks. The greedy is restricted to clusters
  with unmet quota exactly when the slots left equal the total unmet quota, so quotas always hold and a
  run that plain greedy already satisfies is unchanged.
* No M×M matrix is built: k picks cost k matvecs, O(k·M·D) ≤ O(M²·D) of forming S even when D ≥ M,
  and candidates whose quality bound cannot beat the current best gain are not touched at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from designer_bff.errors import InvalidInput
from designer_bff.pipeline.diversity_core import (
    EPS,
    Floats,
    FullKernel,
    Ints,
    Kernel,
    LowRank,
    Quotas,
    greedy,
)


@dataclass(frozen=True)
class Selection:
    """The picks in order, each with its log-det gain, and how the set was reached."""

    indices: list[int]
    gains: list[float]  # log det L_{Y∪j} − log det L_Y at each pick (θ = 1: of S, see module doc)
    log_det: float  # sum of gains
    diversity: float  # mean pairwise cosine distance among the picks (0 with fewer than two)
    similarity_gains: list[float]  # the S part of each gain (gain = 2α·q_j + this)
    fallback: list[bool]  # picked by the farthest-point fallback, not the determinant
    stop_reason: str | None  # why the determinant ran out, if it did
    alpha: float  # α = θ / (2(1 − θ)); inf at θ = 1
    quotas: dict[int, int] = field(default_factory=dict)  # cluster label → minimum picks

    @property
    def stopped_early(self) -> bool:
        """Whether some slot had to be filled by the fallback."""
        return any(self.fallback)


def select(
    features: npt.ArrayLike,
    quality: npt.ArrayLike,
    k: int,
    tradeoff: float = 0.7,
    *,
    clusters: npt.ArrayLike | None = None,
) -> Selection:
    """Pick k rows of `features` (M×D) by greedy DPP MAP on quality × cosine similarity."""
    x, inv_norm = _features(features)
    return _run(LowRank(x, inv_norm), len(x), quality, k, tradeoff, clusters)


def select_from_similarity(
    similarity: npt.ArrayLike,
    quality: npt.ArrayLike,
    k: int,
    tradeoff: float = 0.7,
    *,
    clusters: npt.ArrayLike | None = None,
) -> Selection:
    """Same as `select`, from an explicit M×M cosine-similarity matrix (symmetric, unit diagonal)."""
    s = _similarity(similarity)
    return _run(FullKernel(s), len(s), quality, k, tradeoff, clusters)


def quality_weight(tradeoff: float) -> float:
    """α = θ / (2(1 − θ)), the exponent r_i = exp(α·q_i) that trade-off θ gives quality."""
    theta = _tradeoff(tradeoff)
    return math.inf if theta == 1.0 else theta / (2.0 * (1.0 - theta))


def _run(
    kernel: Kernel, m: int, quality: npt.ArrayLike, k: int, tradeoff: float, clusters: npt.ArrayLike | None
) -> Selection:
    q = _quality(quality, m)
    k = _k(k, m)
    alpha = quality_weight(tradeoff)
    quotas, quota_map = _quotas(clusters, m, k)
    if math.isinf(alpha):
        indices = _top_by_quality(q, k, quotas)
        sim = _pseudo_gains(kernel.cross(_ints(indices), _ints(indices)))
        gains, fallback, reason = list(sim), [False] * k, None
    else:
        with np.errstate(over="ignore"):
            log_r2: Floats = 2.0 * alpha * q
        if not np.isfinite(log_r2).all():
            raise InvalidInput("quality is too large in magnitude for this tradeoff", field="quality")
        picks = greedy(kernel, log_r2, q, k, quotas)
        indices, sim, fallback, reason = picks.indices, picks.similarity_gains, picks.fallback, picks.why
        gains = [float(log_r2[j]) + g for j, g in zip(indices, sim, strict=True)]
    return Selection(
        indices=indices,
        gains=gains,
        log_det=float(sum(gains)),
        diversity=_mean_distance(kernel, indices),
        similarity_gains=sim,
        fallback=fallback,
        stop_reason=reason,
        alpha=alpha,
        quotas=quota_map,
    )


def _top_by_quality(quality: Floats, k: int, quotas: Quotas | None) -> list[int]:
    """θ = 1: highest quality first (ties by index), under the same quota rule as the greedy."""
    order: Ints = np.lexsort((np.arange(len(quality)), -quality)).astype(np.intp)
    if quotas is None:
        return [int(i) for i in order[:k]]
    taken = np.zeros(len(quality), dtype=bool)
    picks: list[int] = []
    for step in range(k):
        allowed = quotas.allowed(k - step)
        ok = ~taken[order]
        if allowed is not None:
            ok &= allowed[quotas.labels[order]]
        j = int(order[int(np.argmax(ok))])
        taken[j] = True
        quotas.picked[quotas.labels[j]] += 1
        picks.append(j)
    return picks


def _pseudo_gains(gram: Floats) -> list[float]:
    """log d² of each item of `gram` (unit-diagonal S_Y, pick order) given the earlier ones.

    An item with d² ≤ EPS is numerically in the span of the earlier ones: its gain is −inf and it is left
    out of the conditioning set, which is the limit of the determinant ratio for the items after it (an
    item in the span adds no direction to condition on).
    """
    rows = np.zeros((len(gram), len(gram)))
    basis: list[int] = []
    gains: list[float] = []
    for t in range(len(gram)):
        c = np.zeros(len(basis))
        for u, b in enumerate(basis):
            c[u] = (gram[t, b] - rows[u, :u] @ c[:u]) / rows[u, u]
        d2 = 1.0 - float(c @ c)
        if d2 <= EPS:  # the same cut the greedy applies
            gains.append(-np.inf)
            continue
        rows[len(basis), : len(basis)] = c
        rows[len(basis), len(basis)] = np.sqrt(d2)
        basis.append(t)
        gains.append(float(np.log(d2)))
    return gains


def _ints(values: list[int]) -> Ints:
    return np.array(values, dtype=np.intp)


def _mean_distance(kernel: Kernel, indices: list[int]) -> float:
    if len(indices) < 2:
        return 0.0
    cos = kernel.cross(_ints(indices), _ints(indices))
    upper = np.triu_indices(len(indices), 1)
    return float(np.mean(np.clip(1.0 - cos[upper], 0.0, 2.0)))  # rounding can put 1 − cos at −1e-16


def _array(value: npt.ArrayLike, name: str) -> Floats:
    try:
        out: Floats = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be numeric", field=name) from exc
    return out


def _features(features: npt.ArrayLike) -> tuple[Floats, Floats]:
    """Features as float64 C-order with each row's 1/‖row‖, rejecting what cosine cannot handle."""
    x = np.ascontiguousarray(_array(features, "features"))
    if x.ndim != 2:
        raise InvalidInput(f"features must be a 2-D array (M×D), got {x.ndim}-D", field="features")
    if x.shape[0] == 0:
        raise InvalidInput("features has no rows: nothing to select from", field="features")
    sq = np.einsum("ij,ij->i", x, x)
    # One pass decides the common case: NaN/inf in a row makes its ‖row‖² non-finite, and a normal
    # (not subnormal) ‖row‖² means the row can be normalised directly.
    if np.isfinite(sq).all() and (sq >= np.finfo(np.float64).tiny).all():
        return x, 1.0 / np.sqrt(sq)
    bad_rows = np.flatnonzero(~np.isfinite(x).all(axis=1))
    if len(bad_rows):
        raise InvalidInput(
            f"features has NaN or infinite values in rows {bad_rows[:10].tolist()}", field="features"
        )
    peak = np.abs(x).max(axis=1, initial=0.0)
    zero = np.flatnonzero(peak == 0.0)
    if len(zero):
        raise InvalidInput(
            f"features has all-zero rows {zero[:10].tolist()}: cosine similarity is undefined for them",
            field="features",
        )
    # Rows too small or too large to square in float64: scale by their largest entry first.
    x = x / peak[:, None]
    return x, 1.0 / np.sqrt(np.einsum("ij,ij->i", x, x))


def _similarity(similarity: npt.ArrayLike) -> Floats:
    s = np.ascontiguousarray(_array(similarity, "similarity"))
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] == 0:
        raise InvalidInput(f"similarity must be a non-empty M×M matrix, got {s.shape}", field="similarity")
    if not np.isfinite(s).all():
        raise InvalidInput("similarity has NaN or infinite values", field="similarity")
    if not (np.allclose(s, s.T, rtol=0, atol=1e-9) and np.allclose(np.diag(s), 1.0, rtol=0, atol=1e-9)):
        raise InvalidInput("similarity must be symmetric with a unit diagonal", field="similarity")
    return s


def _quality(quality: npt.ArrayLike, m: int) -> Floats:
    q = _array(quality, "quality")
    if q.shape != (m,):
        raise InvalidInput(f"quality must have shape ({m},) (one per row), not {q.shape}", field="quality")
    if not np.isfinite(q).all():
        raise InvalidInput("quality has NaN or infinite values", field="quality")
    return q


def _k(k: int, m: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise InvalidInput(f"k must be an integer, got {type(k).__name__}", field="k")
    if k <= 0:
        raise InvalidInput(f"k must be positive, got k={k}", field="k")
    if k > m:
        raise InvalidInput(f"k={k} exceeds the number of candidates M={m}", field="k")
    return int(k)


def _tradeoff(tradeoff: float) -> float:
    if isinstance(tradeoff, bool) or not isinstance(tradeoff, int | float | np.integer | np.floating):
        raise InvalidInput(f"tradeoff must be a number, got {type(tradeoff).__name__}", field="tradeoff")
    theta = float(tradeoff)
    if not 0.0 <= theta <= 1.0:  # also rejects NaN
        raise InvalidInput(f"tradeoff must be in [0, 1], got {tradeoff}", field="tradeoff")
    return theta


def _quotas(clusters: npt.ArrayLike | None, m: int, k: int) -> tuple[Quotas | None, dict[int, int]]:
    if clusters is None:
        return None, {}
    labels = np.asarray(clusters)
    if labels.shape != (m,) or not np.issubdtype(labels.dtype, np.integer):
        raise InvalidInput(
            f"clusters must be {m} integer labels, one per candidate, got {labels.dtype} {labels.shape}",
            field="clusters",
        )
    names, codes = np.unique(labels, return_inverse=True)
    quotas = Quotas(codes.astype(np.intp), k)
    return quotas, {int(n): int(q) for n, q in zip(names, quotas.quota, strict=True)}
