"""Circuit breaker per provider route: cool a route down after N consecutive failures, then probe once.

State lives in a small hash per route — in this process, or in Redis so that every worker (and the API
reporting cool-downs) sees the same state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class BreakerStore(Protocol):
    """A hash of numbers per route."""

    def read(self, route: str) -> dict[str, float]:
        """All fields of `route` (empty when closed and clean)."""
        ...

    def incr(self, route: str, field: str) -> int:
        """Add one to `field`; the new value."""
        ...

    def put(self, route: str, values: dict[str, float]) -> None:
        """Set fields."""
        ...

    def put_if_absent(self, route: str, field: str, value: float) -> bool:
        """Set `field` unless it exists; True when this call set it."""
        ...

    def clear(self, route: str) -> None:
        """Forget `route`."""
        ...


class MemoryBreakerStore:
    """Breaker state of this process."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def read(self, route: str) -> dict[str, float]:
        """All fields of `route`."""
        with self._lock:
            return dict(self._data.get(route, {}))

    def incr(self, route: str, field: str) -> int:
        """Add one to `field`."""
        with self._lock:
            fields = self._data.setdefault(route, {})
            fields[field] = fields.get(field, 0) + 1
            return int(fields[field])

    def put(self, route: str, values: dict[str, float]) -> None:
        """Set fields."""
        with self._lock:
            self._data.setdefault(route, {}).update(values)

    def put_if_absent(self, route: str, field: str, value: float) -> bool:
        """Set `field` unless present."""
        with self._lock:
            fields = self._data.setdefault(route, {})
            if field in fields:
                return False
            fields[field] = value
            return True

    def clear(self, route: str) -> None:
        """Forget `route`."""
        with self._lock:
            self._data.pop(route, None)


class RedisBreakerStore:
    """Breaker state shared through Redis (one hash per route)."""

    def __init__(self, url: str, *, prefix: str = "designer-bff:breaker:", client: Any = None) -> None:
        import redis

        self.client = client or redis.Redis.from_url(url)
        self.prefix = prefix

    def read(self, route: str) -> dict[str, float]:
        """All fields of `route`."""
        raw = self.client.hgetall(self.prefix + route)
        return {k.decode(): float(v) for k, v in raw.items()}

    def incr(self, route: str, field: str) -> int:
        """Add one to `field`."""
        return int(self.client.hincrby(self.prefix + route, field, 1))

    def put(self, route: str, values: dict[str, float]) -> None:
        """Set fields."""
        self.client.hset(self.prefix + route, mapping=dict(values.items()))

    def put_if_absent(self, route: str, field: str, value: float) -> bool:
        """Set `field` unless present."""
        return bool(self.client.hsetnx(self.prefix + route, field, value))

    def clear(self, route: str) -> None:
        """Forget `route`."""
        self.client.delete(self.prefix + route)


@dataclass(frozen=True)
class BreakerStatus:
    """What `/api/providers` shows about a route's circuit."""

    state: str  # closed | open | half_open
    consecutive_failures: int
    cooldown_remaining_s: float


class CircuitBreaker:
    """Closed → open after `threshold` consecutive failures → half-open after `cooldown_s` (one probe)."""

    def __init__(
        self,
        store: BreakerStore,
        *,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock

    def allow(self, route: str) -> bool:
        """May a call go to `route` now? After the cool-down exactly one caller gets the probe."""
        state = self.store.read(route)
        opened = state.get("opened_at")
        if opened is None:
            return True
        now = self.clock()
        if now - opened < self.cooldown_s:
            return False
        probe = state.get("probe_at")
        if probe is not None and now - probe > self.cooldown_s:
            # A probe that never reported back (its worker died) must not keep the route shut forever.
            self.store.put(route, {"probe_at": now})
            return True
        return self.store.put_if_absent(route, "probe_at", now)

    def success(self, route: str) -> None:
        """A call succeeded: close the circuit."""
        if self.store.read(route):
            self.store.clear(route)

    def failure(self, route: str) -> None:
        """A call failed: count it; open (or re-open after a failed probe) at the threshold."""
        failures = self.store.incr(route, "failures")
        state = self.store.read(route)
        if failures >= self.threshold or "probe_at" in state:
            self.store.clear(route)
            self.store.put(route, {"failures": failures, "opened_at": self.clock()})

    def status(self, route: str) -> BreakerStatus:
        """The route's state now."""
        state = self.store.read(route)
        failures = int(state.get("failures", 0))
        opened = state.get("opened_at")
        if opened is None:
            return BreakerStatus("closed", failures, 0.0)
        remaining = max(0.0, self.cooldown_s - (self.clock() - opened))
        return BreakerStatus("open" if remaining > 0 else "half_open", failures, round(remaining, 3))
