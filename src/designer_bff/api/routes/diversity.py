"""`POST /api/diversity/select`: DPP selection over your stored assets or over raw vectors."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter
from pydantic import Field, model_validator

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.domain.spec import CamelModel
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.diversity import select
from designer_bff.pipeline.embedding import stack_blobs

router = APIRouter(tags=["diversity"])


class SelectBody(CamelModel):
    """Candidates (asset ids or vectors), optional qualities, how many to keep and the trade-off."""

    asset_ids: list[str] | None = Field(None, max_length=10_000)
    vectors: list[list[float]] | None = Field(None, max_length=10_000)
    quality: list[float] | None = Field(
        None, max_length=10_000, description="Default: validation scores or 1."
    )
    k: int = Field(ge=1, le=10_000)
    tradeoff: float = Field(0.7, ge=0, le=1)

    @model_validator(mode="after")
    def _one_source(self) -> SelectBody:
        if (self.asset_ids is None) == (self.vectors is None):
            raise ValueError("give exactly one of assetIds or vectors")
        return self


@router.post("/api/diversity/select", summary="Pick a diverse, high-quality subset")
def diversity_select(body: SelectBody, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """DPP MAP selection (fast greedy); returns picks in order with their log-det gains."""
    ids: list[str] | None = None
    if body.asset_ids is not None:
        assets = [container.generations.asset(a, user_id=user.id) for a in body.asset_ids]
        missing = [a.id for a in assets if a.embedding is None]
        if missing:
            raise InvalidInput(f"assets without stored features: {missing[:5]}", field="assetIds")
        try:
            features = stack_blobs([a.embedding or b"" for a in assets])
        except ValueError as exc:  # assets embedded by different models are not comparable
            raise InvalidInput(str(exc), field="assetIds") from exc
        default_quality = [a.validation_score if a.validation_score is not None else 1.0 for a in assets]
        ids = [a.id for a in assets]
    else:
        dims = {len(v) for v in body.vectors or []}
        if len(dims) != 1 or not 1 <= dims.pop() <= 4096:
            raise InvalidInput("vectors must all have the same length, 1..4096", field="vectors")
        features = np.asarray(body.vectors, dtype=np.float64)
        default_quality = [1.0] * len(features)
    quality = np.asarray(body.quality if body.quality is not None else default_quality, dtype=np.float64)
    result = select(features, quality, body.k, tradeoff=body.tradeoff)
    picks = [
        {"index": i, "assetId": ids[i] if ids else None, "gain": g if np.isfinite(g) else None, "fallback": f}
        for i, g, f in zip(result.indices, result.gains, result.fallback, strict=True)
    ]
    return {
        "picks": picks,
        "diversity": result.diversity,
        "logDet": result.log_det if np.isfinite(result.log_det) else None,
    }
