"""The job queue: huey on SQLite (embedded) or Redis (production), its tasks, and in-process consumers.

Tasks are thin: a generation id in, a service call, progress out. They are registered on the huey
instance by `JobQueue` (never by importing a module), so each composition root gets its own queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from designer_bff.config import Settings

log = logging.getLogger(__name__)


def build_huey(settings: Settings) -> Any:
    """SqliteHuey under the data directory, or RedisHuey when REDIS_URL is set."""
    from huey import RedisHuey, SqliteHuey

    name = settings.queue_name
    if settings.redis_url:
        return RedisHuey(name=name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name=name, filename=str(settings.data_dir / "queue.db"), results=False)


Task = Callable[[str], str]  # an id in, a final status out
Recoverer = Callable[[], list[str]]  # ids of jobs a crashed worker left or that were never enqueued


class JobQueue:
    """The studio's queue: enqueue jobs by kind (generation, portfolio), run consumers, resume work."""

    def __init__(self, huey: Any, tasks: dict[str, tuple[Task, Recoverer]]) -> None:
        self.huey = huey
        self._recoverers = {kind: recover for kind, (_, recover) in tasks.items()}
        self._tasks: dict[str, Any] = {kind: self._register(kind, run) for kind, (run, _) in tasks.items()}
        self._consumer: Any = None
        self._recovery: threading.Thread | None = None
        self._stop = threading.Event()

    def _register(self, kind: str, run: Task) -> Any:
        @self.huey.task(name=f"{kind}.run", retries=2, retry_delay=5)  # type: ignore[untyped-decorator]
        def task(job_id: str) -> None:
            """Run one job (thin: the id in, a service does the work)."""
            status = run(job_id)
            log.info("%s %s: %s", kind, job_id, status)

        return task

    def enqueue(self, kind: str, job_id: str) -> None:
        """Put a job of `kind` on the queue."""
        self._tasks[kind](job_id)

    def enqueue_generation(self, generation_id: str) -> None:
        """Put a generation on the queue."""
        self.enqueue("generation", generation_id)

    @property
    def backend(self) -> str:
        """'redis' or 'sqlite'."""
        return "redis" if type(self.huey).__name__ == "RedisHuey" else "sqlite"

    def pending_count(self) -> int:
        """Messages waiting in the queue (health check: proves the queue storage answers)."""
        return int(self.huey.pending_count())

    def recover(self) -> list[str]:
        """Re-enqueue jobs left by crashed workers or never enqueued; returns their ids."""
        resumed = []
        for kind, requeue in self._recoverers.items():
            for job_id in requeue():
                log.warning("resuming interrupted %s %s", kind, job_id)
                self.enqueue(kind, job_id)
                resumed.append(job_id)
        return resumed

    def start_consumers(self, workers: int, recovery_interval: float) -> None:
        """Start consumer threads in this process (no signal handlers: the host process owns those)."""
        # An idle worker polls at most once a second (huey's default backs off to 10 s): a job enqueued
        # after a quiet spell starts within a second. Redis pops block, so this only matters for SQLite.
        consumer = self.huey.create_consumer(
            workers=workers, worker_type="thread", periodic=False, max_delay=1.0
        )
        consumer.scheduler.start()
        for _, worker in consumer.worker_threads:
            worker.start()
        self._consumer = consumer
        self._stop.clear()
        self._recovery = threading.Thread(
            target=self._recovery_loop, args=(recovery_interval,), name="designer-bff-recovery", daemon=True
        )
        self._recovery.start()

    def _recovery_loop(self, interval: float) -> None:
        while True:
            try:
                self.recover()
            except Exception:  # the loop must outlive a transient database error
                log.exception("recovery pass failed")
            if self._stop.wait(interval):
                return

    def stop_consumers(self, timeout: float = 30.0) -> None:
        """Stop consumer threads, letting running tasks finish (up to `timeout`)."""
        self._stop.set()
        if self._consumer is not None:
            self._consumer.shutdown_timeout = timeout
            self._consumer.stop(graceful=True)
            self._consumer = None
        if self._recovery is not None:
            self._recovery.join(timeout=5)
            self._recovery = None

    def request_stop(self) -> None:
        """Ask a blocking `run_worker` to return (e.g. from a SIGTERM handler)."""
        self._stop.set()

    def run_worker(self, workers: int, recovery_interval: float) -> None:
        """Block running consumers until interrupted (the `designer-bff worker` command)."""
        self.start_consumers(workers, recovery_interval)
        try:
            while not self._stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            log.info("worker interrupted, finishing running jobs")
        finally:
            self.stop_consumers()
