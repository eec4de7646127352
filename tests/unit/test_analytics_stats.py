"""Wilson intervals, the two-proportion test, Benjamini–Hochberg and percent formatting, on known values."""

from __future__ import annotations

import math

import pytest

from designer_bff.services.analytics.recommendations import q_values
from designer_bff.services.analytics.stats import percent, two_proportion, wilson


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # the textbook example: Wald would claim [0, 0]
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (5, 20, 0.1119, 0.4687),
        (30, 50, 0.4618, 0.7239),
        (1, 1000, 0.0002, 0.0056),
    ],
)
def test_wilson_interval_matches_reference_values(k: int, n: int, low: float, high: float) -> None:
    rate = wilson(k, n)
    assert rate.to_dict() == {"rate": round(k / n, 4), "low": low, "high": high}
    assert rate.low is not None and rate.high is not None
    assert rate.low <= k / n <= rate.high


def test_wilson_is_symmetric_and_narrows_with_n() -> None:
    a, b = wilson(3, 20), wilson(17, 20)
    assert a.low == pytest.approx(1 - (b.high or 0)) and a.high == pytest.approx(1 - (b.low or 0))
    widths = [(r.high or 0) - (r.low or 0) for r in (wilson(5, 10), wilson(50, 100), wilson(500, 1000))]
    assert widths == sorted(widths, reverse=True)


def test_wilson_without_observations_has_no_rate() -> None:
    assert wilson(0, 0).to_dict() == {"rate": None, "low": None, "high": None}
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson(3, 2)


def test_two_proportion_test_matches_the_formula() -> None:
    test = two_proportion(30, 50, 10, 50)
    # pooled p = 0.4, se = sqrt(0.4 · 0.6 · (1/50 + 1/50)) = 0.09798, z = 0.4 / se
    assert test.z == pytest.approx(0.4 / math.sqrt(0.24 * 0.04))
    assert test.p_value == pytest.approx(4.4557e-5, rel=1e-3)
    assert test.difference == pytest.approx(0.4)
    assert test.significant()
    assert two_proportion(10, 50, 30, 50).z == pytest.approx(-test.z)


def test_two_proportion_test_sees_no_difference_in_ties_and_degenerate_cases() -> None:
    assert two_proportion(20, 50, 20, 50).p_value == pytest.approx(1.0)
    assert two_proportion(0, 30, 0, 40).p_value == 1.0  # both 0 %: zero variance
    assert two_proportion(5, 5, 9, 9).p_value == 1.0
    assert two_proportion(0, 0, 3, 9).p_value == 1.0  # one side empty


def test_significance_needs_enough_images_on_both_sides() -> None:
    small = two_proportion(9, 9, 0, 9)
    assert small.p_value < 0.001 and not small.significant()
    assert small.significant(min_n=9)
    assert not two_proportion(4, 10, 1, 10).significant()  # p = 0.12


def test_benjamini_hochberg_q_values() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4/rank: 0.02, 0.02, 0.04, 0.04 (monotone from the top)
    assert q_values(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert q_values([]) == []
    assert q_values([0.9, 0.8]) == pytest.approx([0.9, 0.9])


def test_percent_keeps_small_rates_readable() -> None:
    assert [percent(v) for v in (0.65, 0.2, 0.04, 0.0123, 0.0, 1.0, None)] == [
        "65 %",
        "20 %",
        "4.0 %",
        "1.2 %",
        "0 %",
        "100 %",
        "n/a",
    ]
