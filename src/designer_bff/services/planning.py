"""Plans a request (stages 1, 3, 4, 6, 8) for a generation, or dry-runs it for an estimate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.repositories import Coverage
from designer_bff.domain.generation import GenerationPlan, GenerationSettings
from designer_bff.domain.intent import Intent
from designer_bff.errors import BudgetExceeded, InvalidInput
from designer_bff.imaging import load_rgb
from designer_bff.pipeline.analysis import dominant_colors, spec_hints_from_colors
from designer_bff.pipeline.routing import NoRoute, RouteChoice
from designer_bff.pipeline.run import PlanRequest, StageRecorder, plan_generation
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.services.costs import Budget, Costs, Estimate
from designer_bff.services.coverage import boosts_from_rows, user_coverage
from designer_bff.services.enhancement import CachedEnhancer
from designer_bff.services.routing import Router
from designer_bff.storage.base import BlobStore


class DesignerContext(Protocol):
    """What planning knows about a designer: profile, personas, learned modifier preferences."""

    def for_user(self, user_id: str) -> dict[str, Any]:
        """PlanRequest fields: profile, personas, active_persona, persona_embedder, modifier_posteriors."""
        ...


@dataclass(frozen=True)
class Planned:
    """A plan, the routing decision per image, what it should cost and the budget it was checked against."""

    plan: GenerationPlan
    choices: list[RouteChoice]
    estimate: Estimate
    budget: Budget


class Planner:
    """Turns a stored request into a plan; the same code serves generation and estimates."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: BlobStore,
        registry: ProviderRegistry,
        router: Router,
        costs: Costs,
        designer: DesignerContext | None = None,
        enhancer: CachedEnhancer | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.registry = registry
        self.router = router
        self.costs = costs
        self.designer = designer
        self.enhancer = enhancer

    def plan(
        self,
        user_id: str,
        request: dict[str, Any],
        settings: GenerationSettings,
        requested_count: int,
        recorder: StageRecorder,
        *,
        enhance: bool = False,
    ) -> Planned:
        """Plan every candidate image and check the plan against the user's budget (BudgetExceeded).

        `enhance` runs the optional LLM prompt enhancement (only for a generation about to run: estimates
        and previews never call the text model)."""
        count = settings.candidates_for(requested_count)
        sources = len(request.get("specs") or ()) or 1
        # Several given specs (a VLT envelope): the same number of candidates for each, so the
        # selection can keep every record's share (it uses the records as quotas).
        count = -(-count // sources) * sources
        with self.db.session() as s:
            raw_coverage = Coverage(s).settings(user_id)
            gaps = list(Coverage(s).open_gaps(user_id))
        boosts = boosts_from_rows(gaps, auto_boost=user_coverage(raw_coverage).auto_boost)
        budget = self.costs.budget(user_id)
        intent = Intent.model_validate(request["intent"]) if request.get("intent") else None
        known = self.designer.for_user(user_id) if self.designer else {}
        try:
            plan, choices = plan_generation(
                PlanRequest(
                    intent=intent,
                    temperature=self.settings.exploration_temperature,
                    persona_threshold=self.settings.persona_threshold,
                    **known,
                    boosts=boosts,
                    count=count,
                    settings=settings,
                    seed=settings.seed or 0,
                    prompt=request.get("prompt"),
                    negative_prompt=request.get("negativePrompt"),
                    partial_specs=tuple(request.get("specs") or ()),
                    hints=self._analyse_reference(request, recorder),
                    budget_per_image_usd=budget.per_image_usd(count),
                ),
                self.registry,
                choose_route=self.router.chooser(user_id, settings),
                recorder=recorder,
            )
        except NoRoute as exc:
            priced = [c.price_usd for c in exc.candidates if c.excluded and "budget" in c.excluded]
            if priced:
                cheapest = min(priced) * count
                raise BudgetExceeded(
                    f"{count} images cost at least ${cheapest:.2f} (at ${min(priced):.3f} each), "
                    f"more than your budget allows: {_limits(budget)}",
                    budget=budget.to_dict(),
                    estimate={"images": count, "lowUsd": round(cheapest, 6)},
                ) from exc
            raise InvalidInput(str(exc), field="settings.provider") from exc
        if enhance and self.enhancer is not None:
            with recorder.stage("enhancement", images=len(plan.items)) as out:
                plan, summary = self.enhancer.enhance(plan, self.registry)
                out.update(summary)
        estimate = self.costs.estimate(plan.items)
        self.costs.check(budget, estimate)
        return Planned(plan, choices, estimate, budget)

    def _analyse_reference(self, request: dict[str, Any], recorder: StageRecorder) -> dict[str, Any]:
        key = request.get("referenceKey")
        if not key:
            return {}
        with recorder.stage("analysis", reference=key, analyser="offline-colour") as out:
            image = load_rgb(self.blobs.get(key), max_pixels=self.settings.max_image_pixels)
            analysis = dominant_colors(np.asarray(image))
            hints, confidence = spec_hints_from_colors(analysis)
            out.update(
                colors=[{"name": c.name, "hex": c.hex, "coverage": c.coverage} for c in analysis.colors],
                background=analysis.background_hex,
                confidence=confidence,
            )
        return {**hints, "confidence": confidence} if hints else {}


def _limits(budget: Budget) -> str:
    parts = []
    if budget.monthly_usd is not None:
        parts.append(
            f"monthly budget ${budget.monthly_usd:.2f} with ${budget.spent_month_usd:.2f} spent "
            f"(${budget.month_left_usd or 0:.2f} left)"
        )
    if budget.request_max_usd is not None:
        parts.append(f"per-request maximum ${budget.request_max_usd:.2f}")
    return "; ".join(parts)
