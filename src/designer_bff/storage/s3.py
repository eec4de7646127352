"""Blobs in an S3-compatible bucket: AWS S3, Cloudflare R2 (region `auto`), MinIO."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from designer_bff.errors import ConfigurationError, InvalidInput, NotFound
from designer_bff.storage.base import validate_key

# SigV4 presigned URLs cannot live longer than seven days.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_NO_BUCKET = frozenset({"NoSuchBucket", "404", "NotFound"})
# Regions where CreateBucket must not send a LocationConstraint.
_DEFAULT_REGIONS = frozenset({"us-east-1", "auto", ""})


class S3BlobStore:
    """Objects in one bucket, keyed exactly like the local store; URLs are CDN links or presigned GETs."""

    backend = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        public_base_url: str | None = None,
        create_bucket: bool = False,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        options: dict[str, Any] = {
            "signature_version": "s3v4",
            "retries": {"max_attempts": 3, "mode": "standard"},
            "connect_timeout": 10,
            "read_timeout": 60,
        }
        if endpoint_url:
            # MinIO, moto and R2 want path-style URLs (no bucket-name DNS). Their S3 dialects also vary in
            # support for the CRC checksums boto3 adds to every upload by default, so only send them when
            # an operation requires one.
            options["s3"] = {"addressing_style": "path"}
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        # Typed as Any: boto3 builds clients at runtime; precise types need the optional mypy-boto3-s3.
        # Credentials left as None fall back to boto3's chain (environment, profile, instance role).
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(**options),
        )
        if create_bucket:
            self.ensure_bucket()

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r})"

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload `data` as one object (S3 PUTs are atomic: readers never see a partial object)."""
        self._client.put_object(
            Bucket=self.bucket, Key=validate_key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        """The object's bytes; NotFound when missing."""
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise NotFound(f"blob {key} not found", key=key) from exc
            raise
        body = response["Body"]
        try:
            data: bytes = body.read()
        finally:
            body.close()
        return data

    def delete(self, key: str) -> None:
        """Delete the object; S3 itself treats a missing key as success."""
        self._client.delete_object(Bucket=self.bucket, Key=validate_key(key))

    def exists(self, key: str) -> bool:
        """Whether the object exists (HEAD request)."""
        try:
            self._client.head_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise
        return True

    def url(self, key: str, expires_seconds: int) -> str | None:
        """`{public_base_url}/{key}` when a public/CDN base is configured, else a presigned GET URL."""
        validate_key(key)
        if self.public_base_url:
            # Keys only contain URL-safe characters (see validate_key), so no quoting is needed.
            return f"{self.public_base_url}/{key}"
        if not 1 <= expires_seconds <= MAX_PRESIGN_SECONDS:
            raise InvalidInput(
                f"presigned URLs last 1 to {MAX_PRESIGN_SECONDS} seconds, got {expires_seconds}",
                field="expires_seconds",
            )
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_seconds
        )
        return url

    def check(self) -> None:
        """Raise ConfigurationError unless the bucket is reachable with these credentials."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise ConfigurationError(
                f"S3 bucket {self.bucket!r} at {self.endpoint_url or 'AWS'} is not usable: {exc}",
                bucket=self.bucket,
            ) from exc

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (for development, tests and fresh MinIO)."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _NO_BUCKET:
                raise
        params: dict[str, Any] = {"Bucket": self.bucket}
        if self.region not in _DEFAULT_REGIONS:
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._client.create_bucket(**params)
        except ClientError as exc:
            # Another process may have created it between the HEAD and the CREATE.
            if _code(exc) != "BucketAlreadyOwnedByYou":
                raise


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
