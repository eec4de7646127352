"""Stages 3–5 and 7 of planning: the request's words, sampled specs, persona and prompt modifiers.

Pure helpers `run.plan_generation` composes: each takes typed inputs and an explicit seed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from designer_bff.domain.intent import Intent
from designer_bff.domain.persona import Persona, PersonaMatch
from designer_bff.domain.profile import StyleProfile
from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.exploration import sample_exploratory, variations
from designer_bff.pipeline.modifiers import Posterior, categories_for_spec, choose_modifiers
from designer_bff.pipeline.persona import TextEmbedder, apply_persona, match_personas


def merge_trees(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge of spec trees: values in `top` win over `base`."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_trees(merged[key], value)
        elif value not in (None, [], {}):
            merged[key] = value
    return merged


@dataclass(frozen=True)
class Sampled:
    """Partial spec trees, one per slot, with the profile direction each came from."""

    trees: list[dict[str, Any]]
    clusters: list[int | None]
    mode: str
    warnings: list[str] = field(default_factory=list)


def sample_trees(
    *,
    count: int,
    seed: int,
    bases: Sequence[dict[str, Any]],
    intent: Intent | None,
    profile: StyleProfile | None,
    temperature: float,
    preference_weights: Mapping[str, Mapping[str, float]],
    boosts: Mapping[str, Mapping[str, float]],
) -> Sampled:
    """Stage 4: exploratory batches follow the profile's directions; specific ones vary around the bases.

    Base i of several (a spec envelope) gets slots i, i+n, i+2n…; each base keeps every attribute it states.
    """
    if intent is not None and intent.mode == "exploratory":
        fixed = merge_trees(bases[0] if bases else {}, intent.to_spec_tree())
        if profile is None or not profile.clusters:
            note = "no style profile yet: exploring the defaults (upload a portfolio to explore your style)"
            return Sampled([dict(fixed) for _ in range(count)], [None] * count, "exploratory", [note])
        samples = sample_exploratory(
            profile,
            count,
            seed=seed,
            temperature=temperature,
            preference_weights=preference_weights or None,
            boosts=boosts or None,
            fixed=fixed,
        )
        return Sampled([s.spec_tree for s in samples], [s.cluster_id for s in samples], "exploratory")
    bases = list(bases) or [{}]
    per_base = [
        variations(base, -(-count // len(bases)), seed=seed + b, temperature=temperature, profile=profile)
        for b, base in enumerate(bases)
    ]
    trees = [per_base[i % len(bases)][i // len(bases)] for i in range(count)]
    return Sampled(trees, [None] * count, "specific")


@dataclass(frozen=True)
class PersonaChoice:
    """The persona a request is matched to and how well (None when no personas were given)."""

    persona: Persona | None
    match: PersonaMatch | None
    matches: list[PersonaMatch]


# Below this a persona has nothing to do with the request ("surprise me" matches every persona a little):
# none is applied rather than imposing a stranger's garments and keywords.
MIN_PERSONA_SCORE = 0.2


def choose_persona(
    text: str, personas: Sequence[Persona], embedder: TextEmbedder | None, active: str | None
) -> PersonaChoice:
    """Stage 5: the active persona when one is set, else the best match of the request's words."""
    by_id = {p.id: p for p in personas}
    if embedder is None or not personas or not text.strip():
        return PersonaChoice(by_id.get(active or ""), None, [])
    matches = match_personas(text, personas, embedder)
    chosen = next((m for m in matches if m.persona_id == active), matches[0])
    if chosen.persona_id != active and chosen.score < MIN_PERSONA_SCORE:
        return PersonaChoice(None, chosen, matches)
    return PersonaChoice(by_id[chosen.persona_id], chosen, matches)


def persona_fill(
    tree: dict[str, Any],
    choice: PersonaChoice,
    threshold: float,
    rng: random.Random,
    direction: Persona | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Fill what the request left open from the persona; its keywords when the match is weak.

    An exploratory slot drawn from a profile direction takes that direction's own persona when no
    persona was chosen: it already is the designer's style, so it fills without injecting keywords.
    """
    persona = choice.persona or direction
    if persona is None:
        return tree, []
    match = choice.match if choice.persona is not None and choice.match is not None else None
    match = match or PersonaMatch(
        persona_id=persona.id, name=persona.name, score=1.0, similarity=1.0, keyword_overlap=1.0
    )
    return apply_persona(tree, persona, match, threshold=threshold, rng=rng)


def pick_modifiers(
    spec: GarmentSpec, posteriors: Mapping[str, Posterior], rng: random.Random, prior: Posterior | None = None
) -> list[Any]:
    """Stage 7: one modifier per category the spec leaves open, by Thompson sampling."""
    chosen = choose_modifiers(posteriors, rng, categories=categories_for_spec(spec), prior=prior)
    return [c.modifier for c in chosen]
