"""Stage 12: spherical k-means with K by cosine silhouette, and the cluster summaries."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer_bff.errors import InvalidInput
from designer_bff.pipeline.clustering import cluster, cosine_silhouette


def ari(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index (Hubert & Arabie), from the contingency table."""
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1)

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    index, rows, cols = pairs(table), pairs(table.sum(1)), pairs(table.sum(0))
    expected = rows * cols / pairs(np.array([len(a)]))
    return (index - expected) / ((rows + cols) / 2 - expected)


def brute_silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Textbook silhouette from the full cosine distance matrix."""
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    d = 1 - u @ u.T
    out = []
    for i in range(len(x)):
        own = labels == labels[i]
        if own.sum() == 1:
            out.append(0.0)
            continue
        a = d[i, own].sum() / (own.sum() - 1)
        b = min(d[i, labels == c].mean() for c in set(labels.tolist()) - {labels[i]})
        out.append((b - a) / max(a, b))
    return float(np.mean(out))


def blobs(seed: int, k_true: int, n: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Points around k orthonormal directions, random magnitudes (cosine must ignore them), ~17° noise."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(dim, k_true)))
    base = n // (2 * k_true)
    sizes = base + rng.multinomial(n - base * k_true, np.full(k_true, 1 / k_true))
    truth = rng.permutation(np.repeat(np.arange(k_true), sizes))
    noise = rng.normal(scale=0.3 / math.sqrt(dim), size=(n, dim))
    x = (q.T[truth] + noise) * rng.uniform(0.5, 5.0, size=(n, 1))
    return x, truth


def test_ari_helper_matches_known_values() -> None:
    # Reference values of sklearn.metrics.adjusted_rand_score for these partitions.
    assert ari(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])) == pytest.approx(1.0)
    assert ari(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 2])) == pytest.approx(0.5714285714)
    assert ari(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])) == pytest.approx(-0.5)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k_true=st.integers(3, 6),
    n=st.integers(60, 150),
    dim=st.integers(8, 32),
    fit_seed=st.integers(0, 1000),
)
def test_recovers_planted_blobs(seed: int, k_true: int, n: int, dim: int, fit_seed: int) -> None:
    x, truth = blobs(seed, k_true, n, dim)
    result = cluster(x, (3, 8), seed=fit_seed)
    assert result.k == k_true
    assert ari(result.labels, truth) >= 0.9
    assert result.silhouette == max(result.scores.values())
    assert sorted(result.scores) == list(range(3, 9))


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_silhouette_is_the_real_one(seed: int) -> None:
    x, _ = blobs(seed, 4, 80, 12)
    result = cluster(x, (2, 6), seed=seed)
    assert result.silhouette == pytest.approx(brute_silhouette(x, result.labels), abs=1e-9)
    # Arbitrary labels including a singleton cluster (which scores 0).
    labels = np.random.default_rng(seed).integers(0, 3, size=len(x))
    labels[5] = 3
    labels[labels == 3] = 0
    labels[5] = 3
    assert cosine_silhouette(x, labels) == pytest.approx(brute_silhouette(x, labels), abs=1e-9)


def test_silhouette_hand_computed() -> None:
    # Two identical pairs at 90°: a = 0, b = 1 → s = 1 for every row.
    assert cosine_silhouette([[1, 0], [2, 0], [0, 1], [0, 3]], [0, 0, 1, 1]) == pytest.approx(1.0)
    # Same pair plus a singleton: rows 0, 1 score 1, the singleton 0 → mean 2/3.
    assert cosine_silhouette([[1, 0], [2, 0], [0, 1]], [0, 0, 1]) == pytest.approx(2 / 3)
    with pytest.raises(InvalidInput) as err:
        cosine_silhouette([[1, 0], [0, 1], [1, 1]], [0, 0, 0])
    assert err.value.field == "labels"


def test_deterministic_for_a_seed() -> None:
    x, _ = blobs(3, 5, 120, 16)
    # Noisier data so restarts and K choice actually matter.
    x = x + np.random.default_rng(0).normal(scale=0.4, size=x.shape)
    a, b = cluster(x, seed=11), cluster(x, seed=11)
    assert np.array_equal(a.labels, b.labels)
    assert a.scores == b.scores
    assert a.k == b.k
    assert a.clusters == b.clusters
    assert not a.labels.flags.writeable


def test_scale_invariant_even_near_overflow() -> None:
    # Cosine ignores magnitude; rows of ~1e300 must not overflow their norm to inf.
    x, _ = blobs(5, 3, 60, 8)
    assert np.array_equal(cluster(x * 1e300, seed=2).labels, cluster(x, seed=2).labels)


@pytest.mark.parametrize(
    ("n", "k_range", "expected_k", "tried"),
    [
        (1, (3, 8), 1, []),
        (2, (3, 8), 1, []),
        (3, (3, 8), 2, [2]),
        (4, (3, 8), 3, [3]),
        (4, (2, 8), None, [2, 3]),
    ],
)
def test_k_range_is_clamped_for_few_points(
    n: int, k_range: tuple[int, int], expected_k: int | None, tried: list[int]
) -> None:
    x = np.eye(4)[:n] + 0.1
    result = cluster(x, k_range)
    assert sorted(result.scores) == tried
    assert result.k == (expected_k if expected_k is not None else max(tried, key=result.scores.__getitem__))
    assert len(set(result.labels.tolist())) == result.k
    if not tried:
        assert result.silhouette == 0.0
        assert result.labels.tolist() == [0] * n
        assert result.clusters[0].size == n


def test_duplicate_directions_clamp_k() -> None:
    # Five rows but only two directions (scaled copies): K cannot exceed 2.
    x = np.array([[1.0, 0], [2, 0], [3, 0], [0, 1], [0, 5]])
    result = cluster(x, (2, 4))
    assert sorted(result.scores) == [2]
    assert result.labels.tolist() == [0, 0, 0, 1, 1]
    assert result.silhouette == pytest.approx(1.0)
    # One direction only: a single cluster.
    assert cluster(np.ones((5, 3)), (2, 4)).k == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"features": [[1.0, np.nan], [1, 2]]}, "features"),
        ({"features": [[1.0, np.inf], [1, 2]]}, "features"),
        ({"features": [1.0, 2.0, 3.0]}, "features"),
        ({"features": np.ones((2, 2, 2))}, "features"),
        ({"features": np.ones((0, 4))}, "features"),
        ({"features": np.ones((4, 0))}, "features"),
        ({"features": [[1, 0], [0, 0], [0, 1]]}, "features"),
        ({"features": [["a", "b"]]}, "features"),
        ({"k_range": (5, 3)}, "k_range"),
        ({"k_range": (1, 8)}, "k_range"),
        ({"k_range": (2.0, 4)}, "k_range"),
        ({"k_range": (3,)}, "k_range"),
        ({"seed": -1}, "seed"),
        ({"central": -1}, "central"),
        ({"attributes": [{"garment.type": "dress"}]}, "attributes"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"features": np.eye(5) + 0.1, **kwargs}
    with pytest.raises(InvalidInput) as err:
        cluster(**args)  # type: ignore[arg-type]
    assert err.value.field == field


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), central=st.integers(0, 6))
def test_summaries_are_consistent(seed: int, n: int, central: int) -> None:
    x = np.random.default_rng(seed).normal(size=(n, 5))
    result = cluster(x, (2, 5), seed=seed, central=central)
    assert len(result.clusters) == result.k
    assert sum(c.size for c in result.clusters) == n
    assert sum(c.share for c in result.clusters) == pytest.approx(1.0)
    assert [c.label for c in result.clusters] == list(range(result.k))
    sizes = [c.size for c in result.clusters]
    assert sizes == sorted(sizes, reverse=True)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    for c in result.clusters:
        assert c.size == int((result.labels == c.label).sum())
        assert len(c.central) == min(central, c.size)
        assert all(result.labels[i] == c.label for i in c.central)
        centroid = unit[result.labels == c.label].mean(0)
        closeness = [float(unit[i] @ centroid) for i in c.central]
        assert all(a >= b - 1e-12 for a, b in pairwise(closeness))  # float ties
        outside = set(np.flatnonzero(result.labels == c.label).tolist()) - set(c.central)
        if c.central and outside:
            assert max(float(unit[i] @ centroid) for i in outside) <= closeness[-1] + 1e-12
        assert c.dominant == {} and c.name == ""


def test_dominant_values_and_names_on_a_hand_made_batch() -> None:
    rows = []
    for sil, fab, col in [
        # Cluster A (rows 0-3)
        ("a-line", "silk", "navy"),
        ("a-line", "silk", "navy"),
        ("a-line", "silk", "navy"),
        ("sheath", "silk", "black"),
        # Cluster B (rows 4-7): linen/cotton tie → alphabetical "cotton"
        ("wrap", "linen", "rust"),
        ("wrap", "linen", "rust"),
        ("wrap", "cotton", "rust"),
        ("wrap", "cotton", "rust"),
        # Cluster C (rows 8-11): silk/wool tie → "silk"
        ("sheath", "silk", "black"),
        ("sheath", "silk", "black"),
        ("sheath", "wool", "black"),
        ("sheath", "wool", "black"),
    ]:
        rows.append(
            {
                "garment.silhouette": sil,
                "fabric.type": fab,
                "color.primary": col,
                "color.pattern.type": "solid",
            }
        )
    rng = np.random.default_rng(0)
    x = np.repeat(np.eye(3), 4, axis=0) * 3 + rng.normal(scale=0.05, size=(12, 3))
    result = cluster(x, (2, 4), attributes=rows)
    assert result.k == 3
    assert result.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4  # equal sizes: ordered by first row
    a, b, c = result.clusters
    assert a.dominant == {
        "garment.silhouette": ("a-line", 0.75),
        "fabric.type": ("silk", 1.0),
        "color.primary": ("navy", 0.75),
        "color.pattern.type": ("solid", 1.0),
    }
    assert b.dominant["fabric.type"] == ("cotton", 0.5)
    assert c.dominant["fabric.type"] == ("silk", 0.5)
    # Scores share·ln(share/batch share): A a-line .75·ln3, silk 1·ln2, navy .75·ln3, solid 0.
    assert a.name == "a-line · silk · navy"
    assert b.name == "wrap · cotton · rust"
    # C's silk is as common in C (1/2) as in the batch (6/12): score 0, so it is left out of the name.
    assert c.name == "sheath · black"
    assert result.to_dict()["clusters"][0]["dominant"]["fabric.type"] == {"value": "silk", "share": 1.0}


def test_single_cluster_is_named_by_its_most_common_values() -> None:
    rows = [
        {"garment.type": "dress", "fabric.type": "silk"},
        {"garment.type": "dress", "fabric.type": "wool"},
    ]
    result = cluster([[1.0, 0.0], [0.9, 0.1]], attributes=rows)
    assert result.k == 1
    assert result.clusters[0].dominant == {"garment.type": ("dress", 1.0), "fabric.type": ("silk", 0.5)}
    assert result.clusters[0].name == "dress · silk"
