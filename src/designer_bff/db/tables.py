"""SQLAlchemy 2 table mappings. Migrations in `migrations/` must match these."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from designer_bff.db.vector import FeatureVector

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC."""
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def new_id() -> str:
    """A fresh opaque id (32 hex characters)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map = {dict[str, Any]: JsonType, datetime: UTCDateTime()}


class User(Base):
    """A designer account."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The user's own spending limits; None = the deployment's defaults (settings).
    monthly_budget_usd: Mapped[float | None] = mapped_column(Float)
    request_max_usd: Mapped[float | None] = mapped_column(Float)
    # The persona requests are matched to first ("default:…", "profile:…" or a stored persona's id).
    active_persona: Mapped[str | None] = mapped_column(String(64))


class ApiKey(Base):
    """A long-lived key for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()


class Generation(Base):
    """One generation request and its lifecycle (pending → processing → completed | failed)."""

    __tablename__ = "generations"
    working_status = "processing"  # the status a claimed job has (see db/leases.py)
    __table_args__ = (
        Index("ix_generations_user_created", "user_id", "created_at"),
        Index("ix_generations_status_heartbeat", "status", "heartbeat_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    mode: Mapped[str] = mapped_column(String(16))
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pipeline_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requested_count: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()


class GenerationAsset(Base):
    """One stored image of a generation; `slot` makes re-runs idempotent."""

    __tablename__ = "generation_assets"
    __table_args__ = (
        UniqueConstraint("generation_id", "slot", name="uq_generation_assets_slot"),
        Index("ix_generation_assets_user_created", "user_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(255))
    thumbnail_key: Mapped[str] = mapped_column(String(255))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    seed: Mapped[int | None] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str | None] = mapped_column(Text)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Stages 10–13: filled as each candidate is stored (validation, embedding) and when the batch is
    # selected (cluster, pick). `selected` is False for over-generated candidates the selection left out.
    selected: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    verdict: Mapped[str | None] = mapped_column(String(16))
    validation_score: Mapped[float | None] = mapped_column(Float)
    validation: Mapped[dict[str, Any] | None] = mapped_column()
    embedding: Mapped[builtins.bytes | None] = mapped_column(FeatureVector)  # `bytes` is a column here
    embedding_model: Mapped[str | None] = mapped_column(String(160))
    cluster: Mapped[int | None] = mapped_column(Integer)
    pick_rank: Mapped[int | None] = mapped_column(Integer)
    pick_gain: Mapped[float | None] = mapped_column(Float)
    # Stage 15: the preference-model features of this image (attributes, modifiers, route, persona,
    # direction), fixed when the batch is selected; None until then.
    features: Mapped[list[str] | None] = mapped_column(JsonType)


class GenerationCluster(Base):
    """One cluster of a batch's candidates (stage 12)."""

    __tablename__ = "generation_clusters"
    __table_args__ = (UniqueConstraint("generation_id", "label", name="uq_generation_clusters_label"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    label: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    name: Mapped[str] = mapped_column(String(200))
    dominant: Mapped[dict[str, Any]] = mapped_column(default=dict)
    central_asset_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CoverageReport(Base):
    """A batch's attribute coverage (stage 14)."""

    __tablename__ = "coverage_reports"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), unique=True)
    overall: Mapped[float] = mapped_column(Float)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CoverageGap(Base):
    """An attribute gap of a user's batches: open until a later batch covers its values."""

    __tablename__ = "coverage_gaps"
    __table_args__ = (Index("ix_coverage_gaps_user_status", "user_id", "status"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(64))
    attribute: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    boost: Mapped[float] = mapped_column(Float)
    gap_points: Mapped[float] = mapped_column(Float)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opened_generation_id: Mapped[str | None] = mapped_column(
        ForeignKey("generations.id", ondelete="SET NULL")
    )
    closed_generation_id: Mapped[str | None] = mapped_column(
        ForeignKey("generations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()


class CoverageSettings(Base):
    """A user's coverage targets and selection defaults (JSON of `CoverageConfig` and friends)."""

    __tablename__ = "coverage_settings"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GenerationFeedback(Base):
    """A designer's reaction to a generation or one of its assets."""

    __tablename__ = "generation_feedback"
    __table_args__ = (Index("ix_generation_feedback_user_created", "user_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[str | None] = mapped_column(
        ForeignKey("generation_assets.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    strength: Mapped[float | None] = mapped_column(Float)  # DESIGN §4 strength of this reaction
    sentiment: Mapped[str | None] = mapped_column(String(16))  # of a comment: positive | neutral | negative
    undone_at: Mapped[datetime | None] = mapped_column()  # set by undo; the row stays as history
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderCall(Base):
    """One image slot on one provider route: the idempotency ledger and the record of what it cost.

    The id is the idempotency key of the call (stable across retries and re-runs). `cost_usd` is set
    once, when the provider confirms the image; `storage_key` points at the image stored right after,
    so a re-run reuses it instead of paying again. Rows outlive their generation (SET NULL): money spent
    stays spent when a generation is deleted.
    """

    __tablename__ = "provider_calls"
    __table_args__ = (
        Index("ix_provider_calls_user_created", "user_id", "created_at"),
        Index("ix_provider_calls_route_created", "provider", "model", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    generation_id: Mapped[str | None] = mapped_column(
        ForeignKey("generations.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | succeeded | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    vendor_ref: Mapped[str | None] = mapped_column(String(255))
    error_kind: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    cost_basis: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    storage_key: Mapped[str | None] = mapped_column(String(255))
    mime: Mapped[str | None] = mapped_column(String(32))
    # What the provider said besides the image: size, seed used, revised prompt, cost basis.
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fallback_from: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class RoutingDecisionRow(Base):
    """Stage 8's choice for one image: the candidates with their scores, the winner and why."""

    __tablename__ = "routing_decisions"
    __table_args__ = (Index("ix_routing_decisions_user_created", "user_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(32))
    chosen: Mapped[str] = mapped_column(String(200))
    fallbacks: Mapped[list[str]] = mapped_column(JsonType, default=list)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Portfolio(Base):
    """A designer's uploaded portfolio and its background analysis (stage 1)."""

    __tablename__ = "portfolios"
    working_status = "analysing"
    __table_args__ = (Index("ix_portfolios_user_created", "user_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    # pending (queued) → analysing → ready | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()


class PortfolioImage(Base):
    """One file of a portfolio upload: stored and analysed, or rejected/duplicate with the reason."""

    __tablename__ = "portfolio_images"
    __table_args__ = (
        Index("ix_portfolio_images_portfolio", "portfolio_id", "position"),
        Index("ix_portfolio_images_user_phash", "user_id", "phash"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    portfolio_id: Mapped[str] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    # pending → analysed | failed; rejected (bad file, never stored) and duplicate are final on upload
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(String(32))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    mime: Mapped[str | None] = mapped_column(String(32))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(Integer)
    phash: Mapped[str | None] = mapped_column(String(16))
    analyser: Mapped[str | None] = mapped_column(String(120))
    spec: Mapped[dict[str, Any] | None] = mapped_column()
    confidence: Mapped[dict[str, Any] | None] = mapped_column()
    analysis: Mapped[dict[str, Any] | None] = mapped_column()
    embedding: Mapped[builtins.bytes | None] = mapped_column(FeatureVector)
    embedding_model: Mapped[str | None] = mapped_column(String(160))
    # Feedback can make an image count more (or less) in the profile.
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    analysed_at: Mapped[datetime | None] = mapped_column()


class StyleProfileRow(Base):
    """A user's current style profile (stage 2) and the statistics that let it update incrementally."""

    __tablename__ = "style_profiles"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    images: Mapped[int] = mapped_column(Integer, default=0)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PersonaRow(Base):
    """A user-defined persona (defaults and profile-derived ones are computed, not stored)."""

    __tablename__ = "personas"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_personas_user_name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JsonType, default=list)
    style_preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    example_prompts: Mapped[list[str]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PromptCache(Base):
    """LLM prompt enhancements by input hash, so the same input never pays twice."""

    __tablename__ = "prompt_cache"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(160))
    family: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommandRow(Base):
    """A typed or spoken command, its parsed intent and the generation it started."""

    __tablename__ = "commands"
    __table_args__ = (Index("ix_commands_user_created", "user_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[dict[str, Any]] = mapped_column(default=dict)
    generation_id: Mapped[str | None] = mapped_column(ForeignKey("generations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssetJudgement(Base):
    """A user's current judgement of one asset: their latest reaction not undone (history in
    generation_feedback)."""

    __tablename__ = "asset_judgements"
    __table_args__ = (Index("ix_asset_judgements_user_judged", "user_id", "judged_at"),)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    asset_id: Mapped[str] = mapped_column(
        ForeignKey("generation_assets.id", ondelete="CASCADE"), primary_key=True
    )
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"))
    judgement: Mapped[str] = mapped_column(String(16))  # outlier | heart | save | rating | comment | reject
    strength: Mapped[float] = mapped_column(Float)
    rating: Mapped[int | None] = mapped_column(Integer)
    feedback_id: Mapped[str] = mapped_column(String(32))
    judged_at: Mapped[datetime] = mapped_column()


class PreferenceStat(Base):
    """One feature of a user's preference model: time-decayed Beta evidence and success counts.

    `pos`/`neg` are Σ weight·strength and Σ weight·(1 − strength) of the current judgements, decayed to
    `ref_at`; the posterior is Beta(2 + pos·d, 2 + neg·d) with d = exp(−(now − ref_at)/30 days). The
    counts (undecayed) are for success tracking: `shown` kept images with the feature, and how many of
    them are currently judged, standouts, hearts, saves and rejects.
    """

    __tablename__ = "preference_stats"
    __table_args__ = (Index("ix_preference_stats_user_kind", "user_id", "kind"),)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    feature: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # attribute | modifier | route | persona | direction
    pos: Mapped[float] = mapped_column(Float, default=0.0)
    neg: Mapped[float] = mapped_column(Float, default=0.0)
    ref_at: Mapped[datetime] = mapped_column(default=utcnow)
    shown: Mapped[int] = mapped_column(Integer, default=0)
    judged: Mapped[int] = mapped_column(Integer, default=0)
    outliers: Mapped[int] = mapped_column(Integer, default=0)
    hearts: Mapped[int] = mapped_column(Integer, default=0)
    saves: Mapped[int] = mapped_column(Integer, default=0)
    rejects: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LearningUpdate(Base):
    """One change to one feature of the preference model, and the feedback that caused it."""

    __tablename__ = "learning_updates"
    __table_args__ = (
        Index("ix_learning_updates_user_created", "user_id", "created_at"),
        Index("ix_learning_updates_feedback", "feedback_id"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    feedback_id: Mapped[str | None] = mapped_column(String(32))
    asset_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))  # feedback | undo | rebuild
    feature: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    reward: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float | None] = mapped_column(Float)
    before_mean: Mapped[float] = mapped_column(Float)
    after_mean: Mapped[float] = mapped_column(Float)
    before_evidence: Mapped[float] = mapped_column(Float)
    after_evidence: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
