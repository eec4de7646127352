"""Portfolios: upload images or a ZIP, follow the background analysis, read and delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.container import Container
from designer_bff.errors import PayloadTooLarge
from designer_bff.services.portfolios import Upload

router = APIRouter(prefix="/api/portfolios", tags=["portfolios"])
Files = Annotated[list[UploadFile], File(description="Images (PNG, JPEG, WebP) and/or ZIP archives of them")]


async def _read(files: list[UploadFile], container: Container) -> list[Upload]:
    # A ZIP may be far larger than one image; each image inside is checked against the image limit.
    limit = max(container.settings.portfolio_zip_max_bytes, container.settings.max_upload_bytes)
    uploads = []
    for f in files:
        data = await f.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"{f.filename or 'an upload'} is larger than {limit} bytes", field="files")
        uploads.append(Upload(f.filename, f.content_type, data))
    return uploads


@router.post("", status_code=status.HTTP_202_ACCEPTED, summary="Upload a portfolio")
async def create_portfolio(
    user: CurrentUser,
    container: ContainerDep,
    files: Files,
    name: Annotated[str | None, Form(max_length=120)] = None,
) -> dict[str, Any]:
    """Store 5–500 images (files or ZIPs), skip duplicates and bad files (each reported), analyse them."""
    uploads = await _read(files, container)
    return await run_in_threadpool(container.portfolios.create, user.id, name, uploads)


@router.get("", summary="List portfolios")
def list_portfolios(user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """The caller's portfolios with image counts per status."""
    return {"items": container.portfolios.list(user.id)}


@router.get("/{portfolio_id}", summary="A portfolio with its images")
def get_portfolio(portfolio_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Status, counts, and every file with its state, analysis and warnings."""
    return container.portfolios.progress(user.id, portfolio_id)


@router.get("/{portfolio_id}/progress", summary="Analysis progress, per file")
def portfolio_progress(portfolio_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """How far the background analysis is: percent, counts by status and the state of each file."""
    return container.portfolios.progress(user.id, portfolio_id)


@router.post("/{portfolio_id}/images", status_code=status.HTTP_202_ACCEPTED, summary="Add images")
async def add_images(
    portfolio_id: str, user: CurrentUser, container: ContainerDep, files: Files
) -> dict[str, Any]:
    """Add images or ZIPs to a portfolio; the new ones are analysed and the profile updated."""
    uploads = await _read(files, container)
    return await run_in_threadpool(container.portfolios.add, user.id, portfolio_id, uploads)


@router.get("/{portfolio_id}/images/{image_id}", summary="A portfolio image's bytes")
def image_bytes(portfolio_id: str, image_id: str, user: CurrentUser, container: ContainerDep) -> Response:
    """The stored image as uploaded."""
    data, mime = container.portfolios.image_bytes(user.id, portfolio_id, image_id)
    return Response(data, media_type=mime, headers={"Cache-Control": "private, max-age=3600"})


@router.delete("/{portfolio_id}", summary="Delete a portfolio")
def delete_portfolio(portfolio_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Delete a portfolio and its images; the style profile is rebuilt from what remains."""
    removed = container.portfolios.delete(user.id, portfolio_id)
    return {"deleted": portfolio_id, "blobsRemoved": removed}
