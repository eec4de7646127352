"""Analytics API latency for a designer with 10 000 kept images and 1 000 feedback events.

Seeds one user with 10 000 kept images (+20 % over-generated candidates) over 1 000 batches, a provider
call per image (4 % failing first), 1 000 reactions (with re-reactions and undos) and the consistent
judgements and preference counts; a second user gets 1 000 images of their own, and the run checks that
neither sees the other's. Then times every analytics endpoint through the ASGI app (starlette TestClient,
auth included): median of RUNS after one warm-up, against GET /api/auth/me — the cheapest authenticated
endpoint — measured in the same process. On SQLite (a temporary file) and on PostgreSQL (a fresh
database at TEST_DATABASE_URL, dropped afterwards), the latter both as loaded (no planner statistics yet)
and after ANALYZE. Target: every endpoint under 200 ms on both.

Run: `.venv/bin/python benchmarks/bench_analytics.py` (`--sqlite-only` to skip PostgreSQL)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for `tests.…`

from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.analytics_fixtures import seed_history

from designer_bff.api.app import create_app
from designer_bff.config import Settings
from designer_bff.container import Container

RUNS = 9
TARGET_MS = 200.0
ENDPOINTS = [
    "overview",
    "costs",
    "costs?period=month&by=model",
    "costs?period=week&by=category&format=csv",
    "quality",
    "quality?period=day&days=365",
    "models",
    "models?by=category",
    "style-evolution",
    "style-evolution?period=day&include=heart&table=shares&format=csv",
    "clusters",
    "success",
    "success?kind=attribute&minShown=50&format=csv",
    "recommendations",
]
BASELINE = "/api/auth/me"


def _median_ms(call: Callable[[], Any]) -> float:
    call()  # warm-up: first-use caches (SQL compilation, connections)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _register(client: TestClient, email: str) -> tuple[dict[str, str], str]:
    response = client.post("/api/auth/register", json={"email": email, "password": "correct horse battery"})
    response.raise_for_status()
    headers = {"Authorization": f"Bearer {response.json()['accessToken']}"}
    return headers, client.get(BASELINE, headers=headers).json()["id"]


def _check(client: TestClient, alice: dict[str, str], bob: dict[str, str]) -> None:
    """Each user sees exactly their own history."""
    mine = client.get("/api/analytics/overview", headers=alice).json()["totals"]
    theirs = client.get("/api/analytics/overview", headers=bob).json()["totals"]
    if (mine["imagesKept"], theirs["imagesKept"], mine["generations"], theirs["generations"]) != (
        10_000,
        1_000,
        1_000,
        100,
    ):
        raise SystemExit(f"isolation broken: alice sees {mine}, bob sees {theirs}")


def _seed(container: Container, client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    alice, alice_id = _register(client, "alice@example.com")
    bob, bob_id = _register(client, "bob@example.com")
    now = datetime.now(UTC)
    started = time.perf_counter()
    history = seed_history(container.db, alice_id, assets=10_000, feedback=1_000, seed=1, now=now)
    seed_history(container.db, bob_id, assets=1_000, feedback=200, seed=2, now=now)
    print(f"  seeded in {time.perf_counter() - started:.1f} s: {history}", file=sys.stderr)
    _check(client, alice, bob)
    return alice, bob


def _measure(client: TestClient, headers: dict[str, str]) -> dict[str, float]:
    results = {BASELINE: _median_ms(lambda: client.get(BASELINE, headers=headers).raise_for_status())}
    for endpoint in ENDPOINTS:
        url = f"/api/analytics/{endpoint}"
        results[endpoint] = _median_ms(lambda url=url: client.get(url, headers=headers).raise_for_status())  # type: ignore[misc]
    return results


@contextmanager
def _postgres() -> Iterator[str]:
    import psycopg

    base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"dbff_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(database_url: str | None, data_dir: Path, *, analyse_after: bool) -> list[dict[str, float]]:
    """Seed, check isolation and time every endpoint (and again after ANALYZE when asked)."""
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="bench-secret-key-not-for-production-0123456789",  # noqa: S106 - throwaway, this run only
        monthly_budget_usd=150.0,
        _env_file=None,
    )
    container = Container(settings)
    container.db.migrate()
    with TestClient(create_app(container, run_consumers=False)) as client:
        alice, _ = _seed(container, client)
        rounds = [_measure(client, alice)]
        if analyse_after:
            with container.db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            rounds.append(_measure(client, alice))
    return rounds


def main() -> None:
    """Run the benchmark and print a markdown table."""
    columns: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite …", file=sys.stderr)
        (sqlite,) = run(None, Path(tmp) / "sqlite", analyse_after=False)
        columns.append(("SQLite", sqlite))
        if "--sqlite-only" not in sys.argv:
            print("PostgreSQL …", file=sys.stderr)
            with _postgres() as url:
                fresh, analysed = run(url, Path(tmp) / "pg", analyse_after=True)
            columns += [("PostgreSQL, as loaded", fresh), ("PostgreSQL, after ANALYZE", analysed)]
    header = (
        "| endpoint (GET /api/analytics/…) | " + " | ".join(f"{name} ms | × me" for name, _ in columns) + " |"
    )
    print(header)
    print("|---|" + "---:|---:|" * len(columns))
    for endpoint in [BASELINE, *ENDPOINTS]:
        cells = []
        for _, results in columns:
            ms = results[endpoint]
            cells.append(f"{ms:.1f} | {ms / results[BASELINE]:.1f}")
        print(f"| {endpoint} | " + " | ".join(cells) + " |")
    worst = max(results[e] for _, results in columns for e in ENDPOINTS)
    verdict = "met" if worst < TARGET_MS else "MISSED"
    print(f"\nslowest endpoint: {worst:.1f} ms; target < {TARGET_MS:.0f} ms on every backend: {verdict}")


if __name__ == "__main__":
    main()
