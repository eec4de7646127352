"""What feedback taught the studio (stage 15): the preference model, its log, and explanations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from designer_bff.api.deps import ContainerDep, CurrentUser

router = APIRouter(prefix="/api/learning", tags=["learning"])


@router.get("/model", summary="Your preference model")
def model(
    user: CurrentUser,
    container: ContainerDep,
    kind: str | None = Query(None, description="attribute, modifier or route"),
    limit: int = Query(50, ge=1, le=1000),
) -> dict[str, Any]:
    """Your baseline (mean strength of your judgements) and each learned feature's Beta posterior: mean,
    95 % interval, evidence (time-decayed judgements) and lift over the baseline, strongest first."""
    return container.learning_reader.describe(user.id, kind, limit)


@router.get("/updates", summary="The learning log")
def updates(
    user: CurrentUser,
    container: ContainerDep,
    feedback_id: str | None = Query(None, alias="feedbackId", max_length=32),
    feature: str | None = Query(None, max_length=255),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Every change to the model: which feature, from what mean to what, because of which reaction."""
    return container.learning_reader.updates(
        user.id, feedback_id=feedback_id, feature=feature, limit=limit, offset=offset
    )


@router.get("/explain/{asset_id}", summary="Why the model expects what it does of a design")
def explain(asset_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """The design's predicted chance of pleasing you and each feature's pull on it (log-odds)."""
    return container.learning_reader.explain(user.id, asset_id)


@router.post("/rebuild", summary="Recompute the model from your judgements")
async def rebuild(user: CurrentUser, container: ContainerDep) -> dict[str, int]:
    """Recount every kept design and current judgement (the model otherwise updates incrementally)."""
    return await run_in_threadpool(container.learning.rebuild, user.id)
