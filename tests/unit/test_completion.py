"""Stages 4–5 with stage 15: coverage slots, and slots screened over whole drafts towards taste."""

from __future__ import annotations

import random
import statistics

import pytest

from designer_bff.domain.generation import GenerationSettings
from designer_bff.pipeline import run
from designer_bff.pipeline.completion import (
    EXPLORED,
    Draft,
    best_draft,
    draft_key,
    draft_seed,
    explore_slots,
    explored_draft,
    gap_slots,
)
from designer_bff.pipeline.joint import Observation, fit
from designer_bff.pipeline.preferences import OVERALL, Evidence, PreferenceModel, features_of
from designer_bff.pipeline.routing import RouteOption, choose
from designer_bff.pipeline.sampling import complete_spec
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.providers.tech_flat import TechFlatProvider

BOOSTS = {"garment.type": {"romper": 2.0, "trench": 2.0}}


def _taste() -> PreferenceModel:
    """A designer who marked dresses as standouts and rejected everything else, over 200 images."""
    observations = []
    for i in range(200):
        spec = complete_spec({}, random.Random(f"taste:{i}"))
        liked = spec.garment.type == "dress"
        observations.append(Observation(features_of(spec), 1.0 if liked else 0.1, 1.0))
    # the Beta side only needs the baseline here
    return PreferenceModel({OVERALL: Evidence(20, 180)}, joint=fit(observations))


TASTE = _taste()


def test_gap_slots_all_before_feedback_a_tenth_after() -> None:
    assert gap_slots(24, {}, TASTE) == frozenset()
    assert gap_slots(24, BOOSTS, PreferenceModel()) == frozenset(range(24))
    assert gap_slots(24, BOOSTS, TASTE) == frozenset({22, 23})
    assert gap_slots(3, BOOSTS, TASTE) == frozenset({2})  # at least one slot keeps filling gaps


def test_a_tenth_explores_once_there_is_a_joint_fit() -> None:
    gaps = gap_slots(24, BOOSTS, TASTE)
    assert explore_slots(24, gaps, TASTE) == frozenset({20, 21})  # just before the gap slots
    assert explore_slots(24, frozenset(), TASTE) == frozenset({22, 23})
    assert explore_slots(24, frozenset(), PreferenceModel()) == frozenset()  # nothing judged yet
    assert explore_slots(3, frozenset(range(3)), TASTE) == frozenset()


def test_gap_slots_fill_a_gap_with_what_the_designer_likes() -> None:
    """The old gap slot took one boosted draft; now it keeps the likeliest standout among gap fillers."""
    observations = []
    for i in range(200):
        spec = complete_spec({}, random.Random(f"dark:{i}"))
        liked = spec.color.primary in ("black", "navy", "charcoal", "burgundy")
        observations.append(Observation(features_of(spec), 1.0 if liked else 0.1, 1.0))
    dark = PreferenceModel({OVERALL: Evidence(20, 180)}, joint=fit(observations))
    items = _plan(dark, count=40, boosts=BOOSTS)
    gap = [i.spec for i in items if i.slot in gap_slots(40, BOOSTS, dark)]
    assert len(gap) == 4 and all(s.garment.type in BOOSTS["garment.type"] for s in gap)
    fillers = [complete_spec({}, random.Random(f"gap:{i}"), BOOSTS) for i in range(80)]
    fillers = [s for s in fillers if s.garment.type in BOOSTS["garment.type"]]
    assert (
        statistics.fmean(dark.predict(features_of(s)) for s in gap)
        > statistics.fmean(dark.predict(features_of(s)) for s in fillers) + 0.2
    )


def test_an_exploring_slot_varies_only_its_own_attribute() -> None:
    """With every other weight at its mean, the explored draft keeps the liked garment (a dress) whenever a
    draft offers one, while draws over the colour weights pick different colours."""
    drafts = [Draft(complete_spec({}, random.Random(f"x:{i}")), None, []) for i in range(60)]
    colour_slot = next(i for i, paths in enumerate(EXPLORED) if "color.primary" in paths)
    picks = [explored_draft(drafts, TASTE, colour_slot, random.Random(k)).spec for k in range(12)]
    assert all(p.garment.type == "dress" for p in picks)
    assert len({p.color.primary for p in picks}) > 1
    assert explored_draft(drafts, PreferenceModel(), colour_slot, random.Random(0)) is best_draft(
        drafts, PreferenceModel()
    )


def test_first_drafts_keep_the_seeds_of_an_unscreened_batch() -> None:
    assert draft_seed(7, 0) == 7
    assert draft_key("", 7, 3, 0) == "7:3"
    assert draft_key("persona", 7, 3, 0) == "persona:7:3"
    seeds = {draft_seed(7, t) for t in range(16)} | {draft_seed(8, t) for t in range(16)}
    assert len(seeds) == 32  # no two drafts of neighbouring batches share a seed
    assert len({draft_key("", 7, 3, t) for t in range(16)}) == 16


def test_best_draft_is_the_one_the_model_expects_to_please_most() -> None:
    drafts = [Draft(complete_spec({}, random.Random(f"d:{i}")), None, []) for i in range(30)]
    chosen = best_draft(drafts, TASTE)
    assert TASTE.predict(features_of(chosen.spec)) == max(TASTE.predict(features_of(d.spec)) for d in drafts)
    assert best_draft(drafts[:1], TASTE) is drafts[0]


def _plan(
    model: PreferenceModel,
    prompt: str | None = None,
    count: int = 20,
    recorder: run.StageRecorder | None = None,
    boosts: dict[str, dict[str, float]] | None = None,
) -> list[run.PlannedImage]:
    options = [RouteOption("tech-flat", "tech-flat-v1", TechFlatProvider.capabilities, 0.0, 0.2)]
    plan, _ = run.plan_generation(
        run.PlanRequest(
            count=count,
            settings=GenerationSettings(seed=11),
            seed=11,
            prompt=prompt,
            preferences=model,
            boosts=boosts or {},
        ),
        ProviderRegistry([TechFlatProvider()]),
        choose_route=lambda spec, needs, rng: choose(options, needs, strategy="balanced", rng=rng),
        recorder=recorder or run.StageRecorder(),
    )
    return plan.items


def test_screening_lands_on_what_the_designer_likes(monkeypatch: pytest.MonkeyPatch) -> None:
    screened = [TASTE.predict(features_of(i.spec)) for i in _plan(TASTE)]
    monkeypatch.setattr(run, "SCREENED", 1)
    first = [TASTE.predict(features_of(i.spec)) for i in _plan(TASTE)]  # each slot's first draft
    assert statistics.fmean(screened) > statistics.fmean(first) + 0.1
    assert min(screened) > TASTE.baseline  # no slot settles for what the model expects to disappoint
    dresses = sum(i.spec.garment.type == "dress" for i in _plan(TASTE))
    assert dresses >= 5  # the liked garment, whatever the first drafts were


def test_without_feedback_a_batch_is_not_screened() -> None:
    unjudged, judged = run.StageRecorder(), run.StageRecorder()
    plain = [i.spec for i in _plan(PreferenceModel(), recorder=unjudged)]
    assert unjudged.stages["sampling"]["output"]["screened"] == 1
    assert [i.spec for i in _plan(TASTE, recorder=judged)] != plain
    assert judged.stages["sampling"]["output"]["screened"] == run.SCREENED


def test_screening_keeps_what_the_request_fixed() -> None:
    specs = [i.spec for i in _plan(TASTE, prompt="ivory pants", count=10)]
    assert {(s.garment.type, s.color.primary) for s in specs} == {("pants", "ivory")}
