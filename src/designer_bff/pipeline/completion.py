"""Stages 4–5 with stage 15: which slots fill the last batch's coverage gaps, which explore, and how every
slot is screened towards the designer's taste.

Coverage and taste pull differently: a gap asks for the garment types and fabrics the last batch missed,
taste for more of what the designer marks. Before the designer has judged anything, every slot fills
gaps. Afterwards a fixed share of slots does (`COVERAGE_SHARE`); boosting every slot put a dozen
never-judged types (romper, trench, shorts …) in every batch and drowned what feedback taught. A gap slot
is screened too: of its drafts sampled with the gap boosts, it keeps the one the designer is most likely
to like among those that fill a gap (`fills_gap`) — the missing tweed on the kind of coat they mark.

Every slot makes `SCREENED` whole drafts — each a sampled partial spec (a profile direction's garment,
colours …), filled from the persona and completed, all with the learned sampling factors — and keeps the
one the joint model expects to please most (`PreferenceModel.predict`, posterior means). Screening whole
drafts, not only the attributes a direction leaves open, lets a slot leave a direction the designer has
stopped liking; factors act per attribute, screening judges the whole design, so slots land on
combinations the designer likes (a dark silk dress).

Greedy screening settles on the first combination that pleases often enough (pink silk dresses at 40 %)
and never tries the better one next to it (the same dress in charcoal). A share of the slots
(`EXPLORE_SHARE`) explores: each takes one headline attribute in turn (`EXPLORED`: garment, colour, fabric,
print), draws that attribute's weights from the posterior (Thompson sampling) and keeps every other weight
at its mean — so the design stays what the designer likes except in one attribute, and its reception
says something about that attribute alone. Thompson draws over every weight of every slot, tried before,
changed ~25 uncertain features at once and learned more slowly than no exploration at all.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.preferences import PREDICTIVE, PreferenceModel, features_of, kind_of
from designer_bff.pipeline.sampling import Boosts

COVERAGE_SHARE = 0.1
EXPLORE_SHARE = 0.1
SCREENED = 16
# Headline attributes an exploring slot draws, in turn by slot, each with its facets.
EXPLORED: tuple[frozenset[str], ...] = (
    frozenset({"garment.type", "garment.group"}),
    frozenset({"color.primary", "color.primary.family", "color.primary.tone"}),
    frozenset({"fabric.type"}),
    frozenset({"color.pattern.type", "color.pattern.print"}),
)


def gap_slots(count: int, boosts: Boosts, model: PreferenceModel) -> frozenset[int]:
    """The slots that fill coverage gaps: every one before the first judgement, the last tenth after."""
    if not boosts:
        return frozenset()
    if model.judged <= 0:
        return frozenset(range(count))
    share = max(1, round(count * COVERAGE_SHARE))
    return frozenset(range(count - share, count))


def explore_slots(count: int, gaps: frozenset[int], model: PreferenceModel) -> frozenset[int]:
    """The slots that explore: a tenth of the batch (at least one) just before the gap slots, once the
    joint model has been fitted."""
    if model.joint is None or len(gaps) >= count:
        return frozenset()
    end = count - len(gaps)
    return frozenset(range(max(0, end - max(1, round(count * EXPLORE_SHARE))), end))


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


def fills_gap(spec: GarmentSpec, boosts: Boosts) -> bool:
    """Whether a spec takes at least one value the coverage boosts ask for."""
    return any(boosts.get(path, {}).get(value, 1.0) > 1.0 for path, value in spec.attributes().items())


def best_draft(drafts: Sequence[Draft], model: PreferenceModel) -> Draft:
    """The draft the model expects to please most (the first when there is only one)."""
    if len(drafts) == 1:
        return drafts[0]
    return max(drafts, key=lambda d: model.predict(features_of(d.spec)))


def gap_draft(drafts: Sequence[Draft], model: PreferenceModel, boosts: Boosts) -> Draft:
    """The best of the drafts that fill a coverage gap (of all of them when none does)."""
    filling = [d for d in drafts if fills_gap(d.spec, boosts)]
    return best_draft(filling or drafts, model)


def explored_draft(drafts: Sequence[Draft], model: PreferenceModel, slot: int, rng: random.Random) -> Draft:
    """The best draft when the slot's headline attribute (`EXPLORED`, by slot) has its weights drawn from
    the posterior and every other weight is at its mean."""
    if model.joint is None or len(drafts) == 1:
        return best_draft(drafts, model)
    paths = EXPLORED[slot % len(EXPLORED)]
    score = model.joint.explorer(
        lambda f: kind_of(f) == "attribute" and f[10:].partition("=")[0] in paths,
        np.random.default_rng(rng.getrandbits(64)),
    )
    return max(drafts, key=lambda d: score(f for f in features_of(d.spec) if kind_of(f) in PREDICTIVE))
