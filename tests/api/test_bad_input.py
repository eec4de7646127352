"""Bad input gets a clear 4xx naming the problem; nothing stored is lost; the server stays healthy."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from designer_bff.api.app import create_app
from designer_bff.config import Settings
from designer_bff.container import Container
from tests.conftest import register, wait_for


@pytest.fixture
def small_client(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    """A client with a 1 MB upload limit and a 4-megapixel image limit."""
    container = Container(make_settings(max_upload_bytes=1024 * 1024, max_image_pixels=4_000_000))
    with TestClient(create_app(container, run_consumers=True)) as client:
        yield client


def _image(fmt: str, size: tuple[int, int] = (64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 30, 60)).save(buffer, fmt)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height (a decompression bomb's calling card)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SVG = b"""<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"
 xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="http://169.254.169.254/latest" /></svg>"""

UPLOADS = [
    ("gif", ("a.gif", _image("GIF"), "image/gif"), 415, "GIF"),
    ("mislabelled", ("photo.jpg", _image("PNG"), "image/jpeg"), 415, "PNG"),
    ("truncated", ("cut.png", _image("PNG", (256, 256))[:300], "image/png"), 422, "truncated"),
    ("bomb", ("bomb.png", _png_header_only(30_000, 30_000), "image/png"), 413, "pixels"),
    ("svg", ("logo.svg", SVG, "image/svg+xml"), 415, "SVG"),
    ("too-big", ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 10), "image/png"), 413, "MB"),
    ("empty", ("empty.png", b"", "image/png"), 422, "empty"),
    ("text", ("notes.png", b"hello, I am not an image at all", "image/png"), 415, "accepted"),
]


def _snapshot(client: TestClient, headers: dict[str, str]) -> tuple[int, int]:
    container: Container = client.app.state.container  # type: ignore[attr-defined]
    blobs = container.settings.data_dir / "blobs"
    files = sum(1 for p in Path(blobs).rglob("*") if p.is_file()) if blobs.exists() else 0
    return client.get("/api/generate", headers=headers).json()["total"], files


def _assert_healthy_and_intact(
    client: TestClient, headers: dict[str, str], before: tuple[int, int], gid: str
) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert _snapshot(client, headers) == before
    kept = client.get(f"/api/generate/{gid}", headers=headers).json()
    assert kept["status"] == "completed" and len(kept["assets"]) == 1
    assert client.get(kept["assets"][0]["url"]).status_code == 200


@pytest.fixture
def seeded(small_client: TestClient) -> tuple[TestClient, dict[str, str], str, tuple[int, int]]:
    headers = register(small_client)
    r = small_client.post(
        "/api/generate/from-prompt",
        json={"prompt": "black blazer", "count": 1, "settings": {"size": "128x128"}},
        headers=headers,
    )
    gid = wait_for(small_client, r.json()["id"], headers)["id"]
    return small_client, headers, gid, _snapshot(small_client, headers)


@pytest.mark.parametrize(("name", "upload", "status", "words"), UPLOADS, ids=[u[0] for u in UPLOADS])
def test_bad_uploads(seeded: Any, name: str, upload: tuple[str, bytes, str], status: int, words: str) -> None:
    client, headers, gid, before = seeded
    r = client.post("/api/generate/from-image", files={"image": upload}, data={"count": "1"}, headers=headers)
    assert r.status_code == status, r.text
    body = r.json()
    assert words.lower() in body["message"].lower(), body
    _assert_healthy_and_intact(client, headers, before, gid)


BAD_JSON = [
    ("malformed", b'{"prompt": "dress", "count": ', "malformed JSON", None),
    ("count-zero", b'{"prompt": "dress", "count": 0}', "count", "count"),
    ("count-high", b'{"prompt": "dress", "count": 101}', "between 1 and 100", "count"),
    ("count-type", b'{"prompt": "dress", "count": "many"}', "integer", "count"),
    ("empty-prompt", b'{"prompt": "", "count": 1}', "at least 1", "prompt"),
    (
        "bad-ratio",
        b'{"prompt": "dress", "settings": {"aspectRatio": "tall"}}',
        "aspectRatio",
        "settings.aspectRatio",
    ),
    (
        "bad-provider",
        b'{"prompt": "dress", "settings": {"provider": "midjourney"}}',
        "unknown provider",
        "settings.provider",
    ),
    ("extra-field", b'{"prompt": "dress", "cuont": 3}', "extra", "cuont"),
]


@pytest.mark.parametrize(("name", "payload", "words", "field"), BAD_JSON, ids=[b[0] for b in BAD_JSON])
def test_bad_prompt_requests(seeded: Any, name: str, payload: bytes, words: str, field: str | None) -> None:
    client, headers, gid, before = seeded
    r = client.post(
        "/api/generate/from-prompt", content=payload, headers={**headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert words.lower() in body["message"].lower(), body
    if field:
        assert body["field"] == field
    _assert_healthy_and_intact(client, headers, before, gid)


def test_unknown_spec_value_names_field_and_allowed(seeded: Any) -> None:
    client, headers, gid, before = seeded
    r = client.post(
        "/api/generate/from-spec",
        json={"vltSpec": {"garment": {"type": "dress", "neckline": "moon"}}},
        headers=headers,
    )
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "vltSpec.garment.neckline"
    assert "moon" in body["message"] and "sweetheart" in body["allowed"]
    r = client.post("/api/generate/from-spec", json={"vltSpec": {"records": []}}, headers=headers)
    assert r.status_code == 422 and body["field"]
    _assert_healthy_and_intact(client, headers, before, gid)


def test_bad_feedback_and_unknown_ids(seeded: Any) -> None:
    client, headers, gid, before = seeded
    r = client.post(f"/api/generate/{gid}/feedback", json={"type": "superlike"}, headers=headers)
    assert r.status_code == 422 and "outlier" in r.text
    r = client.post(
        f"/api/generate/{gid}/feedback", json={"type": "heart", "assetId": "nope"}, headers=headers
    )
    assert r.status_code == 404
    assert client.get("/api/generate/does-not-exist", headers=headers).status_code == 404
    assert client.get("/api/assets/x/file", headers=headers).status_code == 404
    assert client.get("/api/assets/x/original", headers=headers).status_code == 422
    assert client.get("/api/generate?status=exploded", headers=headers).status_code == 422
    _assert_healthy_and_intact(client, headers, before, gid)
