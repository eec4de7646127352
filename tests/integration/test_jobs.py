"""The job queue on SQLite and Redis, lease semantics on SQLite and PostgreSQL, and crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from designer_bff.config import Settings
from designer_bff.container import Container
from designer_bff.db.repositories import Assets, Generations, Users
from designer_bff.db.tables import Generation
from designer_bff.domain.generation import GenerationSettings


@pytest.fixture(params=["sqlite", "redis"])
def queue_settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    """Settings for the SQLite queue, or for Redis + PostgreSQL (the production pair).

    The lease is short so takeovers happen within the test, but not so short that a busy two-core CI
    machine starves a healthy worker's heartbeat past it (2 s did, taking a job over a third time)."""
    if request.param == "sqlite":
        return make_settings(job_lease_seconds=4)
    return make_settings(
        job_lease_seconds=4,
        redis_url=request.getfixturevalue("redis_url"),
        database_url=request.getfixturevalue("database_url_pg"),
        queue_name=f"test-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def database_url_pg(postgres_url: str) -> str:
    from tests.conftest import _reset_postgres

    _reset_postgres(postgres_url)
    return postgres_url


def _user(container: Container) -> str:
    with container.db.session() as s:
        return Users(s).add(f"{uuid.uuid4().hex[:6]}@example.com", "x").id


def _wait(container: Container, generation_id: str, timeout: float = 60) -> Generation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with container.db.session() as s:
            g = Generations(s).get(generation_id, user_id=None)
        if g.status in ("completed", "failed"):
            return g
        time.sleep(0.05)
    raise AssertionError(f"{generation_id} still {g.status} after {timeout}s")


def test_queue_runs_generation_with_in_process_consumers(queue_settings: Settings) -> None:
    container = Container(queue_settings)
    container.db.migrate()
    container.queue.huey.flush()
    container.queue.start_consumers(2, recovery_interval=1)
    try:
        g = container.generations.from_prompt(
            _user(container),
            prompt="black coat",
            negative_prompt=None,
            count=3,
            settings=GenerationSettings(size="128x128"),
        )
        done = _wait(container, g.id)
        assert done.status == "completed"
        assert done.attempts == 1
        assert container.queue.backend == ("redis" if queue_settings.redis_url else "sqlite")
    finally:
        container.queue.stop_consumers()
        container.close()


def test_pending_generation_that_was_never_enqueued_is_recovered(queue_settings: Settings) -> None:
    container = Container(queue_settings)
    container.db.migrate()
    container.queue.huey.flush()
    # Simulate a process that died between committing the row and enqueueing it.
    g = container.foreground_generations().from_prompt(
        _user(container),
        prompt="white shirt",
        negative_prompt=None,
        count=1,
        settings=GenerationSettings(size="128x128"),
    )
    time.sleep(queue_settings.job_lease_seconds + 0.2)
    container.queue.start_consumers(1, recovery_interval=0.5)
    try:
        assert _wait(container, g.id).status == "completed"
    finally:
        container.queue.stop_consumers()
        container.close()


def test_lease_claim_heartbeat_and_requeue(database_url: str, make_settings: Callable[..., Settings]) -> None:
    container = Container(make_settings(database_url=database_url))
    container.db.migrate()
    user_id = _user(container)
    with container.db.session() as s:
        g = Generations(s).add(Generation(user_id=user_id, mode="prompt", requested_count=1))
    lease = timedelta(seconds=30)
    with container.db.session() as s:
        assert Generations(s).claim(g.id, "w1", lease)
    with container.db.session() as s:
        assert not Generations(s).claim(g.id, "w2", lease)  # held by w1
        assert Generations(s).heartbeat(g.id, "w1")
        assert not Generations(s).heartbeat(g.id, "w2")
        assert Generations(s).requeue_stalled(lease) == []
        assert Generations(s).requeue_stalled(timedelta(seconds=-1)) == [g.id]  # lease long gone
    with container.db.session() as s:
        assert Generations(s).get(g.id, user_id=None).status == "pending"
        assert Generations(s).claim(g.id, "w2", lease)
        assert Generations(s).get(g.id, user_id=None).attempts == 2
    container.close()


def _worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DESIGNER_BFF_DATA_DIR": str(settings.data_dir),
        "DESIGNER_BFF_SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "DESIGNER_BFF_JOB_LEASE_SECONDS": str(settings.job_lease_seconds),
        "DESIGNER_BFF_RECOVERY_INTERVAL_SECONDS": "1",
        "DESIGNER_BFF_QUEUE_NAME": settings.queue_name,
        "DATABASE_URL": settings.effective_database_url,
        "REDIS_URL": settings.redis_url or "",
    }
    if not settings.redis_url:
        env.pop("REDIS_URL")
    return subprocess.Popen(
        [sys.executable, "-m", "designer_bff", "worker", "--concurrency", "1"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_worker_killed_mid_job_resumes_without_loss_or_duplicates(
    queue_settings: Settings, tmp_path: Path
) -> None:
    container = Container(queue_settings)
    container.db.migrate()
    container.queue.huey.flush()
    count = 24
    g = container.generations.from_prompt(
        _user(container),
        prompt="floral wrap dress",
        negative_prompt=None,
        count=count,
        settings=GenerationSettings(size="512x512", seed=5),
    )
    log = tmp_path / "worker.log"
    first = _worker(queue_settings, log)
    try:
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline:
            with container.db.session() as s:
                stored = len(Assets(s).for_generation(g.id))
            if stored >= 3:
                break
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)  # kill -9: no cleanup, no graceful shutdown
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    with container.db.session() as s:
        interrupted = Generations(s).get(g.id, user_id=None)
        stored = len(Assets(s).for_generation(g.id))
    assert interrupted.status == "processing", log.read_text()
    assert 3 <= stored < count, f"worker was not killed mid-job ({stored} stored)"

    second = _worker(queue_settings, log)
    try:
        done = _wait(container, g.id, timeout=90)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert done.status == "completed", log.read_text()
    assert done.attempts == 2, log.read_text()[-4000:]
    candidates = GenerationSettings(overgeneration=0.2).candidates_for(count)  # 29 made, 24 kept
    with container.db.session() as s:
        assets = Assets(s).for_generation(g.id)
    assert sorted(a.slot for a in assets) == list(range(candidates))
    assert len({a.id for a in assets}) == candidates
    assert sum(a.selected for a in assets) == count
    blobs = container.settings.data_dir / "blobs"
    # A write cut by kill -9 can leave a dot-prefixed temp file (never a valid key, never read); count blobs.
    stored_files = [p for p in blobs.rglob("*") if p.is_file() and not p.name.startswith(".")]
    images = [p for p in stored_files if "/image/" in p.as_posix()]
    thumbs = [p for p in stored_files if "/thumbnail/" in p.as_posix()]
    assert len(images) == candidates and len(thumbs) == candidates  # nothing lost, nothing stored twice
    assert all(container.blobs.exists(a.storage_key) for a in assets)
    container.close()
