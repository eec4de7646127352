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
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.repositories import Assets, Coverage, Generations
from designer_bff.db.tables import Generation, GenerationAsset, utcnow
from designer_bff.domain.generation import GenerationPlan, GenerationSettings, PlannedImage
from designer_bff.errors import DesignerBFFError
from designer_bff.imaging import embed_metadata, load_rgb, make_thumbnail, to_webp
from designer_bff.pipeline.analysis import dominant_colors, spec_hints_from_colors
from designer_bff.pipeline.embedding import Embedder, EmbeddingInput, to_blob
from designer_bff.pipeline.run import PlanRequest, StageRecorder, plan_generation
from designer_bff.pipeline.validation import validate
from designer_bff.providers.base import GeneratedImage, ImageRequest
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.services.coverage import boosts_from_rows, user_coverage
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
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.providers = providers
        self.embedder = embedder
        self.selector = BatchSelector(db)
        # Per-thread sums of the time spent in stages 10 and 11, which run inside the generation loop.
        self._local = threading.local()
        self.lease = timedelta(seconds=settings.job_lease_seconds)

    def run(self, generation_id: str, on_progress: ProgressCallback | None = None) -> str:
        """Run one generation if it can be claimed; returns the final status or 'skipped'."""
        owner = worker_identity()
        self._local.ms = {"validation": 0.0, "embedding": 0.0}
        with self.db.session() as s:
            if not Generations(s).claim(generation_id, owner, self.lease):
                log.info("generation %s not claimable (done or held by another worker)", generation_id)
                return "skipped"
        try:
            plan, recorder = self._plan(generation_id)
            done = self._generate(generation_id, owner, plan, recorder, on_progress)
            if done == len(plan.items):
                self._select(generation_id, recorder)
            status = self._finish(generation_id, owner, plan, recorder, done)
        except DesignerBFFError as exc:
            self._fail(generation_id, owner, exc.message)
            status = "failed"
        except LeaseLost:
            return "skipped"
        except Exception as exc:
            log.exception("generation %s crashed", generation_id)
            self._fail(generation_id, owner, f"internal error: {type(exc).__name__}: {exc}")
            status = "failed"
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
            request = dict(generation.request)
            settings = GenerationSettings.model_validate(generation.settings)
            count = settings.candidates_for(generation.requested_count)
            sources = len(request.get("specs") or ()) or 1
            # Several given specs (a VLT envelope): the same number of candidates for each, so the
            # selection can keep every record's share (it uses the records as quotas).
            count = -(-count // sources) * sources
            raw_coverage = Coverage(s).settings(generation.user_id)
            gaps = list(Coverage(s).open_gaps(generation.user_id))
        boosts = boosts_from_rows(gaps, auto_boost=user_coverage(raw_coverage).auto_boost)
        hints = self._analyse_reference(request, recorder)
        plan = plan_generation(
            PlanRequest(
                boosts=boosts,
                count=count,
                settings=settings,
                seed=settings.seed or 0,
                prompt=request.get("prompt"),
                negative_prompt=request.get("negativePrompt"),
                partial_specs=tuple(request.get("specs") or ()),
                hints=hints,
            ),
            self.providers,
            default_provider=self.settings.default_provider,
            recorder=recorder,
        )
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            generation.pipeline_data = {
                **stored,
                "plan": plan.model_dump(mode="json", by_alias=True),
                "stages": recorder.stages,
                "warnings": plan.warnings,
            }
        return plan, recorder

    def _analyse_reference(self, request: dict[str, Any], recorder: StageRecorder) -> dict[str, Any]:
        key = request.get("referenceKey")
        if not key:
            return {}
        with recorder.stage("analysis", reference=key, analyser="offline-colour") as out:
            image = load_rgb(self.blobs.get(key), max_pixels=self.settings.max_image_pixels)
            analysis = dominant_colors(np.asarray(image))
            hints, confidence = spec_hints_from_colors(analysis)
            out.update(
                colors=[{"name": c.name, "hex": c.hex, "coverage": c.coverage} for c in analysis.colors],
                background=analysis.background_hex,
                confidence=confidence,
            )
        return {**hints, "confidence": confidence} if hints else {}

    def _generate(
        self,
        generation_id: str,
        owner: str,
        plan: GenerationPlan,
        recorder: StageRecorder,
        on_progress: ProgressCallback | None,
    ) -> int:
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            user_id, day = generation.user_id, generation.created_at.date()
            existing = {a.slot for a in Assets(s).for_generation(generation_id)}
        provider = self.providers.get(plan.provider)
        done = len(existing)
        with recorder.stage(
            "generation", provider=plan.provider, planned=len(plan.items), resumedWith=done
        ) as out:
            for item in plan.items:
                if item.slot in existing:
                    continue
                image = provider.generate(
                    ImageRequest(
                        prompt=item.prompt,
                        negative_prompt=item.negative_prompt
                        if provider.capabilities.negative_prompt
                        else None,
                        spec=item.spec,
                        width=item.width,
                        height=item.height,
                        seed=item.seed,
                        quality=item.quality,
                        idempotency_key=asset_id_for(generation_id, item.slot),
                    )
                )
                self._store(generation_id, user_id, day, owner, item, image)
                done += 1
                if on_progress:
                    on_progress(
                        Progress(generation_id, "processing", done, len(plan.items), item.spec.caption())
                    )
            out.update(stored=done)
        return done

    def _store(
        self,
        generation_id: str,
        user_id: str,
        day: date,
        owner: str,
        item: PlannedImage,
        image: GeneratedImage,
    ) -> None:
        asset_id = asset_id_for(generation_id, item.slot)
        if image.mime not in ("image/png", "image/webp"):
            # Metadata travels in PNG text chunks or WebP XMP: other formats become high-quality WebP.
            image = replace(image, data=to_webp(image.data, quality=100), mime="image/webp")
        ext = "png" if image.mime == "image/png" else "webp"
        metadata = {
            "prompt": item.prompt,
            "negative_prompt": item.negative_prompt,
            "spec": item.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            "seed": image.seed,
            "provider": image.provider,
            "model": image.model,
            "generation_id": generation_id,
            "asset_id": asset_id,
        }
        data = embed_metadata(image.data, metadata)
        key = make_key(user_id, day, "image", asset_id, ext)
        thumb_key = make_key(user_id, day, "thumbnail", asset_id, "webp")
        # Blobs first, row last: the row is the commit point; a crash before it leaves a blob that the
        # re-run overwrites under the same key.
        checked = self._validate_and_embed(item, image)
        self.blobs.put(key, data, image.mime)
        self.blobs.put(thumb_key, make_thumbnail(data), "image/webp")
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
                        storage_key=key,
                        thumbnail_key=thumb_key,
                        width=image.width,
                        height=image.height,
                        bytes=len(data),
                        mime=image.mime,
                        provider=image.provider,
                        model=image.model,
                        seed=image.seed,
                        spec=metadata["spec"],
                        prompt=item.prompt,
                        negative_prompt=item.negative_prompt,
                        cost_usd=image.cost_usd,
                        **checked,
                    )
                )
        except IntegrityError:
            log.info("slot %s of %s was stored by another worker", item.slot, generation_id)

    def _validate_and_embed(self, item: PlannedImage, image: GeneratedImage) -> dict[str, Any]:
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
        self._stage_ms["validation"] += (middle - started) * 1000
        self._stage_ms["embedding"] += (time.perf_counter() - middle) * 1000
        return {
            "verdict": result.verdict,
            "validation_score": result.score,
            "validation": result.to_dict(),
            "embedding": to_blob(vector),
            "embedding_model": self.embedder.name,
        }

    @property
    def _stage_ms(self) -> dict[str, float]:
        ms: dict[str, float] = self._local.ms  # reset by `run` for each generation
        return ms

    def _select(self, generation_id: str, recorder: StageRecorder) -> None:
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            settings = GenerationSettings.model_validate(generation.settings)
            keep = generation.requested_count
            assets = list(Assets(s).for_generation(generation_id))
        verdicts = [a.verdict for a in assets]
        scores = [a.validation_score for a in assets if a.validation_score is not None]
        recorder.record(
            "validation",
            self._stage_ms["validation"],
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
            self._stage_ms["embedding"],
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
        self, generation_id: str, owner: str, plan: GenerationPlan, recorder: StageRecorder, done: int
    ) -> str:
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            if generation.lease_owner != owner:
                raise LeaseLost(generation_id)
            assets = Assets(s).for_generation(generation_id)
            generation.cost_usd = round(sum(a.cost_usd for a in assets), 6)
            generation.status = "completed" if len(assets) == len(plan.items) and assets else "failed"
            if generation.status == "failed":
                generation.error = f"only {len(assets)} of {len(plan.items)} images were stored"
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


class LeaseLost(Exception):
    """Another worker took this generation over (ours was presumed dead); stop without writing."""
