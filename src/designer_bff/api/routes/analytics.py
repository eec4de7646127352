"""Analytics of the caller's own work: overview, costs, quality, models, style evolution, clusters,
success per feature and recommendations. Every table also comes as CSV (`?format=csv`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.services.analytics.csv_export import to_csv
from designer_bff.services.analytics.success import KINDS

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

Format = Annotated[
    Literal["json", "csv"], Query(description="json (default) or csv: the table as a download")
]


def _answer(container: ContainerDep, body: dict[str, Any], table: str, name: str, fmt: str) -> Any:
    """The JSON body, or its `table` as a CSV attachment."""
    if fmt != "csv":
        return body
    day = container.analytics.now().date().isoformat()
    return Response(
        to_csv(body[table]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="designer-bff-{name}-{day}.csv"'},
    )


@router.get("/overview", summary="Your totals, standout rate, recent trend, spend and leaders")
def overview(user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Generations, kept images, judgements, standout rate with its 95 % CI, the last 30 days against the
    30 before, spend this month with the forecast against your budget, and the best direction and provider."""
    return container.analytics.overview(user.id)


@router.get(
    "/costs", summary="Spend per day / week / month by provider, model, category or user", response_model=None
)
def costs(
    user: CurrentUser,
    container: ContainerDep,
    period: Annotated[Literal["day", "week", "month"], Query()] = "day",
    by: Annotated[Literal["provider", "model", "category", "user"], Query()] = "provider",
    start: Annotated[date | None, Query(alias="from", description="first day (UTC), inclusive")] = None,
    end: Annotated[
        date | None, Query(alias="to", description="last day (UTC), inclusive; default today")
    ] = None,
    format: Format = "json",
) -> Any:
    """Spend, images and calls per period and group, totals, and the month-end forecast against budget."""
    body = container.analytics.spend(user.id, period=period, by=by, start=start, end=end)
    return _answer(container, body, "rows", "costs", format)


@router.get("/quality", summary="Standout rate over time", response_model=None)
def quality(
    user: CurrentUser,
    container: ContainerDep,
    period: Annotated[Literal["day", "week"], Query()] = "week",
    days: Annotated[int, Query(ge=1, le=730)] = 90,
    format: Format = "json",
) -> Any:
    """Per period: kept images, judged, standouts, hearts, saves, rejects and standout rates with CIs."""
    body = container.analytics.quality(user.id, period=period, days=days)
    return _answer(container, body, "rows", "quality", format)


@router.get(
    "/models", summary="Providers and models: standouts, latency, failures, cost", response_model=None
)
def models(
    user: CurrentUser,
    container: ContainerDep,
    by: Annotated[
        Literal["route", "category"], Query(description="category: one row per garment category")
    ] = "route",
    format: Format = "json",
) -> Any:
    """Per provider + model (and garment category): kept images, standout rate with CI, mean and p95
    latency, failure rate, cost per kept image."""
    body = container.analytics.models(user.id, by_category=by == "category")
    return _answer(container, body, "rows", "models", format)


@router.get("/style-evolution", summary="How the attributes of your standouts move", response_model=None)
def style_evolution(
    user: CurrentUser,
    container: ContainerDep,
    days: Annotated[int, Query(ge=14, le=730)] = 90,
    period: Annotated[Literal["day", "week", "month"], Query()] = "week",
    include: Annotated[Literal["heart"] | None, Query(description="heart: count hearted images too")] = None,
    table: Annotated[
        Literal["trends", "shares"], Query(description="the table ?format=csv exports")
    ] = "trends",
    format: Format = "json",
) -> Any:
    """Per period, the share of each value of the main attributes among standouts; per value, its trend
    (recent half of the window against the earlier half, with a significance test)."""
    body = container.analytics.style_evolution(
        user.id, days=days, period=period, include_hearts=include == "heart"
    )
    return _answer(container, body, table, f"style-{table}", format)


@router.get("/clusters", summary="Performance per style direction and persona", response_model=None)
def clusters(user: CurrentUser, container: ContainerDep, format: Format = "json") -> Any:
    """Shown, judged, standouts, hearts, rejects and rates with CIs per style direction and per persona."""
    return _answer(container, container.analytics.clusters(user.id), "rows", "clusters", format)


@router.get("/success", summary="Standout and heart rates per feature", response_model=None)
def success(
    user: CurrentUser,
    container: ContainerDep,
    kind: Annotated[
        Literal["attribute", "modifier", "route", "persona", "direction"] | None,
        Query(description="one kind of feature (default: all)"),
    ] = None,
    min_shown: Annotated[int, Query(alias="minShown", ge=0, le=1_000_000)] = 1,
    format: Format = "json",
) -> Any:
    """Per attribute value, modifier, route × category, persona or direction: counts, standout rate and
    heart rate with 95 % Wilson intervals."""
    kinds = KINDS if kind is None else (kind,)
    body = container.analytics.success(user.id, kinds=kinds, min_shown=min_shown)
    return _answer(container, body, "rows", "success", format)


@router.get("/recommendations", summary="What works for you, in plain sentences", response_model=None)
def recommendations(user: CurrentUser, container: ContainerDep, format: Format = "json") -> Any:
    """Recommendations with their evidence counts and strength, only where the difference is significant
    (p < 0.05, n ≥ 10 on both sides); a `note` says why when there are none."""
    return _answer(
        container, container.analytics.recommendations(user.id), "recommendations", "recommendations", format
    )
