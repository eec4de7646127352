"""Generations: create from prompt, spec or image; read, list, delete; feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from pydantic import ValidationError

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.api.schemas import (
    Accepted,
    EstimateBody,
    FeedbackBody,
    FeedbackOut,
    FromPromptBody,
    FromSpecBody,
    GenerationOut,
    GenerationPage,
)
from designer_bff.api.views import generation_out
from designer_bff.domain.generation import GenerationSettings, Strategy
from designer_bff.errors import InvalidInput, PayloadTooLarge
from designer_bff.services.feedback import Reaction
from designer_bff.services.generations import invalid_from_validation

router = APIRouter(prefix="/api/generate", tags=["generate"])


def _accepted(generation_id: str, warnings: list[str] | None = None) -> Accepted:
    return Accepted(
        id=generation_id,
        status="pending",
        status_url=f"/api/generate/{generation_id}",
        warnings=warnings or [],
    )


@router.post("/from-prompt", status_code=status.HTTP_202_ACCEPTED, summary="Generate from text")
def from_prompt(body: FromPromptBody, user: CurrentUser, container: ContainerDep) -> Accepted:
    """Queue a generation of `count` designs described by `prompt`."""
    g = container.generations.from_prompt(
        user.id,
        prompt=body.prompt,
        negative_prompt=body.negative_prompt,
        count=body.count,
        settings=body.settings,
    )
    return _accepted(g.id)


@router.post("/from-spec", status_code=status.HTTP_202_ACCEPTED, summary="Generate from a garment spec")
def from_spec(body: FromSpecBody, user: CurrentUser, container: ContainerDep) -> Accepted:
    """Queue a generation from a canonical spec, a legacy VLT record or a VLT batch envelope."""
    g, warnings = container.generations.from_spec(
        user.id, spec=body.vlt_spec, count=body.count, settings=body.settings
    )
    return _accepted(g.id, warnings)


@router.post("/from-image", status_code=status.HTTP_202_ACCEPTED, summary="Generate from a reference image")
async def from_image(
    user: CurrentUser,
    container: ContainerDep,
    image: Annotated[UploadFile, File(description="PNG, JPEG or WebP reference image")],
    description: Annotated[str | None, Form(max_length=4000)] = None,
    count: Annotated[int, Form()] = 4,
    provider: Annotated[str | None, Form(max_length=64)] = None,
    aspect_ratio: Annotated[str | None, Form(alias="aspectRatio")] = None,
    quality: Annotated[Literal["standard", "hd"], Form()] = "standard",
    seed: Annotated[int | None, Form()] = None,
    strategy: Annotated[Strategy | None, Form()] = None,
) -> Accepted:
    """Queue a generation inspired by an image's colours, merged with the optional description."""
    limit = container.settings.max_upload_bytes
    data = await image.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"upload is larger than the {limit / 1048576:.0f} MB limit", field="image")
    try:
        settings = GenerationSettings(
            provider=provider, aspect_ratio=aspect_ratio, quality=quality, seed=seed, strategy=strategy
        )
    except ValidationError as exc:
        raise invalid_from_validation(exc, "settings") from exc
    from starlette.concurrency import run_in_threadpool

    g = await run_in_threadpool(
        container.generations.from_image,
        user.id,
        data=data,
        filename=image.filename,
        content_type=image.content_type,
        description=description,
        count=count,
        settings=settings,
    )
    return _accepted(g.id)


@router.post("/estimate", summary="What a request would cost, before it runs")
def estimate(body: EstimateBody, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Plan the request exactly as a generation would (over-generation, routing, fallbacks) and price it.

    `allowed` is false, with the reason, budget and estimate, when the request would be refused.
    """
    service = container.generations
    if (body.prompt is None) == (body.vlt_spec is None):
        raise InvalidInput("give exactly one of `prompt` and `vltSpec`", field="prompt")
    if body.prompt is not None:
        if not body.prompt.strip():
            raise InvalidInput("prompt must not be empty", field="prompt")
        request: dict[str, Any] = {"prompt": body.prompt, "negativePrompt": body.negative_prompt}
        count = body.count if body.count is not None else 4
    else:
        request, _ = service.spec_request(body.vlt_spec or {})
        count = body.count if body.count is not None else len(request["specs"])
    return service.estimate(user.id, request, count, body.settings)


@router.get("/{generation_id}", summary="A generation with its stages and images")
def get_generation(
    generation_id: str,
    user: CurrentUser,
    container: ContainerDep,
    include: Annotated[Literal["kept", "all"], Query(description="`all` reveals hidden candidates")] = "kept",
) -> GenerationOut:
    """Status, per-stage pipeline data, assets with URLs, validation, picks, cost and feedback."""
    view = container.generations.get(user.id, generation_id)
    return generation_out(container, view, include_hidden=include == "all")


@router.get("", summary="List generations")
def list_generations(
    user: CurrentUser,
    container: ContainerDep,
    status_filter: Annotated[
        Literal["scheduled", "pending", "processing", "completed", "failed"] | None, Query(alias="status")
    ] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GenerationPage:
    """The caller's generations, newest first; filter by status and creation time."""
    views, total = container.generations.list(
        user.id, status=status_filter, since=since, until=until, limit=limit, offset=offset
    )
    return GenerationPage(
        items=[generation_out(container, v) for v in views], total=total, limit=limit, offset=offset
    )


@router.delete("/{generation_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a generation")
def delete_generation(generation_id: str, user: CurrentUser, container: ContainerDep) -> Response:
    """Delete the generation, its rows and its stored images."""
    container.generations.delete(user.id, generation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{generation_id}/feedback", status_code=status.HTTP_201_CREATED, summary="React to a generation"
)
def add_feedback(
    generation_id: str, body: FeedbackBody, user: CurrentUser, container: ContainerDep
) -> FeedbackOut:
    """Record an outlier (standout), heart, save, rating, comment or reject on the generation or one asset.

    A reaction to an asset becomes its current judgement and teaches the preference model (see
    /api/feedback for bulk reactions and undo, /api/learning for what was learned)."""
    reaction = Reaction(
        type=body.type,
        asset_id=body.asset_id,
        generation_id=generation_id,
        rating=body.rating,
        comment=body.comment,
    )
    recorded = container.feedback.react(user.id, [reaction])[0]
    return FeedbackOut.model_validate(recorded.feedback, from_attributes=True)
