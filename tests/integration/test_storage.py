"""One contract for every blob store (local directory and S3 via moto's real HTTP server)."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from pydantic import SecretStr

from designer_bff.config import Settings
from designer_bff.errors import ConfigurationError, InvalidInput, NotFound
from designer_bff.storage import (
    BlobStore,
    LocalBlobStore,
    S3BlobStore,
    build_blob_store,
    content_type_for,
    make_key,
    validate_key,
)

DAY = datetime.date(2024, 5, 17)
KEY = make_key("user_1", DAY, "image", "asset-1", "png")
OTHER = make_key("user_1", DAY, "thumbnail", "asset-1", "webp")

BAD_KEYS = [
    "",
    "../user_1/2024-05-17/image/a.png",
    "user_1/../2024-05-17/image/a.png",
    "/user_1/2024-05-17/image/a.png",
    "user_1\\2024-05-17\\image\\a.png",
    "user_1/2024-05-17/image/a\x00.png",
    "user_1/2024-05-17/image/a.png\n",
    "user_1/2024-05-17/image/a.png/",
    "user_1//2024-05-17/image/a.png",
    "user_1/2024-05-17/image/a.gif",
    "user_1/2024-05-17/image/a.PNG",
    "user_1/2024-05-17/secrets/a.png",
    "user_1/2024-13-45/image/a.png",
    "user_1/24-05-17/image/a.png",
    "user 1/2024-05-17/image/a.png",
    "user_1/2024-05-17/image/..png",
    "user_1/2024-05-17/image/" + "a" * 65 + ".png",
    "user_1/2024-05-17/image/a.png.png",
]


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each contract test runs once per backend; the moto server only starts when an S3 test runs."""
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    s3: S3BlobStore = request.getfixturevalue("s3_store")
    return s3


def test_roundtrip(store: BlobStore) -> None:
    assert not store.exists(KEY)
    store.put(KEY, b"\x89PNG data", "image/png")
    assert store.exists(KEY)
    assert store.get(KEY) == b"\x89PNG data"
    assert not store.exists(OTHER)
    store.delete(KEY)
    assert not store.exists(KEY)
    with pytest.raises(NotFound):
        store.get(KEY)


def test_get_missing_raises_not_found(store: BlobStore) -> None:
    with pytest.raises(NotFound, match="not found"):
        store.get(KEY)


def test_delete_is_idempotent(store: BlobStore) -> None:
    store.delete(KEY)
    store.put(KEY, b"x", "image/png")
    store.delete(KEY)
    store.delete(KEY)
    assert not store.exists(KEY)


def test_overwrite_same_key(store: BlobStore) -> None:
    store.put(KEY, b"first version, longer", "image/png")
    store.put(KEY, b"second", "image/png")
    assert store.get(KEY) == b"second"


def test_empty_and_binary_payloads(store: BlobStore) -> None:
    store.put(KEY, b"", "image/png")
    assert store.get(KEY) == b""
    payload = bytes(range(256)) * 1000
    store.put(OTHER, payload, "image/webp")
    assert store.get(OTHER) == payload


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_rejected_by_every_method(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidInput):
        store.put(key, b"x", "image/png")
    for call in (store.get, store.exists, store.delete):
        with pytest.raises(InvalidInput):
            call(key)
    with pytest.raises(InvalidInput):
        store.url(key, 60)


def test_check_passes_on_a_usable_store(store: BlobStore) -> None:
    store.check()


def test_backend_names(store: BlobStore) -> None:
    assert store.backend in ("local", "s3")
    assert isinstance(store, LocalBlobStore if store.backend == "local" else S3BlobStore)


# --- keys ---------------------------------------------------------------------------------------


def test_make_key_layout() -> None:
    assert KEY == "user_1/2024-05-17/image/asset-1.png"
    assert validate_key(KEY) == KEY
    assert content_type_for(OTHER) == "image/webp"
    # A datetime is a date; only its day goes into the key.
    assert (
        make_key("u", datetime.datetime(2024, 1, 2, 3, 4), "upload", "a", "jpg")
        == "u/2024-01-02/upload/a.jpg"
    )


@pytest.mark.parametrize(
    ("user_id", "kind", "asset_id", "ext", "field"),
    [
        ("../etc", "image", "a", "png", "user_id"),
        ("", "image", "a", "png", "user_id"),
        ("u" * 65, "image", "a", "png", "user_id"),
        ("u", "image", "a/b", "png", "asset_id"),
        ("u", "image", "a.b", "png", "asset_id"),
        ("u", "image", "a\x00", "png", "asset_id"),
        ("u", "avatar", "a", "png", "kind"),
        ("u", "image", "a", "gif", "ext"),
        ("u", "image", "a", ".png", "ext"),
    ],
)
def test_make_key_rejects_bad_parts(user_id: str, kind: str, asset_id: str, ext: str, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        make_key(user_id, DAY, kind, asset_id, ext)
    assert info.value.field == field


@pytest.mark.parametrize("key", BAD_KEYS)
def test_validate_key_rejects(key: str) -> None:
    with pytest.raises(InvalidInput):
        validate_key(key)


# --- local specifics ----------------------------------------------------------------------------


def test_local_url_is_none_and_files_live_under_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put(KEY, b"data", "image/png")
    assert store.url(KEY, 3600) is None
    assert (tmp_path / "blobs" / KEY).read_bytes() == b"data"
    # No temp files are left next to the blob after a write.
    assert sorted(p.name for p in (tmp_path / "blobs" / KEY).parent.iterdir()) == ["asset-1.png"]


def test_local_write_failure_keeps_old_blob_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalBlobStore(tmp_path)
    store.put(KEY, b"old", "image/png")

    def crash(*_args: object) -> None:
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        store.put(KEY, b"new", "image/png")
    monkeypatch.undo()
    assert store.get(KEY) == b"old"
    assert [p.name for p in (tmp_path / KEY).parent.iterdir()] == ["asset-1.png"]


def test_local_refuses_symlink_escaping_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "blobs"
    root.mkdir()
    (root / "user_1").symlink_to(outside, target_is_directory=True)
    store = LocalBlobStore(root)
    with pytest.raises(InvalidInput, match="outside"):
        store.put(KEY, b"x", "image/png")
    assert list(outside.iterdir()) == []


def test_local_check_fails_when_root_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "blobs").write_bytes(b"")
    with pytest.raises(FileExistsError):
        LocalBlobStore(tmp_path / "blobs").check()


# --- S3 specifics -------------------------------------------------------------------------------


def test_s3_presigned_url_fetches_the_bytes(s3_store: S3BlobStore) -> None:
    s3_store.put(KEY, b"\x89PNG bytes", "image/png")
    url = s3_store.url(KEY, 600)
    assert url is not None
    assert url.startswith(f"{s3_store.endpoint_url}/{s3_store.bucket}/{KEY}?")  # path-style
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=600" in url
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"\x89PNG bytes"
    assert response.headers["content-type"] == "image/png"


def test_s3_presigned_url_expiry_is_bounded(s3_store: S3BlobStore) -> None:
    with pytest.raises(InvalidInput):
        s3_store.url(KEY, 0)
    with pytest.raises(InvalidInput):
        s3_store.url(KEY, 8 * 24 * 3600)


def test_s3_public_base_url(s3_server: str, s3_store: S3BlobStore) -> None:
    cdn = S3BlobStore(
        s3_store.bucket,
        endpoint_url=s3_server,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        public_base_url="https://cdn.example.com/assets/",
    )
    assert cdn.url(KEY, 3600) == f"https://cdn.example.com/assets/{KEY}"
    # The same form against the moto server serves the object unsigned once a bucket policy makes the
    # bucket publicly readable, as an operator would for AWS (R2 and CDNs use a public domain instead).
    admin = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{s3_store.bucket}/*",
            }
        ],
    }
    admin.put_bucket_policy(Bucket=s3_store.bucket, Policy=json.dumps(public_read))
    public = S3BlobStore(
        s3_store.bucket,
        endpoint_url=s3_server,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        public_base_url=f"{s3_server}/{s3_store.bucket}",
    )
    public.put(KEY, b"public bytes", "image/png")
    url = public.url(KEY, 3600)
    assert url == f"{s3_server}/{s3_store.bucket}/{KEY}"
    assert httpx.get(url).content == b"public bytes"
    # Without the policy the bucket is private: an unsigned GET is refused.
    admin.delete_bucket_policy(Bucket=s3_store.bucket)
    assert httpx.get(url).status_code == 403


def test_s3_check_fails_for_missing_bucket(s3_server: str) -> None:
    store = S3BlobStore(
        "no-such-bucket-here",
        endpoint_url=s3_server,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
    )
    with pytest.raises(ConfigurationError, match="no-such-bucket-here"):
        store.check()


def test_s3_ensure_bucket_is_idempotent_in_other_regions(s3_server: str) -> None:
    store = S3BlobStore(
        "bucket-in-eu-west-1",
        endpoint_url=s3_server,
        region="eu-west-1",
        access_key_id="testing",
        secret_access_key="testing",
        create_bucket=True,
    )
    store.ensure_bucket()
    store.check()


# --- build_blob_store ---------------------------------------------------------------------------


def _settings(tmp_path: Path, **values: Any) -> Settings:
    # Explicit values for every storage field, so the environment and a stray .env cannot leak in.
    base: dict[str, Any] = {
        "data_dir": tmp_path,
        "storage_backend": "local",
        "s3_bucket": None,
        "s3_endpoint_url": None,
        "s3_region": "us-east-1",
        "s3_access_key_id": None,
        "s3_secret_access_key": None,
        "s3_public_base_url": None,
    }
    base.update(values)
    return Settings(_env_file=None, **base)


def test_build_local_store(tmp_path: Path) -> None:
    store = build_blob_store(_settings(tmp_path))
    assert isinstance(store, LocalBlobStore)
    assert store.backend == "local"
    assert store.root == (tmp_path / "blobs").resolve()


def test_build_s3_store(tmp_path: Path, s3_server: str, s3_store: S3BlobStore) -> None:
    settings = _settings(
        tmp_path,
        storage_backend="s3",
        s3_bucket=s3_store.bucket,
        s3_endpoint_url=s3_server,
        s3_region="auto",
        s3_access_key_id="testing",
        s3_secret_access_key=SecretStr("testing"),
        s3_public_base_url="https://cdn.example.com",
    )
    store = build_blob_store(settings)
    assert isinstance(store, S3BlobStore)
    assert (store.backend, store.bucket, store.region) == ("s3", s3_store.bucket, "auto")
    store.check()
    store.put(KEY, b"via settings", "image/png")
    assert s3_store.get(KEY) == b"via settings"
    assert store.url(KEY, 60) == f"https://cdn.example.com/{KEY}"


def test_build_s3_without_bucket_names_the_setting(tmp_path: Path) -> None:
    # Settings itself refuses this combination; model_copy skips validation like a hand-built config would.
    settings = _settings(tmp_path).model_copy(update={"storage_backend": "s3"})
    with pytest.raises(ConfigurationError, match="s3_bucket"):
        build_blob_store(settings)


def test_build_s3_with_half_a_key_pair(tmp_path: Path) -> None:
    settings = _settings(tmp_path, storage_backend="s3", s3_bucket="b", s3_access_key_id="id")
    with pytest.raises(ConfigurationError, match="s3_secret_access_key"):
        build_blob_store(settings)
