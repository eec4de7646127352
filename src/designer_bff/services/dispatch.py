"""Stage 9 around the adapters, once: retries, limits, circuit breaking, fallback, idempotency, cost.

For one image slot the dispatcher walks the slot's routes (the chosen one, then its fallbacks). Per
route: skip it while its circuit is open or when its price would break a budget; otherwise call it with
retries (exponential backoff with jitter, at least the provider's `Retry-After`) inside the provider's
rate and concurrency limits. Content refusals, auth errors and exhausted retries move on to the next
route, and the move is recorded. Every call has a ledger row keyed by (generation, slot, route): the
image is stored and the row marked paid in one step after the provider answers, so a retried or re-run
job finds it and neither pays nor stores twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.ledger import Calls
from designer_bff.db.tables import ProviderCall, utcnow
from designer_bff.errors import BudgetExceeded, DesignerBFFError, ProviderError
from designer_bff.providers.base import GeneratedImage, ImageProvider, ImageRequest
from designer_bff.providers.breaker import CircuitBreaker
from designer_bff.providers.limits import CallLimiter, Limit
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.storage.base import BlobStore

log = logging.getLogger(__name__)
_CALL_NAMESPACE = uuid.UUID("a3c4e1f2-5b6d-4e7f-8091-a2b3c4d5e6f7")

# Stores the provider's image for good; returns its storage key and the bytes as stored.
Persist = Callable[[GeneratedImage], tuple[str, bytes, str]]
# Raises BudgetExceeded when paying `usd` more would break a limit.
BudgetGuard = Callable[[float], None]


def call_id(generation_id: str, slot: int, route: str) -> str:
    """The idempotency key of one slot on one route (same on every retry and re-run)."""
    return uuid.uuid5(_CALL_NAMESPACE, f"{generation_id}:{slot}:{route}").hex


@dataclass(frozen=True)
class SlotJob:
    """One image to deliver: who it is for, what to make, and the routes to try in order."""

    generation_id: str
    user_id: str
    slot: int
    category: str
    request: ImageRequest
    routes: tuple[str, ...]
    # (prompt, negative prompt) rendered for each route's model family; `request` holds the first route's.
    prompts: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """A delivered image: stored under `storage_key`; `reused` when an earlier run had paid for it."""

    image: GeneratedImage
    storage_key: str
    route: str
    reused: bool
    fallbacks: tuple[dict[str, str], ...] = ()


class Dispatcher:
    """Delivers image slots through the providers, at most once paid per slot."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: BlobStore,
        registry: ProviderRegistry,
        limiter: CallLimiter,
        breaker: CircuitBreaker,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.registry = registry
        self.limiter = limiter
        self.breaker = breaker
        self.sleep = sleep
        self._backoff = wait_exponential_jitter(
            initial=0.5, max=settings.provider_retry_max_seconds, jitter=0.5
        )

    def limit(self, provider_id: str) -> Limit:
        """The provider's limits: its own setting, else the defaults (no rpm without a vendor quota)."""
        own = self.settings.provider_limits.get(provider_id)
        if own is not None:
            return Limit(own.rpm, own.concurrency)
        # The default rpm stands in for a vendor's quota; applied to an in-process renderer it made
        # every third offline generation wait out the minute window (~50 s) for nothing.
        quota = self.registry.get(provider_id).capabilities.vendor_quota
        rpm = self.settings.provider_default_rpm if quota else None
        return Limit(rpm, self.settings.provider_default_concurrency)

    def deliver(self, job: SlotJob, persist: Persist, guard: BudgetGuard) -> Delivery:
        """The slot's image, from the ledger when already paid, else from the first route that works."""
        reused = self._reuse(job)
        if reused is not None:
            return reused
        moves: list[dict[str, str]] = []
        last: DesignerBFFError | None = None
        previous: str | None = None
        for route in job.routes:
            provider = self.registry.get(route)
            cid = call_id(job.generation_id, job.slot, route)
            with self.db.session() as s:
                row = Calls(s).get_or_create(
                    cid,
                    generation_id=job.generation_id,
                    user_id=job.user_id,
                    slot=job.slot,
                    provider=provider.provider_id,
                    model=provider.model,
                    category=job.category,
                    fallback_from=previous,
                    result={},
                )
                vendor_ref = row.vendor_ref
            try:
                request = self._request_for(job, route, provider, cid, vendor_ref)
                guard(provider.price_usd(request.width, request.height, request.quality))
                image, latency_s = self._call(route, provider, request, cid)
            except (ProviderError, BudgetExceeded) as exc:
                self._record_failure(cid, exc)
                moves.append({"from": route, "kind": getattr(exc, "kind", exc.code), "error": exc.message})
                log.info(
                    "slot %s of %s: %s failed (%s); trying the next route",
                    job.slot,
                    job.generation_id,
                    route,
                    exc.message,
                )
                last, previous = exc, route
                continue
            key, data, mime = persist(image)
            with self.db.session() as s:
                Calls(s).succeed(
                    cid,
                    cost_usd=image.cost_usd,
                    cost_basis=image.extra.get("cost_basis", "price table"),
                    latency_ms=round(latency_s * 1000, 2),
                    storage_key=key,
                    mime=mime,
                    vendor_ref=image.vendor_ref or vendor_ref,
                    result=_result_of(image),
                )
            stored = replace(image, data=data, mime=mime)
            return Delivery(stored, key, route, reused=False, fallbacks=tuple(moves))
        assert last is not None  # job.routes is never empty
        raise last

    def _reuse(self, job: SlotJob) -> Delivery | None:
        """An image an earlier run already paid for and stored (its row survives a crash before the asset)."""
        with self.db.session() as s:
            paid = [
                r
                for r in Calls(s).for_generation(job.generation_id)
                if r.slot == job.slot and r.status == "succeeded"
            ]
        for row in paid:
            if row.storage_key and self.blobs.exists(row.storage_key):
                return Delivery(
                    _image_of(row, self.blobs.get(row.storage_key)), row.storage_key, _route(row), reused=True
                )
        return None

    def _request_for(
        self, job: SlotJob, route: str, provider: ImageProvider, cid: str, vendor_ref: str | None
    ) -> ImageRequest:
        def remember(ref: str) -> None:
            with self.db.session() as s:
                row = Calls(s).get(cid)
                if row is not None:
                    row.vendor_ref = ref

        prompt, negative = job.prompts.get(route, (job.request.prompt, job.request.negative_prompt or ""))
        return replace(
            job.request,
            prompt=prompt,
            negative_prompt=(negative or None) if provider.capabilities.negative_prompt else None,
            idempotency_key=cid,
            vendor_ref=vendor_ref,
            on_submitted=remember,
        )

    def _call(
        self, route: str, provider: ImageProvider, request: ImageRequest, cid: str
    ) -> tuple[GeneratedImage, float]:
        """Call one route with retries inside its limits; ProviderError when it cannot deliver."""
        limit = self.limit(provider.provider_id)
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.provider_max_attempts),
            retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and e.retryable),
            wait=self._wait,
            sleep=self.sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                if not self.breaker.allow(route):
                    raise ProviderError(
                        f"{route} is cooling down after repeated failures",
                        provider=provider.provider_id,
                        kind="transient",
                        retryable=False,
                    )
                self._count_attempt(cid)
                with self.limiter.slot(provider.provider_id, limit):
                    started = time.monotonic()
                    try:
                        image = provider.generate(request)
                    except ProviderError as exc:
                        self.breaker.failure(route)
                        self._count_failure(cid, exc)
                        raise
                    except DesignerBFFError:
                        raise
                    except Exception as exc:  # an adapter bug or an unmapped SDK error: retry as transient
                        self.breaker.failure(route)
                        wrapped = ProviderError(
                            f"{route} failed: {type(exc).__name__}: {exc}", provider=provider.provider_id
                        )
                        self._count_failure(cid, wrapped)
                        raise wrapped from exc
                    latency = time.monotonic() - started
                self.breaker.success(route)
                return image, latency
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter, never shorter than the provider's Retry-After."""
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None) or 0.0
        return float(min(self.settings.provider_retry_max_seconds, max(self._backoff(state), retry_after)))

    def _count_attempt(self, cid: str) -> None:
        with self.db.session() as s:
            row = Calls(s).get(cid)
            if row is not None:
                row.attempts += 1

    def _count_failure(self, cid: str, exc: ProviderError) -> None:
        with self.db.session() as s:
            row = Calls(s).get(cid)
            if row is not None:
                row.failures += 1
                row.error_kind, row.error = exc.kind, exc.message[:2000]

    def _record_failure(self, cid: str, exc: DesignerBFFError) -> None:
        with self.db.session() as s:
            row = Calls(s).get(cid)
            if row is not None and row.status != "succeeded":
                row.status = "failed"
                row.error_kind = getattr(exc, "kind", exc.code)[:16]
                row.error = exc.message[:2000]
                row.finished_at = utcnow()


def _route(row: ProviderCall) -> str:
    return f"{row.provider}:{row.model}"


def _result_of(image: GeneratedImage) -> dict[str, Any]:
    return {
        "width": image.width,
        "height": image.height,
        "seed": image.seed,
        "revisedPrompt": image.revised_prompt,
        "extra": dict(image.extra),
    }


def _image_of(row: ProviderCall, data: bytes) -> GeneratedImage:
    result = dict(row.result or {})
    return GeneratedImage(
        data=data,
        mime=row.mime or "image/png",
        width=int(result.get("width", 0)),
        height=int(result.get("height", 0)),
        provider=row.provider,
        model=row.model,
        seed=result.get("seed"),
        cost_usd=float(row.cost_usd or 0.0),
        revised_prompt=result.get("revisedPrompt"),
        vendor_ref=row.vendor_ref,
        extra={str(k): str(v) for k, v in dict(result.get("extra") or {}).items()},
    )
