"""Stage 13 (DPP MAP diversity) benchmark: speed against a full-kernel baseline, and what the picks cover.

1. Pick k = 100 of M = 1 000 / 5 000 / 10 000 random 512-d candidates (seeded, qualities uniform in [0, 1],
   θ = 0.7) with `diversity.select`, against two baselines measured in the same run:
   - "Alg. 1 eager": the same low-rank Algorithm 1 with every candidate updated at every step (no lazy
     activation), i.e. the paper's O(M·D + M·k) per pick as written;
   - "full kernel": Algorithm 1 on a materialised M×M kernel L (float64, the same precision as `select`;
     800 MB at M = 10 000), timed including building L, which is what a kernel-based greedy must pay.
   Every row reports whether the baselines picked the same items as `select`. Times are medians.
   θ = 0 is timed too: with equal qualities every candidate ties on its bound, nothing can be skipped and
   `select` is plain Algorithm 1.
2. On a synthetic pool of 1 000 garments with 6 categorical attributes (feature = weighted one-hot + noise,
   quality driven by a few attribute values), compare the picks of DPP (several θ), top-quality-k and
   random-k: attribute coverage (distinct attribute values picked / distinct in the pool), mean pairwise
   cosine distance and mean quality.

Run: `.venv/bin/python benchmarks/bench_diversity.py [--threads N]` (BLAS threads, default 1: the picks
are a chain of small matrix-vector products, which OpenBLAS runs slower on two threads on this machine;
`--threads 2` gives the full-kernel baseline's M×M product both cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _parser.add_argument("--threads", default="1", help="BLAS threads (set before numpy loads)")
    _parser.add_argument("--repeats", type=int, default=7)
    ARGS = _parser.parse_args()
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = ARGS.threads

import numpy as np  # imported only after the thread count is fixed

from designer_bff.pipeline import diversity_core as core
from designer_bff.pipeline.diversity import quality_weight, select

K, D, THETA = 100, 512, 0.7


def full_kernel_greedy(v: np.ndarray, q: np.ndarray, k: int, theta: float) -> list[int]:
    """Algorithm 1 of Chen et al. exactly as printed, on an explicitly built L = diag(r)·S·diag(r)."""
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    r = np.exp(quality_weight(theta) * q)
    big_l = u @ u.T
    big_l *= r[:, None]
    big_l *= r[None, :]
    c = np.zeros((k, len(q)))
    d2 = np.diag(big_l).copy()
    j = int(np.argmax(d2))
    picks = [j]
    for t in range(k - 1):
        e = (big_l[j] - c[:t].T @ c[:t, j]) / np.sqrt(d2[j])
        c[t] = e
        d2 -= e * e
        d2[picks] = -np.inf
        j = int(np.argmax(d2))
        picks.append(j)
    return picks


def eager_greedy(v: np.ndarray, q: np.ndarray, k: int, theta: float) -> list[int]:
    """The low-rank Algorithm 1 inside `select`, but updating every candidate at every step."""
    inv = 1.0 / np.linalg.norm(v, axis=1)
    log_r2 = 2.0 * quality_weight(theta) * q
    return core.greedy(core.LowRank(np.ascontiguousarray(v), inv), log_r2, q, k, lazy=False).indices


def timed(fn: Callable[[], list[int]], repeats: int) -> tuple[float, list[int]]:
    """Median wall time in ms over `repeats` runs, and the last result."""
    times, out = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), out


def bench_speed(repeats: int) -> None:
    """One table row per pool size."""
    print(f"\nSpeed: pick k={K} of M, D={D} float64, θ={THETA} (median ms of {repeats} runs, baselines 2-3)")
    print(
        f"{'M':>6} | {'select':>7} | {'Alg.1 eager':>11} {'same':>4} | {'full kernel':>11} {'same':>4} | "
        f"{'full/select':>11} | {'select θ=0':>10}"
    )
    for m in (1_000, 5_000, 10_000):
        bench_size(m, repeats)


def bench_size(m: int, repeats: int) -> None:
    """Time `select` and both baselines on one seeded pool of size m."""
    rng = np.random.default_rng(m)
    v, q = rng.normal(size=(m, D)), rng.uniform(size=m)
    fast, picks = timed(lambda: select(v, q, K, THETA).indices, repeats)
    eager, eager_picks = timed(lambda: eager_greedy(v, q, K, THETA), 3)
    full, full_picks = timed(lambda: full_kernel_greedy(v, q, K, THETA), 3 if m < 10_000 else 2)
    flat, _ = timed(lambda: select(v, q, K, 0.0).indices, 3)
    print(
        f"{m:>6} | {fast:7.1f} | {eager:11.1f} {_yes(eager_picks == picks):>4} | {full:11.1f} "
        f"{_yes(full_picks == picks):>4} | {full / fast:10.1f}× | {flat:10.1f}"
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


ATTRIBUTES = {  # name: (number of values, weight of its one-hot block in the feature)
    "silhouette": (8, 1.0),
    "colour": (12, 0.9),
    "fabric": (6, 0.7),
    "length": (4, 0.6),
    "neckline": (7, 0.5),
    "sleeve": (5, 0.4),
}


def synthetic_pool(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Garments with skewed (Zipf-like) attribute values; quality favours a few popular ones."""
    rng = np.random.default_rng(seed)
    attrs = np.empty((n, len(ATTRIBUTES)), dtype=int)
    blocks = []
    for a, (values, weight) in enumerate(ATTRIBUTES.values()):
        p = 1.0 / np.arange(1, values + 1)
        attrs[:, a] = rng.choice(values, size=n, p=p / p.sum())
        blocks.append(weight * np.eye(values)[attrs[:, a]])
    features = np.hstack(blocks) + rng.normal(scale=0.05, size=(n, sum(v for v, _ in ATTRIBUTES.values())))
    quality = (
        0.35
        + 0.25 * np.isin(attrs[:, 1], [0, 1])  # the two best-selling colours
        + 0.20 * (attrs[:, 0] == 2)  # one silhouette in fashion
        + 0.10 * (attrs[:, 2] == 0)  # the house fabric
        + rng.normal(scale=0.05, size=n)
    )
    return features, np.clip(quality, 0.0, 1.0), attrs


def bench_coverage(k: int = 20, randoms: int = 50) -> None:
    """DPP at several θ against top-quality-k and random-k on the synthetic pool."""
    v, q, attrs = synthetic_pool(1_000, seed=42)
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    pool_values = sum(len(np.unique(attrs[:, a])) for a in range(attrs.shape[1]))

    def scores(idx: list[int]) -> tuple[float, float, float]:
        cover = sum(len(np.unique(attrs[idx, a])) for a in range(attrs.shape[1])) / pool_values
        cos = u[idx] @ u[idx].T
        return cover, float(np.mean(1 - cos[np.triu_indices(len(idx), 1)])), float(q[idx].mean())

    rows = [(f"DPP θ={t}", scores(select(v, q, k, t).indices)) for t in (0.0, 0.5, 0.7, 0.9)]
    rows.append(("top-quality-k", scores(select(v, q, k, 1.0).indices)))
    rng = np.random.default_rng(7)
    rand = np.array([scores(rng.choice(len(q), k, replace=False).tolist()) for _ in range(randoms)])
    rows.append((f"random-k (mean of {randoms})", tuple(rand.mean(axis=0))))
    print(f"\nCoverage: k={k} of 1 000 synthetic garments, 6 attributes, {pool_values} values in the pool")
    print(f"{'method':>24} | {'coverage':>8} | {'mean dist':>9} | {'mean quality':>12}")
    for name, (cover, dist, qual) in rows:
        print(f"{name:>24} | {cover:8.1%} | {dist:9.3f} | {qual:12.3f}")


if __name__ == "__main__":
    print(f"numpy {np.__version__}, BLAS threads {ARGS.threads}, python {sys.version.split()[0]}")
    bench_speed(ARGS.repeats)
    bench_coverage()
