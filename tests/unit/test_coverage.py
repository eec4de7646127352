"""Stage 14: coverage, diversity measures, gaps, boosts and closed gaps — checked against hand arithmetic."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer_bff.domain.spec import Garment, GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.coverage import (
    DEFAULT_CATEGORIES,
    CategoryTarget,
    CoverageConfig,
    Gap,
    Severity,
    SeverityRule,
    boosts_from_gaps,
    classify,
    closed_gaps,
    entropy,
    gap_id,
    gini,
    report,
)
from designer_bff.taxonomy import load_taxonomy

LENGTHS = load_taxonomy().category("length").values  # 8 values
GARMENTS = load_taxonomy().category("garment_type").values  # 22 values
GARMENT = DEFAULT_CATEGORIES[0]


def only(path: str, target: float) -> CoverageConfig:
    """A config measuring a single default category with a custom target."""
    cat = next(c for c in DEFAULT_CATEGORIES if c.path == path)
    return CoverageConfig(categories=(CategoryTarget(cat.name, path, cat.vocabulary, target),))


def rows(path: str, values: list[str]) -> list[dict[str, str]]:
    return [{path: v} for v in values]


def test_defaults_are_the_designed_ones() -> None:
    cfg = CoverageConfig()
    assert [(c.name, c.path, c.target) for c in cfg.categories] == [
        ("garment", "garment.type", 80.0),
        ("silhouette", "garment.silhouette", 75.0),
        ("fabric", "fabric.type", 70.0),
        ("neckline", "garment.neckline", 65.0),
        ("sleeve", "garment.sleeve.length", 60.0),
        ("length", "garment.length", 60.0),
    ]
    severities = [(r.severity, r.gap_points, r.missing, r.boost) for r in cfg.severities]
    assert severities == [("critical", 30.0, 5, 2.0), ("high", 15.0, 3, 1.5), ("medium", 5.0, 1, 1.2)]
    assert (cfg.under_represented, cfg.coverage_weight, cfg.entropy_weight) == (0.05, 0.6, 0.4)


def test_ten_specs_four_garment_types() -> None:
    batch = rows("garment.type", ["dress"] * 4 + ["top"] * 3 + ["skirt"] * 2 + ["coat"])
    result = report(batch)
    garment = result.category("garment")
    # 4 of 22 types → 4/22·100 = 18.1818 %; gap 80 − 18.18 = 61.82 points → critical, boost 2.0.
    assert garment.coverage == pytest.approx(18.181818, abs=1e-5)
    assert garment.counts["dress"] == 4 and garment.counts["gown"] == 0 and len(garment.counts) == 22
    assert garment.total == 10
    # H([.4,.3,.2,.1]) = .4·0.916291 + .3·1.203973 + .2·1.609438 + .1·2.302585 = 1.279854 nats.
    assert garment.entropy == pytest.approx(1.279854, abs=1e-6)
    # Normalised: 1.279854 / ln 22 (3.091042) = 0.414053.
    assert garment.normalized_entropy == pytest.approx(0.414053, abs=1e-6)
    # Gini over 22 counts (18 zeros, 1, 2, 3, 4): ranks 19..22 → Σ i·x = 19+40+63+88 = 210;
    # 2·210/(22·10) − 23/22 = 42/22 − 23/22 = 19/22.
    assert garment.gini == pytest.approx(19 / 22)
    assert garment.under_represented == ()  # smallest share is 1/10 = 10 % ≥ 5 %
    gap = next(g for g in result.gaps if g.category == "garment")
    assert gap.gap_points == pytest.approx(61.818182, abs=1e-5)
    assert (gap.severity, gap.boost) == ("critical", 2.0)
    assert len(gap.missing) == 18 and "gown" in gap.missing and "dress" not in gap.missing


def test_entropy_and_gini_helpers() -> None:
    assert entropy([4, 3, 2, 1]) == pytest.approx(1.279854, abs=1e-6)
    assert entropy([5, 5]) == pytest.approx(math.log(2))
    assert entropy([]) == 0.0
    # Pairwise |xi − xj| over ordered pairs of [4,3,2,1] = 2·(1+2+3+1+2+1) = 20; G = 20 / (2·4²·2.5) = 0.25.
    assert gini([4, 3, 2, 1]) == pytest.approx(0.25)
    assert gini([5, 5, 5]) == 0.0
    assert gini([1, 0, 0, 0]) == pytest.approx(3 / 4)  # all mass on one of n → (n−1)/n
    assert gini([0, 0]) == 0.0


def test_overall_score_on_a_tiny_example() -> None:
    cfg = CoverageConfig(categories=DEFAULT_CATEGORIES[4:])  # sleeve (6 values), length (8 values)
    batch = [
        {"garment.sleeve.length": s, "garment.length": "midi"} for s in ["short", "short", "long", "long"]
    ]
    result = report(batch, cfg)
    sleeve, length = result.categories
    # Sleeve: 2/6 → 33.33 %, H = ln 2 = 0.693147, normalised ln2/ln6 = 0.386853.
    assert sleeve.coverage == pytest.approx(100 / 3)
    assert sleeve.normalized_entropy == pytest.approx(0.386853, abs=1e-6)
    # Length: 1/8 → 12.5 %, H = 0.
    assert (length.coverage, length.entropy, length.normalized_entropy) == (12.5, 0.0, 0.0)
    # Overall = 0.6·mean(1/3, 1/8) + 0.4·mean(0.386853, 0) = 0.6·0.2291667 + 0.4·0.1934264 = 0.2148706.
    assert result.overall == pytest.approx(0.2148706, abs=1e-6)
    assert result.specs == 4


@pytest.mark.parametrize(
    ("present", "target", "severity"),
    [
        # length has 8 values: 4 present = 50 %, 4 missing (high by count).
        (4, 80.0, "critical"),  # gap exactly 30 points
        (4, 79.9, "high"),  # 29.9 points; 4 missing ≥ 3
        # 6 present = 75 %, 2 missing (medium by count).
        (6, 90.0, "high"),  # gap exactly 15 points
        (6, 89.9, "medium"),  # 14.9 points; 2 missing ≥ 1
        (5, 62.5, None),  # 5/8 = 62.5 % exactly at target: no gap
        (5, 60.0, None),  # above target: no gap
    ],
)
def test_severity_point_boundaries(present: int, target: float, severity: str | None) -> None:
    result = report(rows("garment.length", list(LENGTHS[:present])), only("garment.length", target))
    assert [g.severity for g in result.gaps] == ([severity] if severity else [])


@pytest.mark.parametrize(
    ("present", "severity", "boost"),
    [
        # garment has 22 values, target 100: the missing count decides where points are below threshold.
        (17, "critical", 2.0),  # 5 missing (gap 22.7 points, only "high" by points)
        (18, "high", 1.5),  # 4 missing, gap 18.2
        (19, "high", 1.5),  # 3 missing (gap 13.6 points, only "medium" by points)
        (20, "medium", 1.2),  # 2 missing, gap 9.1
        (21, "medium", 1.2),  # 1 missing (gap 4.5 points, below every points threshold)
    ],
)
def test_severity_missing_count_boundaries(present: int, severity: str, boost: float) -> None:
    result = report(rows("garment.type", list(GARMENTS[:present])), only("garment.type", 100.0))
    (gap,) = result.gaps
    assert (gap.severity, gap.boost, len(gap.missing)) == (severity, boost, 22 - present)


def test_classify_boundaries() -> None:
    def name(points: float, missing: int) -> str | None:
        rule = classify(points, missing)
        return rule.severity if rule else None

    by_points = [name(p, 0) for p in (30.0, 29.99, 15.0, 14.99, 5.0, 4.99)]
    assert by_points == ["critical", "high", "high", "medium", "medium", None]
    by_missing = [name(0.0, m) for m in (5, 4, 3, 2, 1, 0)]
    assert by_missing == ["critical", "high", "high", "medium", "medium", None]


def test_under_represented_threshold_is_strict() -> None:
    # 1 of 20 = 5 % exactly: not under-represented; 1 of 21 = 4.76 %: under-represented.
    at = report(rows("garment.length", ["midi"] * 19 + ["mini"]), only("garment.length", 100.0))
    below = report(rows("garment.length", ["midi"] * 20 + ["mini"]), only("garment.length", 100.0))
    assert at.category("length").under_represented == ()
    assert below.category("length").under_represented == ("mini",)
    gap = below.gaps[0]
    assert gap.boost_values == (*gap.missing, "mini")
    assert boosts_from_gaps(below.gaps)["garment.length"]["mini"] == gap.boost
    assert "midi" not in boosts_from_gaps(below.gaps)["garment.length"]


def test_boosts_merge_takes_the_max() -> None:
    def gap(severity: Severity, boost: float, missing: tuple[str, ...], under: tuple[str, ...] = ()) -> Gap:
        return Gap(gap_id("garment.length", missing), "length", "garment.length", severity, 60, 25, 35,
                   missing, under, boost)  # fmt: skip

    gaps = [gap("medium", 1.2, ("mini", "maxi")), gap("critical", 2.0, ("maxi",), ("midi",))]
    for ordered in (gaps, gaps[::-1]):  # the max wins whichever gap comes last
        assert boosts_from_gaps(ordered) == {"garment.length": {"mini": 1.2, "maxi": 2.0, "midi": 2.0}}
    assert boosts_from_gaps([]) == {}


def test_closed_gaps() -> None:
    cfg = CoverageConfig(categories=(DEFAULT_CATEGORIES[0], DEFAULT_CATEGORIES[5]))
    before = report([{"garment.type": "dress", "garment.length": "midi"}] * 4, cfg)
    assert {g.category for g in before.gaps} == {"garment", "length"}
    now_all = report(rows("garment.length", list(LENGTHS)), cfg)  # every length now, no garment types
    assert [g.category for g in closed_gaps(before.gaps, now_all)] == ["length"]
    almost = report(rows("garment.length", list(LENGTHS[:-1])), cfg)  # one length still missing
    assert closed_gaps(before.gaps, almost) == []
    unmeasured = report(rows("garment.length", list(LENGTHS)), only("garment.type", 80.0))
    assert closed_gaps(before.gaps, unmeasured) == []  # length not measured now: cannot say it closed


def test_gap_ids_are_stable_and_content_addressed() -> None:
    cfg = only("garment.length", 100.0)
    a = report(rows("garment.length", ["midi", "mini"]), cfg).gaps[0]
    b = report(rows("garment.length", ["mini"] * 7 + ["midi"]), cfg).gaps[0]  # same missing, other counts
    c = report(rows("garment.length", ["midi"]), cfg).gaps[0]
    assert a.id == b.id == gap_id("garment.length", reversed(a.missing))
    assert a.id != c.id
    assert a.id != gap_id("garment.type", a.missing)


def test_empty_batch_is_zero_coverage_not_a_crash() -> None:
    result = report([])
    assert result.specs == 0 and result.overall == 0.0
    assert all(c.coverage == 0.0 and c.gini == 0.0 and c.total == 0 for c in result.categories)
    assert [g.severity for g in result.gaps] == ["critical"] * 6  # every vocabulary has ≥ 6 values
    assert result.gaps[0].category == "garment"  # ties on severity: largest gap (80 points) first


def test_values_are_canonicalised_and_unknowns_ignored() -> None:
    batch = [{"garment.type": "Trousers"}, {"garment.type": "spaceship"}, {"fabric.type": "silk"}]
    garment = report(batch).category("garment")
    assert garment.present == ("pants",)
    assert (garment.total, garment.ignored) == (1, 1)


def test_works_on_real_spec_attributes() -> None:
    spec = GarmentSpec(garment=Garment(type="dress", silhouette="a-line", length="midi"))
    result = report([spec.attributes()])
    assert result.category("silhouette").present == ("a-line",)
    assert result.category("sleeve").present == ()  # no sleeve set on this spec


def target(name: str, path: str, vocabulary: str, percent: float) -> tuple[CategoryTarget, ...]:
    return (CategoryTarget(name, path, vocabulary, percent),)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"categories": ()}, "categories"),
        ({"categories": target("x", "garment.colour", "garment_type", 50)}, "categories[0].path"),
        ({"categories": target("x", "garment.type", "nope", 50)}, "categories[0].vocabulary"),
        ({"categories": target("x", "garment.type", "garment_type", -1)}, "categories[0].target"),
        ({"categories": target("x", "garment.type", "garment_type", 100.5)}, "categories[0].target"),
        ({"categories": (GARMENT, CategoryTarget("garment", "fabric.texture", "texture", 5))}, "categories"),
        ({"categories": (GARMENT, CategoryTarget("again", "garment.type", "garment_type", 5))}, "categories"),
        ({"under_represented": 1.5}, "under_represented"),
        ({"severities": (SeverityRule("critical", 30, 5, 0.0),)}, "severities"),
        ({"severities": ()}, "severities"),
        ({"coverage_weight": -0.1}, "coverage_weight"),
        ({"coverage_weight": 0.0, "entropy_weight": 0.0}, "coverage_weight"),
    ],
)
def test_config_validation(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        CoverageConfig(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_with_targets_and_bad_attribute_input() -> None:
    cfg = CoverageConfig().with_targets({"garment": 90, "garment.length": 10})
    assert [c.target for c in cfg.categories] == [90.0, 75.0, 70.0, 65.0, 60.0, 10.0]
    with pytest.raises(InvalidInput) as err:
        CoverageConfig().with_targets({"colour": 50})
    assert err.value.field == "targets"
    with pytest.raises(InvalidInput) as err:
        CoverageConfig().with_targets({"garment": 150})
    assert err.value.field == "categories[0].target"
    with pytest.raises(InvalidInput) as err:
        report([{"garment.type": 3}])  # type: ignore[dict-item]
    assert err.value.field == "attributes[0].garment.type"
    with pytest.raises(InvalidInput) as err:
        report("dress")  # type: ignore[arg-type]
    assert err.value.field == "attributes"


_PATHS = {c.path: load_taxonomy().category(c.vocabulary).values for c in DEFAULT_CATEGORIES}
_ROW = st.fixed_dictionaries(
    {},
    optional={p: st.sampled_from((*values, "unknown-thing")) for p, values in _PATHS.items()},
)


@settings(max_examples=150, deadline=None)
@given(batch=st.lists(_ROW, max_size=60))
def test_measures_stay_in_range(batch: list[dict[str, str]]) -> None:
    result = report(batch)
    assert 0.0 <= result.overall <= 1.0
    for cat in result.categories:
        assert 0.0 <= cat.coverage <= 100.0
        assert 0.0 <= cat.normalized_entropy <= 1.0
        assert 0.0 <= cat.gini <= 1.0
        assert sum(cat.counts.values()) == cat.total
        assert cat.present == tuple(v for v, n in cat.counts.items() if n)
        assert cat.total + cat.ignored == sum(1 for r in batch if cat.path in r)
    assert {g.category for g in result.gaps} == {c.name for c in result.categories if c.coverage < c.target}
    for gap in result.gaps:
        assert gap.gap_points > 0 and gap.missing and gap.boost >= 1.2
    data = json.loads(json.dumps(result.to_dict()))
    assert len(data["gaps"]) == len(result.gaps)
    assert all(
        g["boost_values"] == list(gap.boost_values) for g, gap in zip(data["gaps"], result.gaps, strict=True)
    )
