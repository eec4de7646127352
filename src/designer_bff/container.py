"""The one composition root: builds database, storage, providers, queue and services from Settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from pydantic import SecretStr

from designer_bff.analyzers.base import Analyzer
from designer_bff.analyzers.offline import OfflineAnalyzer
from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.errors import ConfigurationError
from designer_bff.jobs.queue import JobQueue, build_huey
from designer_bff.pipeline.embedding import AttributeEmbedder, CombinedEmbedder, Embedder
from designer_bff.pipeline.image_features import OfflineImageEmbedder
from designer_bff.providers.base import ImageProvider
from designer_bff.providers.breaker import BreakerStore, CircuitBreaker, MemoryBreakerStore, RedisBreakerStore
from designer_bff.providers.limits import CallLimiter, MemoryCallLimiter, RedisCallLimiter
from designer_bff.providers.registry import ProviderRegistry
from designer_bff.providers.tech_flat import TechFlatProvider
from designer_bff.services.analysis import AnalysisService
from designer_bff.services.analytics import AnalyticsService
from designer_bff.services.auth import AuthService
from designer_bff.services.commands import CommandService, IntentParser
from designer_bff.services.costs import Costs
from designer_bff.services.coverage import CoverageService
from designer_bff.services.dispatch import Dispatcher
from designer_bff.services.feedback import FeedbackService
from designer_bff.services.generations import GenerationService
from designer_bff.services.learning import LearningReader, LearningService
from designer_bff.services.personas import Designer, PersonaService
from designer_bff.services.planning import Planner
from designer_bff.services.portfolios import PortfolioService
from designer_bff.services.profiles import ProfileService
from designer_bff.services.routing import Router
from designer_bff.services.runner import GenerationRunner
from designer_bff.storage import build_blob_store
from designer_bff.storage.base import BlobStore

if TYPE_CHECKING:
    from designer_bff.llm.chat import ChatModel
    from designer_bff.services.enhancement import CachedEnhancer

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


def text_model(settings: Settings, *, vision: bool = False) -> ChatModel | None:
    """The configured OpenAI-compatible chat model (text, or vision for analysis), or None."""
    from designer_bff.llm.chat import ChatModel

    model = settings.vision_model if vision else settings.text_model
    if not model:
        return None
    base_url = (settings.vision_model_base_url if vision else None) or settings.text_model_base_url
    key = (settings.vision_model_api_key if vision else None) or settings.text_model_api_key
    key = key or settings.openai_api_key
    return ChatModel(base_url, _secret(key), model, timeout_s=settings.llm_timeout_seconds)


def build_analyser(settings: Settings) -> Analyzer | None:
    """The remote analyser `DESIGNER_BFF_ANALYSER` asks for (auto: vision model, then VLT), or None."""
    from designer_bff.analyzers.vision import VisionAnalyzer
    from designer_bff.analyzers.vlt import VltAnalyzer

    choice = settings.analyser
    chat = text_model(settings, vision=True)
    if choice in ("auto", "vision") and chat is not None:
        return VisionAnalyzer(chat)
    if choice in ("auto", "vlt") and settings.vlt_api_url:
        return VltAnalyzer(
            settings.vlt_api_url,
            _secret(settings.vlt_api_key),
            model=settings.vlt_model,
            passes=settings.vlt_passes,
            timeout_s=settings.llm_timeout_seconds,
        )
    if choice in ("vision", "vlt"):
        raise ConfigurationError(
            f"DESIGNER_BFF_ANALYSER={choice} needs "
            + ("DESIGNER_BFF_VISION_MODEL" if choice == "vision" else "VLT_API_URL")
        )
    return None


def build_intent_parser(settings: Settings) -> IntentParser | None:
    """The LLM command parser when a text model is configured."""
    from designer_bff.llm.intent import LlmIntentParser

    chat = text_model(settings)
    return LlmIntentParser(chat) if chat is not None else None


def build_enhancer(settings: Settings, db: Database) -> CachedEnhancer | None:
    """LLM prompt enhancement when `DESIGNER_BFF_PROMPT_ENHANCEMENT` is on and a text model is set."""
    from designer_bff.llm.enhance import PromptEnhancer
    from designer_bff.services.enhancement import CachedEnhancer

    chat = text_model(settings)
    if not settings.prompt_enhancement:
        return None
    if chat is None:
        raise ConfigurationError("DESIGNER_BFF_PROMPT_ENHANCEMENT=true needs DESIGNER_BFF_TEXT_MODEL")
    return CachedEnhancer(db, PromptEnhancer(chat), chat.name)


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
        return Router(self.settings, self.db, self.providers, self.breaker, self.learning.model)

    @cached_property
    def learning(self) -> LearningService:
        """Stage 15: the per-user preference model and its learning log."""
        return LearningService(self.settings, self.db)

    @cached_property
    def learning_reader(self) -> LearningReader:
        """The preference model, its log and explanations as the API shows them."""
        return LearningReader(self.learning)

    @cached_property
    def feedback(self) -> FeedbackService:
        """Reactions, current judgements and undo; each moves the preference model."""
        return FeedbackService(self.db, self.learning, on_change=self.profiles.refresh)

    @cached_property
    def costs(self) -> Costs:
        """Budgets and estimates."""
        return Costs(self.settings, self.db, self.providers)

    @cached_property
    def analytics(self) -> AnalyticsService:
        """Stage 16: analytics and recommendations over a user's history."""
        return AnalyticsService(self.settings, self.db, self.costs)

    @cached_property
    def planner(self) -> Planner:
        """Plans requests (and dry-runs them for estimates)."""
        return Planner(
            self.settings,
            self.db,
            self.blobs,
            self.providers,
            self.router,
            self.costs,
            self.designer,
            build_enhancer(self.settings, self.db),
        )

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """Calls providers with retries, limits, circuit breaking, fallback and the idempotency ledger."""
        return Dispatcher(self.settings, self.db, self.blobs, self.providers, self.limiter, self.breaker)

    @cached_property
    def runner(self) -> GenerationRunner:
        """Executes generations."""
        return GenerationRunner(
            self.settings,
            self.db,
            self.blobs,
            self.providers,
            self.embedder,
            self.planner,
            self.dispatcher,
            self.learning,
        )

    @cached_property
    def coverage(self) -> CoverageService:
        """Coverage reports, gaps and targets."""
        return CoverageService(self.db)

    @cached_property
    def queue(self) -> JobQueue:
        """The job queue with its tasks registered."""
        return JobQueue(
            build_huey(self.settings),
            {
                "generation": (self.runner.run, self.runner.requeue_stalled),
                "portfolio": (self.portfolios.analyse, self.portfolios.requeue_stalled),
            },
        )

    @cached_property
    def image_embedder(self) -> Embedder:
        """Image features of portfolio images (the same space as the image half of `embedder`)."""
        return build_image_embedder(self.settings)

    @cached_property
    def analysis(self) -> AnalysisService:
        """Stage 1: the configured analyser (vision model, VLT) with the offline one as fallback."""
        return AnalysisService(
            OfflineAnalyzer(max_pixels=self.settings.max_image_pixels), build_analyser(self.settings)
        )

    @cached_property
    def profiles(self) -> ProfileService:
        """Style profiles built from portfolios (stage 2)."""
        return ProfileService(self.settings, self.db, self.image_embedder.name)

    @cached_property
    def portfolios(self) -> PortfolioService:
        """Portfolio uploads and their background analysis; the profile follows each analysis."""
        return PortfolioService(
            self.settings,
            self.db,
            self.blobs,
            self.analysis,
            self.image_embedder,
            on_analysed=self.profiles.refresh,
            enqueue=lambda portfolio_id: self.queue.enqueue("portfolio", portfolio_id),
        )

    @cached_property
    def personas(self) -> PersonaService:
        """Personas: defaults, profile-derived and the user's own."""
        return PersonaService(self.settings, self.db, self.profiles.current)

    @cached_property
    def designer(self) -> Designer:
        """What planning knows about each designer: profile, personas, learned preferences."""
        return Designer(self.personas, self.profiles.current, self.learning.model)

    @cached_property
    def commands(self) -> CommandService:
        """Typed commands → intents → generations."""
        return CommandService(self.settings, self.db, self.generations, build_intent_parser(self.settings))

    @cached_property
    def generations(self) -> GenerationService:
        """Generation use cases; new generations go to the job queue."""
        return GenerationService(
            self.settings,
            self.db,
            self.blobs,
            self.providers,
            self.planner,
            self.queue.enqueue_generation,
            learning=self.learning,
        )

    def foreground_generations(self) -> GenerationService:
        """Generation use cases for a caller that runs each generation itself (the CLI), not the queue."""
        return GenerationService(
            self.settings, self.db, self.blobs, self.providers, self.planner, lambda _id: None, self.learning
        )

    @cached_property
    def auth(self) -> AuthService:
        """Accounts, tokens and API keys."""
        return AuthService(self.settings, self.db)

    def warm_up(self) -> None:
        """Load models jobs need before any job runs: loading one mid-job (MiniLM takes seconds of CPU and
        the import lock) can starve a job's heartbeat thread until its lease looks expired."""
        _ = self.personas.embedder

    def close(self) -> None:
        """Release connections."""
        if "db" in self.__dict__:
            self.db.dispose()


def build_container(settings: Settings | None = None) -> Container:
    """The composition root for this process."""
    from designer_bff.config import load_settings

    return Container(settings or load_settings())
