"""`GET /health`: database, storage and queue checks; `degraded` (never a 500) when one is down."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from designer_bff import __version__
from designer_bff.api.deps import ContainerDep
from designer_bff.container import Container

router = APIRouter(tags=["health"])


def _probe(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as exc:
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result: dict[str, Any] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
    if isinstance(detail, dict):
        result.update(detail)
    return result


def _database(container: Container) -> dict[str, Any]:
    container.db.check()
    # How embeddings are stored: a pgvector column when the server has the extension, else float32 blobs.
    return {"vectors": "pgvector" if container.db.uses_pgvector else "blob"}


def _storage(container: Container) -> dict[str, Any]:
    container.blobs.check()
    return {"backend": container.blobs.backend}


@router.get("/health", summary="Service health")
def health(container: ContainerDep, strict: bool = False) -> JSONResponse:
    """Check each dependency: `ok`, or `degraded` naming the failing parts (503 only with ?strict=true)."""
    checks = {
        "database": _probe(lambda: _database(container)),
        "storage": _probe(lambda: _storage(container)),
        "queue": _probe(
            lambda: {"backend": container.queue.backend, "pending": container.queue.pending_count()}
        ),
    }
    failing = [name for name, c in checks.items() if c["status"] != "ok"]
    body = {
        "status": "degraded" if failing else "ok",
        "failing": failing,
        "version": __version__,
        "checks": checks,
    }
    return JSONResponse(body, status_code=503 if failing and strict else 200)
