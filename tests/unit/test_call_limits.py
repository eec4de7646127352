"""Provider limits (concurrency, requests per minute) and the circuit breaker, in memory and on Redis."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from designer_bff.providers.breaker import CircuitBreaker, MemoryBreakerStore, RedisBreakerStore
from designer_bff.providers.limits import CallLimiter, Limit, MemoryCallLimiter, RedisCallLimiter


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[CallLimiter]:
    if request.param == "memory":
        yield MemoryCallLimiter()
        return
    url = request.getfixturevalue("redis_url")
    yield RedisCallLimiter(url, lease_s=30, prefix=f"test:{uuid.uuid4().hex}:", poll_s=0.005)


def _peak(limiter: CallLimiter, limit: Limit, calls: int, hold_s: float) -> int:
    running, peak, lock = 0, 0, threading.Lock()

    def call() -> None:
        nonlocal running, peak
        with limiter.slot("vendor", limit):
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(hold_s)
            with lock:
                running -= 1

    threads = [threading.Thread(target=call) for _ in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return peak


def test_concurrency_never_exceeds_the_limit(limiter: CallLimiter) -> None:
    assert _peak(limiter, Limit(rpm=1000, concurrency=3), calls=12, hold_s=0.05) == 3
    assert limiter.in_flight("vendor") == 0


def test_requests_per_minute_blocks_the_next_call(limiter: CallLimiter) -> None:
    limit = Limit(rpm=2, concurrency=10)
    for _ in range(2):
        with limiter.slot("vendor", limit):
            pass
    started = threading.Event()
    done = threading.Event()

    def third() -> None:
        started.set()
        with limiter.slot("vendor", limit):
            done.set()

    threading.Thread(target=third, daemon=True).start()
    started.wait()
    assert not done.wait(0.3)  # the third call of the minute waits
    with limiter.slot("other-vendor", limit):  # limits are per provider
        pass


def test_redis_limits_hold_across_limiter_instances(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    # Two instances stand for two worker processes sharing one Redis.
    a = RedisCallLimiter(redis_url, lease_s=30, prefix=prefix, poll_s=0.005)
    b = RedisCallLimiter(redis_url, lease_s=30, prefix=prefix, poll_s=0.005)
    limit = Limit(rpm=1000, concurrency=2)
    with a.slot("vendor", limit), b.slot("vendor", limit):
        assert a.in_flight("vendor") == 2
        got = threading.Event()
        threading.Thread(target=lambda: (b.slot("vendor", limit).__enter__(), got.set()), daemon=True).start()
        assert not got.wait(0.2)
    assert got.wait(2)


def test_a_crashed_holder_frees_its_redis_slot_after_the_lease(redis_url: str) -> None:
    limiter = RedisCallLimiter(redis_url, lease_s=0.3, prefix=f"test:{uuid.uuid4().hex}:", poll_s=0.01)
    limit = Limit(rpm=1000, concurrency=1)
    held = limiter.slot("vendor", limit)  # kept referenced: a collected generator would release it
    held.__enter__()  # never exited: the worker "died"
    started = time.monotonic()
    with limiter.slot("vendor", limit):
        waited = time.monotonic() - started
    assert 0.2 < waited < 2
    del held


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryBreakerStore()
    return RedisBreakerStore(request.getfixturevalue("redis_url"), prefix=f"test:{uuid.uuid4().hex}:")


def test_breaker_opens_cools_down_probes_once_and_closes(store: Any) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, threshold=3, cooldown_s=60, clock=clock)
    for _ in range(2):
        breaker.failure("r")
    assert breaker.allow("r") and breaker.status("r").state == "closed"
    breaker.failure("r")
    assert not breaker.allow("r")
    status = breaker.status("r")
    assert status.state == "open" and status.consecutive_failures == 3 and status.cooldown_remaining_s == 60
    clock.now += 61
    assert breaker.status("r").state == "half_open"
    assert breaker.allow("r")  # the probe
    assert not breaker.allow("r")  # only one
    breaker.success("r")
    assert breaker.allow("r") and breaker.status("r").consecutive_failures == 0


def test_a_failed_probe_reopens_for_a_full_cooldown(store: Any) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, threshold=1, cooldown_s=10, clock=clock)
    breaker.failure("r")
    clock.now += 11
    assert breaker.allow("r")
    breaker.failure("r")
    assert breaker.status("r").state == "open" and breaker.status("r").cooldown_remaining_s == 10
    # A probe whose worker died never reports: after another cool-down someone may probe again.
    clock.now += 11
    assert breaker.allow("r")
    clock.now += 11
    assert breaker.allow("r")


def test_success_resets_the_consecutive_count(store: Any) -> None:
    breaker = CircuitBreaker(store, threshold=2, cooldown_s=10, clock=Clock())
    breaker.failure("r")
    breaker.success("r")
    breaker.failure("r")
    assert breaker.allow("r")
