"""The one composition root: builds database, storage, providers, queue and services from Settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.jobs.queue import JobQueue, build_huey
from designer_bff.pipeline.embedding import AttributeEmbedder, CombinedEmbedder, Embedder
from designer_bff.pipeline.image_features import OfflineImageEmbedder
from designer_bff.providers.base import ImageProvider
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.providers.tech_flat import TechFlatProvider
from designer_bff.services.auth import AuthService
from designer_bff.services.coverage import CoverageService
from designer_bff.services.generations import GenerationService
from designer_bff.services.runner import GenerationRunner
from designer_bff.storage import build_blob_store
from designer_bff.storage.base import BlobStore

log = logging.getLogger(__name__)

# Keys that will switch on provider adapters (issue 4); until then we say so rather than ignore them.
_PENDING_ADAPTERS = {
    "openai_api_key": "OPENAI_API_KEY",
    "replicate_api_token": "REPLICATE_API_TOKEN",
    "google_api_key": "GOOGLE_API_KEY",
    "stability_api_key": "STABILITY_API_KEY",
}


def build_providers(settings: Settings) -> list[ImageProvider]:
    """Every provider adapter this release has."""
    for attr, env in _PENDING_ADAPTERS.items():
        if getattr(settings, attr) is not None:
            log.warning("%s is set, but this release has no adapter for it yet; using tech-flat", env)
    return [TechFlatProvider()]


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
    def runner(self) -> GenerationRunner:
        """Executes generations."""
        return GenerationRunner(self.settings, self.db, self.blobs, self.providers, self.embedder)

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
            self.settings, self.db, self.blobs, self.providers, self.queue.enqueue_generation
        )

    def foreground_generations(self) -> GenerationService:
        """Generation use cases for a caller that runs each generation itself (the CLI), not the queue."""
        return GenerationService(self.settings, self.db, self.blobs, self.providers, lambda _id: None)

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
