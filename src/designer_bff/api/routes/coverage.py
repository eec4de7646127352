"""Clusters, coverage reports, gaps and coverage targets of the caller's batches."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.db.tables import CoverageGap
from designer_bff.domain.spec import CamelModel

router = APIRouter(tags=["coverage"])


class CoverageConfigBody(CamelModel):
    """Coverage targets in percent by category name, the under-represented share, automatic boosting."""

    targets: dict[str, float] | None = Field(None, description="e.g. {'garment': 80, 'silhouette': 75}")
    under_represented: float | None = Field(None, ge=0, le=1)
    auto_boost: bool | None = None


def _gap(gap: CoverageGap) -> dict[str, Any]:
    return {
        "id": gap.id,
        "category": gap.category,
        "attribute": gap.attribute,
        "severity": gap.severity,
        "boost": gap.boost,
        "gapPoints": round(gap.gap_points, 2),
        "missing": gap.values.get("missing", []),
        "underRepresented": gap.values.get("underRepresented", []),
        "status": gap.status,
        "pinned": gap.pinned,
        "openedGenerationId": gap.opened_generation_id,
        "closedGenerationId": gap.closed_generation_id,
        "createdAt": gap.created_at.isoformat(),
        "closedAt": gap.closed_at.isoformat() if gap.closed_at else None,
    }


@router.get("/api/coverage/gaps", summary="Coverage gaps of your batches")
def list_gaps(
    user: CurrentUser,
    container: ContainerDep,
    status: Annotated[Literal["open", "closed", "all"], Query()] = "open",
) -> dict[str, Any]:
    """Open gaps (default), closed ones, or all, most severe first, with the boosts the next batch uses."""
    gaps = container.coverage.gaps(user.id, None if status == "all" else status)
    return {"gaps": [_gap(g) for g in gaps], "nextBoosts": container.coverage.boosts(user.id)}


@router.post("/api/coverage/gaps/{gap_id}/apply-boost", summary="Apply a gap's boost to the next batches")
def apply_boost(gap_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Pin the gap so its values are boosted even with automatic boosting off, until a batch covers them."""
    gap = container.coverage.apply_boost(user.id, gap_id)
    return {"gap": _gap(gap), "nextBoosts": container.coverage.boosts(user.id)}


@router.get("/api/coverage/history", summary="Your coverage over time")
def coverage_history(
    user: CurrentUser, container: ContainerDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    """Overall score and per-category coverage of your last batches, oldest first."""
    points = [
        {
            "batchId": r.generation_id,
            "createdAt": r.created_at.isoformat(),
            "overall": r.overall,
            "coverage": {c["name"]: c["coverage"] for c in r.report.get("categories", [])},
            "gaps": len(r.report.get("gaps", [])),
        }
        for r in container.coverage.history(user.id, limit)
    ]
    return {"points": points}


@router.get("/api/coverage/config", summary="Your coverage targets")
def get_config(user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Targets per category, the under-represented share and whether open gaps boost automatically."""
    return container.coverage.settings(user.id).to_dict()


@router.put("/api/coverage/config", summary="Change your coverage targets")
def put_config(body: CoverageConfigBody, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Update targets (0..100 per known category), the under-represented share or automatic boosting."""
    raw = body.model_dump(by_alias=True, exclude_none=True)
    return container.coverage.save_settings(user.id, raw).to_dict()


@router.get("/api/coverage/{batch_id}", summary="Coverage report of a batch")
def batch_coverage(batch_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Per-category coverage, entropy, Gini, gaps with severity and boosts, and the overall score."""
    report = container.coverage.report(user.id, batch_id)
    return {
        "batchId": batch_id,
        "overall": report.overall,
        "createdAt": report.created_at.isoformat(),
        **report.report,
    }


@router.get("/api/clusters/{batch_id}", summary="Clusters of a batch")
def batch_clusters(batch_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """K, silhouette and each cluster's size, share, name, dominant attributes and most central assets."""
    clusters = container.coverage.clusters(user.id, batch_id)
    stage = container.generations.get(user.id, batch_id).generation.pipeline_data.get("stages", {})
    clustering = stage.get("clustering", {}).get("output", {})
    return {
        "batchId": batch_id,
        "k": clustering.get("k"),
        "silhouette": clustering.get("silhouette"),
        "clusters": [
            {
                "label": c.label,
                "size": c.size,
                "share": c.share,
                "name": c.name,
                "dominant": c.dominant,
                "centralAssetIds": c.central_asset_ids.get("ids", []),
            }
            for c in clusters
        ],
    }
