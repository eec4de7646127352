"""Blob storage for images: a local directory or any S3-compatible bucket, behind one small protocol."""

from __future__ import annotations

from designer_bff.config import Settings
from designer_bff.errors import ConfigurationError
from designer_bff.storage.base import (
    CONTENT_TYPES,
    EXTENSIONS,
    KINDS,
    BlobStore,
    content_type_for,
    make_key,
    validate_key,
)
from designer_bff.storage.local import LocalBlobStore
from designer_bff.storage.s3 import S3BlobStore

__all__ = [
    "CONTENT_TYPES",
    "EXTENSIONS",
    "KINDS",
    "BlobStore",
    "LocalBlobStore",
    "S3BlobStore",
    "build_blob_store",
    "content_type_for",
    "make_key",
    "validate_key",
]


def build_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings ask for: `data_dir/blobs` locally, or the configured S3 bucket."""
    if settings.storage_backend == "local":
        return LocalBlobStore(settings.data_dir / "blobs")
    # Settings validates this too, but settings built with model_construct/model_copy skip validation.
    if not settings.s3_bucket:
        raise ConfigurationError("storage_backend=s3 needs s3_bucket (S3_BUCKET)", setting="s3_bucket")
    secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
    # Half a key pair is always a mistake: name the missing half now rather than fail at the first request.
    if settings.s3_access_key_id and not secret:
        raise ConfigurationError(
            "s3_access_key_id is set but s3_secret_access_key (AWS_SECRET_ACCESS_KEY) is missing",
            setting="s3_secret_access_key",
        )
    if secret and not settings.s3_access_key_id:
        raise ConfigurationError(
            "s3_secret_access_key is set but s3_access_key_id (AWS_ACCESS_KEY_ID) is missing",
            setting="s3_access_key_id",
        )
    return S3BlobStore(
        settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret,
        public_base_url=settings.s3_public_base_url,
    )
