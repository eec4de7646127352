"""The generation API end to end on embedded defaults (SQLite, local files, SQLite queue, tech-flat)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from designer_bff.imaging import read_metadata
from tests.conftest import register, wait_for


def _png(color: tuple[int, int, int], size: tuple[int, int] = (120, 160)) -> bytes:
    image = Image.new("RGB", size, (248, 248, 246))
    image.paste(color, (25, 20, size[0] - 25, size[1] - 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_from_prompt_generates_stores_and_describes(client: Any) -> None:
    headers = register(client)
    response = client.post(
        "/api/generate/from-prompt",
        json={
            "prompt": "bohemian maxi dress in rust linen",
            "count": 3,
            "settings": {"aspectRatio": "3:4", "seed": 7},
        },
        headers=headers,
    )
    assert response.status_code == 202, response.text
    body = wait_for(client, response.json()["id"], headers)
    assert body["status"] == "completed", body
    # 3 kept of ⌈3 × 1.2⌉ = 4 candidates: validated, embedded, clustered, selected, coverage measured
    assert body["progress"] == {"done": 4, "total": 4}
    assert (body["candidateCount"], body["hiddenCount"]) == (4, 1)
    stages = body["stages"]
    assert set(stages) >= {
        "query",
        "sampling",
        "routing",
        "prompt",
        "generation",
        "validation",
        "embedding",
        "clustering",
        "selection",
        "coverage",
    }
    assert all("ms" in stage for stage in stages.values())
    assert stages["selection"]["output"]["picked"] == 3
    assert body["costUsd"] == 0
    assets = body["assets"]
    assert len(assets) == 3 and all(a["selected"] for a in assets)
    assert sorted(a["pickRank"] for a in assets) == [0, 1, 2]
    everything = client.get(f"/api/generate/{body['id']}?include=all", headers=headers).json()["assets"]
    assert [a["slot"] for a in everything] == [0, 1, 2, 3]
    assert [a["selected"] for a in everything].count(False) == 1
    for asset in assets:
        assert asset["verdict"] in ("ok", "flagged")
        assert asset["validation"]["checks"][0]["attribute"] == "color.primary"
        assert (asset["width"], asset["height"]) == (768, 1024)
        assert asset["provider"] == "tech-flat"
        assert asset["spec"]["garment"]["type"] == "dress"
        assert asset["spec"]["color"]["primary"] == "rust"
        image = client.get(asset["url"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert len(image.content) == asset["bytes"]
        meta = read_metadata(image.content)
        assert meta["prompt"] == asset["prompt"] and meta["seed"] == asset["seed"]
        assert meta["provider"] == "tech-flat" and meta["spec"]["garment"]["type"] == "dress"
        thumb = client.get(asset["thumbnailUrl"])
        assert thumb.headers["content-type"] == "image/webp"
        assert max(Image.open(io.BytesIO(thumb.content)).size) == 256
        # the same bytes through the authorised route
        direct = client.get(f"/api/assets/{asset['id']}/file", headers=headers)
        assert direct.content == image.content


def test_same_seed_same_images(client: Any) -> None:
    headers = register(client)
    ids = [
        client.post(
            "/api/generate/from-prompt",
            json={"prompt": "navy striped shirt", "count": 2, "settings": {"seed": 99, "size": "256x256"}},
            headers=headers,
        ).json()["id"]
        for _ in range(2)
    ]
    a, b = (wait_for(client, i, headers) for i in ids)
    assert [x["spec"] for x in a["assets"]] == [x["spec"] for x in b["assets"]]
    pixels = [Image.open(io.BytesIO(client.get(x["assets"][0]["url"]).content)).tobytes() for x in (a, b)]
    assert pixels[0] == pixels[1]  # same pixels; the files differ only in their embedded ids


def test_from_spec_canonical_and_legacy(client: Any) -> None:
    headers = register(client)
    canonical = {"garment": {"type": "jeans", "silhouette": "wide-leg"}, "color": {"primary": "navy"}}
    r = client.post(
        "/api/generate/from-spec",
        json={"vltSpec": canonical, "count": 2, "settings": {"size": "256x256"}},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    body = wait_for(client, r.json()["id"], headers)
    assert body["status"] == "completed"
    assert {a["spec"]["garment"]["silhouette"] for a in body["assets"]} == {"wide-leg"}

    envelope = {
        "jobId": "j1",
        "records": [
            {"garmentType": "Midi Dress", "colors": {"primary": "emerald", "pattern": "floral"}},
            {"garmentType": "blazer", "fabric": {"type": "moonweave"}},
        ],
        "summary": {},
    }
    r = client.post(
        "/api/generate/from-spec",
        json={"vltSpec": envelope, "settings": {"size": "256x256"}},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    assert any("moonweave" in w for w in r.json()["warnings"])
    body = wait_for(client, r.json()["id"], headers)
    # one kept per record: the records are the selection's quotas
    assert sorted(a["spec"]["garment"]["type"] for a in body["assets"]) == ["blazer", "dress"]
    blazer = next(a for a in body["assets"] if a["spec"]["garment"]["type"] == "blazer")
    assert blazer["spec"]["unmapped"] == {"fabric.type": "moonweave"}
    assert body["stages"]["selection"]["output"]["quotasBy"] == "records"


def test_from_image_uses_dominant_colours(client: Any) -> None:
    headers = register(client)
    r = client.post(
        "/api/generate/from-image",
        files={"image": ("ref.png", _png((200, 16, 46)), "image/png")},
        data={"description": "a wrap dress", "count": "2", "seed": "3"},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    body = wait_for(client, r.json()["id"], headers)
    assert body["status"] == "completed", body
    assert body["stages"]["analysis"]["output"]["colors"][0]["name"] == "red"
    for asset in body["assets"]:
        assert asset["spec"]["color"]["primary"] == "red"
        assert asset["spec"]["garment"]["silhouette"] == "wrap"


def test_list_filter_paginate_delete_and_feedback(client: Any) -> None:
    headers = register(client)
    ids = []
    for prompt in ("white t-shirt", "black coat", "grey skirt"):
        r = client.post(
            "/api/generate/from-prompt",
            json={"prompt": prompt, "count": 1, "settings": {"size": "128x128"}},
            headers=headers,
        )
        ids.append(r.json()["id"])
    for i in ids:
        wait_for(client, i, headers)
    page = client.get("/api/generate?limit=2&status=completed", headers=headers).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert page["items"][0]["id"] == ids[-1]  # newest first
    assert client.get("/api/generate?status=failed", headers=headers).json()["total"] == 0
    created = page["items"][0]["createdAt"]
    assert created.endswith(("Z", "+00:00"))  # timezone-aware on every backend
    assert (
        client.get("/api/generate", params={"since": "2999-01-01T00:00:00Z"}, headers=headers).json()["total"]
        == 0
    )
    assert (
        client.get("/api/generate", params={"until": "2999-01-01T00:00:00Z"}, headers=headers).json()["total"]
        == 3
    )

    body = client.get(f"/api/generate/{ids[0]}", headers=headers).json()
    asset_id = body["assets"][0]["id"]
    for fb in (
        {"type": "outlier", "assetId": asset_id},
        {"type": "rating", "rating": 4, "assetId": asset_id},
        {"type": "comment", "comment": "love the collar"},
        {"type": "heart"},
        {"type": "reject"},
    ):
        assert client.post(f"/api/generate/{ids[0]}/feedback", json=fb, headers=headers).status_code == 201
    assert len(client.get(f"/api/generate/{ids[0]}", headers=headers).json()["feedback"]) == 5
    bad = client.post(
        f"/api/generate/{ids[0]}/feedback", json={"type": "rating", "rating": 9}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["field"] == "rating"

    container = client.app.state.container
    user_id = client.get("/api/auth/me", headers=headers).json()["id"]
    keys = [
        k for a in container.generations.get(user_id, ids[0]).assets for k in (a.storage_key, a.thumbnail_key)
    ]
    assert all(container.blobs.exists(k) for k in keys)
    assert client.delete(f"/api/generate/{ids[0]}", headers=headers).status_code == 204
    assert client.get(f"/api/generate/{ids[0]}", headers=headers).status_code == 404
    assert not any(container.blobs.exists(k) for k in keys)
    assert client.get("/api/generate", headers=headers).json()["total"] == 2
