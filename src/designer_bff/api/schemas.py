"""HTTP request and response bodies (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from designer_bff.domain.generation import GenerationSettings
from designer_bff.domain.spec import CamelModel


class RegisterBody(CamelModel):
    """New account."""

    email: str = Field(max_length=320)
    password: str = Field(max_length=256)
    display_name: str | None = Field(None, max_length=120)


class LoginBody(CamelModel):
    """Credentials."""

    email: str = Field(max_length=320)
    password: str = Field(max_length=256)


class UserOut(CamelModel):
    """An account as its owner sees it."""

    id: str
    email: str
    display_name: str | None
    created_at: datetime


class TokenOut(CamelModel):
    """A login token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    user: UserOut


class ApiKeyBody(CamelModel):
    """Name of a new API key."""

    name: str = Field(min_length=1, max_length=100)


class ApiKeyOut(CamelModel):
    """An API key without its secret."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    """A new API key; `key` is shown this once."""

    key: str


class FromPromptBody(CamelModel):
    """Generate from text."""

    prompt: str = Field(min_length=1, max_length=4000)
    negative_prompt: str | None = Field(None, max_length=2000)
    count: int = Field(4, description="Images to make (1..DESIGNER_BFF_MAX_IMAGES_PER_REQUEST).")
    settings: GenerationSettings = Field(default_factory=GenerationSettings)


class FromSpecBody(CamelModel):
    """Generate from a canonical spec or a legacy VLT record / batch envelope."""

    vlt_spec: dict[str, Any]
    count: int | None = Field(None, description="Default: one per spec/record.")
    settings: GenerationSettings = Field(default_factory=GenerationSettings)


class FeedbackBody(CamelModel):
    """A reaction: outlier (a standout), heart, save, rating 1–5, comment or reject."""

    type: Literal["outlier", "heart", "save", "rating", "comment", "reject"]
    asset_id: str | None = Field(None, max_length=32)
    rating: int | None = None
    comment: str | None = Field(None, max_length=4000)


class Accepted(CamelModel):
    """A generation was queued."""

    id: str
    status: str
    status_url: str
    warnings: list[str] = Field(default_factory=list)


class AssetOut(CamelModel):
    """One image."""

    id: str
    slot: int
    url: str
    thumbnail_url: str
    width: int
    height: int
    bytes: int
    mime: str
    provider: str
    model: str
    seed: int | None
    spec: dict[str, Any]
    prompt: str
    negative_prompt: str | None
    cost_usd: float
    created_at: datetime
    selected: bool = Field(description="Kept by the selection; false for hidden over-generated candidates.")
    verdict: str | None = Field(None, description="Validation: ok, flagged or rejected.")
    validation_score: float | None = None
    validation: dict[str, Any] | None = Field(None, description="Per-attribute validation results.")
    cluster: int | None = None
    pick_rank: int | None = Field(None, description="Order in which the DPP selection picked it.")
    pick_gain: float | None = Field(None, description="Log-det gain of the pick.")
    features: list[str] | None = Field(None, description="What the preference model knows this image by.")
    judgement: str | None = Field(None, description="Your current judgement of it (outlier, heart, …).")


class FeedbackOut(CamelModel):
    """A stored reaction."""

    id: str
    generation_id: str
    type: str
    asset_id: str | None
    rating: int | None
    comment: str | None
    strength: float | None = Field(None, description="How much it counts (DESIGN §4 strengths).")
    sentiment: str | None = Field(None, description="A comment's sentiment: positive, neutral, negative.")
    undone_at: datetime | None = None
    created_at: datetime


class GenerationOut(CamelModel):
    """A generation with its stages and assets."""

    id: str
    status: str
    mode: str
    requested_count: int
    candidate_count: int = Field(description="Images made, including over-generated candidates.")
    hidden_count: int = Field(description="Candidates the selection left out (see ?include=all).")
    progress: dict[str, int]
    cost_usd: float
    error: str | None
    request: dict[str, Any]
    settings: dict[str, Any]
    stages: dict[str, Any]
    warnings: list[str]
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    assets: list[AssetOut]
    feedback: list[FeedbackOut] = Field(default_factory=list)


class GenerationPage(CamelModel):
    """A page of generations."""

    items: list[GenerationOut]
    total: int
    limit: int
    offset: int


class EstimateBody(CamelModel):
    """A request to price: the body of from-prompt or from-spec (give `prompt` or `vltSpec`)."""

    prompt: str | None = Field(None, min_length=1, max_length=4000)
    negative_prompt: str | None = Field(None, max_length=2000)
    vlt_spec: dict[str, Any] | None = None
    count: int | None = Field(None, description="Images to keep; default 4 (prompt) or one per spec.")
    settings: GenerationSettings = Field(default_factory=GenerationSettings)


class BudgetBody(CamelModel):
    """The caller's own spending limits in USD (null = the deployment's default)."""

    monthly_budget_usd: float | None = Field(None, ge=0, le=1_000_000)
    request_max_usd: float | None = Field(None, ge=0, le=1_000_000)


class RoutingDecisionOut(CamelModel):
    """Stage 8's decision for one image."""

    id: str
    generation_id: str
    slot: int
    category: str
    strategy: str
    chosen: str
    fallbacks: list[str]
    candidates: list[dict[str, Any]]
    reason: str
    created_at: datetime


class RoutingDecisionPage(CamelModel):
    """A page of routing decisions."""

    items: list[RoutingDecisionOut]
    total: int
    limit: int
    offset: int
