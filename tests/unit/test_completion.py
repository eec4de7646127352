"""Stage 4's completion with stage 15: coverage slots, and slots screened towards the designer's taste."""

from __future__ import annotations

import random
import statistics

import pytest

from designer_bff.pipeline import completion
from designer_bff.pipeline.completion import complete_slot, gap_slots
from designer_bff.pipeline.preferences import OVERALL, Evidence, PreferenceModel, features_of
from designer_bff.pipeline.sampling import complete_spec

BOOSTS = {"garment.type": {"romper": 2.0, "trench": 2.0}}
# A designer who marked dark dresses as standouts and rejected trousers and light colours.
TASTE = PreferenceModel(
    {
        OVERALL: Evidence(8, 22),
        "attribute:garment.type=dress": Evidence(6, 2),
        "attribute:garment.group=one-piece": Evidence(6, 2),
        "attribute:garment.type=pants": Evidence(0.4, 3.6),
        "attribute:color.primary.tone=dark": Evidence(6, 1),
        "attribute:color.primary.tone=light": Evidence(0.5, 4.5),
    }
)

LEARNED = TASTE.sampling_weights()


def test_gap_slots_all_before_feedback_a_tenth_after() -> None:
    assert gap_slots(24, {}, TASTE) == frozenset()
    assert gap_slots(24, BOOSTS, PreferenceModel()) == frozenset(range(24))
    assert gap_slots(24, BOOSTS, TASTE) == frozenset({22, 23})
    assert gap_slots(3, BOOSTS, TASTE) == frozenset({2})  # at least one slot keeps filling gaps


def test_without_feedback_a_slot_is_the_plain_seeded_completion() -> None:
    for slot in range(5):
        plain = complete_spec({}, random.Random(f"7:{slot}"), BOOSTS)
        assert complete_slot({}, slot, 7, PreferenceModel(), {}, BOOSTS) == plain


def test_a_gap_slot_is_completed_once_with_boosts_and_learned_factors() -> None:
    expected = complete_spec({}, random.Random("7:3"), BOOSTS, LEARNED)
    assert complete_slot({}, 3, 7, TASTE, LEARNED, BOOSTS) == expected


def test_screening_lands_on_what_the_designer_likes(monkeypatch: pytest.MonkeyPatch) -> None:
    def batch() -> list[float]:
        return [TASTE.predict(features_of(complete_slot({}, i, 11, TASTE, LEARNED, None))) for i in range(40)]

    screened = batch()
    monkeypatch.setattr(completion, "SCREENED", 1)
    proposed = batch()  # the first proposal of each slot, unscreened
    assert all(s >= p for s, p in zip(screened, proposed, strict=True))
    assert sum(s > p for s, p in zip(screened, proposed, strict=True)) >= 10  # of 40 first proposals
    assert statistics.fmean(screened) > statistics.fmean(proposed)
    assert min(screened) > TASTE.baseline  # no slot settles for what the model expects to disappoint


def test_screening_keeps_what_the_request_fixed() -> None:
    tree = {"garment": {"type": "pants"}, "color": {"primary": "ivory"}}
    specs = [complete_slot(tree, i, 5, TASTE, LEARNED, None) for i in range(10)]
    assert {(s.garment.type, s.color.primary) for s in specs} == {("pants", "ivory")}
