"""The blob-store contract and the one key scheme every backend shares."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable
from typing import Protocol

from designer_bff.errors import InvalidInput

KINDS = ("image", "thumbnail", "upload", "reference", "portfolio")
EXTENSIONS = ("png", "webp", "jpg")
CONTENT_TYPES = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg"}

_ID = r"[A-Za-z0-9_-]{1,64}"
_ID_RE = re.compile(_ID)
# The whole key in one anchored pattern: nothing outside these characters (no `..`, `/` prefix,
# backslash, NUL or newline) can get through, so a key is always safe as a path and as an S3 name.
_KEY_RE = re.compile(
    rf"(?P<user>{_ID})/(?P<day>\d{{4}}-\d{{2}}-\d{{2}})/(?P<kind>{'|'.join(KINDS)})/"
    rf"(?P<asset>{_ID})\.(?P<ext>{'|'.join(EXTENSIONS)})"
)


class BlobStore(Protocol):
    """Where image bytes live. Keys come from `make_key`; every method validates them."""

    backend: str  # "local" | "s3"

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; NotFound when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`; no error when it does not exist."""
        ...

    def exists(self, key: str) -> bool:
        """Whether `key` holds a blob."""
        ...

    def url(self, key: str, expires_seconds: int) -> str | None:
        """A public/CDN or presigned URL for `key`; None when this store cannot hand out URLs."""
        ...

    def check(self) -> None:
        """Health probe: raise when the store is unusable."""
        ...


def delete_all(blobs: BlobStore, keys: Iterable[str]) -> int:
    """Delete every key, logging rather than raising what fails; how many were removed.

    Callers delete their rows first: a blob left behind by a failed delete is waste, a row without its
    blob is a broken gallery."""
    removed = 0
    for key in keys:
        try:
            blobs.delete(key)
            removed += 1
        except Exception:
            logging.getLogger(__name__).exception("could not delete blob %s", key)
    return removed


def make_key(user_id: str, day: datetime.date, kind: str, asset_id: str, ext: str) -> str:
    """Build the key `{user_id}/{yyyy-mm-dd}/{kind}/{asset_id}.{ext}` from checked parts."""
    for field, value in (("user_id", user_id), ("asset_id", asset_id)):
        if not isinstance(value, str) or not _ID_RE.fullmatch(value):
            raise InvalidInput(
                f"{field} must be 1-64 letters, digits, '_' or '-', got {_show(value)}", field=field
            )
    if not isinstance(day, datetime.date):
        raise InvalidInput(f"day must be a date, got {_show(day)}", field="day")
    if kind not in KINDS:
        raise InvalidInput(f"unknown blob kind {_show(kind)}", field="kind", allowed=KINDS)
    if ext not in EXTENSIONS:
        raise InvalidInput(f"unknown blob extension {_show(ext)}", field="ext", allowed=EXTENSIONS)
    # Formatted by hand: a datetime (a date subclass) would add its time in isoformat().
    return f"{user_id}/{day.year:04d}-{day.month:02d}-{day.day:02d}/{kind}/{asset_id}.{ext}"


def validate_key(key: str) -> str:
    """Return `key` when it has the `make_key` form; InvalidInput otherwise."""
    match = _KEY_RE.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise InvalidInput(
            f"invalid blob key {_show(key)}: expected user/yyyy-mm-dd/kind/asset.ext", field="key"
        )
    try:
        datetime.date.fromisoformat(match["day"])
    except ValueError as exc:
        raise InvalidInput(
            f"invalid blob key {_show(key)}: {match['day']} is not a date", field="key"
        ) from exc
    return key


def content_type_for(key: str) -> str:
    """The MIME type implied by a valid key's extension."""
    return CONTENT_TYPES[validate_key(key).rsplit(".", 1)[1]]


def _show(value: object) -> str:
    # Keys and ids may be attacker-supplied: keep them short and unambiguous in messages and logs.
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."
