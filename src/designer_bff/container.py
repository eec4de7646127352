"""The one composition root: builds database, storage, providers, queue and services from Settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import SecretStr

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.jobs.queue import JobQueue, build_huey
from designer_bff.pipeline.embedding import AttributeEmbedder, CombinedEmbedder, Embedder
from designer_bff.pipeline.image_features import OfflineImageEmbedder
from designer_bff.providers.base import ImageProvider
from designer_bff.providers.breaker import BreakerStore, CircuitBreaker, MemoryBreakerStore, RedisBreakerStore
from designer_bff.providers.limits import CallLimiter, MemoryCallLimiter, RedisCallLimiter
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.providers.tech_flat import TechFlatProvider
from designer_bff.services.auth import AuthService
from designer_bff.services.costs import Costs
from designer_bff.services.coverage import CoverageService
from designer_bff.services.dispatch import Dispatcher
from designer_bff.services.generations import GenerationService
from designer_bff.services.planning import Planner
from designer_bff.services.routing import Router
from designer_bff.services.runner import GenerationRunner
from designer_bff.storage import build_blob_store
from designer_bff.storage.base import BlobStore

log = logging.getLogger(__name__)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def build_providers(settings: Settings) -> list[ImageProvider]:
    """One adapter per provider × model this deployment offers; those without key, URL or weights are
    listed but not configured (routing skips them, `/api/providers` shows why)."""
    from designer_bff.providers.comfyui import ComfyUIProvider
    from designer_bff.providers.diffusers_local import DiffusersProvider
    from designer_bff.providers.google_genai import GoogleImagesProvider
    from designer_bff.providers.openai_images import OpenAIImagesProvider
    from designer_bff.providers.replicate import ReplicateProvider
    from designer_bff.providers.stability import StabilityProvider

    timeout = settings.provider_timeout_seconds
    vendors: list[tuple[str, Callable[..., ImageProvider], SecretStr | None, str | None]] = [
        ("openai", OpenAIImagesProvider, settings.openai_api_key, settings.openai_base_url),
        ("google", GoogleImagesProvider, settings.google_api_key, settings.google_base_url),
        ("replicate", ReplicateProvider, settings.replicate_api_token, settings.replicate_base_url),
        ("stability", StabilityProvider, settings.stability_api_key, settings.stability_base_url),
    ]
    providers: list[ImageProvider] = [TechFlatProvider()]
    for name, adapter, key, base_url in vendors:
        for model in settings.model_list(name):
            providers.append(adapter(model=model, api_key=_secret(key), base_url=base_url, timeout_s=timeout))
    providers.append(
        ComfyUIProvider(
            base_url=settings.comfyui_url,
            workflow_path=settings.comfyui_workflow,
            checkpoint=settings.comfyui_checkpoint,
            timeout_s=timeout,
        )
    )
    providers.append(
        DiffusersProvider(
            weights_dir=settings.diffusers_weights_dir, steps=settings.diffusers_steps, timeout_s=timeout
        )
    )
    return providers


def build_image_embedder(settings: Settings) -> Embedder:
    """The image half of the features: offline descriptors, or a learned model from the `ml` extra."""
    if settings.image_embedder == "efficientnet":
        from designer_bff.pipeline.ml_embedders import EfficientNetLiteEmbedder

        return EfficientNetLiteEmbedder()
    if settings.image_embedder == "clip":
        from designer_bff.pipeline.ml_embedders import ClipEmbedder

        assert settings.clip_weights_dir is not None  # Settings refuses clip without a directory
        return ClipEmbedder(settings.clip_weights_dir)
    return OfflineImageEmbedder(max_pixels=settings.max_image_pixels)


@dataclass
class Container:
    """Everything the app, the CLI and the workers share; built once per process from Settings."""

    settings: Settings
    providers_override: list[ImageProvider] | None = field(default=None)

    @cached_property
    def db(self) -> Database:
        """The database."""
        return Database(self.settings.effective_database_url)

    @cached_property
    def blobs(self) -> BlobStore:
        """Image storage."""
        return build_blob_store(self.settings)

    @cached_property
    def providers(self) -> ProviderRegistry:
        """Image providers by id."""
        return ProviderRegistry(self.providers_override or build_providers(self.settings))

    @cached_property
    def embedder(self) -> Embedder:
        """Stage 11 features: the spec's attribute vector joined with the configured image features."""
        return CombinedEmbedder([(AttributeEmbedder(), 1.0), (build_image_embedder(self.settings), 1.0)])

    @cached_property
    def breaker(self) -> CircuitBreaker:
        """Circuit breaker per route, shared through Redis when configured."""
        store: BreakerStore = (
            RedisBreakerStore(self.settings.redis_url) if self.settings.redis_url else MemoryBreakerStore()
        )
        return CircuitBreaker(
            store,
            threshold=self.settings.circuit_failure_threshold,
            cooldown_s=self.settings.circuit_cooldown_seconds,
        )

    @cached_property
    def limiter(self) -> CallLimiter:
        """Per-provider rate and concurrency limits, shared through Redis when configured."""
        if self.settings.redis_url:
            # A slot outlives the longest possible call, so a crashed worker's slot frees itself.
            return RedisCallLimiter(
                self.settings.redis_url, lease_s=self.settings.provider_timeout_seconds + 30
            )
        return MemoryCallLimiter()

    @cached_property
    def router(self) -> Router:
        """Stage 8: route options, decisions and learned route quality."""
        return Router(self.settings, self.db, self.providers, self.breaker)

    @cached_property
    def costs(self) -> Costs:
        """Budgets and estimates."""
        return Costs(self.settings, self.db, self.providers)

    @cached_property
    def planner(self) -> Planner:
        """Plans requests (and dry-runs them for estimates)."""
        return Planner(self.settings, self.db, self.blobs, self.providers, self.router, self.costs)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """Calls providers with retries, limits, circuit breaking, fallback and the idempotency ledger."""
        return Dispatcher(self.settings, self.db, self.blobs, self.providers, self.limiter, self.breaker)

    @cached_property
    def runner(self) -> GenerationRunner:
        """Executes generations."""
        return GenerationRunner(
            self.settings, self.db, self.blobs, self.providers, self.embedder, self.planner, self.dispatcher
        )

    @cached_property
    def coverage(self) -> CoverageService:
        """Coverage reports, gaps and targets."""
        return CoverageService(self.db)

    @cached_property
    def queue(self) -> JobQueue:
        """The job queue with its tasks registered."""
        return JobQueue(build_huey(self.settings), self.runner.run, self.runner.requeue_stalled)

    @cached_property
    def generations(self) -> GenerationService:
        """Generation use cases; new generations go to the job queue."""
        return GenerationService(
            self.settings, self.db, self.blobs, self.providers, self.planner, self.queue.enqueue_generation
        )

    def foreground_generations(self) -> GenerationService:
        """Generation use cases for a caller that runs each generation itself (the CLI), not the queue."""
        return GenerationService(
            self.settings, self.db, self.blobs, self.providers, self.planner, lambda _id: None
        )

    @cached_property
    def auth(self) -> AuthService:
        """Accounts, tokens and API keys."""
        return AuthService(self.settings, self.db)

    def close(self) -> None:
        """Release connections."""
        if "db" in self.__dict__:
            self.db.dispose()


def build_container(settings: Settings | None = None) -> Container:
    """The composition root for this process."""
    from designer_bff.config import load_settings

    return Container(settings or load_settings())
