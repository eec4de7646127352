"""Providers keyed by id, built by the composition root (nothing registers itself on import)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from designer_bff.errors import InvalidInput
from designer_bff.providers.base import ImageProvider


class ProviderRegistry:
    """The providers this deployment knows, by `provider_id`."""

    def __init__(self, providers: Iterable[ImageProvider]) -> None:
        self._providers = {p.provider_id: p for p in providers}

    def __iter__(self) -> Iterator[ImageProvider]:
        return iter(self._providers.values())

    def ids(self) -> list[str]:
        """Every known provider id."""
        return list(self._providers)

    def configured_ids(self) -> list[str]:
        """Ids of providers that can be called right now."""
        return [pid for pid, p in self._providers.items() if p.is_configured()]

    def get(self, provider_id: str) -> ImageProvider:
        """The provider with this id, or InvalidInput listing the known ones."""
        provider = self._providers.get(provider_id)
        if provider is None:
            raise InvalidInput(
                f"unknown provider {provider_id!r}; available: {', '.join(self._providers)}",
                field="settings.provider",
                allowed=list(self._providers),
            )
        return provider
