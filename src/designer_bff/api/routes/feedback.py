"""Feedback: react to many designs at once, undo a reaction, read the history and current judgements."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import Field

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.api.schemas import FeedbackOut
from designer_bff.domain.spec import CamelModel
from designer_bff.services.feedback import MAX_BULK, Reaction, Recorded

router = APIRouter(prefix="/api/feedback", tags=["feedback"])


class ReactionBody(CamelModel):
    """One reaction to one design."""

    asset_id: str = Field(max_length=32)
    type: Literal["outlier", "heart", "save", "rating", "comment", "reject"]
    rating: int | None = None
    comment: str | None = Field(None, max_length=4000)


class BulkBody(CamelModel):
    """Reactions to several designs, stored all together or not at all."""

    items: list[ReactionBody] = Field(max_length=MAX_BULK)


def _recorded(r: Recorded) -> dict[str, Any]:
    return {
        "feedback": FeedbackOut.model_validate(r.feedback, from_attributes=True).model_dump(
            mode="json", by_alias=True
        ),
        "judgement": r.judgement.judgement if r.judgement else None,
        "learned": r.learned,
    }


@router.post("", status_code=status.HTTP_201_CREATED, summary="React to several designs")
def react(body: BulkBody, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Standouts, hearts, saves, ratings, comments and rejects on up to 500 designs in one go.

    All or nothing: an invalid item is a 422 naming its index (`items[3].rating`) and nothing is stored.
    Each design's current judgement becomes its latest reaction; `learned` counts the model features
    each one moved (see GET /api/learning/updates?feedbackId=…)."""
    recorded = container.feedback.react(
        user.id,
        [Reaction(type=i.type, asset_id=i.asset_id, rating=i.rating, comment=i.comment) for i in body.items],
    )
    return {"items": [_recorded(r) for r in recorded], "learned": sum(r.learned for r in recorded)}


@router.post("/{feedback_id}/undo", summary="Undo a reaction")
def undo(feedback_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """The reaction stays in the history, marked undone; the design's judgement falls back to the
    latest reaction still standing (or none), and the preference model moves back with it."""
    return _recorded(container.feedback.undo(user.id, feedback_id))


@router.get("", summary="Your reactions")
def history(
    user: CurrentUser,
    container: ContainerDep,
    asset_id: str | None = Query(None, alias="assetId", max_length=32),
    generation_id: str | None = Query(None, alias="generationId", max_length=32),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Every reaction (undone ones included, newest first), optionally of one design or generation; with
    `assetId`, also the design's current judgement."""
    rows, total, current = container.feedback.history(
        user.id, asset_id=asset_id, generation_id=generation_id, limit=limit, offset=offset
    )
    body: dict[str, Any] = {
        "items": [
            FeedbackOut.model_validate(r, from_attributes=True).model_dump(mode="json", by_alias=True)
            for r in rows
        ],
        "total": total,
    }
    if asset_id is not None:
        body["judgement"] = (
            None
            if current is None
            else {
                "judgement": current.judgement,
                "strength": current.strength,
                "rating": current.rating,
                "feedbackId": current.feedback_id,
                "judgedAt": current.judged_at.isoformat(),
            }
        )
    return body
