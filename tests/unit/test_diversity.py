"""Stage 13: DPP MAP selection by fast greedy with incremental Cholesky updates, against brute force."""

from __future__ import annotations

import math
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer_bff.errors import InvalidInput
from designer_bff.pipeline import diversity_core as core
from designer_bff.pipeline.diversity import Selection, quality_weight, select, select_from_similarity


def unit(v: np.ndarray) -> np.ndarray:
    out: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def instance(seed: int, m: int, d: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Features and qualities in [0, 1]; "grid" makes small-integer features (exact ties, duplicates)."""
    rng = np.random.default_rng(seed)
    if kind == "gauss":
        v = rng.normal(size=(m, d))
    else:
        v = rng.integers(-2, 3, size=(m, d)).astype(float)
        v[~v.any(axis=1), 0] = 1.0  # zero rows are rejected by design; this test is about ties
    if kind == "dup" and m > 1:
        v[rng.integers(m)] = v[rng.integers(m)] * rng.uniform(0.5, 3.0)  # same direction, other length
    return v, rng.uniform(0.0, 1.0, size=m)


def brute_check(v: np.ndarray, q: np.ndarray, theta: float, sel: Selection) -> int:
    """Replay `sel` against greedy on the explicit kernel with slogdet; return how many steps were checked.

    At each step every candidate's log det L_{Y∪i} is computed from scratch. The pick must be a maximiser
    (to 1e-9, so rounding-level ties may go either way) and its gain the slogdet difference. Checking stops
    once no candidate's determinant ratio det S_{Y∪i}/det S_Y is clearly positive (≥ 1e-6).
    """
    m = len(q)
    s = unit(v) @ unit(v).T
    r = np.exp(theta / (2 * (1 - theta)) * q)
    big_l = r[:, None] * s * r[None, :]
    chosen: list[int] = []
    ld_prev = ls_prev = 0.0
    for t, j in enumerate(sel.indices):
        obj = np.full(m, -np.inf)
        ratio = np.zeros(m)
        for i in set(range(m)) - set(chosen):
            sub = [*chosen, i]
            sign, ld = np.linalg.slogdet(big_l[np.ix_(sub, sub)])
            sign_s, ls = np.linalg.slogdet(s[np.ix_(sub, sub)])
            obj[i] = ld if sign > 0 else -np.inf
            ratio[i] = math.exp(ls - ls_prev) if sign_s > 0 else 0.0
        if ratio.max() < 1e-6:
            return t
        assert not sel.fallback[t], f"fallback at step {t} while a ratio of {ratio.max():.3g} remained"
        best = obj.max()
        winners = np.flatnonzero(obj >= best - 1e-9 * max(1.0, abs(best)))
        assert j in winners, f"step {t}: picked {j}, brute-force greedy picks {winners.tolist()}"
        assert sel.gains[t] == pytest.approx(obj[j] - ld_prev, rel=1e-6, abs=1e-9)
        chosen.append(j)
        ld_prev = obj[j]
        ls_prev = np.linalg.slogdet(s[np.ix_(chosen, chosen)])[1]
    return len(sel.indices)


small = st.tuples(
    st.integers(0, 2**32 - 1),
    st.integers(1, 9),
    st.integers(1, 6),
    st.sampled_from(["gauss", "grid", "dup"]),
)


@settings(max_examples=300, deadline=None)
@given(small, st.data())
def test_select_equals_brute_force_greedy(spec: tuple[int, int, int, str], data: st.DataObject) -> None:
    seed, m, d, kind = spec
    v, q = instance(seed, m, d, kind)
    k = data.draw(st.integers(1, m), label="k")
    theta = data.draw(st.floats(0.0, 0.95), label="theta")
    sel = select(v, q, k, theta)
    assert len(sel.indices) == k == len(set(sel.indices))
    assert brute_check(v, q, theta, sel) >= min(k, 1)  # the first pick always has det S = 1
    assert sel.log_det == pytest.approx(sum(sel.gains))


def test_brute_force_checker_rejects_a_wrong_pick() -> None:
    v, q = instance(3, 6, 4, "gauss")
    sel = select(v, q, 3, 0.5)
    wrong = Selection(**{**sel.__dict__, "indices": [sel.indices[1], sel.indices[0], sel.indices[2]]})
    with pytest.raises(AssertionError, match="brute-force greedy picks"):
        brute_check(v, q, 0.5, wrong)


@settings(max_examples=150, deadline=None)
@given(small, st.data())
def test_low_rank_path_equals_full_kernel_path(spec: tuple[int, int, int, str], data: st.DataObject) -> None:
    seed, m, d, kind = spec
    v, q = instance(seed, m, d, kind)
    k = data.draw(st.integers(1, m), label="k")
    theta = data.draw(st.sampled_from([0.0, 0.3, 0.7, 0.95, 1.0]), label="theta")
    low = select(v, q, k, theta)
    full = select_from_similarity(unit(v) @ unit(v).T, q, k, theta)
    assert low.indices == full.indices
    assert low.fallback == full.fallback
    np.testing.assert_allclose(low.gains, full.gains, rtol=1e-9, atol=1e-12)
    assert low.diversity == pytest.approx(full.diversity, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(10, 60), st.sampled_from(["gauss", "grid", "dup"]), st.data())
def test_lazy_activation_equals_plain_algorithm_1(seed: int, m: int, kind: str, data: st.DataObject) -> None:
    # A chunk of 2 forces many activation rounds on a small pool; eager activates everything up front.
    v, q = instance(seed, m, 5, kind)
    k = data.draw(st.integers(1, m), label="k")
    log_r2 = 2 * quality_weight(data.draw(st.floats(0.0, 0.95), label="theta")) * q
    inv = 1 / np.linalg.norm(v, axis=1)
    with mock.patch.object(core, "_MIN_CHUNK", 2):
        lazy = core.greedy(core.LowRank(v, inv), log_r2, q, k)
    eager = core.greedy(core.LowRank(v, inv), log_r2, q, k, lazy=False)
    assert lazy.indices == eager.indices
    np.testing.assert_allclose(lazy.similarity_gains, eager.similarity_gains, rtol=1e-9, atol=1e-12)


def test_lazy_activation_on_a_large_pool_matches_eager_and_skips_most_candidates() -> None:
    rng = np.random.default_rng(7)
    v, q = rng.normal(size=(3000, 64)), rng.uniform(size=3000)
    log_r2 = 2 * quality_weight(0.7) * q
    inv = 1 / np.linalg.norm(v, axis=1)
    activated: list[int] = []
    original = core._State.activate

    def counting(state: Any, idx: np.ndarray) -> None:
        activated.append(len(idx))
        original(state, idx)

    with mock.patch.object(core._State, "activate", counting):
        lazy = core.greedy(core.LowRank(v, inv), log_r2, q, 40)
    eager = core.greedy(core.LowRank(v, inv), log_r2, q, 40, lazy=False)
    assert lazy.indices == eager.indices
    assert sum(activated) < 3000 / 2


def test_theta_zero_ignores_quality() -> None:
    v, q = instance(11, 30, 8, "gauss")
    other = np.random.default_rng(0).uniform(-5, 5, size=30)
    a, b = select(v, q, 10, 0.0), select(v, other, 10, 0.0)
    assert a.indices == b.indices
    assert a.gains == b.gains == a.similarity_gains
    assert a.alpha == 0.0


def test_theta_near_one_follows_quality_order() -> None:
    rng = np.random.default_rng(5)
    v = rng.normal(size=(20, 16))
    q = rng.permutation(np.linspace(0.0, 1.0, 20))  # spaced 1/19 apart: 2αΔq ≈ 53 at θ = 0.999
    top = np.argsort(-q)[:6].tolist()
    assert select(v, q, 6, 0.5).indices != top  # diversity still matters at moderate θ
    assert select(v, q, 6, 0.999).indices == top


def test_theta_one_is_top_k_by_quality_with_stable_ties_and_s_gains() -> None:
    v, _ = instance(2, 8, 6, "gauss")  # D ≥ k: every gain is finite
    q = np.array([0.5, 0.9, 0.2, 0.9, 0.7, 0.9, 0.1, 0.7])
    sel = select(v, q, 5, 1.0)
    assert sel.indices == [1, 3, 5, 4, 7]
    assert sel.alpha == math.inf
    s = unit(v) @ unit(v).T
    logdets = [0.0] + [np.linalg.slogdet(s[np.ix_(sel.indices[:t], sel.indices[:t])])[1] for t in range(1, 6)]
    np.testing.assert_allclose(sel.gains, np.diff(logdets), rtol=1e-9, atol=1e-12)
    assert sel.gains == sel.similarity_gains
    assert sel.log_det == pytest.approx(logdets[-1])
    assert not sel.stopped_early


def test_theta_one_reports_minus_inf_for_a_duplicate_in_the_top_k() -> None:
    v = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    sel = select(v, [0.9, 0.8, 0.1], 3, 1.0)
    assert sel.indices == [0, 1, 2]
    assert sel.gains[0] == 0.0
    assert sel.gains[1] == -math.inf
    # Row 1 adds no direction, so row 2 is measured against row 0 alone: orthogonal, gain log 1.
    assert sel.gains[2] == pytest.approx(0.0, abs=1e-12)
    assert sel.log_det == -math.inf


def test_quality_shift_changes_no_pick_and_shifts_each_gain() -> None:
    v, q = instance(9, 25, 6, "gauss")
    a, b = select(v, q, 5, 0.8), select(v, q + 100.0, 5, 0.8)
    assert a.indices == b.indices
    np.testing.assert_allclose(np.array(b.gains) - a.gains, 2 * quality_weight(0.8) * 100.0, rtol=1e-9)


def test_huge_qualities_do_not_overflow() -> None:
    v, _ = instance(4, 12, 6, "gauss")
    q = np.arange(12, dtype=float) * 1e6  # exp(α·q) overflows float64 from q ≈ 160 at θ = 0.9
    sel = select(v, q, 4, 0.9)
    assert sel.indices == [11, 10, 9, 8]
    assert all(math.isfinite(g) for g in sel.gains)


def test_duplicates_are_filled_last_by_the_farthest_point_fallback() -> None:
    v = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 0.0], [1.0, 1.0]])
    sel = select(v, [0.9, 0.1, 0.95, 0.2], 4, 0.5)
    # 2 (best quality) then 1 (orthogonal) span the plane: 0 duplicates 2, 3 is 45° from both picks.
    assert sel.indices == [2, 1, 3, 0]
    assert sel.fallback == [False, False, True, True]
    assert sel.gains[2:] == [-math.inf, -math.inf]
    assert sel.log_det == -math.inf
    assert sel.stopped_early
    assert sel.stop_reason is not None and "d²" in sel.stop_reason


def test_fallback_breaks_distance_ties_by_quality_then_index() -> None:
    v = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    sel = select(v, [0.5, 0.2, 0.7, 0.7], 4, 0.3)
    assert sel.indices == [2, 3, 0, 1]
    assert sel.fallback == [False, True, True, True]


def test_exact_ties_go_to_the_lowest_index() -> None:
    v = np.eye(4)
    assert select(v, np.zeros(4), 4, 0.0).indices == [0, 1, 2, 3]
    assert select(v, [0.1, 0.3, 0.3, 0.3], 2, 0.6).indices == [1, 2]


def test_zero_feature_rows_are_rejected() -> None:
    v = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, 1.0]])
    with pytest.raises(InvalidInput, match=r"all-zero rows \[1\]") as err:
        select(v, [0.1, 0.2, 0.3], 2)
    assert err.value.field == "features"


def test_tiny_and_huge_rows_are_normalised_exactly() -> None:
    base = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [2.0, 0.1, -0.4]])
    scaled = base * np.array([[1e-200], [1e200], [1.0]])  # ‖row‖² under- and overflows float64
    q = [0.3, 0.6, 0.2]
    a, b = select(base, q, 3, 0.4), select(scaled, q, 3, 0.4)
    assert a.indices == b.indices
    np.testing.assert_allclose(a.gains, b.gains, rtol=1e-12)


def test_k_above_rank_fills_with_fallback() -> None:
    v, q = instance(6, 8, 3, "gauss")
    sel = select(v, q, 6, 0.6)
    assert len(set(sel.indices)) == 6
    assert sel.fallback == [False] * 3 + [True] * 3  # three directions span all of R³
    assert all(math.isfinite(g) for g in sel.gains[:3])


def test_k_equal_to_m_returns_every_candidate() -> None:
    v, q = instance(8, 7, 5, "gauss")
    sel = select(v, q, 7, 0.7)
    assert sorted(sel.indices) == list(range(7))
    assert sel.fallback == [False] * 5 + [True] * 2


def test_single_candidate() -> None:
    sel = select([[0.0, 3.0]], [0.4], 1)
    assert sel.indices == [0]
    assert sel.gains == [pytest.approx(2 * quality_weight(0.7) * 0.4)]
    assert sel.diversity == 0.0


def test_five_tight_clusters_dpp_takes_one_each_top_quality_does_not() -> None:
    rng = np.random.default_rng(1)
    centres = np.eye(8)[:5]
    labels = np.repeat(np.arange(5), 6)
    v = centres[labels] + rng.normal(scale=0.02, size=(30, 8))
    q = np.where(labels == 0, 0.9, 0.3) + rng.uniform(0, 0.05, size=30)  # cluster 0 is the best
    diverse = select(v, q, 5, 0.0)
    greedy_quality = select(v, q, 5, 1.0)
    assert sorted(labels[diverse.indices]) == [0, 1, 2, 3, 4]
    assert (labels[greedy_quality.indices] == 0).sum() == 5
    assert diverse.diversity > 0.9 > greedy_quality.diversity


labelled = st.tuples(st.integers(0, 2**32 - 1), st.integers(2, 12), st.integers(1, 4))


@settings(max_examples=200, deadline=None)
@given(labelled, st.data())
def test_cluster_quotas_hold_and_bind_only_under_pressure(spec: tuple[int, ...], data: st.DataObject) -> None:
    seed, m, n_labels = spec
    v, q = instance(seed, m, 4, "gauss")
    labels = np.random.default_rng(seed + 1).integers(0, n_labels, size=m) * 10 - 7  # arbitrary label ids
    k = data.draw(st.integers(1, m), label="k")
    theta = data.draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]), label="theta")
    sel = select(v, q, k, theta, clusters=labels)
    plain = select(v, q, k, theta)
    names, counts = np.unique(labels, return_counts=True)
    assert sel.quotas == {int(n): k * int(c) // m for n, c in zip(names, counts, strict=True)}
    picked = labels[sel.indices]
    for name, quota in sel.quotas.items():
        assert (picked == name).sum() >= quota
    assert len(set(sel.indices)) == k
    if all((labels[plain.indices] == n).sum() >= quota for n, quota in sel.quotas.items()):
        assert sel.indices == plain.indices
        assert sel.gains == plain.gains


def test_quotas_change_a_greedy_that_ignores_a_cluster() -> None:
    rng = np.random.default_rng(3)
    v = rng.normal(size=(10, 12))
    labels = np.array([0] * 6 + [1] * 4)
    q = np.where(labels == 0, 1.0, 0.0)
    assert (labels[select(v, q, 5, 0.9).indices] == 1).sum() == 0
    sel = select(v, q, 5, 0.9, clusters=labels)
    assert sel.quotas == {0: 3, 1: 2}
    assert (labels[sel.indices] == 1).sum() == 2
    assert (labels[sel.indices[:3]] == 0).all()  # free picks first, forced ones only at the end


def test_quota_forcing_a_cluster_of_duplicates_uses_the_fallback() -> None:
    v = np.vstack([np.outer([1.0, 2.0, 3.0], np.eye(4)[0]), np.eye(4)[1:]])  # one direction, then three
    labels = np.array([0, 0, 0, 1, 1, 1])
    sel = select(v, [0.1, 0.1, 0.1, 0.9, 0.9, 0.9], 4, 0.5, clusters=labels)
    # Cluster 0 needs two picks but holds one direction; item 5 would still be independent.
    assert sel.indices == [3, 4, 0, 1]
    assert sel.fallback == [False, False, False, True]
    assert sel.stop_reason is not None and "quota" in sel.stop_reason


def test_deterministic() -> None:
    v, q = instance(12, 40, 6, "grid")
    assert select(v, q, 12, 0.6) == select(v, q, 12, 0.6)


def test_inputs_are_not_modified_and_lists_and_float32_work() -> None:
    v, q = instance(13, 10, 4, "gauss")
    before = v.copy()
    a = select(v, q, 4)
    assert np.array_equal(v, before)
    assert select(v.tolist(), q.tolist(), 4).indices == a.indices
    assert len(select(v.astype(np.float32), q, 4).indices) == 4


def test_similarity_must_be_symmetric_with_unit_diagonal() -> None:
    s = np.array([[1.0, 0.2], [0.3, 1.0]])
    with pytest.raises(InvalidInput) as err:
        select_from_similarity(s, [0.1, 0.2], 1)
    assert err.value.field == "similarity"
    with pytest.raises(InvalidInput):
        select_from_similarity(np.array([[2.0, 0.0], [0.0, 1.0]]), [0.1, 0.2], 1)


V3 = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
Q3 = [0.1, 0.2, 0.3]


@pytest.mark.parametrize(
    ("kwargs", "field", "match"),
    [
        ({"k": 4}, "k", r"k=4 exceeds the number of candidates M=3"),
        ({"k": 0}, "k", "k must be positive"),
        ({"k": -2}, "k", "k must be positive"),
        ({"k": 2.0}, "k", "k must be an integer"),
        ({"k": True}, "k", "k must be an integer"),
        ({"features": np.empty((0, 2)), "quality": []}, "features", "no rows"),
        ({"features": [1.0, 2.0, 3.0]}, "features", "2-D"),
        ({"features": [[1.0, np.nan], [0.0, 1.0], [1.0, 1.0]]}, "features", r"infinite values in rows \[0\]"),
        ({"features": [[1.0, 0.0], [np.inf, 1.0], [1.0, 1.0]]}, "features", "NaN or infinite"),
        ({"features": [["a", "b"], ["c", "d"], ["e", "f"]]}, "features", "numeric"),
        ({"quality": [0.1, 0.2]}, "quality", r"shape \(3,\)"),
        ({"quality": [0.1, np.nan, 0.3]}, "quality", "NaN or infinite"),
        ({"quality": [0.1, -np.inf, 0.3]}, "quality", "NaN or infinite"),
        ({"quality": [1e308, 0.0, 0.0], "tradeoff": 0.9}, "quality", "too large"),
        ({"tradeoff": 1.5}, "tradeoff", r"\[0, 1\]"),
        ({"tradeoff": -0.1}, "tradeoff", r"\[0, 1\]"),
        ({"tradeoff": math.nan}, "tradeoff", r"\[0, 1\]"),
        ({"tradeoff": "high"}, "tradeoff", "must be a number"),
        ({"clusters": [0, 1]}, "clusters", "3 integer labels"),
        ({"clusters": [0.0, 1.0, 1.0]}, "clusters", "integer labels"),
    ],
)
def test_invalid_input_names_the_argument(kwargs: dict[str, Any], field: str, match: str) -> None:
    args: dict[str, Any] = {"features": V3, "quality": Q3, "k": 2, **kwargs}
    with pytest.raises(InvalidInput, match=match) as err:
        select(**args)
    assert err.value.field == field
    assert field in str(err.value)
