"""Generation use cases: create (prompt, spec, image), read, list, delete, asset bytes."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.preferences import Judgements
from designer_bff.db.repositories import Assets, Feedback, Generations
from designer_bff.db.tables import Generation, GenerationAsset, GenerationFeedback, new_id, utcnow
from designer_bff.domain.generation import GenerationSettings
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import BudgetExceeded, InvalidInput
from designer_bff.imaging import inspect_upload
from designer_bff.importers.detect import import_any
from designer_bff.pipeline.run import StageRecorder
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.services.learning import LearningService
from designer_bff.services.planning import Planner
from designer_bff.storage.base import BlobStore, delete_all, make_key


@dataclass(frozen=True)
class GenerationView:
    """A generation with its assets and feedback, as read by its owner."""

    generation: Generation
    assets: Sequence[GenerationAsset]
    feedback: Sequence[GenerationFeedback]
    judgements: Mapping[str, str]  # asset id → the owner's current judgement


def invalid_from_validation(exc: ValidationError, prefix: str) -> InvalidInput:
    """Turn a pydantic error into InvalidInput naming the field path and, for vocabularies, allowed values."""
    err = exc.errors()[0]
    path = ".".join([prefix, *(str(p) for p in err["loc"])])
    allowed = (err.get("ctx") or {}).get("allowed")
    return InvalidInput(f"{path}: {err['msg']}", field=path, allowed=allowed)


class GenerationService:
    """Creates generations and enqueues them; reads them back for their owner only."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: BlobStore,
        providers: ProviderRegistry,
        planner: Planner,
        enqueue: Callable[[str], None],
        learning: LearningService | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.providers = providers
        self.planner = planner
        self.enqueue = enqueue
        self.learning = learning

    def _check(self, count: int, settings: GenerationSettings) -> GenerationSettings:
        limit = self.settings.max_images_per_request
        if not 1 <= count <= limit:
            raise InvalidInput(f"count must be between 1 and {limit}, got {count}", field="count")
        if settings.provider is not None:
            self.providers.get(settings.provider)  # unknown provider → clear 422 now, not a failed job later
        # Defaults are resolved and stored now, so a resumed job plans and selects exactly as the first run.
        defaults = {
            "seed": secrets.randbelow(2**31 - 1),
            "overgeneration": self.settings.overgeneration,
            "tradeoff": self.settings.selection_tradeoff,
        }
        return settings.model_copy(update={k: v for k, v in defaults.items() if getattr(settings, k) is None})

    def estimate(
        self, user_id: str, request: dict[str, Any], count: int, settings: GenerationSettings
    ) -> dict[str, Any]:
        """What a request would cost, planned exactly as a generation would be (nothing is called)."""
        settings = self._check(count, settings)
        recorder = StageRecorder()
        try:
            planned = self.planner.plan(user_id, request, settings, count, recorder)
        except BudgetExceeded as exc:
            return {"allowed": False, "reason": exc.message, **exc.details}
        routing = recorder.stages["routing"]["output"]
        return {
            "allowed": True,
            "candidates": len(planned.plan.items),
            "kept": count,
            "estimate": planned.estimate.to_dict(),
            "budget": planned.budget.to_dict(),
            "routes": routing.get("routes", {}),
            "strategy": routing.get("strategy"),
        }

    def preview(
        self,
        user_id: str,
        request: dict[str, Any],
        count: int,
        settings: GenerationSettings,
        *,
        show: int = 12,
    ) -> dict[str, Any]:
        """The plan of a request without running it: specs, prompts, routes, stages and estimate."""
        settings = self._check(count, settings)
        recorder = StageRecorder()
        planned = self.planner.plan(user_id, request, settings, count, recorder)
        items = planned.plan.items
        return {
            "candidates": len(items),
            "kept": count,
            "specs": [i.spec.model_dump(mode="json", by_alias=True, exclude_none=True) for i in items[:show]],
            "captions": [i.spec.caption() for i in items],
            "prompts": [
                {"slot": i.slot, "route": i.route, "prompt": i.prompt, "negativePrompt": i.negative_prompt}
                for i in items[: min(show, 3)]
            ],
            "stages": {k: v["output"] for k, v in recorder.stages.items()},
            "estimate": planned.estimate.to_dict(),
            "warnings": planned.plan.warnings,
        }

    def _create(
        self,
        user_id: str,
        mode: str,
        request: dict[str, Any],
        count: int,
        settings: GenerationSettings,
        generation_id: str | None = None,
        run_at: datetime | None = None,
    ) -> Generation:
        settings = self._check(count, settings)
        # Plan once before anything is stored or queued: a request over budget (or one no provider can
        # make) is refused here, before any provider is called.
        dry_run = {k: v for k, v in request.items() if k != "referenceKey"}
        self.planner.plan(user_id, dry_run, settings, count, StageRecorder())
        with self.db.session() as s:
            generation = Generations(s).add(
                Generation(
                    id=generation_id or new_id(),
                    user_id=user_id,
                    mode=mode,
                    # A scheduled generation waits: `heartbeat_at` holds when it may start (the recovery
                    # loop hands it to the queue then).
                    status="scheduled" if run_at else "pending",
                    heartbeat_at=run_at,
                    request=request,
                    settings=settings.model_dump(mode="json", by_alias=True, exclude_none=True),
                    requested_count=count,
                    pipeline_data={},
                )
            )
        # Enqueue after commit: a worker must find the row. If this process dies in between, the
        # recovery pass re-enqueues pending generations.
        if run_at is None:
            self.enqueue(generation.id)
        return generation

    def from_command(
        self,
        user_id: str,
        *,
        request: dict[str, Any],
        count: int,
        settings: GenerationSettings,
        run_at: datetime | None = None,
    ) -> Generation:
        """Start (or schedule for `run_at`) a generation from a parsed command."""
        return self._create(user_id, "command", request, count, settings, run_at=run_at)

    def from_prompt(
        self,
        user_id: str,
        *,
        prompt: str,
        negative_prompt: str | None,
        count: int,
        settings: GenerationSettings,
    ) -> Generation:
        """Start a generation from free text."""
        if not prompt.strip():
            raise InvalidInput("prompt must not be empty", field="prompt")
        return self._create(
            user_id, "prompt", {"prompt": prompt, "negativePrompt": negative_prompt}, count, settings
        )

    def from_spec(
        self, user_id: str, *, spec: dict[str, Any], count: int | None, settings: GenerationSettings
    ) -> tuple[Generation, list[str]]:
        """Start a generation from a canonical spec or a legacy record (VLT, coverage, ultra-detailed)."""
        request, warnings = self.spec_request(spec)
        count = count or len(request["specs"])
        return self._create(user_id, "spec", request, count, settings), warnings

    @staticmethod
    def spec_request(spec: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The stored request of a canonical spec or legacy VLT record/envelope, and import warnings."""
        warnings: list[str] = []
        result = import_any(spec)  # VLT record/envelope, six-attribute coverage record, ultra-detailed
        if result is not None:
            trees = [s.model_dump(mode="json", exclude_none=True) for s in result.specs]
            warnings = result.warnings
        else:
            try:
                canonical = GarmentSpec.model_validate(spec)
            except ValidationError as exc:
                raise invalid_from_validation(exc, "vltSpec") from exc
            trees = [canonical.model_dump(mode="json", exclude_none=True)]
        return {"specs": trees, "importWarnings": warnings}, warnings

    def from_image(
        self,
        user_id: str,
        *,
        data: bytes,
        filename: str | None,
        content_type: str | None,
        description: str | None,
        count: int,
        settings: GenerationSettings,
    ) -> Generation:
        """Start a generation from a reference image (offline analysis: its dominant colours)."""
        settings = self._check(count, settings)
        info = inspect_upload(
            data,
            filename=filename,
            declared_type=content_type,
            max_bytes=self.settings.max_upload_bytes,
            max_pixels=self.settings.max_image_pixels,
        )
        generation_id = new_id()
        ext = {"jpeg": "jpg"}.get(info.format, info.format)
        key = make_key(user_id, utcnow().date(), "reference", generation_id, ext)
        self.blobs.put(key, data, info.mime)
        request = {"prompt": description or None, "referenceKey": key, "referenceMime": info.mime}
        try:
            return self._create(user_id, "image", request, count, settings, generation_id=generation_id)
        except Exception:
            self.blobs.delete(key)
            raise

    def get(self, user_id: str, generation_id: str) -> GenerationView:
        """A generation with assets and feedback (NotFound for anyone but its owner)."""
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=user_id)
            assets = Assets(s).for_generation(generation_id)
            judged = Judgements(s).for_assets(user_id, [a.id for a in assets])
            return GenerationView(
                generation,
                assets,
                Feedback(s).for_generation(generation_id),
                {asset_id: j.judgement for asset_id, j in judged.items()},
            )

    def list(
        self,
        user_id: str,
        *,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[GenerationView], int]:
        """A page of the user's generations, newest first, with the total count."""
        with self.db.session() as s:
            rows, total = Generations(s).list(
                user_id, status=status, since=since, until=until, limit=limit, offset=offset
            )
            assets = Assets(s).for_generations([g.id for g in rows])
            return [GenerationView(g, assets[g.id], (), {}) for g in rows], total

    def delete(self, user_id: str, generation_id: str) -> int:
        """Delete a generation's rows, then its blobs; returns how many blobs were removed."""
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=user_id)
            keys = [
                k for a in Assets(s).for_generation(generation_id) for k in (a.storage_key, a.thumbnail_key)
            ]
            if generation.request.get("referenceKey"):
                keys.append(generation.request["referenceKey"])
            if self.learning is not None:  # what was learned from these images goes with them
                self.learning.forget(s, user_id, Assets(s).for_generation(generation_id))
            Generations(s).delete(generation)
        return delete_all(self.blobs, keys)  # rows first (see delete_all)

    def asset(self, asset_id: str, *, user_id: str | None) -> GenerationAsset:
        """An asset row: the owner's, or any when `user_id` is None (caller verified a URL signature)."""
        with self.db.session() as s:
            return Assets(s).get(asset_id, user_id=user_id) if user_id else Assets(s).get_any(asset_id)
