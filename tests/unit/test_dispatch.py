"""The layer around the adapters: retries with Retry-After, fallback, circuit breaking, ledger, budget."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from designer_bff.container import Container
from designer_bff.db.ledger import Calls
from designer_bff.db.repositories import Users
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import BudgetExceeded, ProviderError
from designer_bff.providers.base import Capabilities, GeneratedImage, ImageRequest, Price, PriceTable
from designer_bff.providers.tech_flat import TechFlatProvider
from designer_bff.services.dispatch import SlotJob, call_id
from designer_bff.storage.base import make_key

PNG = (
    TechFlatProvider()
    .generate(
        ImageRequest(
            "p", None, GarmentSpec.model_validate({"garment": {"type": "dress"}}), 64, 64, 1, "standard", "k"
        )
    )
    .data
)


class Scripted:
    """A provider that fails as scripted (one entry per call), then succeeds; counts paid images."""

    capabilities = Capabilities(negative_prompt=True, aspect_ratios=("1:1",), max_prompt_length=1000)

    def __init__(
        self, provider_id: str, script: list[ProviderError | None] | None = None, price: float = 0.04
    ):
        self.provider_id, self.model = provider_id, "m1"
        self.prices = PriceTable("2026-11-21", "test", (Price(price),))
        self.script = list(script or [])
        self.calls: list[ImageRequest] = []
        self.paid = 0
        self._lock = threading.Lock()

    def is_configured(self) -> bool:
        return True

    def price_usd(self, width: int, height: int, quality: str) -> float:
        return self.prices.price(width, height, quality)

    def generate(self, request: ImageRequest) -> GeneratedImage:
        with self._lock:
            self.calls.append(request)
            fault = self.script.pop(0) if self.script else None
            if fault is not None:
                raise fault
            self.paid += 1
        return GeneratedImage(
            PNG,
            "image/png",
            64,
            64,
            self.provider_id,
            self.model,
            request.seed,
            self.price_usd(64, 64, "standard"),
            vendor_ref=f"ref-{len(self.calls)}",
        )


def err(kind: str, retry_after: float | None = None) -> ProviderError:
    return ProviderError(f"{kind} happened", provider="x", kind=kind, retry_after=retry_after)


@pytest.fixture
def world(make_settings: Callable[..., Any]) -> Callable[..., tuple[Container, str, list[float]]]:
    def build(*providers: Scripted, **overrides: Any) -> tuple[Container, str, list[float]]:
        settings = make_settings(**{"provider_max_attempts": 3, "circuit_failure_threshold": 5, **overrides})
        container = Container(settings, providers_override=list(providers))
        container.db.migrate()
        sleeps: list[float] = []
        container.dispatcher.sleep = sleeps.append
        with container.db.session() as s:
            user_id = Users(s).add("d@example.com", "x").id
        return container, user_id, sleeps

    return build


def job(user_id: str, routes: tuple[str, ...], slot: int = 0) -> SlotJob:
    spec = GarmentSpec.model_validate({"garment": {"type": "dress"}})
    request = ImageRequest("a red dress", "blurry", spec, 64, 64, 7, "standard", "")
    return SlotJob("g" * 32, user_id, slot, "dress", request, routes)


def persist_into(container: Container, user_id: str) -> Callable[[GeneratedImage], tuple[str, bytes, str]]:
    def persist(image: GeneratedImage) -> tuple[str, bytes, str]:
        from datetime import date

        key = make_key(user_id, date(2026, 11, 21), "image", "a" * 32, "png")
        container.blobs.put(key, image.data, image.mime)
        return key, image.data, image.mime

    return persist


def no_guard(_usd: float) -> None:
    return None


def _generation(container: Container, user_id: str) -> None:
    from designer_bff.db.tables import Generation

    with container.db.session() as s:
        s.add(Generation(id="g" * 32, user_id=user_id, mode="prompt", requested_count=1))


def test_retries_honour_retry_after_and_pay_once(world: Any) -> None:
    flaky = Scripted("flaky", [err("rate_limit", retry_after=7.5), err("transient")])
    container, user, sleeps = world(flaky)
    _generation(container, user)
    delivery = container.dispatcher.deliver(job(user, ("flaky:m1",)), persist_into(container, user), no_guard)
    assert delivery.route == "flaky:m1" and not delivery.reused and delivery.fallbacks == ()
    assert sleeps[0] >= 7.5  # never sooner than the provider asked
    assert 0 < sleeps[1] <= container.settings.provider_retry_max_seconds
    assert flaky.paid == 1 and len(flaky.calls) == 3
    # Every attempt carried the same idempotency key (the vendor may deduplicate on it).
    assert {c.idempotency_key for c in flaky.calls} == {call_id("g" * 32, 0, "flaky:m1")}
    assert {c.negative_prompt for c in flaky.calls} == {"blurry"}
    with container.db.session() as s:
        (row,) = Calls(s).for_generation("g" * 32)
        assert (row.status, row.attempts, row.failures, row.cost_usd) == ("succeeded", 3, 2, 0.04)
        assert row.vendor_ref == "ref-3" and row.latency_ms is not None


def test_refusal_falls_back_at_once_and_is_recorded(world: Any) -> None:
    prude = Scripted("prude", [err("refusal")], price=0.04)
    other = Scripted("other", price=0.02)
    container, user, sleeps = world(prude, other)
    _generation(container, user)
    delivery = container.dispatcher.deliver(
        job(user, ("prude:m1", "other:m1")), persist_into(container, user), no_guard
    )
    assert delivery.route == "other:m1" and sleeps == []  # a refusal is not retried
    assert delivery.fallbacks == ({"from": "prude:m1", "kind": "refusal", "error": "refusal happened"},)
    with container.db.session() as s:
        rows = {r.provider: r for r in Calls(s).for_generation("g" * 32)}
    assert rows["prude"].status == "failed" and rows["prude"].error_kind == "refusal"
    assert rows["prude"].cost_usd is None
    assert rows["other"].status == "succeeded" and rows["other"].fallback_from == "prude:m1"
    assert rows["other"].cost_usd == 0.02


def test_exhausted_retries_fall_back_and_every_failure_fails_the_slot(world: Any) -> None:
    down = Scripted("down", [err("transient")] * 3)
    container, user, _ = world(down)
    _generation(container, user)
    with pytest.raises(ProviderError, match="transient happened"):
        container.dispatcher.deliver(job(user, ("down:m1",)), persist_into(container, user), no_guard)
    assert len(down.calls) == 3 and down.paid == 0


def test_the_circuit_opens_and_later_slots_skip_the_route(world: Any) -> None:
    down = Scripted("down", [err("transient")] * 100)
    backup = Scripted("backup")
    container, user, _ = world(down, backup, circuit_failure_threshold=2, provider_max_attempts=5)
    _generation(container, user)
    routes = ("down:m1", "backup:m1")
    for slot in range(3):
        container.dispatcher.deliver(job(user, routes, slot), persist_into(container, user), no_guard)
    assert len(down.calls) == 2  # two failures opened the circuit; nobody called it again
    assert backup.paid == 3
    assert container.breaker.status("down:m1").state == "open"


def test_a_rerun_reuses_the_paid_image_instead_of_paying_again(world: Any) -> None:
    once = Scripted("once")
    container, user, _ = world(once)
    _generation(container, user)
    first = container.dispatcher.deliver(job(user, ("once:m1",)), persist_into(container, user), no_guard)
    # The worker died after the provider answered and the image was stored, before the asset row.
    again = container.dispatcher.deliver(job(user, ("once:m1",)), persist_into(container, user), no_guard)
    assert again.reused and again.storage_key == first.storage_key and again.image.data == first.image.data
    assert again.image.cost_usd == 0.04 and once.paid == 1


def test_resumes_an_async_job_by_its_vendor_ref(world: Any) -> None:
    class Async(Scripted):
        def generate(self, request: ImageRequest) -> GeneratedImage:
            if request.vendor_ref is None:
                assert request.on_submitted is not None
                request.on_submitted("prediction-42")
                raise ProviderError("worker lost", provider="async", kind="transient", retryable=False)
            self.calls.append(request)
            return super().generate(request)

    slow = Async("async")
    container, user, _ = world(slow)
    _generation(container, user)
    with pytest.raises(ProviderError):
        container.dispatcher.deliver(job(user, ("async:m1",)), persist_into(container, user), no_guard)
    container.dispatcher.deliver(job(user, ("async:m1",)), persist_into(container, user), no_guard)
    assert slow.calls[-1].vendor_ref == "prediction-42"


def test_budget_guard_skips_routes_without_calling_them(world: Any) -> None:
    dear = Scripted("dear", price=0.50)
    cheap = Scripted("cheap", price=0.01)
    container, user, _ = world(dear, cheap)
    _generation(container, user)

    def guard(usd: float) -> None:
        if usd > 0.10:
            raise BudgetExceeded(f"${usd:.2f} is over budget")

    delivery = container.dispatcher.deliver(
        job(user, ("dear:m1", "cheap:m1")), persist_into(container, user), guard
    )
    assert delivery.route == "cheap:m1" and dear.calls == []
    assert delivery.fallbacks[0]["kind"] == "budget_exceeded"
