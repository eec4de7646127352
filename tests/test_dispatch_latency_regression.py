"""Regression: the default requests-per-minute limit must not throttle the in-process `tech-flat` renderer.

Seen in the offline studio: a "surprise me with 20 pieces" generation makes 24 tech-flat calls, so the
third generation within a minute crossed the default 60 rpm (meant for vendor APIs) and its slots waited
out the minute window, ~50 s instead of ~1.5 s. These tests check the mechanism, not wall-clock time: a
limiter on a frozen clock records every wait it would have asked for instead of sleeping.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from designer_bff.config import ProviderLimit
from designer_bff.container import Container
from designer_bff.db.repositories import Users
from designer_bff.db.tables import Generation
from designer_bff.domain.spec import GarmentSpec
from designer_bff.providers.base import Capabilities, GeneratedImage, ImageRequest, Price, PriceTable
from designer_bff.providers.limits import Limit, MemoryCallLimiter, RedisCallLimiter
from designer_bff.providers.tech_flat import TechFlatProvider
from designer_bff.services.dispatch import SlotJob
from designer_bff.storage.base import make_key

GENERATION = "f" * 32
RPM = 5  # a small default, so that a handful of calls crosses it


class FrozenClockLimiter(MemoryCallLimiter):
    """The in-memory limiter on a clock that never moves: records the waits it would impose, never waits."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[Limit] = []
        self.waits: list[float] = []

    @contextmanager
    def slot(self, provider: str, limit: Limit) -> Iterator[None]:
        """Take a slot when `_try` allows it; otherwise record the wait and let the call through."""
        self.limits.append(limit)
        with self._cond:
            wait = self._try(provider, limit, 0.0)
        if wait != 0.0:
            self.waits.append(wait)
            yield
            return
        try:
            yield
        finally:
            with self._cond:
                self._running[provider] -= 1


class Vendor:
    """A remote-style provider (default capabilities: it has a vendor quota) that always succeeds."""

    provider_id, model = "vendor", "m1"
    capabilities = Capabilities(negative_prompt=True, aspect_ratios=("1:1",), max_prompt_length=1000)
    prices = PriceTable("2026-11-21", "test", (Price(0.0),))

    def is_configured(self) -> bool:
        return True

    def price_usd(self, width: int, height: int, quality: str) -> float:
        return 0.0

    def generate(self, request: ImageRequest) -> GeneratedImage:
        return TechFlatProvider().generate(request)


def _studio(make_settings: Callable[..., Any], **overrides: Any) -> tuple[Container, str, FrozenClockLimiter]:
    settings = make_settings(**{"provider_default_rpm": RPM, **overrides})
    container = Container(settings, providers_override=[TechFlatProvider(), Vendor()])
    container.db.migrate()
    limiter = FrozenClockLimiter()
    container.dispatcher.limiter = limiter
    container.dispatcher.sleep = lambda s: None
    with container.db.session() as s:
        user_id = Users(s).add("offline@example.com", "x").id
        s.add(Generation(id=GENERATION, user_id=user_id, mode="prompt", requested_count=1))
    return container, user_id, limiter


def _deliver(container: Container, user_id: str, route: str, slots: int) -> None:
    spec = GarmentSpec.model_validate({"garment": {"type": "dress"}})

    def persist(image: GeneratedImage) -> tuple[str, bytes, str]:
        key = make_key(user_id, date(2026, 11, 21), "image", uuid.uuid4().hex, "png")
        container.blobs.put(key, image.data, image.mime)
        return key, image.data, image.mime

    for slot in range(slots):
        request = ImageRequest("p", None, spec, 64, 80, slot, "standard", "")
        job = SlotJob(GENERATION, user_id, slot, "dress", request, (route,))
        container.dispatcher.deliver(job, persist, lambda usd: None)


def test_tech_flat_calls_never_wait_for_the_default_rpm(make_settings: Callable[..., Any]) -> None:
    container, user_id, limiter = _studio(make_settings)
    _deliver(container, user_id, "tech-flat:tech-flat-v1", slots=4 * RPM)
    assert limiter.waits == []  # before the fix: one minute-window wait per call beyond RPM
    assert {lim.rpm for lim in limiter.limits} == {None}
    # Concurrency still applies to the local renderer (it is CPU-bound).
    assert {lim.concurrency for lim in limiter.limits} == {container.settings.provider_default_concurrency}
    container.close()


def test_vendor_providers_keep_the_default_rpm(make_settings: Callable[..., Any]) -> None:
    container, user_id, limiter = _studio(make_settings)
    _deliver(container, user_id, "vendor:m1", slots=RPM + 2)
    assert {lim.rpm for lim in limiter.limits} == {RPM}
    assert len(limiter.waits) == 2  # the calls beyond the window were held back
    container.close()


def test_an_rpm_configured_for_tech_flat_still_applies(make_settings: Callable[..., Any]) -> None:
    limits = {"tech-flat": ProviderLimit(rpm=2, concurrency=1)}
    container, user_id, limiter = _studio(make_settings, provider_limits=limits)
    assert container.dispatcher.limit("tech-flat") == Limit(rpm=2, concurrency=1)
    _deliver(container, user_id, "tech-flat:tech-flat-v1", slots=3)
    assert len(limiter.waits) == 1
    container.close()


def test_memory_limiter_without_rpm_only_counts_concurrency() -> None:
    limiter = MemoryCallLimiter()
    unlimited = Limit(rpm=None, concurrency=1000)
    assert all(limiter._try("local", unlimited, 0.0) == 0.0 for _ in range(500))
    busy = Limit(rpm=None, concurrency=1)
    assert MemoryCallLimiter()._try("local", busy, 0.0) == 0.0
    full = MemoryCallLimiter()
    full._try("local", busy, 0.0)
    assert full._try("local", busy, 0.0) == -1.0  # full: wait for a release, not for time


def test_redis_limiter_without_rpm_never_asks_to_wait(redis_url: str, monkeypatch: Any) -> None:
    def no_waiting(seconds: float) -> None:
        raise AssertionError(f"the limiter asked to wait {seconds} s")

    monkeypatch.setattr(time, "sleep", no_waiting)  # the limiter polls with time.sleep
    limiter = RedisCallLimiter(redis_url, lease_s=30, prefix=f"test:{uuid.uuid4().hex}:")
    for _ in range(10):
        with limiter.slot("local", Limit(rpm=None, concurrency=1)):
            pass
    capped = limiter._keys("vendor")
    answers = [int(limiter._acquire(keys=capped, args=[1000.0, 2, 1000, f"v{i}", 30])) for i in range(3)]
    assert answers[:2] == [0, 0] and answers[2] > 0  # a real rpm still holds the third call back
