"""Provider routes (one adapter instance per provider × model), built by the composition root."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from designer_bff.errors import InvalidInput
from designer_bff.providers.base import ImageProvider


def route_of(provider: ImageProvider) -> str:
    """`provider:model`, the id routing and the ledger use."""
    return f"{provider.provider_id}:{provider.model}"


class ProviderRegistry:
    """The routes this deployment knows. Lookups take a route id or a bare provider id (its first model)."""

    def __init__(self, providers: Iterable[ImageProvider]) -> None:
        self._routes = {route_of(p): p for p in providers}

    def __iter__(self) -> Iterator[ImageProvider]:
        return iter(self._routes.values())

    def ids(self) -> list[str]:
        """Every known route id."""
        return list(self._routes)

    def configured_ids(self) -> list[str]:
        """Route ids that can be called right now."""
        return [rid for rid, p in self._routes.items() if p.is_configured()]

    def resolve(self, name: str) -> str:
        """The route id `name` means: itself, or the first route of the provider it names."""
        if name in self._routes:
            return name
        for rid, provider in self._routes.items():
            if provider.provider_id == name:
                return rid
        known = sorted({p.provider_id for p in self._routes.values()} | set(self._routes))
        raise InvalidInput(
            f"unknown provider {name!r}; available: {', '.join(known)}",
            field="settings.provider",
            allowed=known,
        )

    def get(self, name: str) -> ImageProvider:
        """The adapter of a route id or provider id, or InvalidInput listing the known ones."""
        return self._routes[self.resolve(name)]
