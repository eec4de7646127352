"""Fixed-window attempt counters: in-process by default, shared through Redis when it is configured."""

from __future__ import annotations

import threading
import time
from typing import Protocol

from designer_bff.errors import RateLimited


class AttemptLimiter(Protocol):
    """Counts failures per key in a time window."""

    def check(self, key: str) -> None:
        """Raise RateLimited when `key` has used up its window."""
        ...

    def record_failure(self, key: str) -> None:
        """Count one failure for `key`."""
        ...

    def reset(self, key: str) -> None:
        """Forget `key`'s failures (after a success)."""
        ...


class MemoryLimiter:
    """Per-process counters (one API instance)."""

    def __init__(self, limit: int, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def _current(self, key: str, now: float) -> tuple[float, int]:
        start, count = self._hits.get(key, (now, 0))
        return (now, 0) if now - start >= self.window else (start, count)

    def check(self, key: str) -> None:
        """Raise RateLimited when `key` has used up its window."""
        now = time.monotonic()
        with self._lock:
            start, count = self._current(key, now)
        if count >= self.limit:
            raise RateLimited(
                "too many failed attempts; try again later", retry_after=self.window - (now - start)
            )

    def record_failure(self, key: str) -> None:
        """Count one failure for `key`."""
        now = time.monotonic()
        with self._lock:
            start, count = self._current(key, now)
            self._hits[key] = (start, count + 1)
            if len(self._hits) > 100_000:  # bound memory under a credential-stuffing flood
                self._hits = {k: v for k, v in self._hits.items() if now - v[0] < self.window}

    def reset(self, key: str) -> None:
        """Forget `key`'s failures."""
        with self._lock:
            self._hits.pop(key, None)


class RedisLimiter:
    """Counters in Redis, so every API instance enforces the same budget."""

    def __init__(
        self, url: str, limit: int, window_seconds: int = 60, prefix: str = "designer-bff:rl:"
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.limit = limit
        self.window = window_seconds
        self.prefix = prefix

    def check(self, key: str) -> None:
        """Raise RateLimited when `key` has used up its window."""
        name = self.prefix + key
        count = int(self.client.get(name) or 0)
        if count >= self.limit:
            ttl = self.client.ttl(name)
            raise RateLimited("too many failed attempts; try again later", retry_after=max(1, ttl))

    def record_failure(self, key: str) -> None:
        """Count one failure for `key`."""
        name = self.prefix + key
        pipe = self.client.pipeline()
        pipe.incr(name)
        pipe.expire(name, self.window, nx=True)
        pipe.execute()

    def reset(self, key: str) -> None:
        """Forget `key`'s failures."""
        self.client.delete(self.prefix + key)
