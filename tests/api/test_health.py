"""`/health` reports each dependency and degrades (never a 500) when one is down."""

from __future__ import annotations

import shutil
from typing import Any


def test_health_ok(client: Any) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"]["backend"] == "local"
    assert body["checks"]["queue"]["backend"] == "sqlite"


def test_health_degraded_when_storage_and_database_break(client: Any) -> None:
    container = client.app.state.container
    blobs = container.settings.data_dir / "blobs"
    shutil.rmtree(blobs, ignore_errors=True)
    blobs.write_text("not a directory any more")
    container.db.engine.dispose()
    from sqlalchemy import create_engine

    container.db.engine = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        pool_pre_ping=False,
        connect_args={"connect_timeout": 1},
    )
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "degraded"
    assert set(body["failing"]) == {"database", "storage"}
    assert body["checks"]["queue"]["status"] == "ok"
    assert client.get("/health?strict=true").status_code == 503
