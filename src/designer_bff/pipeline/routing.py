"""Stage 8 (routing): choose the provider for a request. An explicit choice wins; otherwise the default."""

from __future__ import annotations

from dataclasses import dataclass

from designer_bff.errors import InvalidInput
from designer_bff.providers.registry import ProviderRegistry

OFFLINE_PROVIDER = "tech-flat"


@dataclass(frozen=True)
class RoutingDecision:
    """Which provider runs the request, and why."""

    provider: str
    model: str
    reason: str
    candidates: tuple[str, ...]


def route(registry: ProviderRegistry, *, requested: str | None, default: str) -> RoutingDecision:
    """Pick a configured provider: the requested one, else the default, else the offline renderer."""
    configured = tuple(registry.configured_ids())
    if requested:
        provider = registry.get(requested)
        if not provider.is_configured():
            raise InvalidInput(
                f"provider {requested!r} is not configured (missing key or weights); configured: "
                + ", ".join(configured),
                field="settings.provider",
                allowed=configured,
            )
        return RoutingDecision(requested, provider.model, "requested explicitly", configured)
    if default in configured:
        return RoutingDecision(default, registry.get(default).model, "deployment default", configured)
    fallback = registry.get(OFFLINE_PROVIDER)
    return RoutingDecision(
        OFFLINE_PROVIDER,
        fallback.model,
        f"default provider {default!r} is not configured; using the offline renderer",
        configured,
    )
