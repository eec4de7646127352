"""Composes the planning stages (query → sampling → prompt → routing) and records each one's timing."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from designer_bff.domain.generation import GenerationPlan, GenerationSettings, PlannedImage, RoutePrompt
from designer_bff.domain.intent import Intent
from designer_bff.domain.persona import Persona
from designer_bff.domain.profile import StyleProfile
from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.completion import (
    SCREENED,
    Draft,
    best_draft,
    draft_key,
    draft_seed,
    explore_slots,
    explored_draft,
    gap_draft,
    gap_slots,
)
from designer_bff.pipeline.modifiers import Posterior
from designer_bff.pipeline.persona import TextEmbedder
from designer_bff.pipeline.preferences import PreferenceModel
from designer_bff.pipeline.prompt import PromptParts, prompt_parts, render_pair
from designer_bff.pipeline.query import parse_prompt
from designer_bff.pipeline.routing import OFFLINE_PROVIDER, RouteChoice, RouteNeeds
from designer_bff.pipeline.sampling import Boosts, complete_spec
from designer_bff.pipeline.understanding import (
    PersonaChoice,
    Sampled,
    choose_persona,
    merge_trees,
    persona_fill,
    pick_modifiers,
    sample_trees,
)
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.taxonomy import load_taxonomy

Chooser = Callable[[GarmentSpec, RouteNeeds, random.Random], RouteChoice]


@dataclass
class StageRecorder:
    """Collects per-stage timing and input/output summaries for a generation's `pipeline_data`."""

    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    on_stage: Callable[[str, dict[str, Any]], None] | None = None

    @contextmanager
    def stage(self, name: str, **input_summary: Any) -> Iterator[dict[str, Any]]:
        """Time the block; the yielded dict becomes the stage's output summary."""
        output: dict[str, Any] = {}
        started = time.perf_counter()
        started_at = datetime.now(UTC).isoformat()
        try:
            yield output
        finally:
            record = {
                "startedAt": started_at,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "input": input_summary,
                "output": output,
            }
            self.stages[name] = record
            if self.on_stage:
                self.on_stage(name, record)

    def record(self, name: str, ms: float, input_summary: dict[str, Any], output: dict[str, Any]) -> None:
        """Record a stage whose work was spread over a loop (its time summed by the caller)."""
        self.stages[name] = {
            "startedAt": datetime.now(UTC).isoformat(),
            "ms": round(ms, 2),
            "input": input_summary,
            "output": output,
        }
        if self.on_stage:
            self.on_stage(name, self.stages[name])


@dataclass(frozen=True)
class PlanRequest:
    """What the planning stages need: text, intent and/or partial specs, how many, the settings, and what
    is known about the designer (profile, personas, learned preferences)."""

    count: int
    settings: GenerationSettings
    seed: int
    prompt: str | None = None
    negative_prompt: str | None = None
    partial_specs: tuple[dict[str, Any], ...] = ()
    hints: dict[str, Any] = field(default_factory=dict)
    boosts: dict[str, dict[str, float]] = field(default_factory=dict)  # from open coverage gaps
    budget_per_image_usd: float | None = None  # the tightest spending limit left, shared per image
    intent: Intent | None = None  # a parsed command
    profile: StyleProfile | None = None
    personas: tuple[Persona, ...] = ()
    active_persona: str | None = None
    persona_embedder: TextEmbedder | None = None
    persona_threshold: float = 0.6
    temperature: float = 0.3
    # What feedback taught about this designer (stage 15): drives sampling, modifiers and (via the
    # chooser) routing.
    preferences: PreferenceModel = field(default_factory=PreferenceModel)

    @property
    def text(self) -> str:
        """The designer's own words: the command or the prompt."""
        return (self.intent.command if self.intent else None) or self.prompt or ""


def _query(request: PlanRequest, recorder: StageRecorder, warnings: list[str]) -> dict[str, Any]:
    """Stage 3: the partial spec the request's words fix."""
    with recorder.stage(
        "query", prompt=request.prompt, command=request.text if request.intent else None
    ) as out:
        if request.intent is not None:
            out.update(intent=request.intent.model_dump(mode="json", by_alias=True, exclude_defaults=True))
            return request.intent.to_spec_tree()
        if not request.prompt:
            return {}
        parsed = parse_prompt(request.prompt)
        out.update(attributes=parsed.attributes, colors=parsed.colors, unplaced=parsed.unplaced)
        if parsed.unplaced:
            warnings.append("words not matched to the taxonomy: " + ", ".join(parsed.unplaced))
        return parsed.to_spec_tree()


def _specs(
    request: PlanRequest, words: dict[str, Any], recorder: StageRecorder, warnings: list[str]
) -> tuple[list[GarmentSpec], list[int | None], list[list[str]], PersonaChoice]:
    """Stages 4 and 5: sampled partial specs, filled from the persona, completed — and, once the designer
    has judged, each slot screened over several such drafts (`completion`)."""
    bases = [merge_trees(merge_trees(request.hints, b), words) for b in request.partial_specs] or [
        merge_trees(request.hints, words)
    ]
    # What the model expects (posterior means) weighs the profile's directions and the values of each image.
    learned = request.preferences.sampling_weights()
    gaps = gap_slots(request.count, request.boosts, request.preferences)
    explore = explore_slots(request.count, gaps, request.preferences)
    tries = SCREENED if learned else 1

    def sample(boosts: Mapping[str, Mapping[str, float]], attempt: int) -> Sampled:
        return sample_trees(
            count=request.count,
            seed=draft_seed(request.seed, attempt),
            bases=bases,
            intent=request.intent,
            profile=request.profile,
            temperature=request.temperature,
            preference_weights=learned,
            boosts=boosts,
        )

    with recorder.stage(
        "sampling", count=request.count, seed=request.seed, bases=len(bases), boosts=request.boosts
    ) as out:
        # Gap slots draft with the coverage boosts; the others follow taste alone.
        boosted = [sample(request.boosts, t) for t in range(tries)] if gaps else []
        drafts = [sample({}, t) for t in range(tries)] if len(gaps) < request.count else []
        warnings.extend((boosted or drafts)[0].warnings)
        out.update(
            mode=(boosted or drafts)[0].mode,
            temperature=request.temperature,
            profile=request.profile is not None,
            learned=_strongest(learned),
            coverageSlots=len(gaps),
            exploringSlots=len(explore),
            screened=tries,
        )
    with recorder.stage("persona", active=request.active_persona, personas=len(request.personas)) as out:
        choice = choose_persona(
            request.text, request.personas, request.persona_embedder, request.active_persona
        )
        directions = {p.id: p for p in request.personas if p.source == "profile"}

        def draft(source: Sampled, slot: int, attempt: int, boosts: Boosts | None) -> Draft:
            cluster = source.clusters[slot]
            filled, injected = persona_fill(
                source.trees[slot],
                choice,
                request.persona_threshold,
                random.Random(draft_key("persona", request.seed, slot, attempt)),
                direction=directions.get(f"profile:{cluster}") if cluster is not None else None,
            )
            spec = complete_spec(
                filled, random.Random(draft_key("", request.seed, slot, attempt)), boosts, learned
            )
            return Draft(spec, cluster, injected)

        def choose(slot: int) -> Draft:
            if slot in gaps:
                options = [draft(d, slot, t, request.boosts) for t, d in enumerate(boosted)]
                return gap_draft(options, request.preferences, request.boosts)
            options = [draft(d, slot, t, None) for t, d in enumerate(drafts)]
            if slot in explore:
                rng = random.Random(draft_key("explore", request.seed, slot, 0))
                return explored_draft(options, request.preferences, slot, rng)
            return best_draft(options, request.preferences)

        chosen = [choose(i) for i in range(request.count)]
        keywords = [d.keywords for d in chosen]
        out.update(
            persona=choice.persona.name if choice.persona else None,
            score=choice.match.score if choice.match else None,
            threshold=request.persona_threshold,
            injected=sorted({k for ks in keywords for k in ks}),
            top=[{"name": m.name, "score": m.score} for m in choice.matches[:3]],
        )
    specs = [d.spec for d in chosen]
    clusters = [d.cluster for d in chosen]
    sampling = recorder.stages["sampling"]["output"]
    if any(c is not None for c in clusters):
        sampling.update(clusters=dict(Counter(str(c) for c in clusters)))
    sampling.update(
        garments=sorted({s.garment.type for s in specs}), captions=[s.caption() for s in specs[:10]]
    )
    return specs, clusters, keywords, choice


def plan_generation(
    request: PlanRequest, registry: ProviderRegistry, *, choose_route: Chooser, recorder: StageRecorder
) -> tuple[GenerationPlan, list[RouteChoice]]:
    """Run stages 3–8: the full plan of images to make, and the routing decision of each."""
    warnings: list[str] = []
    words = _query(request, recorder, warnings)
    specs, clusters, keywords, persona = _specs(request, words, recorder, warnings)
    # The user's own words go into prompts only when they are a description, not a command.
    user_words = request.prompt if request.intent is None else None
    posteriors = {m: Posterior(a, b) for m, (a, b) in request.preferences.modifier_posteriors().items()}
    # A modifier never judged is expected to do as well as this designer's average design.
    unjudged = Posterior(*request.preferences.quality("modifier:?"))
    with recorder.stage("optimization", modifiers=len(posteriors)) as out:
        chosen = [
            pick_modifiers(spec, posteriors, random.Random(f"modifiers:{request.seed}:{i}"), unjudged)
            for i, spec in enumerate(specs)
        ]
        out.update(chosen=dict(Counter(m.id for mods in chosen for m in mods).most_common()))
    signature = _signature(request.profile)
    parts = [
        prompt_parts(spec, user_prompt=user_words, signature=signature, persona_keywords=kw, modifiers=mods)
        for spec, kw, mods in zip(specs, keywords, chosen, strict=True)
    ]
    choices: list[RouteChoice] = []
    items: list[PlannedImage] = []
    directions = {c.id: c.name for c in request.profile.clusters} if request.profile else {}
    with recorder.stage("routing", requested=request.settings.provider) as out:
        for i, spec in enumerate(specs):
            width, height = request.settings.dimensions(min_side=64, max_side=4096)
            needs = RouteNeeds(
                # Each route gets a prompt rendered within its own limit; only the user's words are fixed.
                prompt_length=len(user_words or ""),
                width=width,
                height=height,
                aspect_ratio=request.settings.ratio(),
                quality=request.settings.quality,
                negative_prompt=True,
                budget_left_usd=request.budget_per_image_usd,
            )
            choice = choose_route(spec, needs, random.Random(f"route:{request.seed}:{i}"))
            choices.append(choice)
            caps = registry.get(choice.route).capabilities
            width, height = request.settings.dimensions(min_side=caps.min_side, max_side=caps.max_side)
            prompts = {
                route: _render(parts[i], registry, route, spec, request.negative_prompt)
                for route in (choice.route, *choice.fallbacks)
            }
            items.append(
                PlannedImage(
                    slot=i,
                    source=i % max(1, len(request.partial_specs)),
                    spec=spec,
                    prompt=prompts[choice.route].prompt,
                    negative_prompt=prompts[choice.route].negative_prompt,
                    prompts=prompts,
                    seed=(request.seed * 1_000_003 + i) % (2**31 - 1),
                    width=width,
                    height=height,
                    quality=request.settings.quality,
                    route=choice.route,
                    fallbacks=list(choice.fallbacks),
                    modifiers=[m.id for m in chosen[i]],
                    persona=persona.persona.id if persona.persona else None,
                    persona_name=persona.persona.name if persona.persona else None,
                    cluster=clusters[i],
                    direction=_direction(directions, clusters[i]),
                )
            )
        routes = Counter(c.route for c in choices)
        out.update(
            strategy=choices[0].strategy if choices else None,
            routes=dict(routes),
            reasons=sorted({c.reason for c in choices})[:5],
            fallbacks=sorted({f for c in choices for f in c.fallbacks}),
        )
    with recorder.stage("prompt", images=len(items)) as out:
        families = Counter(registry.get(item.route or "").capabilities.prompt_family for item in items)
        out.update(
            families=dict(families),
            example=items[0].prompt if items else None,
            negativePrompt=items[0].negative_prompt if items else None,
            signature=signature,
        )
    main = routes.most_common(1)[0][0] if choices else registry.resolve(OFFLINE_PROVIDER)
    plan = GenerationPlan(provider=main, model=registry.get(main).model, items=items, warnings=warnings)
    return plan, choices


def _render(
    parts: PromptParts, registry: ProviderRegistry, route: str, spec: GarmentSpec, negative: str | None
) -> RoutePrompt:
    """Stage 6 for one route: its family's rendering within its length limit."""
    caps = registry.get(route).capabilities
    pair = render_pair(
        parts,
        caps.prompt_family,
        max_length=caps.max_prompt_length,
        negative_supported=caps.negative_prompt,
        spec=spec,
        user_negative=negative,
    )
    return RoutePrompt(prompt=pair.prompt, negative_prompt=pair.negative_prompt)


def _direction(names: Mapping[int, str], cluster: int | None) -> str | None:
    return None if cluster is None else names.get(cluster)


def _strongest(weights: Mapping[str, Mapping[str, float]], n: int = 8) -> dict[str, float]:
    """The learned sampling factors furthest from 1, for the stage record ('color.primary=black': 3.1)."""
    flat = [(f"{path}={value}", factor) for path, row in weights.items() for value, factor in row.items()]
    flat.sort(key=lambda kv: (-abs(math.log(max(kv[1], 1e-9))), kv[0]))
    return {k: round(v, 3) for k, v in flat[:n]}


def _signature(profile: StyleProfile | None) -> str | None:
    """The designer's signature from their profile: colours, fabric and details that recur."""
    if profile is None:
        return None
    sig = profile.signature
    patterns = set(load_taxonomy().category("pattern").values)
    details = [f"{d.value} prints" if d.value in patterns else d.value for d in sig.details[:2]]
    pieces = [
        _and([c.name for c in sig.colors[:3]]) + " palette" if sig.colors else "",
        _and([f.value for f in sig.fabrics[:2]]),
        _and([d for d in details if d not in ("solid prints", "none")]),
    ]
    text = "; ".join(p for p in pieces if p)
    return f"signature {text}" if text else None


def _and(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)
