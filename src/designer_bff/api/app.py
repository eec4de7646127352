"""FastAPI app factory: routers, the error handler, and in-process job consumers for `serve`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from designer_bff import __version__
from designer_bff.api.errors import install_error_handlers
from designer_bff.api.routes import (
    analytics,
    assets,
    auth,
    coverage,
    diversity,
    feedback,
    generate,
    health,
    learning,
    persona,
    portfolios,
    profile,
    providers,
    voice,
    web,
)
from designer_bff.container import Container, build_container

log = logging.getLogger(__name__)


def create_app(container: Container | None = None, *, run_consumers: bool | None = None) -> FastAPI:
    """The HTTP app. `run_consumers` (default: job_workers > 0) runs job consumer threads in-process."""
    container = container or build_container()
    consumers = container.settings.job_workers > 0 if run_consumers is None else run_consumers

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        container.db.migrate()
        if consumers:
            container.warm_up()
            container.queue.start_consumers(
                max(1, container.settings.job_workers), container.settings.recovery_interval_seconds
            )
        try:
            yield
        finally:
            if consumers:
                container.queue.stop_consumers()
            container.close()

    app = FastAPI(
        title="Designer BFF",
        version=__version__,
        summary="Self-hostable AI design studio for fashion designers.",
        lifespan=lifespan,
    )
    app.state.container = container
    install_error_handlers(app)
    for module in (
        health,
        auth,
        generate,
        assets,
        diversity,
        coverage,
        providers,
        portfolios,
        profile,
        persona,
        voice,
        feedback,
        learning,
        analytics,
        web,
    ):
        app.include_router(module.router)
    return app
