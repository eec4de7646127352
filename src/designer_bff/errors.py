"""The studio's small error hierarchy. Errors carry data; the API maps them to HTTP in one handler."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DesignerBFFError(Exception):
    """Base of every error the studio raises on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """JSON body for this error."""
        return {"error": self.code, "message": self.message, **self.details}


class ConfigurationError(DesignerBFFError):
    """Settings are missing or inconsistent."""

    code = "configuration_error"


class InvalidInput(DesignerBFFError):
    """The caller sent something the studio cannot accept."""

    status_code = 422
    code = "invalid_input"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        allowed: Sequence[str] | None = None,
        status_code: int | None = None,
        **details: Any,
    ) -> None:
        super().__init__(
            message, field=field, allowed=list(allowed) if allowed is not None else None, **details
        )
        self.field = field
        if status_code is not None:
            self.status_code = status_code


class PayloadTooLarge(InvalidInput):
    """An upload or image exceeds a configured limit."""

    status_code = 413
    code = "payload_too_large"


class UnsupportedMedia(InvalidInput):
    """An upload is not an image type the studio accepts."""

    status_code = 415
    code = "unsupported_media_type"


class NotFound(DesignerBFFError):
    """The resource does not exist for this caller (also used for other users' resources)."""

    status_code = 404
    code = "not_found"


class Unauthorized(DesignerBFFError):
    """Missing or invalid credentials."""

    status_code = 401
    code = "unauthorized"


class Forbidden(DesignerBFFError):
    """Authenticated but not allowed."""

    status_code = 403
    code = "forbidden"


class Conflict(DesignerBFFError):
    """The request conflicts with stored state (e.g. a taken email)."""

    status_code = 409
    code = "conflict"


class RateLimited(DesignerBFFError):
    """Too many attempts; retry after `retry_after` seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, retry_after=round(retry_after, 1))
        self.retry_after = retry_after


class ProviderError(DesignerBFFError):
    """An image provider failed. `kind` says how, `retry_after` when it may work again.

    Kinds: `auth` (bad or missing key), `rate_limit` (429; honour `retry_after`), `refusal` (content
    policy: retrying the same prompt will not help, another provider may), `transient` (5xx, connection
    reset, malformed answer), `timeout`, `invalid` (the request itself is wrong for this provider).
    """

    status_code = 502
    code = "provider_error"
    KINDS = ("auth", "rate_limit", "refusal", "transient", "timeout", "invalid")
    RETRYABLE = ("rate_limit", "transient", "timeout")

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        kind: str = "transient",
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown provider error kind {kind!r}")
        super().__init__(message, provider=provider, kind=kind, retry_after=retry_after)
        self.provider = provider
        self.kind = kind
        self.retry_after = retry_after
        self.retryable = kind in self.RETRYABLE if retryable is None else retryable


class BudgetExceeded(DesignerBFFError):
    """The request would exceed a spending limit."""

    status_code = 402
    code = "budget_exceeded"
