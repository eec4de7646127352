"""Stage 8 around the database: what is known about each route, and the decisions.

Route quality per garment category is the preference model's route feature (services.learning)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import timedelta

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.ledger import Calls, RouteStats, RoutingDecisions
from designer_bff.db.tables import RoutingDecisionRow
from designer_bff.domain.generation import GenerationSettings, PlannedImage
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.preferences import PreferenceModel, route_feature
from designer_bff.pipeline.routing import (
    OFFLINE_PROVIDER,
    RouteChoice,
    RouteNeeds,
    RouteOption,
    choose,
)
from designer_bff.pipeline.run import Chooser
from designer_bff.providers.breaker import CircuitBreaker
from designer_bff.providers.registry import ProviderRegistry

STATS_WINDOW = timedelta(days=7)
AUTO = "auto"


class Router:
    """Builds route options from the registry, the ledger's statistics and the user's posteriors."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        registry: ProviderRegistry,
        breaker: CircuitBreaker,
        preferences_of: Callable[[str], PreferenceModel] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.registry = registry
        self.breaker = breaker
        self.preferences_of = preferences_of

    def candidate_routes(self) -> list[str]:
        """Configured routes; the offline renderer only when nothing else is configured."""
        configured = self.registry.configured_ids()
        online = [r for r in configured if not r.startswith(OFFLINE_PROVIDER + ":")]
        return online or configured

    def requested_route(self, settings: GenerationSettings) -> str | None:
        """The route a request (or the deployment default) names explicitly, checked; None = route."""
        name = settings.provider or self.settings.default_provider
        if name == AUTO:
            return None
        route = self.registry.resolve(name)
        if not self.registry.get(route).is_configured():
            configured = self.registry.configured_ids()
            raise InvalidInput(
                f"provider {name!r} is not configured (missing key, URL or weights); configured: "
                + ", ".join(configured),
                field="settings.provider",
                allowed=configured,
            )
        return route

    def chooser(self, user_id: str | None, settings: GenerationSettings) -> Chooser:
        """A function choosing the route of one image, with statistics read once for the whole plan."""
        strategy = settings.strategy or self.settings.routing_strategy
        requested = self.requested_route(settings)
        routes = [requested] if requested else self.candidate_routes()
        with self.db.session() as s:
            stats = Calls(s).stats(STATS_WINDOW)
        learned = self.preferences_of(user_id) if user_id and self.preferences_of else PreferenceModel()
        cooling = {r for r in routes if self.breaker.status(r).state == "open"}

        def choose_one(spec: GarmentSpec, needs: RouteNeeds, rng: random.Random) -> RouteChoice:
            options = [
                self._option(route, spec.garment.type, needs, stats, learned, route in cooling)
                for route in routes
            ]
            return choose(options, needs, strategy=strategy, rng=rng, requested=requested)

        return choose_one

    def _option(
        self,
        route: str,
        category: str,
        needs: RouteNeeds,
        stats: dict[tuple[str, str], RouteStats],
        learned: PreferenceModel,
        cooling: bool,
    ) -> RouteOption:
        provider = self.registry.get(route)
        caps = provider.capabilities
        seen = stats.get((provider.provider_id, provider.model))
        quality_alpha, quality_beta = learned.quality(
            route_feature(provider.provider_id, provider.model, category)
        )
        return RouteOption(
            provider=provider.provider_id,
            model=provider.model,
            capabilities=caps,
            price_usd=provider.price_usd(needs.width, needs.height, needs.quality),
            latency_s=seen.mean_latency_s if seen and seen.mean_latency_s else caps.typical_latency_s,
            successes=seen.successes if seen else 0,
            failures=seen.failures if seen else 0,
            quality_alpha=quality_alpha,
            quality_beta=quality_beta,
            cooling_down=cooling,
        )

    def record(
        self, generation_id: str, user_id: str, items: Sequence[PlannedImage], choices: Sequence[RouteChoice]
    ) -> None:
        """Persist one decision per image."""
        with self.db.session() as s:
            RoutingDecisions(s).add_all(
                [
                    RoutingDecisionRow(
                        generation_id=generation_id,
                        user_id=user_id,
                        slot=item.slot,
                        category=item.spec.garment.type,
                        strategy=choice.strategy,
                        chosen=choice.route,
                        fallbacks=list(choice.fallbacks),
                        candidates=[c.to_dict() for c in choice.candidates],
                        reason=choice.reason,
                    )
                    for item, choice in zip(items, choices, strict=True)
                ]
            )
