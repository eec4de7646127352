"""Stage 2: style profile from planted portfolios — K, weights, names, distributions, updates and drift."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest

from designer_bff.domain.profile import ProfileCluster, StyleProfile
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.profile import (
    ProfileItem,
    ProfileState,
    build_profile,
    build_profile_state,
    drift_score,
    state_from_assignment,
    update_profile,
)
from designer_bff.pipeline.profile_naming import lab_to_hex, percentages, render_profile
from designer_bff.pipeline.profile_state import MULTI_PATHS, flatten_spec
from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import hex_to_rgb, rgb_to_hex, rgb_to_lab

Styles = dict[str, dict[str, dict[str, float]]]

STYLES: Styles = {
    "tailoring": {
        "garment.type": {"blazer": 0.5, "pants": 0.3, "coat": 0.2},
        "garment.silhouette": {"straight": 0.5, "fitted": 0.3, "tapered": 0.2},
        "fabric.type": {"wool": 0.6, "crepe": 0.25, "cashmere": 0.15},
        "fabric.drape": {"structured": 0.9, "soft": 0.1},
        "fabric.finish": {"matte": 1.0},
        "style.aesthetic": {"minimalist": 0.8, "classic": 0.2},
        "style.formality": {"business": 0.7, "smart-casual": 0.3},
        "style.occasion": {"work": 0.8, "everyday": 0.2},
        "color.primary": {"black": 0.4, "camel": 0.3, "ivory": 0.2, "grey": 0.1},
        "color.pattern.type": {"solid": 0.9, "stripe": 0.1},
        "garment.closures": {"buttons": 1.0},
    },
    "evening": {
        "garment.type": {"gown": 0.7, "dress": 0.3},
        "garment.silhouette": {"mermaid": 0.4, "a-line": 0.3, "sheath": 0.3},
        "fabric.type": {"silk": 0.5, "satin": 0.4, "chiffon": 0.1},
        "fabric.drape": {"fluid": 0.9, "soft": 0.1},
        "fabric.finish": {"glossy": 0.7, "sheen": 0.3},
        "style.aesthetic": {"glamorous": 0.7, "romantic": 0.3},
        "style.formality": {"formal": 0.6, "black-tie": 0.4},
        "style.occasion": {"evening": 0.9, "party": 0.1},
        "color.primary": {"burgundy": 0.4, "emerald": 0.3, "black": 0.3},
        "color.pattern.type": {"solid": 1.0},
        "construction.embellishments": {"beading": 0.5, "sequins": 0.2, "none": 0.3},
    },
    "street": {
        "garment.type": {"t-shirt": 0.4, "jeans": 0.3, "bomber": 0.3},
        "garment.silhouette": {"relaxed": 0.5, "oversized": 0.4, "straight": 0.1},
        "fabric.type": {"cotton": 0.4, "denim": 0.3, "jersey": 0.3},
        "fabric.drape": {"soft": 0.7, "structured": 0.3},
        "fabric.finish": {"matte": 0.8, "distressed": 0.2},
        "style.aesthetic": {"streetwear": 0.8, "utilitarian": 0.2},
        "style.formality": {"casual": 1.0},
        "style.occasion": {"everyday": 0.9, "active": 0.1},
        "color.primary": {"white": 0.3, "olive": 0.3, "grey": 0.2, "orange": 0.2},
        "color.pattern.type": {"solid": 0.6, "abstract": 0.2, "geometric": 0.2},
        "construction.hardware": {"exposed-zipper": 0.6, "d-rings": 0.4},
    },
}
BOHO: Styles = {
    "boho": {
        "garment.type": {"skirt": 0.5, "blouse": 0.5},
        "garment.silhouette": {"wrap": 0.6, "empire": 0.4},
        "fabric.type": {"linen": 0.6, "lace": 0.4},
        "fabric.drape": {"soft": 1.0},
        "fabric.finish": {"brushed": 1.0},
        "style.aesthetic": {"bohemian": 1.0},
        "style.formality": {"smart-casual": 1.0},
        "style.occasion": {"vacation": 1.0},
        "color.primary": {"mustard": 0.5, "sage": 0.5},
        "color.pattern.type": {"paisley": 0.6, "floral": 0.4},
    }
}
# Colour-only portfolios: what the offline analyser measures (colours and pattern, no garment).
COLOUR_STORIES: Styles = {
    "earthy": {
        "color.primary": {"rust": 0.4, "camel": 0.35, "terracotta": 0.25},
        "color.secondary": {"brown": 0.5, "tan": 0.5},
        "color.pattern.type": {"solid": 1.0},
    },
    "cool": {
        "color.primary": {"navy": 0.6, "cobalt": 0.4},
        "color.secondary": {"white": 1.0},
        "color.pattern.type": {"stripe": 1.0},
    },
    "pastel": {
        "color.primary": {"blush": 0.4, "lavender": 0.3, "mint": 0.3},
        "color.secondary": {"cream": 0.6, "ivory": 0.4},
        "color.pattern.type": {"floral": 1.0},
    },
}
PLANTED = {"tailoring": 100, "evening": 60, "street": 40}


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        tree = tree.setdefault(key, {})
    tree[leaf] = value


def make_items(
    styles: Styles,
    counts: dict[str, int],
    seed: int,
    *,
    features: bool | float = False,
    prefix: str = "",
) -> tuple[list[ProfileItem], list[str]]:
    """Items drawn from planted styles (shuffled) and each item's true style.

    `features` True gives every item a 32-d vector near its style's direction; a float gives that share.
    """
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    tax = load_taxonomy()
    directions = {s: nrng.normal(size=32) for s in styles}
    items, truth = [], []
    for style, n in counts.items():
        for j in range(n):
            tree: dict[str, Any] = {}
            confidence: dict[str, float] = {}
            for path, dist in styles[style].items():
                value = rng.choices(list(dist), weights=list(dist.values()))[0]
                if path in MULTI_PATHS:
                    _set(tree, path, [] if value == "none" else [value])
                else:
                    _set(tree, path, value)
                confidence[path] = round(rng.uniform(0.7, 1.0), 2)
            palette = []
            for path, coverage in (("primary", 70.0), ("secondary", 30.0)):
                if name := tree["color"].get(path):
                    rgb = tuple(
                        max(0, min(255, c + rng.randint(-8, 8))) for c in hex_to_rgb(tax.colors[name])
                    )
                    palette.append((name, rgb_to_hex(rgb), coverage))  # type: ignore[arg-type]
            vector = None
            if features is True or (features and rng.random() < features):
                v = directions[style] + nrng.normal(scale=0.8, size=32)
                vector = (v / np.linalg.norm(v)).astype(np.float32)
            items.append(
                ProfileItem(
                    f"{prefix}{style}-{j}", tree, confidence=confidence, features=vector, palette=palette
                )
            )
            truth.append(style)
    order = list(range(len(items)))
    rng.shuffle(order)
    return [items[i] for i in order], [truth[i] for i in order]


def by_style(profile: StyleProfile, items: list[ProfileItem], truth: list[str]) -> dict[str, ProfileCluster]:
    """The cluster whose exemplars (the members nearest its centre) are of each planted style."""
    style_of = {item.id: style for item, style in zip(items, truth, strict=True)}
    out = {}
    for c in profile.clusters:
        styles = Counter(style_of[i] for i in c.exemplars)
        out[styles.most_common(1)[0][0]] = c
    return out


def shares(cluster: ProfileCluster, path: str) -> dict[str, float]:
    return {v.value: v.share for v in cluster.attributes[path]}


@pytest.fixture(scope="module")
def planted() -> tuple[list[ProfileItem], list[str], ProfileState, StyleProfile]:
    items, truth = make_items(STYLES, PLANTED, seed=1)
    state, profile = build_profile_state(items, seed=0, k_range=(2, 8))
    return items, truth, state, profile


def test_planted_styles_give_three_clusters_with_planted_weights(planted: Any) -> None:
    items, truth, state, profile = planted
    assert len(profile.clusters) == len(state.clusters) == 3
    assert profile.images == 200
    found = by_style(profile, items, truth)
    assert set(found) == set(PLANTED)
    for style, n in PLANTED.items():
        assert found[style].weight == pytest.approx(100 * n / 200, abs=3)
        assert found[style].size == pytest.approx(n, abs=6)
    assert sum(c.weight for c in profile.clusters) == pytest.approx(100)
    assert profile.silhouette_score is not None and profile.silhouette_score > 0.25


def test_cluster_distributions_follow_the_planted_ones(planted: Any) -> None:
    items, truth, _, profile = planted
    found = by_style(profile, items, truth)
    for style, cluster in found.items():
        n = PLANTED[style]
        for path in ("fabric.type", "garment.type", "color.primary"):
            got = shares(cluster, path)
            assert sum(got.values()) == pytest.approx(1, abs=1e-3)
            for value, p in STYLES[style][path].items():
                # Binomial standard error; confidences are independent of values, so shares are unbiased.
                assert got.get(value, 0) == pytest.approx(p, abs=4 * (p * (1 - p) / n) ** 0.5 + 0.02)
    evening = found["evening"]
    embellished = shares(evening, "construction.embellishments")
    assert embellished["beading"] > embellished["sequins"] and "none" in embellished


def test_names_read_like_a_designer_would(planted: Any) -> None:
    items, truth, _, profile = planted
    found = by_style(profile, items, truth)
    assert "Evening" in found["evening"].name
    assert "Minimalist" in found["tailoring"].name
    assert "Urban" in found["street"].name or "Streetwear" in found["street"].name
    assert len({c.name for c in profile.clusters}) == 3
    assert all(len(c.name.split()) == 2 for c in profile.clusters)
    assert "silk" in found["evening"].descriptor and "glossy" in found["evening"].descriptor
    assert "wool" in found["tailoring"].descriptor


def test_cluster_colours_aggregate_coverage_and_average_hex_in_lab(planted: Any) -> None:
    items, truth, _, profile = planted
    evening = by_style(profile, items, truth)["evening"]
    names = [c.name for c in evening.colors]
    assert set(names[:3]) == {"burgundy", "emerald", "black"}
    assert sum(c.share for c in evening.colors) == pytest.approx(1, abs=1e-3)
    tax = load_taxonomy()
    burgundy = next(c for c in evening.colors if c.name == "burgundy")
    lab = rgb_to_lab(np.array([hex_to_rgb(burgundy.hex), hex_to_rgb(tax.colors["burgundy"])], dtype=float))
    assert np.linalg.norm(lab[0] - lab[1]) < 4  # the jittered measurements average back to burgundy


def test_signature_and_summary_are_built_from_the_numbers(planted: Any) -> None:
    _, _, _, profile = planted
    signature = profile.signature
    assert all(c.share >= 0.05 for c in signature.colors)
    assert signature.colors[0].name == "black"  # 40 % of tailoring + 30 % of evening
    assert signature.fabrics[0].value == "wool"
    wool_share = signature.fabrics[0].share
    assert wool_share == pytest.approx(0.6 * 100 / 200, abs=0.06)
    details = {d.value for d in signature.details}
    assert {"buttons", "beading"} <= details and "none" not in details and "solid" not in details
    summary = profile.summary
    assert summary.startswith("Your portfolio of 200 images falls into three directions: ")
    for cluster in profile.clusters:
        assert f"{cluster.name} ({cluster.weight:.0f} %)" in summary
    assert f"Most used fabric: wool ({wool_share * 100:.0f} %)." in summary
    assert "Signature colours: black" in summary
    assert 2 <= summary.count(". ") + 1 <= 4


def test_portfolio_attributes_weigh_items_and_confidence() -> None:
    items, _ = make_items(STYLES, PLANTED, seed=1)
    heavy = [
        ProfileItem(i.id, i.spec, i.confidence, i.features, 2.0 if "evening" in i.id else 1.0, i.palette)
        for i in items
    ]
    profile = build_profile(heavy, seed=0, k_range=(2, 8))
    evening = next(c for c in profile.clusters if "Evening" in c.name)
    assert evening.weight == pytest.approx(100 * 120 / 260, abs=3)
    assert sum(v.count for v in evening.attributes["garment.type"]) == pytest.approx(2 * evening.size)
    # A value stated with confidence 0 has no share; its image still counts as stating the attribute.
    one = ProfileItem("a", {"fabric": {"type": "silk"}}, confidence={"fabric.type": 0.0})
    two = ProfileItem("b", {"fabric": {"type": "wool"}}, confidence={"fabric.type": 0.5})
    attrs = build_profile([one, two], seed=0).attributes["fabric.type"]
    assert [(v.value, v.share, v.count) for v in attrs] == [("wool", 1.0, 1.0)]


def test_image_features_are_used_and_missing_ones_borrowed() -> None:
    for share in (True, 0.7):
        items, truth = make_items(STYLES, PLANTED, seed=4, features=share)
        state, profile = build_profile_state(items, seed=0, k_range=(2, 8))
        assert state.feature_dim == 32
        assert len(profile.clusters) == 3
        found = by_style(profile, items, truth)
        assert {s: round(c.weight) for s, c in found.items()} == pytest.approx(
            {"tailoring": 50, "evening": 30, "street": 20}, abs=3
        )
    # Fewer than half the images with features: the space has no feature part.
    items, _ = make_items(STYLES, PLANTED, seed=4, features=0.2)
    assert build_profile_state(items, seed=0)[0].feature_dim == 0


def test_four_planted_styles_give_four_clusters() -> None:
    styles = {**STYLES, **BOHO}
    items, truth = make_items(styles, {"tailoring": 60, "evening": 50, "street": 40, "boho": 50}, seed=7)
    profile = build_profile(items, seed=3, k_range=(2, 8))
    assert len(profile.clusters) == 4
    found = by_style(profile, items, truth)
    assert set(found) == set(styles)
    assert any(word in found["boho"].name for word in ("Bohemian", "Boho", "Resort"))


def test_colour_only_portfolio_is_named_by_colour_story() -> None:
    items, truth = make_items(COLOUR_STORIES, {"earthy": 50, "cool": 30, "pastel": 20}, seed=2)
    profile = build_profile(items, seed=0)
    assert len(profile.clusters) == 3
    found = by_style(profile, items, truth)
    assert found["earthy"].name == "Earthy Neutrals"
    assert found["earthy"].descriptor.startswith("rust, ")
    assert found["earthy"].descriptor.endswith("solid")
    assert found["cool"].name == "Cool Stripes" and found["cool"].descriptor == "navy, white, stripe"
    assert found["pastel"].name == "Soft Florals"
    assert [round(found[s].weight) for s in ("earthy", "cool", "pastel")] == [50, 30, 20]
    assert "colour stories" in profile.summary and "fabric" not in profile.summary
    assert profile.signature.fabrics == []


def test_small_portfolios_form_one_direction() -> None:
    items, _ = make_items(STYLES, {"tailoring": 3, "evening": 2}, seed=3)
    state, profile = build_profile_state(items, seed=0)
    assert len(profile.clusters) == 1 and profile.silhouette_score is None and state.silhouette is None
    assert profile.clusters[0].weight == 100 and profile.clusters[0].size == 5
    assert profile.summary.startswith("Your portfolio of 5 images forms one direction: ")
    items, _ = make_items(STYLES, {"tailoring": 4, "evening": 4}, seed=3)
    assert len(build_profile(items, seed=0).clusters) == 2  # 8 // 3 = 2 directions at most
    empty = build_profile([], seed=0)
    assert empty.images == 0 and empty.clusters == [] and "No analysed images" in empty.summary


def test_build_is_deterministic_for_a_seed(planted: Any) -> None:
    items, _, _, profile = planted
    again = build_profile(items, seed=0, k_range=(2, 8))
    assert again.model_dump() == profile.model_dump()


def test_incremental_update_equals_full_recomputation(planted: Any) -> None:
    items, _, _, _ = planted
    first, rest = items[:150], items[150:]
    state, _ = build_profile_state(first, seed=0, k_range=(2, 8))
    # Feedback weighs one known image up and adds 50 new ones.
    boosted = ProfileItem(first[0].id, first[0].spec, first[0].confidence, None, 3.0, first[0].palette)
    updated, profile = update_profile(state, [*rest, boosted])
    assert not updated.needs_rebuild
    everything = [boosted, *first[1:], *rest]
    labels = [updated.items[i.id].cluster for i in everything]
    direct = render_profile(state_from_assignment(everything, labels, seed=0))
    assert profile.images == direct.images == 200
    for got, want in zip(profile.clusters, direct.clusters, strict=True):
        assert (got.id, got.weight, got.size, got.name) == (want.id, want.weight, want.size, want.name)
        assert got.attributes.keys() == want.attributes.keys()
        for path in got.attributes:
            assert [v.value for v in got.attributes[path]] == [v.value for v in want.attributes[path]]
            for a, b in zip(got.attributes[path], want.attributes[path], strict=True):
                assert a.share == pytest.approx(b.share, abs=2e-4) and a.count == pytest.approx(
                    b.count, abs=2e-3
                )
        assert [(c.name, c.hex) for c in got.colors] == [(c.name, c.hex) for c in want.colors]
    assert profile.signature == direct.signature


def test_state_round_trips_through_json(planted: Any) -> None:
    _, _, state, profile = planted
    restored = ProfileState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert render_profile(restored) == profile
    np.testing.assert_allclose(restored.centroids(), state.centroids())
    with pytest.raises(InvalidInput, match="rebuild"):
        ProfileState.from_dict({**state.to_dict(), "attributeDim": 3})


def test_needs_rebuild_fires_for_an_off_profile_batch_only(planted: Any) -> None:
    items, _, _, _ = planted
    state, _ = build_profile_state(items[:150], seed=0, k_range=(2, 8))
    on, _ = update_profile(state, items[150:])
    assert not on.needs_rebuild
    single, _ = update_profile(state, items[150:151])
    assert not single.needs_rebuild
    off_items, _ = make_items(BOHO, {"boho": 20}, seed=5, prefix="new-")
    off, _ = update_profile(state, off_items)
    assert off.needs_rebuild
    assert update_profile(off, items[150:152])[0].needs_rebuild  # sticky until the caller rebuilds
    # A known id with a different spec cannot be taken out exactly.
    changed = ProfileItem(items[0].id, {**items[0].spec, "fabric": {"type": "tulle"}})
    assert update_profile(state, [changed])[0].needs_rebuild


def test_single_direction_asks_for_rebuild_once_the_portfolio_has_grown() -> None:
    items, _ = make_items(STYLES, {"tailoring": 12}, seed=6)
    state, _ = build_profile_state(items[:3], seed=0)
    assert len(state.clusters) == 1
    four, _ = update_profile(state, items[3:4])
    assert not four.needs_rebuild  # 4 images: still room for one direction only
    six, profile = update_profile(four, items[4:6])
    assert six.needs_rebuild and profile.images == 6  # 6 images may hold two directions


def test_drift_is_low_for_a_batch_from_the_profile_and_high_for_another_style(planted: Any) -> None:
    items, truth, _, _ = planted
    state, _ = build_profile_state(items[:150], seed=0, k_range=(2, 8))
    same = drift_score(state, items[150:])
    assert same.score < 0.15 and same.distance_ratio < 1.25
    assert same.explanation.startswith("No notable drift")
    evening_only = [i for i, t in zip(items[150:], truth[150:], strict=True) if t == "evening"]
    shift = drift_score(state, evening_only)
    assert shift.score < 0.25 and shift.mix_shift > 0.2  # a change of mix, not of style
    off_items, _ = make_items(BOHO, {"boho": 20}, seed=5, prefix="new-")
    other = drift_score(state, off_items)
    assert other.score > 0.8 and other.distance_ratio > 2
    assert max(other.divergences.values()) > 0.8
    top = max(other.divergences, key=lambda p: other.divergences[p])
    assert other.explanation.startswith(f"Drift {other.score:.2f}: ")
    assert top.rsplit(".", 1)[-1] in other.explanation or "garment type" in other.explanation


def test_invalid_items_are_rejected_with_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"fabric\.type") as err:
        build_profile([ProfileItem("x", {"fabric": {"type": "plastic-wrap"}})], seed=0)
    assert err.value.field == "fabric.type"
    with pytest.raises(InvalidInput, match="duplicate"):
        build_profile([ProfileItem("x", {"fabric": {"type": "silk"}})] * 2, seed=0)
    with pytest.raises(InvalidInput, match="weight"):
        build_profile([ProfileItem("x", {"fabric": {"type": "silk"}}, weight=-1)], seed=0)
    with pytest.raises(InvalidInput, match="features"):
        build_profile([ProfileItem("x", {}, features=np.zeros(4))], seed=0)


def test_flatten_canonicalises_and_records_empty_detail_lists() -> None:
    flat = flatten_spec(
        {
            "garment": {"type": "Dress", "closures": []},
            "color": {"primary": "gray"},
            "photography": {"shot": "x"},
        }
    )
    assert flat == {"garment.type": ["dress"], "garment.closures": ["none"], "color.primary": ["grey"]}


def test_lab_to_hex_inverts_rgb_to_lab_and_percentages_sum_to_100() -> None:
    for hex_value in ("#b7410e", "#1f2a44", "#f8f8f5", "#000000", "#98ff98"):
        lab = rgb_to_lab(np.array(hex_to_rgb(hex_value), dtype=float))
        assert lab_to_hex(lab) == hex_value
    for values in ([1, 1, 1], [2, 1], [0.5, 0.25, 0.125, 0.125], [7, 0, 3]):
        assert sum(percentages(values)) == pytest.approx(100)
    assert percentages([1, 1, 1]) == [33.4, 33.3, 33.3]


def test_images_with_only_features_get_neutral_names() -> None:
    rng = np.random.default_rng(0)
    items = [ProfileItem(f"f{i}", {}, features=rng.normal(size=8) + (4 if i % 2 else -4)) for i in range(12)]
    profile = build_profile(items, seed=0, k_range=(2, 4))
    assert [c.name for c in profile.clusters] == ["Direction 1", "Direction 2"]
    assert [c.weight for c in profile.clusters] == [50.0, 50.0]
    assert "Only image features" in profile.summary and "colour" not in profile.summary
