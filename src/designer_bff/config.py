"""The one typed Settings class: every knob of the studio, read once from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from designer_bff.errors import ConfigurationError


class ProviderLimit(BaseModel):
    """Limits of one provider: requests per minute and concurrent calls (shared through Redis)."""

    rpm: int = Field(60, ge=1)
    concurrency: int = Field(4, ge=1, le=256)


class Settings(BaseSettings):
    """Studio settings. Own settings use the `DESIGNER_BFF_` prefix; vendor keys use the vendor's name."""

    model_config = SettingsConfigDict(
        env_prefix="DESIGNER_BFF_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    data_dir: Path = Field(
        Path("./data"),
        description="Directory holding all local state: SQLite file, blobs, job queue, secret key.",
    )
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "DESIGNER_BFF_DATABASE_URL"),
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. Default: SQLite in data_dir.",
    )
    redis_url: str | None = Field(
        None,
        validation_alias=AliasChoices("REDIS_URL", "DESIGNER_BFF_REDIS_URL"),
        description="Redis URL for the job queue and shared rate limits. Default: SQLite queue in data_dir.",
    )

    queue_name: str = Field(
        "designer-bff",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="Name of the job queue (separates deployments sharing one Redis).",
    )

    storage_backend: Literal["local", "s3"] = Field(
        "local", description="Where images live: `local` (data_dir/blobs) or `s3` (any S3-compatible API)."
    )
    s3_bucket: str | None = Field(
        None, validation_alias=AliasChoices("S3_BUCKET", "DESIGNER_BFF_S3_BUCKET"), description="S3 bucket."
    )
    s3_endpoint_url: str | None = Field(
        None,
        validation_alias=AliasChoices("S3_ENDPOINT_URL", "DESIGNER_BFF_S3_ENDPOINT_URL"),
        description="S3 API endpoint (R2: https://<account>.r2.cloudflarestorage.com; MinIO: its URL).",
    )
    s3_region: str = Field(
        "us-east-1",
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION", "DESIGNER_BFF_S3_REGION"),
        description="S3 region (`auto` for Cloudflare R2).",
    )
    s3_access_key_id: str | None = Field(
        None, validation_alias=AliasChoices("AWS_ACCESS_KEY_ID"), description="S3 access key id."
    )
    s3_secret_access_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("AWS_SECRET_ACCESS_KEY"), description="S3 secret access key."
    )
    s3_public_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("S3_PUBLIC_BASE_URL", "DESIGNER_BFF_S3_PUBLIC_BASE_URL"),
        description="Public or CDN base URL for the bucket; when unset, presigned URLs are handed out.",
    )
    url_expires_seconds: int = Field(
        3600, ge=60, le=7 * 24 * 3600, description="Lifetime of presigned and signed asset URLs."
    )

    secret_key: SecretStr | None = Field(
        None,
        description="Signs login tokens and asset URLs. Default: generated once into data_dir/secret.key.",
    )
    access_token_minutes: int = Field(60 * 24, ge=1, description="Lifetime of a login token (JWT).")
    login_attempts_per_minute: int = Field(
        10, ge=1, description="Failed-login budget per account and client address per minute."
    )

    max_upload_bytes: int = Field(25 * 1024 * 1024, ge=1024, description="Largest accepted upload.")
    max_image_pixels: int = Field(
        50_000_000, ge=10_000, description="Largest accepted image area (decompression-bomb guard)."
    )
    max_images_per_request: int = Field(100, ge=1, le=1000, description="Upper bound of `count`.")

    default_provider: str = Field(
        "auto",
        description="Provider (or provider:model) used when a request names none; `auto` = route per image.",
    )

    overgeneration: float = Field(
        0.2, ge=0, le=2, description="Extra candidates made per kept image (0.2: 120 made for 100 kept)."
    )
    selection_tradeoff: float = Field(
        0.7,
        ge=0,
        le=1,
        description="DPP quality–diversity trade-off θ (0: diversity only; 1: quality order).",
    )
    validation_reject_below: float = Field(
        0.6, ge=0, le=1, description="Outputs whose attribute consistency is below this are rejected."
    )
    validation_flag_below: float = Field(
        0.8, ge=0, le=1, description="Outputs below this consistency are kept but flagged for review."
    )
    image_embedder: Literal["offline", "efficientnet", "clip"] = Field(
        "offline",
        description="Image features for clustering/selection: offline descriptors, or EfficientNet-Lite0 / "
        "CLIP from the optional `ml` extra.",
    )
    clip_weights_dir: Path | None = Field(
        None, description="Local CLIP weights directory (config, weights, tokenizer) for image_embedder=clip."
    )
    cluster_k_min: int = Field(3, ge=1, le=64, description="Smallest K tried when clustering a batch.")
    cluster_k_max: int = Field(8, ge=1, le=64, description="Largest K tried when clustering a batch.")

    generation_parallelism: int = Field(
        16, ge=1, le=256, description="Images of one generation made at once (provider limits still apply)."
    )
    job_workers: int = Field(2, ge=0, le=64, description="Job consumer threads inside `serve` (0 = none).")
    job_lease_seconds: int = Field(
        300, ge=1, description="A running job that has not reported for this long is taken over."
    )
    recovery_interval_seconds: int = Field(
        60, ge=1, description="How often a consumer looks for interrupted generations to resume."
    )

    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` listens on.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level.")

    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY"), description="OpenAI key (enables `openai`)."
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "DESIGNER_BFF_OPENAI_BASE_URL"),
        description="OpenAI API base URL (default the vendor's; an Azure/compatible gateway or a fake).",
    )
    openai_models: str = Field(
        "gpt-image-1.5,gpt-image-1,dall-e-3",
        description="OpenAI image models to offer, comma-separated (gpt-image-1 and dall-e-3 are retired).",
    )
    google_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("GOOGLE_API_KEY", "GEMINI_API_KEY"),
        description="Google Gemini API key (enables `google`: Imagen 4 and Gemini image).",
    )
    google_base_url: str | None = Field(None, description="Gemini API base URL (default the vendor's).")
    google_models: str = Field(
        "gemini-3.1-flash-image,gemini-3-pro-image",
        description="Google Gemini image models to offer, comma-separated (Imagen 4 left the Gemini API).",
    )
    replicate_api_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("REPLICATE_API_TOKEN"),
        description="Replicate token (enables `replicate`).",
    )
    replicate_base_url: str | None = Field(None, description="Replicate API base URL (default the vendor's).")
    replicate_models: str = Field(
        "google/imagen-4-ultra,stability-ai/stable-diffusion-3.5-large,black-forest-labs/flux-1.1-pro",
        description="Replicate model slugs to offer, comma-separated (families: imagen, sd3, flux).",
    )
    stability_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("STABILITY_API_KEY"),
        description="Stability AI key (enables `stability`).",
    )
    stability_base_url: str | None = Field(
        None, description="Stability REST base URL (default the vendor's)."
    )
    stability_models: str = Field(
        "sd3.5-large,stable-image-ultra,stable-image-core",
        description="Stability stable-image models to offer, comma-separated.",
    )
    comfyui_url: str | None = Field(
        None, description="Base URL of a self-hosted ComfyUI (enables `comfyui`), e.g. http://127.0.0.1:8188."
    )
    comfyui_workflow: Path | None = Field(
        None,
        description="ComfyUI workflow template (API JSON with placeholders); default: the packaged SD one.",
    )
    comfyui_checkpoint: str = Field(
        "v1-5-pruned-emaonly.safetensors",
        description="Checkpoint the ComfyUI workflow loads ({{checkpoint}}).",
    )
    diffusers_weights_dir: Path | None = Field(
        None,
        description="Local Stable Diffusion weights (diffusers layout; enables `diffusers`, needs `ml`).",
    )
    diffusers_steps: int = Field(
        25, ge=1, le=200, description="Denoising steps of the local diffusers model."
    )
    provider_timeout_seconds: float = Field(
        120.0, gt=0, le=3600, description="Timeout of one provider call (connect + generate + download)."
    )
    provider_max_attempts: int = Field(
        4, ge=1, le=20, description="Attempts per image on one provider before falling back to the next."
    )
    provider_retry_max_seconds: float = Field(
        60.0, ge=0, le=3600, description="Longest wait between two attempts (caps backoff and Retry-After)."
    )
    provider_limits: dict[str, ProviderLimit] = Field(
        default_factory=dict,
        description='Per-provider limits as JSON, e.g. {"openai": {"rpm": 50, "concurrency": 5}}.',
    )
    provider_default_rpm: int = Field(
        60,
        ge=1,
        description="Requests per minute of a vendor API without own limits (in-process renderers: none).",
    )
    provider_default_concurrency: int = Field(
        4, ge=1, le=256, description="Concurrent calls of a provider without limits (across all workers)."
    )
    circuit_failure_threshold: int = Field(
        5, ge=1, le=1000, description="Consecutive failures that cool a provider down (circuit breaker)."
    )
    circuit_cooldown_seconds: float = Field(
        60.0, ge=0, le=86400, description="Cool-down before a half-open probe of a failing provider."
    )
    routing_strategy: Literal["balanced", "quality_first", "cost_optimized", "speed_optimized"] = Field(
        "balanced", description="Default routing strategy (weights of DESIGN.md §4)."
    )
    monthly_budget_usd: float | None = Field(
        None, ge=0, description="Default spending limit per user and calendar month (unset = none)."
    )
    request_max_usd: float | None = Field(
        None, ge=0, description="Default spending limit of one request (unset = none)."
    )

    # Understanding the designer (stages 1–7).
    portfolio_min_images: int = Field(5, ge=1, description="Fewest images a new portfolio upload may have.")
    portfolio_max_images: int = Field(500, ge=1, le=5000, description="Most images one portfolio may hold.")
    portfolio_zip_max_bytes: int = Field(
        1024**3, ge=1024, description="Largest total uncompressed size of a portfolio ZIP, in bytes."
    )
    portfolio_duplicate_distance: int = Field(
        6,
        ge=0,
        le=32,
        description="Perceptual-hash Hamming distance at or below which images are duplicates.",
    )
    analyser: Literal["auto", "offline", "vision", "vlt"] = Field(
        "auto",
        description="Portfolio analyser: `auto` = vision model if configured, else VLT, else offline.",
    )
    vlt_api_url: str | None = Field(
        None,
        validation_alias=AliasChoices("VLT_API_URL", "DESIGNER_BFF_VLT_API_URL"),
        description="Base URL of the VLT visual-descriptor API (`POST /v1/jobs`, `GET /healthz`).",
    )
    vlt_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("VLT_API_KEY", "DESIGNER_BFF_VLT_API_KEY"), description="VLT key."
    )
    vlt_model: str = Field("gemini", max_length=64, description="VLT `model` form field.")
    vlt_passes: str = Field("A,B,C", max_length=64, description="VLT `passes` form field.")
    text_model: str | None = Field(
        None,
        max_length=120,
        description="Chat model for command parsing and prompt enhancement (e.g. gpt-4.1-mini, llama3.1).",
    )
    text_model_base_url: str | None = Field(
        None, description="OpenAI-compatible base URL of the text model (unset: OpenAI; Ollama: …:11434/v1)."
    )
    text_model_api_key: SecretStr | None = Field(
        None, description="Key of the text model's API (unset: OPENAI_API_KEY; local servers need none)."
    )
    vision_model: str | None = Field(
        None, max_length=120, description="Vision chat model for portfolio analysis (e.g. gpt-4.1, llava)."
    )
    vision_model_base_url: str | None = Field(
        None, description="OpenAI-compatible base URL of the vision model (unset: the text model's)."
    )
    vision_model_api_key: SecretStr | None = Field(
        None, description="Key of the vision model's API (unset: the text model's key)."
    )
    llm_timeout_seconds: float = Field(60.0, gt=0, le=600, description="Timeout of one text/vision call.")
    prompt_enhancement: bool = Field(
        False,
        description="Rewrite prompts with the text model (cached by input); needs DESIGNER_BFF_TEXT_MODEL.",
    )
    command_default_count: int = Field(
        10, ge=1, description="Designs made when a command names no number ('create evening gowns')."
    )
    nightly_batch_size: int = Field(100, ge=1, description="Designs kept by an overnight batch.")
    nightly_hour: int = Field(2, ge=0, le=23, description="Hour (UTC) at which overnight batches start.")
    persona_threshold: float = Field(
        0.6, ge=0, le=1, description="Persona match below which its keywords are injected into prompts."
    )
    persona_embedder: Literal["auto", "tfidf", "minilm"] = Field(
        "auto", description="Text embeddings for persona matching: MiniLM (ml extra) when `auto` finds it."
    )
    exploration_temperature: float = Field(
        0.3, ge=0, le=2, description="Exploratory sampling: 0 follows the profile, higher mutates more."
    )
    global_learning: bool = Field(
        False,
        description="Each feature's prior from all users' aggregate evidence instead of Beta(2, 2).",
    )

    def model_list(self, provider: str) -> list[str]:
        """The configured model names of one vendor, in order."""
        raw: str = getattr(self, f"{provider}_models")
        return [m.strip() for m in raw.split(",") if m.strip()]

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("DESIGNER_BFF_SECRET_KEY must have at least 32 characters")
        return value

    @model_validator(mode="after")
    def _check_storage(self) -> Settings:
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("DESIGNER_BFF_STORAGE_BACKEND=s3 needs S3_BUCKET")
        if self.validation_reject_below > self.validation_flag_below:
            raise ValueError("DESIGNER_BFF_VALIDATION_REJECT_BELOW must not exceed VALIDATION_FLAG_BELOW")
        if self.image_embedder == "clip" and self.clip_weights_dir is None:
            raise ValueError("DESIGNER_BFF_IMAGE_EMBEDDER=clip needs DESIGNER_BFF_CLIP_WEIGHTS_DIR")
        if self.cluster_k_min > self.cluster_k_max:
            raise ValueError("DESIGNER_BFF_CLUSTER_K_MIN must not exceed CLUSTER_K_MAX")
        return self

    @property
    def sqlite_path(self) -> Path:
        """Path of the embedded SQLite database."""
        return self.data_dir / "designer_bff.db"

    @property
    def effective_database_url(self) -> str:
        """The database URL in force: DATABASE_URL or the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    def secret(self) -> str:
        """The signing secret; created once under data_dir when not configured."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret.key"
        if not path.exists():
            import os
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                # O_EXCL: when several processes start at once, exactly one writes the key.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
        for _ in range(50):  # another process may have created the file but not yet written it
            text = path.read_text().strip()
            if text:
                return text
            import time

            time.sleep(0.02)
        raise ConfigurationError(f"{path} is empty; delete it or set DESIGNER_BFF_SECRET_KEY")


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`, with explicit overrides; raise a clear error."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc
