"""Stages 4–5 with stage 15: which slots fill the last batch's coverage gaps, and how the others are screened
towards the designer's taste.

Coverage and taste pull differently: a gap asks for the garment types and fabrics the last batch missed,
taste for more of what the designer marks. Before the designer has judged anything, every slot fills
gaps. Afterwards a fixed share of slots does (`COVERAGE_SHARE`); boosting every slot put a dozen
never-judged types (romper, trench, shorts …) in every batch and drowned what feedback taught.

Every other slot is screened: `SCREENED` whole drafts are made for it — each a sampled partial spec (a
profile direction's garment, colours …), filled from the persona and completed, all with the learned
sampling factors — and the slot keeps the draft the joint model expects to please most
(`PreferenceModel.predict`). Screening whole drafts, not only the attributes a direction leaves open, lets
a slot leave a direction the designer has stopped liking. Sampling factors act per attribute; screening
judges the whole design, so a slot lands on combinations the designer likes (a dark silk dress).

Posterior means, not Thompson draws: in the learning simulation (`benchmarks/bench_learning_simulation.py`)
Thompson draws per slot, even tempered, tried so many of the hundreds of uncertain weights at once that
every profile learned more slowly. Exploration comes from the sampling itself (soft factors reweight, they
do not choose), from facets that make unseen relatives of liked values worth trying, and from the
coverage slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.preferences import PreferenceModel, features_of
from designer_bff.pipeline.sampling import Boosts

COVERAGE_SHARE = 0.1
SCREENED = 16


def gap_slots(count: int, boosts: Boosts, model: PreferenceModel) -> frozenset[int]:
    """The slots that fill coverage gaps: every one before the first judgement, the last tenth after."""
    if not boosts:
        return frozenset()
    if model.judged <= 0:
        return frozenset(range(count))
    share = max(1, round(count * COVERAGE_SHARE))
    return frozenset(range(count - share, count))


@dataclass(frozen=True)
class Draft:
    """One candidate for a slot: a complete spec, the profile direction it came from, the persona keywords
    its fill injected."""

    spec: GarmentSpec
    cluster: int | None
    keywords: list[str]


def draft_seed(seed: int, attempt: int) -> int:
    """The sampling seed of a slot's `attempt`-th draft (the request's own seed for the first)."""
    return seed if attempt == 0 else seed + attempt * 1_000_003


def draft_key(stage: str, seed: int, slot: int, attempt: int) -> str:
    """The seed string of one stage's random choices for a slot's draft (first drafts keep the old keys)."""
    base = f"{stage}:{seed}:{slot}" if stage else f"{seed}:{slot}"
    return base if attempt == 0 else f"{base}:{attempt}"


def best_draft(drafts: Sequence[Draft], model: PreferenceModel) -> Draft:
    """The draft the model expects to please most (the first when there is only one)."""
    if len(drafts) == 1:
        return drafts[0]
    return max(drafts, key=lambda d: model.predict(features_of(d.spec)))
