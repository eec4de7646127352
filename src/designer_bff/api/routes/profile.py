"""The style profile (stage 2): read, rebuild, and measure a batch's drift from it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from designer_bff.api.deps import ContainerDep, CurrentUser

router = APIRouter(prefix="/api/profile", tags=["profile"])


@router.get("", summary="Your style profile")
def get_profile(user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Named style directions with weights, attribute distributions, signature colours/fabrics/details
    and a written summary, learned from your analysed portfolio images (404 before the first one)."""
    return container.profiles.get(user.id)


@router.post("/rebuild", summary="Rebuild the profile from scratch")
async def rebuild_profile(user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Cluster every analysed portfolio image again (the profile otherwise updates incrementally)."""
    return await run_in_threadpool(container.profiles.rebuild, user.id)


@router.get("/drift", summary="How far a generation is from your profile")
def profile_drift(
    user: CurrentUser, container: ContainerDep, generation_id: str = Query(alias="generationId")
) -> dict[str, Any]:
    """Drift score 0..1 of a generation's kept designs against the profile, per attribute, explained."""
    return container.profiles.drift(user.id, generation_id)
