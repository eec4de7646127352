"""Numerical core of `pipeline.diversity`: fast greedy DPP MAP inference with incremental Cholesky updates.

This is Algorithm 1 of Chen, Zhang & Zhou (NeurIPS 2018) run on the quality-free similarity kernel S, with
the quality factor kept in log space: for L = diag(r)·S·diag(r) the Cholesky factor of L_Y is diag(r_Y)
times that of S_Y, so item i's log-det gain given the picks Y is log r_i² + log d_i², where d_i² is the
Schur complement of i in S given Y. Nothing is exponentiated, so no quality scale can overflow.

Two exact accelerations on top of the paper:

* Low rank: a column of S is one matrix-vector product with the unit-normalised features (`LowRank`), so
  no M×M matrix exists; `FullKernel` reads columns from an explicit S and serves as the reference path.
* Lazy activation (Minoux's lazy greedy): d_i² never grows as Y grows, so log r_i² + log S_ii is an upper
  bound on i's gain at every step. Only candidates whose bound reaches the best current gain are
  "activated" (their Cholesky row c_i caught up by forward substitution, then updated every step); the
  rest provably cannot win yet. When qualities spread, this touches a fraction of the pool; with equal
  qualities (θ = 0) every candidate ties on its bound, all get activated and it is plain Algorithm 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]

# The paper's stopping threshold on d²: below it a candidate lies numerically in the span of the picks
# (rounding in 1 − Σe² is ~k·1e-16), so its gain would be noise and dividing by d_j would amplify it.
EPS = 1e-10
# Gains this close to the best count as ties (broken by lowest index): the lazy path and the eager path
# reach the same d² by different summation orders, and a 1-ulp difference must not decide a pick.
TIE = 1e-12
# Fallback: distances this close to the largest min-distance count as ties (then quality, then index).
FALLBACK_TIE = 1e-9
_MIN_CHUNK = 256


class Kernel(Protocol):
    """Read access to the unit-diagonal similarity kernel S, by original candidate index."""

    def activate(self, idx: Ints) -> None:
        """Append candidates to the active set (in this order)."""

    def column(self, n: int, j: int) -> Floats:
        """S[active[:n], j]."""

    def cross(self, rows: Ints, cols: Ints) -> Floats:
        """S[rows][:, cols]."""


class LowRank:
    """S = U·Uᵀ for the unit-normalised feature rows U, never materialised."""

    def __init__(self, features: Floats, inv_norm: Floats) -> None:
        self._x = features
        self._inv = inv_norm
        # Active rows are copied contiguously so each step's column is a single BLAS matvec; np.empty
        # only commits the pages that activation actually writes.
        self._buf: Floats = np.empty_like(features)
        self._n = 0

    def unit(self, idx: Ints) -> Floats:
        """Unit-normalised feature rows `idx`."""
        out: Floats = self._x[idx] * self._inv[idx, None]
        return out

    def activate(self, idx: Ints) -> None:
        """Copy the new active rows into the contiguous buffer."""
        self._buf[self._n : self._n + len(idx)] = self.unit(idx)
        self._n += len(idx)

    def column(self, n: int, j: int) -> Floats:
        """One matvec against the active rows."""
        out: Floats = self._buf[:n] @ (self._x[j] * self._inv[j])
        return out

    def cross(self, rows: Ints, cols: Ints) -> Floats:
        """A small block of S from the two sets of rows."""
        out: Floats = self.unit(rows) @ self.unit(cols).T
        return out


class FullKernel:
    """S given explicitly (M×M); the reference path for the low-rank one."""

    def __init__(self, similarity: Floats) -> None:
        self._s = similarity
        self._act: Ints = np.empty(len(similarity), dtype=np.intp)
        self._n = 0

    def activate(self, idx: Ints) -> None:
        """Remember the active order."""
        self._act[self._n : self._n + len(idx)] = idx
        self._n += len(idx)

    def column(self, n: int, j: int) -> Floats:
        """Gather the column."""
        out: Floats = self._s[self._act[:n], j]
        return out

    def cross(self, rows: Ints, cols: Ints) -> Floats:
        """Gather the block."""
        out: Floats = self._s[np.ix_(rows, cols)]
        return out


@dataclass
class Picks:
    """What the greedy chose, in order, with the log-det gain of S (−inf for fallback picks)."""

    indices: list[int]
    similarity_gains: list[float]
    fallback: list[bool]
    why: str | None = None  # why the determinant ran out, if it did


class Quotas:
    """Per-cluster minimum counts ⌊k·n_c/M⌋, and which clusters may be picked at each step."""

    def __init__(self, labels: Ints, k: int) -> None:
        self.labels = labels
        counts = np.bincount(labels)
        self.quota: Ints = (k * counts) // len(labels)
        self.picked: Ints = np.zeros(len(counts), dtype=np.intp)

    def allowed(self, remaining: int) -> npt.NDArray[np.bool_] | None:
        """Clusters still allowed, or None for all.

        Only when the slots left equal the unmet quota total must the next pick come from an unmet cluster;
        before that the greedy is free. Σ quota ≤ k and each pick lowers the slots by one and the unmet
        total by at most one, so the invariant unmet ≤ slots holds and every quota is always satisfiable.
        """
        unmet = np.maximum(self.quota - self.picked, 0)
        if int(unmet.sum()) < remaining:
            return None
        allowed: npt.NDArray[np.bool_] = unmet > 0
        return allowed


def greedy(
    kernel: Kernel,
    log_r2: Floats,
    quality: Floats,
    k: int,
    quotas: Quotas | None = None,
    *,
    lazy: bool = True,
) -> Picks:
    """Greedy DPP MAP on L = diag(r)·S·diag(r), r_i² = exp(log_r2_i), with a unit-diagonal S."""
    m = len(log_r2)
    # Inactive candidates are taken in bound order (log r² + log S_ii, S_ii = 1), ties by index.
    order: Ints = np.lexsort((np.arange(m), -log_r2)).astype(np.intp)
    neg_bound: Floats = -log_r2[order]
    state = _State(kernel, m, k)
    if not lazy:
        state.activate(order)
    p = m if not lazy else 0
    picks = Picks([], [], [])
    for step in range(k):
        allowed = quotas.allowed(k - step) if quotas is not None else None
        while True:
            ok = state.alive[: state.n].copy()
            if allowed is not None and quotas is not None:
                ok &= allowed[quotas.labels[state.act[: state.n]]]
            best, score = state.best(ok, log_r2)
            if p == m:
                break
            floor = -np.inf if best < 0 else score - TIE * max(1.0, abs(score))
            needed = int(np.searchsorted(neg_bound, -floor, side="right")) - p
            if needed <= 0:
                break
            # Activate generously (at least half the active set again, at most double it per round): each
            # round costs a catch-up loop over the picks, extra members only cost per-step arithmetic.
            take = min(m - p, max(_MIN_CHUNK, state.n // 2, min(needed, state.n)))
            state.activate(order[p : p + take])
            p += take
        if best >= 0:
            j = int(state.act[best])
            picks.similarity_gains.append(float(np.log(state.d2[best])))
            picks.fallback.append(False)
            state.condition(best, last=step == k - 1)
        else:
            best = state.fallback(ok, quality)
            j = int(state.act[best])
            picks.similarity_gains.append(-np.inf)
            picks.fallback.append(True)
            if picks.why is None:
                picks.why = (
                    "no candidate left with d² > 1e-10 given the picks (duplicates or k > rank)"
                    if allowed is None
                    else "a cluster quota forced a pick where every allowed candidate had d² ≤ 1e-10"
                )
        state.remove(best, j)
        picks.indices.append(j)
        if quotas is not None:
            quotas.picked[quotas.labels[j]] += 1
    return picks


class _State:
    """Active candidates (by activation position) with their Cholesky rows C[:, pos] and d²."""

    def __init__(self, kernel: Kernel, m: int, k: int) -> None:
        self.kernel = kernel
        self.n = 0
        self.r = 0  # picks conditioned on, i.e. rows of the Cholesky factor of S_Y
        self.act: Ints = np.empty(m, dtype=np.intp)
        self.alive = np.zeros(m, dtype=bool)
        self.d2: Floats = np.empty(m)
        # C stored as (step, candidate): the per-step update reads C[:r, :n] row-contiguously.
        self.c: Floats = np.empty((k, m))
        self.chol: Floats = np.zeros((k, k))
        self.cond: Ints = np.empty(k, dtype=np.intp)
        self.picked: list[int] = []
        self.min_dist: Floats | None = None

    def activate(self, idx: Ints) -> None:
        """Catch new candidates up to the current picks: forward substitution, as Algorithm 1 would have."""
        lo, hi = self.n, self.n + len(idx)
        self.kernel.activate(idx)
        self.act[lo:hi] = idx
        self.alive[lo:hi] = True
        self.d2[lo:hi] = 1.0
        if self.r:
            g = self.kernel.cross(idx, self.cond[: self.r])
            for u in range(self.r):
                e = (g[:, u] - self.c[:u, lo:hi].T @ self.chol[u, :u]) / self.chol[u, u]
                self.c[u, lo:hi] = e
                self.d2[lo:hi] -= e * e
        self.n = hi

    def best(self, ok: npt.NDArray[np.bool_], log_r2: Floats) -> tuple[int, float]:
        """Active position with the largest gain (−1 if none is eligible) and that gain."""
        eligible = ok & (self.d2[: self.n] > EPS)
        if not eligible.any():
            return -1, -np.inf
        idx = np.flatnonzero(eligible)
        gains = log_r2[self.act[idx]] + np.log(self.d2[idx])
        top = float(gains.max())
        tied = idx[gains >= top - TIE * max(1.0, abs(top))]
        return int(tied[np.argmin(self.act[tied])]), top

    def condition(self, pos: int, *, last: bool) -> None:
        """Algorithm 1's update: e = (S[:, j] − C·c_j)/d_j for every active candidate, d² −= e²."""
        dj = float(np.sqrt(self.d2[pos]))
        j = int(self.act[pos])
        self.chol[self.r, : self.r] = self.c[: self.r, pos]
        self.chol[self.r, self.r] = dj
        self.cond[self.r] = j
        if not last:
            col = self.kernel.column(self.n, j)
            e = (col - self.c[: self.r, : self.n].T @ self.c[: self.r, pos]) / dj
            self.c[self.r, : self.n] = e
            self.d2[: self.n] -= e * e
        self.r += 1

    def fallback(self, ok: npt.NDArray[np.bool_], quality: Floats) -> int:
        """Farthest-point pick: largest min cosine distance to the picks, then highest quality, then index."""
        # Reached only once no candidate can win on the determinant, which activates everyone first, so
        # the distances are set up once for the whole pool and only ever updated afterwards.
        if self.min_dist is None:
            self.min_dist = self._distances(self.act[: self.n])
        dist = np.where(ok, self.min_dist, -np.inf)
        far = ok & (dist >= dist.max() - FALLBACK_TIE)
        q = np.where(far, quality[self.act[: self.n]], -np.inf)
        tied = np.flatnonzero(far & (q == q.max()))
        return int(tied[np.argmin(self.act[tied])])

    def remove(self, pos: int, j: int) -> None:
        """Take a pick out of the candidates and, once the fallback is in use, out of its distances."""
        self.alive[pos] = False
        self.picked.append(j)
        if self.min_dist is not None:
            np.minimum(self.min_dist, 1.0 - self.kernel.column(self.n, j), out=self.min_dist)

    def _distances(self, idx: Ints) -> Floats:
        """Min cosine distance from `idx` to the picks so far (+inf with no picks)."""
        if not self.picked:
            return np.full(len(idx), np.inf)
        cos = self.kernel.cross(idx, np.array(self.picked, dtype=np.intp))
        out: Floats = (1.0 - cos).min(axis=1)
        return out
