"""Runs a generation end to end — claim, plan, generate, store — so that a crash loses and duplicates nothing.

Idempotency rests on three facts: the plan is stored before the first image is made; each image slot has
a deterministic asset id and storage key (a re-run overwrites the same blob); and the asset row is unique
per (generation, slot), so a slot that already has a row is never made again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.ledger import Calls
from designer_bff.db.repositories import Assets, Generations
from designer_bff.db.tables import Generation, GenerationAsset, utcnow
from designer_bff.domain.generation import GenerationPlan, GenerationSettings, PlannedImage
from designer_bff.errors import BudgetExceeded, DesignerBFFError, ProviderError
from designer_bff.imaging import embed_metadata, load_rgb, make_thumbnail, to_webp
from designer_bff.pipeline.embedding import Embedder, EmbeddingInput, to_blob
from designer_bff.pipeline.run import StageRecorder
from designer_bff.pipeline.validation import validate
from designer_bff.providers.base import GeneratedImage, ImageRequest
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.services.dispatch import Delivery, Dispatcher, SlotJob
from designer_bff.services.learning import LearningService
from designer_bff.services.planning import Planner
from designer_bff.services.selection import BatchSelector, SelectionParams
from designer_bff.storage.base import BlobStore, make_key

log = logging.getLogger(__name__)
_ASSET_NAMESPACE = uuid.UUID("6f1b2d4e-8c1a-4d3b-9e55-2b7f0c9a1d11")


@dataclass(frozen=True)
class Progress:
    """A progress event: `done` of `total` images of a generation are stored."""

    generation_id: str
    status: str
    done: int
    total: int
    message: str = ""


ProgressCallback = Callable[[Progress], None]


def asset_id_for(generation_id: str, slot: int) -> str:
    """The stable id of a generation's image slot (same on every re-run)."""
    return uuid.uuid5(_ASSET_NAMESPACE, f"{generation_id}:{slot}").hex


def worker_identity() -> str:
    """Who holds a lease: host, process and a random part (threads get distinct ids per run)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class GenerationRunner:
    """Executes generations claimed from the queue."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: BlobStore,
        providers: ProviderRegistry,
        embedder: Embedder,
        planner: Planner,
        dispatcher: Dispatcher,
        learning: LearningService,
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.providers = providers
        self.embedder = embedder
        self.planner = planner
        self.dispatcher = dispatcher
        self.selector = BatchSelector(db, learning)
        self.lease = timedelta(seconds=settings.job_lease_seconds)

    def run(self, generation_id: str, on_progress: ProgressCallback | None = None) -> str:
        """Run one generation if it can be claimed; returns the final status or 'skipped'."""
        owner = worker_identity()
        timings = _Timings()
        with self.db.session() as s:
            if not Generations(s).claim(generation_id, owner, self.lease):
                log.info("generation %s not claimable (done or held by another worker)", generation_id)
                return "skipped"
        beat = _Heartbeat(self.db, generation_id, owner, self.lease.total_seconds() / 3)
        try:
            plan, recorder = self._plan(generation_id)
            done, failed = self._generate(generation_id, owner, plan, recorder, on_progress, timings)
            if done:
                self._select(generation_id, recorder, timings)
            status = self._finish(generation_id, owner, plan, recorder, failed)
        except DesignerBFFError as exc:
            self._fail(generation_id, owner, exc.message)
            status = "failed"
        except LeaseLost:
            return "skipped"
        except Exception as exc:
            log.exception("generation %s crashed", generation_id)
            self._fail(generation_id, owner, f"internal error: {type(exc).__name__}: {exc}")
            status = "failed"
        finally:
            beat.stop()
        if on_progress:
            with self.db.session() as s:
                total = Generations(s).get(generation_id, user_id=None).requested_count
                done_count = len(Assets(s).for_generation(generation_id))
            on_progress(Progress(generation_id, status, done_count, total))
        return status

    def _plan(self, generation_id: str) -> tuple[GenerationPlan, StageRecorder]:
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            stored = dict(generation.pipeline_data or {})
            recorder = StageRecorder(stages=dict(stored.get("stages", {})))
            if "plan" in stored:
                return GenerationPlan.model_validate(stored["plan"]), recorder
            user_id, request = generation.user_id, dict(generation.request)
            settings = GenerationSettings.model_validate(generation.settings)
            requested = generation.requested_count
        planned = self.planner.plan(user_id, request, settings, requested, recorder, enhance=True)
        self.planner.router.record(generation_id, user_id, planned.plan.items, planned.choices)
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            generation.pipeline_data = {
                **stored,
                "plan": planned.plan.model_dump(mode="json", by_alias=True),
                "estimate": planned.estimate.to_dict(),
                "stages": recorder.stages,
                "warnings": planned.plan.warnings,
            }
        return planned.plan, recorder

    def _generate(
        self,
        generation_id: str,
        owner: str,
        plan: GenerationPlan,
        recorder: StageRecorder,
        on_progress: ProgressCallback | None,
        timings: _Timings,
    ) -> tuple[int, dict[int, str]]:
        """Deliver every slot without an asset, in parallel: how many are stored, and the failed ones."""
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            user_id, day = generation.user_id, generation.created_at.date()
            existing = {a.slot for a in Assets(s).for_generation(generation_id)}
        todo = [item for item in plan.items if item.slot not in existing]
        counter = _Counter(len(existing))
        failed: dict[int, str] = {}
        reused = 0
        fallbacks: list[dict[str, Any]] = []
        routes: Counter[str] = Counter()
        guard = self.planner.costs.call_guard(user_id, generation_id)

        def one(item: PlannedImage) -> None:
            nonlocal reused
            try:
                delivery = self.dispatcher.deliver(
                    self._slot_job(generation_id, user_id, plan, item),
                    lambda image: self._persist(generation_id, user_id, day, item, image),
                    guard,
                )
            except (ProviderError, BudgetExceeded) as exc:
                failed[item.slot] = exc.message
                return
            self._store(generation_id, user_id, day, owner, item, delivery, timings)
            routes[delivery.route] += 1
            reused += delivery.reused
            fallbacks.extend({"slot": item.slot, **move} for move in delivery.fallbacks)
            done = counter.add()
            if on_progress:
                on_progress(Progress(generation_id, "processing", done, len(plan.items), item.spec.caption()))

        with recorder.stage(
            "generation", provider=plan.provider, planned=len(plan.items), resumedWith=len(existing)
        ) as out:
            workers = max(1, min(self.settings.generation_parallelism, len(todo)))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slot") as pool:
                for future in [pool.submit(one, item) for item in todo]:
                    future.result()  # re-raises LeaseLost and crashes
            out.update(
                stored=counter.value,
                routes=dict(routes),
                reusedFromLedger=reused,
                fallbacks=fallbacks,
                failed=[{"slot": k, "error": v} for k, v in sorted(failed.items())],
            )
        return counter.value, failed

    def _slot_job(
        self, generation_id: str, user_id: str, plan: GenerationPlan, item: PlannedImage
    ) -> SlotJob:
        route = item.route or self.providers.resolve(plan.provider)
        return SlotJob(
            generation_id=generation_id,
            user_id=user_id,
            slot=item.slot,
            category=item.spec.garment.type,
            request=ImageRequest(
                prompt=item.prompt,
                negative_prompt=item.negative_prompt,
                spec=item.spec,
                width=item.width,
                height=item.height,
                seed=item.seed,
                quality=item.quality,
                idempotency_key=asset_id_for(generation_id, item.slot),
            ),
            routes=(route, *item.fallbacks),
            prompts={r: (p.prompt, p.negative_prompt) for r, p in item.prompts.items()},
        )

    def _persist(
        self, generation_id: str, user_id: str, day: date, item: PlannedImage, image: GeneratedImage
    ) -> tuple[str, bytes, str]:
        """Store a provider's image for good (recipe embedded); its key, bytes and type."""
        asset_id = asset_id_for(generation_id, item.slot)
        if image.mime not in ("image/png", "image/webp"):
            # Metadata travels in PNG text chunks or WebP XMP: other formats become high-quality WebP.
            image = replace(image, data=to_webp(image.data, quality=100), mime="image/webp")
        used = item.prompt_for(f"{image.provider}:{image.model}")
        metadata = {
            "prompt": used.prompt,
            "negative_prompt": used.negative_prompt,
            "revised_prompt": image.revised_prompt,
            "spec": item.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            "seed": image.seed,
            "provider": image.provider,
            "model": image.model,
            "generation_id": generation_id,
            "asset_id": asset_id,
        }
        data = embed_metadata(image.data, metadata)
        key = make_key(user_id, day, "image", asset_id, "png" if image.mime == "image/png" else "webp")
        self.blobs.put(key, data, image.mime)
        return key, data, image.mime

    def _store(
        self,
        generation_id: str,
        user_id: str,
        day: date,
        owner: str,
        item: PlannedImage,
        delivery: Delivery,
        timings: _Timings,
    ) -> None:
        """Thumbnail, validate and embed a delivered image, then commit its asset row."""
        asset_id = asset_id_for(generation_id, item.slot)
        image = delivery.image
        used = item.prompt_for(delivery.route)
        thumb_key = make_key(user_id, day, "thumbnail", asset_id, "webp")
        # Blobs first, row last: the row is the commit point; a crash before it leaves blobs that the
        # re-run overwrites under the same keys (and the ledger spares it paying again).
        checked = self._validate_and_embed(item, image, timings)
        self.blobs.put(thumb_key, make_thumbnail(image.data), "image/webp")
        try:
            with self.db.session() as s:
                if not Generations(s).heartbeat(generation_id, owner):
                    raise LeaseLost(generation_id)
                Assets(s).add(
                    GenerationAsset(
                        id=asset_id,
                        generation_id=generation_id,
                        user_id=user_id,
                        slot=item.slot,
                        storage_key=delivery.storage_key,
                        thumbnail_key=thumb_key,
                        width=image.width,
                        height=image.height,
                        bytes=len(image.data),
                        mime=image.mime,
                        provider=image.provider,
                        model=image.model,
                        seed=image.seed,
                        spec=item.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
                        prompt=used.prompt,
                        negative_prompt=used.negative_prompt,
                        cost_usd=image.cost_usd,
                        **checked,
                    )
                )
        except IntegrityError:
            log.info("slot %s of %s was stored by another worker", item.slot, generation_id)

    def _validate_and_embed(
        self, item: PlannedImage, image: GeneratedImage, timings: _Timings
    ) -> dict[str, Any]:
        """Stages 10 and 11 for one candidate, computed once when it is stored."""
        started = time.perf_counter()
        rgb = load_rgb(image.data, max_pixels=self.settings.max_image_pixels)
        result = validate(
            np.asarray(rgb),
            item.spec,
            reject_below=self.settings.validation_reject_below,
            flag_below=self.settings.validation_flag_below,
        )
        middle = time.perf_counter()
        vector = self.embedder.embed([EmbeddingInput(spec=item.spec, image=rgb)])[0]
        timings.add("validation", (middle - started) * 1000)
        timings.add("embedding", (time.perf_counter() - middle) * 1000)
        return {
            "verdict": result.verdict,
            "validation_score": result.score,
            "validation": result.to_dict(),
            "embedding": to_blob(vector),
            "embedding_model": self.embedder.name,
        }

    def _select(self, generation_id: str, recorder: StageRecorder, timings: _Timings) -> None:
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            settings = GenerationSettings.model_validate(generation.settings)
            keep = generation.requested_count
            assets = list(Assets(s).for_generation(generation_id))
        verdicts = [a.verdict for a in assets]
        scores = [a.validation_score for a in assets if a.validation_score is not None]
        recorder.record(
            "validation",
            timings.ms["validation"],
            {
                "candidates": len(assets),
                "rejectBelow": self.settings.validation_reject_below,
                "flagBelow": self.settings.validation_flag_below,
            },
            {v: verdicts.count(v) for v in ("ok", "flagged", "rejected")}
            | {"meanScore": round(float(np.mean(scores)), 4) if scores else None},
        )
        recorder.record(
            "embedding",
            timings.ms["embedding"],
            {"candidates": len(assets)},
            {"model": self.embedder.name, "dim": self.embedder.dim},
        )
        params = SelectionParams(
            keep=keep,
            tradeoff=self.settings.selection_tradeoff if settings.tradeoff is None else settings.tradeoff,
            k_range=(self.settings.cluster_k_min, self.settings.cluster_k_max),
            seed=settings.seed or 0,
        )
        summary = self.selector.run(generation_id, params, recorder)
        if summary["kept"] < keep:
            log.warning(
                "generation %s: only %s of %s candidates passed validation",
                generation_id,
                summary["kept"],
                keep,
            )

    def _finish(
        self,
        generation_id: str,
        owner: str,
        plan: GenerationPlan,
        recorder: StageRecorder,
        failed: dict[int, str],
    ) -> str:
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            if generation.lease_owner != owner:
                raise LeaseLost(generation_id)
            assets = Assets(s).for_generation(generation_id)
            # What the providers confirmed, each paid call once (the ledger), not a sum over assets.
            calls = Calls(s).for_generation(generation_id)
            generation.cost_usd = round(sum(c.cost_usd or 0.0 for c in calls if c.status == "succeeded"), 6)
            generation.status = "completed" if assets else "failed"
            if failed:
                first = failed[min(failed)]
                generation.error = f"{len(failed)} of {len(plan.items)} images could not be made: {first}"
            generation.completed_at = utcnow()
            generation.pipeline_data = {**dict(generation.pipeline_data), "stages": recorder.stages}
            return generation.status

    def _fail(self, generation_id: str, owner: str, message: str) -> None:
        with self.db.session() as s:
            generation: Generation = Generations(s).get(generation_id, user_id=None)
            if generation.lease_owner == owner:
                generation.status = "failed"
                generation.error = message
                generation.completed_at = utcnow()

    def requeue_stalled(self) -> list[str]:
        """Ids of generations to resume: crashed (lease expired) or never picked up."""
        with self.db.session() as s:
            return Generations(s).requeue_stalled(self.lease)


class _Heartbeat:
    """Renews a generation's lease from a background thread while it runs.

    Slots can spend minutes inside slow providers (timeouts × retries), longer than a lease; without
    this, a healthy worker would look dead and its generation be taken over. A killed worker's thread
    dies with it, so its lease still expires.
    """

    def __init__(self, db: Database, generation_id: str, owner: str, interval_s: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(db, generation_id, owner, interval_s), daemon=True, name="heartbeat"
        )
        self._thread.start()

    def _beat(self, db: Database, generation_id: str, owner: str, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                with db.session() as s:
                    if not Generations(s).heartbeat(generation_id, owner):
                        return  # taken over: the slots notice at their next commit
            except Exception:  # a database hiccup: try again at the next beat
                log.warning("heartbeat of %s failed", generation_id, exc_info=True)

    def stop(self) -> None:
        """End the thread."""
        self._stop.set()
        self._thread.join(timeout=5)


class _Timings:
    """Milliseconds spent in stages 10 and 11, summed over a generation's parallel slot workers."""

    def __init__(self) -> None:
        self.ms = {"validation": 0.0, "embedding": 0.0}
        self._lock = threading.Lock()

    def add(self, stage: str, ms: float) -> None:
        """Add to a stage's total."""
        with self._lock:
            self.ms[stage] += ms


class _Counter:
    """A thread-safe count of stored slots."""

    def __init__(self, start: int) -> None:
        self.value = start
        self._lock = threading.Lock()

    def add(self) -> int:
        """Count one more; the new total."""
        with self._lock:
            self.value += 1
            return self.value


class LeaseLost(Exception):
    """Another worker took this generation over (ours was presumed dead); stop without writing."""
