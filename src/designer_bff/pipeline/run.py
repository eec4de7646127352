"""Composes the planning stages (query → sampling → prompt → routing) and records each one's timing."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from designer_bff.domain.generation import GenerationPlan, GenerationSettings, PlannedImage
from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.prompt import build_prompt
from designer_bff.pipeline.query import parse_prompt
from designer_bff.pipeline.routing import OFFLINE_PROVIDER, RouteChoice, RouteNeeds
from designer_bff.pipeline.sampling import complete_spec
from designer_bff.providers.registry import ProviderRegistry

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
    """What the planning stages need: text and/or partial specs, how many, and the settings."""

    count: int
    settings: GenerationSettings
    seed: int
    prompt: str | None = None
    negative_prompt: str | None = None
    partial_specs: tuple[dict[str, Any], ...] = ()
    hints: dict[str, Any] = field(default_factory=dict)
    boosts: dict[str, dict[str, float]] = field(default_factory=dict)  # from open coverage gaps
    budget_per_image_usd: float | None = None  # the tightest spending limit left, shared per image


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: values in `top` win over `base`."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif value not in (None, [], {}):
            merged[key] = value
    return merged


def plan_generation(
    request: PlanRequest, registry: ProviderRegistry, *, choose_route: Chooser, recorder: StageRecorder
) -> tuple[GenerationPlan, list[RouteChoice]]:
    """Run stages 3, 4, 6 and 8: the full plan of images to make, and the routing decision of each."""
    warnings: list[str] = []
    choices: list[RouteChoice] = []
    with recorder.stage("query", prompt=request.prompt) as out:
        parsed_tree: dict[str, Any] = {}
        if request.prompt:
            parsed = parse_prompt(request.prompt)
            parsed_tree = parsed.to_spec_tree()
            out.update(attributes=parsed.attributes, colors=parsed.colors, unplaced=parsed.unplaced)
            if parsed.unplaced:
                warnings.append("words not matched to the taxonomy: " + ", ".join(parsed.unplaced))

    with recorder.stage(
        "sampling",
        count=request.count,
        seed=request.seed,
        partialSpecs=len(request.partial_specs),
        boosts=request.boosts,
    ) as out:
        bases = list(request.partial_specs) or [{}]
        specs = []
        for i in range(request.count):
            # Analysis hints < given spec < the user's words: the most explicit source wins.
            tree = _merge(_merge(request.hints, bases[i % len(bases)]), parsed_tree)
            specs.append(complete_spec(tree, random.Random(f"{request.seed}:{i}"), request.boosts))
        out.update(
            garments=sorted({s.garment.type for s in specs}), captions=[s.caption() for s in specs[:10]]
        )

    with recorder.stage("prompt", images=len(specs)) as out:
        prompts = [
            build_prompt(spec, user_prompt=request.prompt, user_negative=request.negative_prompt)
            for spec in specs
        ]
        out.update(
            example=prompts[0].prompt if prompts else None,
            negativePrompt=prompts[0].negative_prompt if prompts else None,
        )

    with recorder.stage("routing", requested=request.settings.provider) as out:
        items = []
        for i, (spec, pair) in enumerate(zip(specs, prompts, strict=True)):
            width, height = request.settings.dimensions(min_side=64, max_side=4096)
            needs = RouteNeeds(
                prompt_length=len(pair.prompt),
                width=width,
                height=height,
                aspect_ratio=request.settings.ratio(),
                quality=request.settings.quality,
                negative_prompt=bool(pair.negative_prompt),
                budget_left_usd=request.budget_per_image_usd,
            )
            choice = choose_route(spec, needs, random.Random(f"route:{request.seed}:{i}"))
            caps = registry.get(choice.route).capabilities
            width, height = request.settings.dimensions(min_side=caps.min_side, max_side=caps.max_side)
            choices.append(choice)
            items.append(
                PlannedImage(
                    slot=i,
                    source=i % len(bases),
                    spec=spec,
                    prompt=pair.prompt,
                    negative_prompt=pair.negative_prompt,
                    seed=(request.seed * 1_000_003 + i) % (2**31 - 1),
                    width=width,
                    height=height,
                    quality=request.settings.quality,
                    route=choice.route,
                    fallbacks=list(choice.fallbacks),
                )
            )
        routes = Counter(c.route for c in choices)
        out.update(
            strategy=choices[0].strategy if choices else None,
            routes=dict(routes),
            reasons=sorted({c.reason for c in choices})[:5],
            fallbacks=sorted({f for c in choices for f in c.fallbacks}),
        )
    main = routes.most_common(1)[0][0] if choices else registry.resolve(OFFLINE_PROVIDER)
    plan = GenerationPlan(provider=main, model=registry.get(main).model, items=items, warnings=warnings)
    return plan, choices
