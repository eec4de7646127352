"""OpenAI SDK exceptions and plain HTTP statuses → `ProviderError` kinds, shared by the model clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from designer_bff.errors import ProviderError
from designer_bff.providers.openai_images import parse_retry_after

if TYPE_CHECKING:
    import openai

__all__ = ["from_openai", "from_status", "parse_retry_after", "status_text"]


def status_text(exc: openai.APIStatusError) -> str:
    """The server's own message with the status and code, e.g. "model not found (HTTP 404, code x)"."""
    body = exc.body if isinstance(exc.body, dict) else {}
    message = body.get("message") or exc.message
    return f"{message} (HTTP {exc.status_code}, code {exc.code})"


def from_status(
    status: int, message: str, *, provider: str, headers: Mapping[str, str] | None = None
) -> ProviderError:
    """A ProviderError for an HTTP error status: 401/403 auth, 429 rate_limit, 408 timeout, 5xx transient."""
    if status in (401, 403):
        kind = "auth"
    elif status == 429:
        return ProviderError(
            message,
            provider=provider,
            kind="rate_limit",
            retry_after=parse_retry_after(headers) if headers is not None else None,
        )
    elif status == 408:
        kind = "timeout"
    elif status >= 500:
        kind = "transient"
    else:
        kind = "invalid"
    return ProviderError(message, provider=provider, kind=kind)


def from_openai(exc: openai.OpenAIError, *, provider: str, label: str, timeout_s: float) -> ProviderError:
    """Map one SDK exception; `label` prefixes the message (e.g. "chat gpt-4o-mini")."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ProviderError(f"{label}: no answer within {timeout_s:g} s", provider=provider, kind="timeout")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(f"{label}: connection failed: {exc}", provider=provider, kind="transient")
    if not isinstance(exc, openai.APIStatusError):
        return ProviderError(f"{label}: unusable answer: {exc}", provider=provider, kind="transient")
    text = f"{label}: {status_text(exc)}"
    if isinstance(exc, openai.RateLimitError) and exc.code == "insufficient_quota":
        # Out of credit: waiting will not help, fixing the account will, like a bad key.
        return ProviderError(text, provider=provider, kind="auth")
    if exc.code in ("content_policy_violation", "content_filter"):
        return ProviderError(text, provider=provider, kind="refusal")
    return from_status(exc.status_code, text, provider=provider, headers=exc.response.headers)
