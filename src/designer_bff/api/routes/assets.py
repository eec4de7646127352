"""Image bytes and thumbnails: by owner credentials or by a signed, expiring URL."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import RedirectResponse

from designer_bff.api.deps import ContainerDep, OptionalUser
from designer_bff.errors import NotFound, Unauthorized

router = APIRouter(prefix="/api/assets", tags=["assets"])


@router.get("/{asset_id}/{kind}", summary="Image or thumbnail bytes", response_model=None)
def asset_bytes(
    asset_id: str,
    kind: Literal["file", "thumbnail"],
    container: ContainerDep,
    user: OptionalUser,
    exp: Annotated[int | None, Query()] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Stream the bytes (local store) or redirect to a presigned URL (S3). 404 for anyone else's asset."""
    if exp is not None and sig is not None:
        if not container.auth.verify_asset(asset_id, kind, exp, sig):
            raise NotFound(f"asset {asset_id} not found (link invalid or expired)")
        asset = container.generations.asset(asset_id, user_id=None)
    elif user is None:
        raise Unauthorized("send credentials or use the signed URL from the generation")
    else:
        asset = container.generations.asset(asset_id, user_id=user.id)
    key = asset.storage_key if kind == "file" else asset.thumbnail_key
    direct = container.blobs.url(key, 300)
    if direct:
        return RedirectResponse(direct, status_code=307)
    mime = asset.mime if kind == "file" else "image/webp"
    ext = key.rsplit(".", 1)[-1]
    return Response(
        container.blobs.get(key),
        media_type=mime,
        headers={
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": f'inline; filename="designer-bff-{asset_id}-{kind}.{ext}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
