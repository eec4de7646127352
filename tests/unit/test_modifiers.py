"""Stage 7: the modifier catalogue, Beta posterior arithmetic and Thompson sampling's statistics."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from scipy.stats import chisquare

from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.modifiers import (
    CATALOGUE,
    CATEGORIES,
    FEEDBACK_REWARD,
    Posterior,
    categories_for_spec,
    choose_modifiers,
    decay,
    decay_weight,
    modifier_by_id,
    modifiers_in,
    prior_posterior,
    update_posterior,
)

DRAWS = 1000


def test_catalogue_ids_are_unique_and_every_category_has_five_to_eight_options() -> None:
    ids = [m.id for m in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert len({m.text for m in CATALOGUE}) == len(CATALOGUE)
    assert {m.category for m in CATALOGUE} == set(CATEGORIES)
    assert set(CATEGORIES) == {"lighting", "composition", "style", "quality", "mood", "pose"}
    for category in CATEGORIES:
        assert 5 <= len(modifiers_in(category)) <= 8
    for m in CATALOGUE:
        prefix, slug = m.id.split(":")
        assert prefix == m.category and slug and slug == slug.lower() and " " not in slug
        assert m.text.strip() == m.text and m.text
        assert modifier_by_id(m.id) is m
    with pytest.raises(KeyError):
        modifier_by_id("lighting:neon")


def test_prior_update_and_decay_arithmetic() -> None:
    prior = prior_posterior()
    assert prior == Posterior(2.0, 2.0) and prior.mean == 0.5
    # Binary fractions, so the arithmetic is exact.
    assert update_posterior(prior, 0.75, 0.5) == Posterior(2.375, 2.125)
    assert update_posterior(prior, 1.0) == Posterior(3.0, 2.0)
    assert update_posterior(prior, 0.0) == Posterior(2.0, 3.0)
    assert update_posterior(prior, 0.5, 0.0) == prior
    heart = update_posterior(prior, FEEDBACK_REWARD["heart"], decay_weight(30.0))
    assert heart.alpha == pytest.approx(2 + 0.9 / math.e, abs=1e-12)
    assert heart.beta == pytest.approx(2 + 0.1 / math.e, abs=1e-12)
    assert decay(Posterior(10.0, 6.0), 0.5) == Posterior(6.0, 4.0)
    assert decay(Posterior(10.0, 6.0), 0.0) == prior
    assert decay(Posterior(10.0, 6.0), 1.0) == Posterior(10.0, 6.0)
    assert Posterior(3.0, 1.0).mean == 0.75
    assert decay_weight(0.0) == 1.0 and decay_weight(60.0) == pytest.approx(math.exp(-2), abs=1e-15)
    assert FEEDBACK_REWARD == {
        "outlier": 1.0,
        "heart": 0.9,
        "positive": 0.8,
        "neutral": 0.5,
        "negative": 0.2,
        "reject": 0.1,
    }


@pytest.mark.parametrize(
    "call",
    [
        lambda: update_posterior(prior_posterior(), 1.5),
        lambda: update_posterior(prior_posterior(), -0.1),
        lambda: update_posterior(prior_posterior(), 0.5, -1.0),
        lambda: decay(prior_posterior(), 1.5),
        lambda: Posterior(0.0, 1.0),
        lambda: Posterior(1.0, math.inf),
        lambda: decay_weight(-1.0),
    ],
)
def test_invalid_arguments_are_refused(call: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case raises a ValueError naming its argument
        call()  # type: ignore[operator]


def _shares(posteriors: dict[str, Posterior], category: str, seed: int) -> Counter[str]:
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    for _ in range(DRAWS):
        (pick,) = choose_modifiers(posteriors, rng, categories=[category])  # type: ignore[list-item]
        counts[pick.modifier.id] += 1
    return counts


def test_a_proven_modifier_is_chosen_almost_always() -> None:
    best = modifier_by_id("lighting:golden-rim")
    p = prior_posterior()
    for _ in range(50):
        p = update_posterior(p, FEEDBACK_REWARD["outlier"])
    counts = _shares({best.id: p}, "lighting", seed=11)
    assert counts[best.id] > 0.9 * DRAWS


def test_a_rejected_modifier_is_chosen_less_than_its_uniform_share() -> None:
    worst = modifier_by_id("pose:seated")
    p = prior_posterior()
    for _ in range(20):
        p = update_posterior(p, FEEDBACK_REWARD["reject"])
    counts = _shares({worst.id: p}, "pose", seed=12)
    assert counts[worst.id] < 0.5 * DRAWS / len(modifiers_in("pose"))


@pytest.mark.parametrize("category", CATEGORIES)
def test_equal_posteriors_choose_near_uniformly(category: str) -> None:
    options = [m.id for m in modifiers_in(category)]  # type: ignore[arg-type]
    counts = _shares({}, category, seed=13)
    observed = [counts[i] for i in options]
    assert sum(observed) == DRAWS and min(observed) > 0
    assert chisquare(observed).pvalue > 0.01
    # Decayed evidence is no evidence: the same holds for posteriors decayed all the way back.
    decayed = {
        i: decay(Posterior(30.0, 2.0) if n == 0 else Posterior(2.0, 30.0), 0.0) for n, i in enumerate(options)
    }
    counts = _shares(decayed, category, seed=14)
    assert chisquare([counts[i] for i in options]).pvalue > 0.01


def test_choice_records_sample_and_mean_and_is_seeded() -> None:
    posteriors = {"mood:serene": Posterior(9.0, 3.0)}
    a = choose_modifiers(posteriors, random.Random(5))
    b = choose_modifiers(posteriors, random.Random(5))
    assert a == b
    assert [c.modifier.category for c in a] == list(CATEGORIES)
    for chosen in a:
        assert 0.0 < chosen.sampled < 1.0
        expected = posteriors.get(chosen.modifier.id, prior_posterior()).mean
        assert chosen.mean == expected
    runs = {tuple(c.modifier.id for c in choose_modifiers({}, random.Random(s))) for s in range(20)}
    assert len(runs) > 10  # different seeds explore different combinations


def test_categories_follow_the_spec() -> None:
    flat = GarmentSpec.model_validate({"garment": {"type": "dress"}, "photography": {"shot": "flat-lay"}})
    assert categories_for_spec(flat) == ("lighting", "composition", "style", "quality", "mood")
    decided = GarmentSpec.model_validate(
        {
            "garment": {"type": "dress"},
            "style": {"mood": "serene"},
            "photography": {"shot": "on-model-full-body", "lightingType": "golden-hour", "pose": "walking"},
        }
    )
    assert categories_for_spec(decided) == ("composition", "style", "quality")
    open_spec = GarmentSpec.model_validate(
        {"garment": {"type": "dress"}, "photography": {"shot": "on-model-full-body", "pose": "none"}}
    )
    assert categories_for_spec(open_spec) == CATEGORIES
