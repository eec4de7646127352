"""Providers (configured, capabilities, prices, health, cool-down), routing decisions and budgets."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.api.schemas import BudgetBody, RoutingDecisionOut, RoutingDecisionPage
from designer_bff.db.ledger import Calls, RoutingDecisions
from designer_bff.providers.registry import route_of
from designer_bff.services.routing import STATS_WINDOW

router = APIRouter(tags=["providers"])


@router.get("/api/providers", summary="Image providers: configuration, capabilities, prices, health")
def providers(_: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Every route this deployment knows, whether it is configured, what it can do and costs, how it has
    behaved over the last 7 days, and its circuit state (cool-down left)."""
    with container.db.session() as s:
        stats = Calls(s).stats(STATS_WINDOW)
    candidates = set(container.router.candidate_routes())
    items = []
    for provider in container.providers:
        route = route_of(provider)
        seen = stats.get((provider.provider_id, provider.model))
        circuit = container.breaker.status(route)
        limit = container.dispatcher.limit(provider.provider_id)
        items.append(
            {
                "route": route,
                "provider": provider.provider_id,
                "model": provider.model,
                "configured": provider.is_configured(),
                "routable": route in candidates,
                "capabilities": asdict(provider.capabilities),
                "prices": {
                    "asOf": provider.prices.as_of,
                    "source": provider.prices.source,
                    "rows": [asdict(p) for p in provider.prices.rows],
                },
                "limits": {"rpm": limit.rpm, "concurrency": limit.concurrency},
                "health": {
                    "successes7d": seen.successes if seen else 0,
                    "failedAttempts7d": seen.failures if seen else 0,
                    "meanLatencyS": round(seen.mean_latency_s, 3) if seen and seen.mean_latency_s else None,
                    "circuit": circuit.state,
                    "consecutiveFailures": circuit.consecutive_failures,
                    "cooldownRemainingS": circuit.cooldown_remaining_s,
                },
            }
        )
    return {
        "strategy": container.settings.routing_strategy,
        "defaultProvider": container.settings.default_provider,
        "providers": items,
        "unsupported": [
            {
                "provider": "midjourney",
                "reason": "Midjourney has no official API and its terms of service forbid automated "
                "access; Designer BFF will not scrape it.",
            }
        ],
    }


@router.get("/api/routing/decisions", summary="Routing decisions with candidates, scores and reasons")
def decisions(
    user: CurrentUser,
    container: ContainerDep,
    generation_id: Annotated[str | None, Query(alias="generationId", max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RoutingDecisionPage:
    """The caller's decisions, newest first (optionally of one generation)."""
    with container.db.session() as s:
        rows, total = RoutingDecisions(s).list(
            user.id, generation_id=generation_id, limit=limit, offset=offset
        )
        items = [RoutingDecisionOut.model_validate(r, from_attributes=True) for r in rows]
    return RoutingDecisionPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/api/budget", summary="Your spending limits and this month's spending")
def get_budget(user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Monthly budget, per-request maximum (yours, else the deployment's) and what this month cost."""
    return container.costs.budget(user.id).to_dict()


@router.put("/api/budget", summary="Set your spending limits")
def put_budget(body: BudgetBody, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Set your monthly budget and per-request maximum in USD (null = the deployment's default)."""
    budget = container.costs.set_budget(
        user.id, monthly_usd=body.monthly_budget_usd, request_max_usd=body.request_max_usd
    )
    return budget.to_dict()
