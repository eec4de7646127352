"""Stage 4 (exploratory sampling): stratified by direction, temperature, preferences, fixed attributes."""

from __future__ import annotations

import math
import random
from collections import Counter
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from designer_bff.domain.profile import StyleProfile
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.exploration import (
    Sample,
    allocate,
    attribute_distribution,
    flatten,
    nearest_cluster,
    sample_exploratory,
    variations,
)
from designer_bff.pipeline.profile import build_profile
from designer_bff.pipeline.sampling import _CUT, complete_spec
from designer_bff.taxonomy import load_taxonomy
from tests.unit.test_profile import COLOUR_STORIES, PLANTED, STYLES, make_items


@pytest.fixture(scope="module")
def profile() -> StyleProfile:
    items, _ = make_items(STYLES, PLANTED, seed=1)
    return build_profile(items, seed=0, k_range=(2, 8))


def evening_id(profile: StyleProfile) -> int:
    return next(c.id for c in profile.clusters if "Evening" in c.name)


def complete(samples: list[Sample], boosts: Any = None) -> list[GarmentSpec]:
    return [complete_spec(s.spec_tree, random.Random(f"complete:{i}"), boosts) for i, s in enumerate(samples)]


def entropy(values: list[str]) -> float:
    counts = Counter(values)
    n = sum(counts.values())
    return -sum(c / n * math.log(c / n) for c in counts.values())


def fabric_of(sample: Sample) -> str | None:
    return (sample.spec_tree.get("fabric") or {}).get("type")


@given(st.lists(st.floats(0.01, 100), min_size=1, max_size=8), st.integers(0, 2000))
def test_allocation_is_largest_remainder(weights: list[float], count: int) -> None:
    counts = allocate(weights, count)
    assert sum(counts) == count
    for w, n in zip(weights, counts, strict=True):
        assert abs(n - w / sum(weights) * count) < 1


def test_batch_follows_cluster_weights(profile: StyleProfile) -> None:
    samples = sample_exploratory(profile, 1000, seed=5)
    counts = Counter(s.cluster_id for s in samples)
    observed = [counts[c.id] for c in profile.clusters]
    expected = [c.weight / 100 * 1000 for c in profile.clusters]
    assert stats.chisquare(observed, expected).pvalue > 0.01
    # Stratified: the slots are shuffled, not blocked by cluster.
    first = [s.cluster_id for s in samples[:100]]
    assert len(set(first)) == len(profile.clusters)


def test_at_zero_temperature_attributes_follow_the_cluster(profile: StyleProfile) -> None:
    samples = sample_exploratory(profile, 1000, seed=11, temperature=0.0)
    cluster = next(c for c in profile.clusters if c.id == evening_id(profile))
    mine = [s for s in samples if s.cluster_id == cluster.id]
    for path, pick in (
        ("fabric.type", fabric_of),
        ("color.primary", lambda s: s.spec_tree["color"]["primary"]),
        ("style.formality", lambda s: s.spec_tree["style"]["formality"]),
    ):
        counts = Counter(pick(s) for s in mine)
        shares = {v.value: v.share for v in cluster.attributes[path]}
        assert set(counts) <= set(shares)  # nothing from outside the cluster at T = 0
        values = sorted(shares)
        expected = [shares[v] / sum(shares.values()) * len(mine) for v in values]
        assert stats.chisquare([counts[v] for v in values], expected).pvalue > 0.01, path


def test_entropy_rises_with_temperature(profile: StyleProfile) -> None:
    measured = []
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        samples = sample_exploratory(profile, 2000, seed=2, temperature=t)
        measured.append(entropy([fabric_of(s) or "" for s in samples]))
    assert all(a < b for a, b in pairwise(measured)), measured
    # Higher temperature reaches values the portfolio never used (controlled mutation from the taxonomy).
    hot = sample_exploratory(profile, 2000, seed=2, temperature=1.0)
    used = {v.value for v in profile.attributes["fabric.type"]}
    assert {fabric_of(s) for s in hot} - used - {None}


def test_flatten_and_mixture_are_defined_as_documented() -> None:
    assert flatten({"a": 0.8, "b": 0.2}, 0.0) == pytest.approx({"a": 0.8, "b": 0.2})
    cube = {"a": 0.8 ** (1 / 3), "b": 0.2 ** (1 / 3)}
    assert flatten({"a": 0.8, "b": 0.2}, 1.0) == pytest.approx(
        {k: v / sum(cube.values()) for k, v in cube.items()}
    )
    from designer_bff.domain.profile import ValueShare

    own = [ValueShare(value="silk", share=1.0, count=10)]
    wide = [ValueShare(value="silk", share=0.5, count=10), ValueShare(value="wool", share=0.5, count=10)]
    dist = attribute_distribution("fabric.type", own, wide, 1.0)
    n = len(load_taxonomy().category("fabric_type").values)
    # m = 0.5: half own (silk), a quarter the flattened portfolio (silk/wool evenly), a quarter uniform.
    assert dist["silk"] == pytest.approx(0.5 + 0.25 * 0.5 + 0.25 / n)
    assert dist["wool"] == pytest.approx(0.25 * 0.5 + 0.25 / n)
    assert dist["tulle"] == pytest.approx(0.25 / n)


def test_preference_weights_shift_frequencies(profile: StyleProfile) -> None:
    ev = evening_id(profile)
    base = sample_exploratory(profile, 1000, seed=4)
    liked = sample_exploratory(profile, 1000, seed=4, preference_weights={"fabric.type": {"silk": 4.0}})
    banned = sample_exploratory(profile, 1000, seed=4, preference_weights={"fabric.type": {"satin": 0.0}})

    def silk_share(samples: list[Sample]) -> float:
        mine = [fabric_of(s) for s in samples if s.cluster_id == ev]
        return mine.count("silk") / len(mine)

    assert silk_share(liked) > silk_share(base) + 0.15
    assert all(fabric_of(s) != "satin" for s in banned)
    boosted = sample_exploratory(profile, 1000, seed=4, boosts={"color.primary": {"emerald": 3.0}})
    count = [sum(s.spec_tree["color"]["primary"] == "emerald" for s in b) for b in (base, boosted)]
    assert count[1] > count[0] * 1.5


def test_fixed_attributes_always_hold(profile: StyleProfile) -> None:
    fixed = {"garment": {"type": "gown"}, "color.primary": "ivory"}
    samples = sample_exploratory(profile, 300, seed=8, temperature=1.0, fixed=fixed)
    for spec in complete(samples):
        assert spec.garment.type == "gown" and spec.color.primary == "ivory"
        # The evening direction's mermaids and sheaths suit a gown; tailoring's tapered cut never does.
        assert spec.garment.silhouette in _CUT["gown"]["silhouette"]


def test_every_tree_completes_into_a_valid_spec_that_keeps_it(profile: StyleProfile) -> None:
    boosts = {"garment.type": {"jumpsuit": 2.0}, "fabric.type": {"velvet": 2.0}}
    tax = load_taxonomy()
    for t in (0.0, 0.5, 1.0):
        samples = sample_exploratory(profile, 400, seed=9, temperature=t, boosts=boosts)
        for sample, spec in zip(samples, complete(samples, boosts), strict=True):
            flat = spec.attributes()
            assert spec.color.primary in tax.colors
            tree = sample.spec_tree
            assert flat["garment.type"] == tree["garment"]["type"]
            if "fabric" in tree:
                assert spec.fabric.type == tree["fabric"]["type"]
            kind = spec.garment.type
            if kind in ("pants", "jeans", "skirt", "shorts"):
                assert "neckline" not in tree["garment"] and "sleeve" not in tree["garment"]
            if kind == "jeans":
                assert spec.fabric.type == "denim"
            if spec.color.pattern.type == "solid":
                assert "scale" not in (tree.get("color", {}).get("pattern") or {})


def test_detail_attributes_appear_as_often_as_the_cluster_states_them(profile: StyleProfile) -> None:
    ev = evening_id(profile)
    samples = [s for s in sample_exploratory(profile, 1000, seed=6, temperature=0.0) if s.cluster_id == ev]
    stated = [s.spec_tree.get("construction", {}).get("embellishments") for s in samples]
    # Every evening image states its embellishments (some as none); tailoring never does.
    assert all(e is not None for e in stated)
    cluster = next(c for c in profile.clusters if c.id == ev)
    none_share = next(v.share for v in cluster.attributes["construction.embellishments"] if v.value == "none")
    assert sum(e == [] for e in stated) / len(stated) == pytest.approx(none_share, abs=0.08)
    others = [s for s in sample_exploratory(profile, 300, seed=6) if s.cluster_id != ev]
    assert sum("embellishments" in s.spec_tree.get("construction", {}) for s in others) < 0.1 * len(others)


def test_sampling_is_deterministic_for_a_seed(profile: StyleProfile) -> None:
    a = sample_exploratory(profile, 50, seed=3, preference_weights={"fabric.type": {"wool": 2.0}})
    b = sample_exploratory(profile, 50, seed=3, preference_weights={"fabric.type": {"wool": 2.0}})
    c = sample_exploratory(profile, 50, seed=4)
    assert a == b and a != c


def test_colour_only_profile_gives_colour_trees_that_complete() -> None:
    items, _ = make_items(COLOUR_STORIES, {"earthy": 50, "cool": 30, "pastel": 20}, seed=2)
    colour = build_profile(items, seed=0)
    samples = sample_exploratory(colour, 200, seed=1, temperature=0.3)
    assert all(set(s.spec_tree) == {"color"} for s in samples)
    specs = complete(samples)
    cool = next(c.id for c in colour.clusters if c.name == "Cool Stripes")
    stripes = [sp.color.pattern.type for s, sp in zip(samples, specs, strict=True) if s.cluster_id == cool]
    assert stripes.count("stripe") / len(stripes) > 0.7


def test_empty_profile_leaves_everything_to_complete_spec() -> None:
    empty = build_profile([], seed=0)
    samples = sample_exploratory(empty, 5, seed=1, fixed={"garment.type": "coat"})
    assert [s.cluster_id for s in samples] == [None] * 5
    assert all(s.spec_tree == {"garment": {"type": "coat"}} for s in samples)


def test_variations_keep_the_base_and_draw_the_rest_from_the_nearest_direction(profile: StyleProfile) -> None:
    base = {"garment": {"type": "gown"}, "color": {"primary": "red"}}
    cluster = nearest_cluster(profile, base)
    assert cluster is not None and cluster.id == evening_id(profile)
    trees = variations(base, 60, seed=2, profile=profile)
    assert all(t["garment"]["type"] == "gown" and t["color"]["primary"] == "red" for t in trees)
    fabrics = Counter(t["fabric"]["type"] for t in trees)
    assert set(fabrics) <= {"silk", "satin", "chiffon"} | {
        v for v in load_taxonomy().category("fabric_type").values
    }
    assert fabrics["silk"] + fabrics["satin"] > 40
    assert len({str(t) for t in trees}) > 10
    assert variations(base, 3, seed=2, profile=profile) == trees[:3]
    # Without a profile the open attributes stay open for complete_spec to vary.
    plain = variations(base, 3, seed=2)
    assert plain == [base, base, base]
    specs = [complete_spec(t, random.Random(i)) for i, t in enumerate(plain)]
    assert all(s.garment.type == "gown" for s in specs)


def test_bad_arguments_are_rejected(profile: StyleProfile) -> None:
    with pytest.raises(InvalidInput, match="temperature"):
        sample_exploratory(profile, 3, seed=0, temperature=1.5)
    with pytest.raises(InvalidInput, match="count"):
        sample_exploratory(profile, -1, seed=0)
    with pytest.raises(InvalidInput, match="preference_weights"):
        sample_exploratory(profile, 3, seed=0, preference_weights={"fabric.type": {"silk": -1.0}})
