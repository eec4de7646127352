"""Stage 4's last step, with stage 15: each slot's open attributes completed towards the designer's taste,
and a share of the batch kept for the coverage gaps of the last one.

Coverage and taste pull differently: a gap asks for the garment types and fabrics the last batch missed,
taste for more of what the designer marks. Before the designer has judged anything, every slot fills
gaps. Afterwards a fixed share of slots does (`COVERAGE_SHARE`); boosting every slot put a dozen
never-judged types (romper, trench, shorts …) in every batch and drowned what feedback taught.

Every other slot proposes `SCREENED` seeded completions of its partial spec, drawn with the learned
sampling factors, and keeps the one the model expects to please most (`PreferenceModel.predict`).
Sampling factors act per attribute; screening judges the whole design, so a slot lands on combinations the
designer likes (a dark silk dress), not on each liked value somewhere in the batch.

The factors come from posterior means, not from Thompson draws per slot. In the learning simulation
(`benchmarks/bench_learning_simulation.py`) per-slot draws over some 400 attribute values spread every
batch over many plausible designers and kept the standout rate lower on every profile; exploration
comes from the sampling itself (factors reweight, they do not choose), from facet priors that make unseen
relatives of liked values worth trying, and from the coverage slots.
"""

from __future__ import annotations

import random
from typing import Any

from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.preferences import PreferenceModel, features_of
from designer_bff.pipeline.sampling import Boosts, complete_spec

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


def complete_slot(
    tree: dict[str, Any],
    slot: int,
    seed: int,
    model: PreferenceModel,
    learned: Boosts,
    boosts: Boosts | None,
) -> GarmentSpec:
    """Slot `slot`'s spec: `tree` completed with the `learned` factors (`model.sampling_weights()`) and the
    coverage `boosts` (a gap slot: one completion), or screened towards the designer's taste."""
    tries = SCREENED if learned and not boosts else 1
    candidates = [
        complete_spec(
            tree, random.Random(f"{seed}:{slot}" if t == 0 else f"{seed}:{slot}:{t}"), boosts, learned
        )
        for t in range(tries)
    ]
    if tries == 1:
        return candidates[0]
    return max(candidates, key=lambda spec: model.predict(features_of(spec)))
