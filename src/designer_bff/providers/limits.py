"""Per-provider call limits: requests per minute and concurrent calls.

In-process by default; shared by every worker process through Redis when it is configured (a sliding
window of request times and a semaphore of leased slots, each changed atomically by a Lua script).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

WINDOW_S = 60.0


@dataclass(frozen=True)
class Limit:
    """How much one provider may be called: per minute (None: no per-minute limit) and at once."""

    rpm: int | None
    concurrency: int


class CallLimiter(Protocol):
    """Blocks until a call to `provider` is allowed, and holds a concurrency slot while it runs."""

    def slot(self, provider: str, limit: Limit) -> Any:
        """A context manager: enter when allowed, leave when the call is over."""
        ...

    def in_flight(self, provider: str) -> int:
        """Calls to `provider` running right now (across processes when shared)."""
        ...


class MemoryCallLimiter:
    """Limits within this process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}
        self._starts: dict[str, deque[float]] = {}

    def _try(self, provider: str, limit: Limit, now: float) -> float:
        """0 when a slot was taken, else seconds to wait before trying again."""
        starts = self._starts.setdefault(provider, deque())
        while starts and now - starts[0] >= WINDOW_S:
            starts.popleft()
        if self._running.get(provider, 0) >= limit.concurrency:
            return -1.0  # wait for a release (notify), not for time
        if limit.rpm is not None and len(starts) >= limit.rpm:
            return WINDOW_S - (now - starts[0])
        starts.append(now)
        self._running[provider] = self._running.get(provider, 0) + 1
        return 0.0

    @contextmanager
    def slot(self, provider: str, limit: Limit) -> Iterator[None]:
        """Wait for a concurrency slot and room in the minute window; release on exit."""
        with self._cond:
            while (wait := self._try(provider, limit, time.monotonic())) != 0.0:
                self._cond.wait(timeout=None if wait < 0 else wait)
        try:
            yield
        finally:
            with self._cond:
                self._running[provider] -= 1
                self._cond.notify_all()

    def in_flight(self, provider: str) -> int:
        """Calls to `provider` running in this process."""
        with self._cond:
            return self._running.get(provider, 0)


# KEYS: window zset, semaphore zset. ARGV: now, rpm (0: no per-minute limit), concurrency, holder, lease s.
# Returns 0 when the slot is taken, -1 when the semaphore is full, else ms until the window has room.
_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return -1 end
local rpm = tonumber(ARGV[2])
if rpm > 0 and redis.call('ZCARD', KEYS[1]) >= rpm then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil((tonumber(oldest[2]) + 60 - now) * 1000))
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[4])
redis.call('EXPIRE', KEYS[1], 120)
redis.call('EXPIRE', KEYS[2], math.ceil(tonumber(ARGV[5])) + 60)
return 0
"""


class RedisCallLimiter:
    """Limits shared by every process using the same Redis.

    A holder's semaphore entry expires after `lease_s` (a crashed worker frees its slot); a running call
    renews nothing, so `lease_s` must exceed the longest call (the provider timeout bounds it).
    """

    def __init__(
        self,
        url: str,
        *,
        lease_s: float,
        prefix: str = "designer-bff:limits:",
        poll_s: float = 0.02,
        client: Any = None,
    ) -> None:
        import redis

        self.client = client or redis.Redis.from_url(url)
        self._acquire = self.client.register_script(_ACQUIRE)
        self.lease_s = lease_s
        self.prefix = prefix
        self.poll_s = poll_s

    def _keys(self, provider: str) -> list[str]:
        return [f"{self.prefix}{provider}:window", f"{self.prefix}{provider}:running"]

    @contextmanager
    def slot(self, provider: str, limit: Limit) -> Iterator[None]:
        """Wait (polling) for a shared slot; release it on exit."""
        holder = uuid.uuid4().hex
        keys = self._keys(provider)
        while True:
            # Redis server time, so that every process measures the window on one clock.
            secs, micros = self.client.time()
            now = secs + micros / 1e6
            args = [now, limit.rpm or 0, limit.concurrency, holder, self.lease_s]
            answer = int(self._acquire(keys=keys, args=args))
            if answer == 0:
                break
            time.sleep(self.poll_s if answer < 0 else min(answer / 1000, 1.0))
        try:
            yield
        finally:
            self.client.zrem(keys[1], holder)

    def in_flight(self, provider: str) -> int:
        """Unexpired holders of `provider`'s semaphore."""
        secs, micros = self.client.time()
        running = self._keys(provider)[1]
        return int(self.client.zcount(running, secs + micros / 1e6, "+inf"))
