"""Stage 8 (routing): choose a provider route per image — capability and budget filter, strategy scores.

Pure: the caller gathers what is known about each route (prices, observed latency and failures, the
Beta posterior of how often it pleases this designer for the garment category, circuit state) and this
module filters, scores and ranks. The quality term is a Thompson sample from that posterior, so routes
with little evidence still get tried in proportion to their chance of being the best.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from designer_bff.providers.base import Capabilities

OFFLINE_PROVIDER = "tech-flat"
TERMS = ("quality", "cost", "speed", "suitability", "history")
# DESIGN.md §4: weights of quality / cost / speed / suitability / history.
STRATEGIES: dict[str, tuple[float, float, float, float, float]] = {
    "balanced": (0.30, 0.20, 0.15, 0.25, 0.10),
    "quality_first": (0.45, 0.05, 0.10, 0.30, 0.10),
    "cost_optimized": (0.15, 0.45, 0.10, 0.20, 0.10),
    "speed_optimized": (0.20, 0.10, 0.45, 0.15, 0.10),
}
PRIOR = (2.0, 2.0)  # Beta(2, 2): no opinion yet, but not a coin that lands on 0 or 1
MAX_FALLBACKS = 3


def route_id(provider: str, model: str) -> str:
    """The id of one provider × model route, e.g. `openai:gpt-image-1`."""
    return f"{provider}:{model}"


@dataclass(frozen=True)
class RouteOption:
    """A route the router may choose, with everything known about it for this image."""

    provider: str
    model: str
    capabilities: Capabilities
    price_usd: float
    latency_s: float  # observed median latency, or the declared typical latency without observations
    successes: int = 0
    failures: int = 0
    quality_alpha: float = PRIOR[0]
    quality_beta: float = PRIOR[1]
    cooling_down: bool = False

    @property
    def route(self) -> str:
        """`provider:model`."""
        return route_id(self.provider, self.model)


@dataclass(frozen=True)
class RouteNeeds:
    """What one image asks of a provider."""

    prompt_length: int
    width: int
    height: int
    aspect_ratio: str
    quality: str
    negative_prompt: bool = False
    reference_images: int = 0
    budget_left_usd: float | None = None


@dataclass(frozen=True)
class ScoredRoute:
    """One candidate's scores (or why it was excluded)."""

    route: str
    price_usd: float
    scores: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    excluded: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the stored decision."""
        out: dict[str, Any] = {"route": self.route, "priceUsd": self.price_usd}
        if self.excluded:
            out["excluded"] = self.excluded
        else:
            out["scores"] = {k: round(v, 4) for k, v in self.scores.items()}
            out["total"] = round(self.total, 4)
        return out


@dataclass(frozen=True)
class RouteChoice:
    """The decision for one image: the route, its fallbacks in order, and why."""

    route: str
    fallbacks: tuple[str, ...]
    reason: str
    strategy: str
    candidates: tuple[ScoredRoute, ...]


COOLING = "cooling down after consecutive failures (circuit open)"


def _exclusion(option: RouteOption, needs: RouteNeeds) -> str | None:
    caps = option.capabilities
    if needs.prompt_length > caps.max_prompt_length:
        return f"prompt of {needs.prompt_length} characters exceeds its limit of {caps.max_prompt_length}"
    if needs.reference_images and not caps.reference_images:
        return "does not accept reference images"
    if needs.budget_left_usd is not None and option.price_usd > needs.budget_left_usd + 1e-9:
        return f"${option.price_usd:.3f} per image exceeds the ${needs.budget_left_usd:.3f} budget left"
    if option.cooling_down:
        return COOLING
    return None


def _suitability(caps: Capabilities, needs: RouteNeeds) -> float:
    """How natively the route does what this image asks (1 = everything)."""
    factors = [
        1.0 if needs.aspect_ratio in caps.aspect_ratios else 0.6,
        1.0 if needs.quality in caps.qualities else 0.7,
        1.0 if not needs.negative_prompt or caps.negative_prompt else 0.5,
        1.0 if caps.seed else 0.8,  # a seed makes an image reproducible from its recipe
    ]
    return sum(factors) / len(factors)


def score_routes(
    options: list[RouteOption], needs: RouteNeeds, strategy: str, rng: random.Random
) -> list[ScoredRoute]:
    """Eligible routes best first (scores in [0, 1] per term), then the excluded ones with reasons."""
    weights = STRATEGIES[strategy]
    excluded = {o.route: _exclusion(o, needs) for o in options}
    # A route cooling down is only skipped while another one can take the image.
    if all(excluded.values()):
        excluded = {route: None if why == COOLING else why for route, why in excluded.items()}
    eligible = [o for o in options if excluded[o.route] is None]
    max_price = max((o.price_usd for o in eligible), default=0.0)
    min_latency = min((o.latency_s for o in eligible), default=1.0)
    scored = []
    for o in eligible:
        terms = {
            "quality": rng.betavariate(o.quality_alpha, o.quality_beta),
            "cost": 1.0 - o.price_usd / max_price if max_price > 0 else 1.0,
            "speed": min_latency / o.latency_s if o.latency_s > 0 else 1.0,
            "suitability": _suitability(o.capabilities, needs),
            # Laplace-smoothed success rate of recent calls.
            "history": (o.successes + 1) / (o.successes + o.failures + 2),
        }
        total = sum(w * terms[t] for w, t in zip(weights, TERMS, strict=True))
        scored.append(ScoredRoute(o.route, o.price_usd, terms, total))
    scored.sort(key=lambda s: (-s.total, s.route))
    rejected = [
        ScoredRoute(o.route, o.price_usd, excluded=excluded[o.route]) for o in options if excluded[o.route]
    ]
    return scored + rejected


def choose(
    options: list[RouteOption],
    needs: RouteNeeds,
    *,
    strategy: str,
    rng: random.Random,
    requested: str | None = None,
) -> RouteChoice:
    """The route for one image. `requested` (a route id) wins when it is among the options."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown routing strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    ranked = score_routes(options, needs, strategy, rng)
    eligible = [s for s in ranked if s.excluded is None]
    if requested is not None:
        mine = next(s for s in ranked if s.route == requested)
        if mine.excluded:
            raise NoRoute(f"{requested} cannot make this image: {mine.excluded}", tuple(ranked))
        return RouteChoice(requested, (), "requested explicitly", strategy, tuple(ranked))
    if not eligible:
        reasons = "; ".join(f"{s.route}: {s.excluded}" for s in ranked) or "no provider is configured"
        raise NoRoute(f"no provider can make this image ({reasons})", tuple(ranked))
    best = eligible[0]
    terms = ", ".join(f"{t} {best.scores[t]:.2f}" for t in TERMS)
    reason = f"{strategy}: {best.route} scored {best.total:.3f} ({terms})"
    if len(eligible) > 1:
        reason += f" ahead of {eligible[1].route} {eligible[1].total:.3f}"
    fallbacks = tuple(s.route for s in eligible[1 : 1 + MAX_FALLBACKS])
    return RouteChoice(best.route, fallbacks, reason, strategy, tuple(ranked))


class NoRoute(Exception):
    """No configured route can make the image (every one was excluded)."""

    def __init__(self, message: str, candidates: tuple[ScoredRoute, ...]) -> None:
        super().__init__(message)
        self.candidates = candidates
