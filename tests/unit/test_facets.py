"""Facets: derived families of spec values, and how the preference model uses them."""

from __future__ import annotations

import random

import pytest

from designer_bff.pipeline.facets import facets_of, parents_of
from designer_bff.pipeline.preferences import (
    OVERALL,
    Evidence,
    PreferenceModel,
    centred_prior,
    features_of,
    is_facet,
)
from designer_bff.pipeline.sampling import complete_spec

DARK = "attribute:color.primary.tone=dark"


def test_facets_of_a_spec() -> None:
    flat = {
        "garment.type": ["jumpsuit"],
        "color.primary": ["navy"],
        "color.pattern.type": ["floral"],
    }
    assert facets_of(flat) == {
        "garment.group": ["one-piece"],
        "color.primary.family": ["cool"],
        "color.primary.tone": ["dark"],
        "color.pattern.print": ["printed"],
    }
    assert facets_of({"color.primary": ["ivory"], "color.pattern.type": ["solid"]}) == {
        "color.primary.family": ["light"],
        "color.primary.tone": ["light"],
        "color.pattern.print": ["solid"],
    }


def test_features_of_include_facets_and_parents_name_them() -> None:
    spec = complete_spec({"garment": {"type": "dress"}, "color": {"primary": "black"}}, random.Random(1))
    features = features_of(spec)
    assert {"attribute:garment.group=one-piece", DARK, "attribute:color.primary.family=dark"} <= set(features)
    assert sorted(parents_of("attribute:color.primary=black")) == [
        "attribute:color.primary.family=dark",
        DARK,
    ]
    assert parents_of("attribute:fabric.type=silk") == []
    assert is_facet(DARK) and not is_facet("attribute:color.primary=black")


def test_an_unseen_value_starts_from_its_facets() -> None:
    model = PreferenceModel({OVERALL: Evidence(4, 16), DARK: Evidence(4.5, 0.5)})
    navy = model.get("attribute:color.primary=navy")
    ivory = model.get("attribute:color.primary=ivory")
    assert navy.amount == 0 and navy.mean > model.baseline  # dark colours please: navy is worth trying
    assert ivory.mean == model.baseline  # nothing known about light colours
    weights = model.sampling_weights()
    assert weights["color.primary"]["navy"] > 1 and weights["color.primary"]["ivory"] == 1
    assert "color.primary.tone" not in weights  # facets act through their values only


def test_own_evidence_moves_a_value_away_from_its_facet() -> None:
    model = PreferenceModel(
        {
            OVERALL: Evidence(6, 14),
            DARK: Evidence(4.5, 0.5),
            "attribute:color.primary=brown": Evidence(0.3, 2.7),
        }
    )
    brown = model.get("attribute:color.primary=brown")
    black = model.get("attribute:color.primary=black")
    assert brown.mean < black.mean
    assert model.sampling_weights()["color.primary"]["brown"] < 1


def test_predict_and_explain_count_a_facet_once() -> None:
    model = PreferenceModel({OVERALL: Evidence(4, 16), DARK: Evidence(4.5, 0.5)})
    features = ["attribute:color.primary=navy", DARK, "attribute:fabric.type=silk"]
    # Navy was never judged, but dark colours were: navy speaks for them, the facet is not counted again;
    # silk, with nothing known, does not count at all.
    assert [c.feature for c in model.explain(features)] == ["attribute:color.primary=navy"]
    navy = model.get("attribute:color.primary=navy").mean
    assert model.predict(features) == pytest.approx(navy)


def test_a_value_is_not_counted_twice_through_its_facet() -> None:
    # Only solid was judged, so the solid facet's evidence is solid's own: solid's prior must not be
    # centred on it, or two rejects would count as four.
    solid = "attribute:color.pattern.type=solid"
    rejects = Evidence(0.2, 1.8)
    model = PreferenceModel(
        {OVERALL: Evidence(2, 8), solid: rejects, "attribute:color.pattern.print=solid": rejects}
    )
    assert model.get(solid).mean == pytest.approx(Evidence(0.2, 1.8, centred_prior(model.baseline)).mean)
    # A sibling's evidence does move it: a judged floral shapes an unseen polka-dot through "printed".
    printed = PreferenceModel(
        {
            OVERALL: Evidence(2, 8),
            "attribute:color.pattern.type=floral": Evidence(3, 0),
            "attribute:color.pattern.print=printed": Evidence(3, 0),
        }
    )
    assert printed.get("attribute:color.pattern.type=polka-dot").mean > printed.baseline
    assert printed.get("attribute:color.pattern.type=floral").prior == centred_prior(printed.baseline)


def test_learned_factors_add_liked_values_only() -> None:
    draws = [
        complete_spec({}, random.Random(i), learned={"garment.type": {"sweater": 50.0, "gown": 0.5}})
        for i in range(60)
    ]
    kinds = {s.garment.type for s in draws}
    assert "sweater" in kinds  # liked: brought into the options
    assert "gown" not in kinds  # disliked and not an option: stays out
