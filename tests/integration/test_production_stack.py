"""The same code on PostgreSQL + Redis + S3 (moto's real HTTP S3 server), chosen by settings alone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import boto3
import httpx
from fastapi.testclient import TestClient

from designer_bff.api.app import create_app
from designer_bff.config import Settings
from designer_bff.container import Container
from designer_bff.imaging import read_metadata
from tests.conftest import _reset_postgres, register, wait_for


def test_generation_on_postgres_redis_and_s3(
    make_settings: Callable[..., Settings],
    postgres_url: str,
    redis_url: str,
    s3_server: str,
    monkeypatch: Any,
) -> None:
    _reset_postgres(postgres_url)
    bucket = f"studio-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=bucket)
    settings = make_settings(
        database_url=postgres_url,
        redis_url=redis_url,
        queue_name=f"test-{uuid.uuid4().hex[:8]}",
        storage_backend="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_server,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    container = Container(settings)
    with TestClient(create_app(container, run_consumers=True)) as client:
        health = client.get("/health").json()
        assert health["status"] == "ok", health
        assert health["checks"]["queue"]["backend"] == "redis"
        assert health["checks"]["storage"]["backend"] == "s3"
        headers = register(client)
        r = client.post(
            "/api/generate/from-prompt",
            json={"prompt": "emerald satin gown", "count": 2, "settings": {"size": "256x256", "seed": 1}},
            headers=headers,
        )
        body = wait_for(client, r.json()["id"], headers)
        assert body["status"] == "completed", body
        for asset in body["assets"]:
            assert asset["url"].startswith(s3_server)  # presigned S3 URL, fetched straight from the store
            data = httpx.get(asset["url"]).content
            assert read_metadata(data)["spec"]["garment"]["type"] == "gown"
            redirect = client.get(f"/api/assets/{asset['id']}/file", headers=headers, follow_redirects=False)
            assert redirect.status_code == 307 and redirect.headers["location"].startswith(s3_server)
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
        user_id = client.get("/api/auth/me", headers=headers).json()["id"]
        assert len(keys) == 6 and all(k.startswith(f"{user_id}/") for k in keys)  # 3 candidates for 2 kept
        assert client.delete(f"/api/generate/{body['id']}", headers=headers).status_code == 204
        assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
