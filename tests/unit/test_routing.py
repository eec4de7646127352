"""Stage 8: capability/budget filter, strategy scores, Thompson-sampled quality, explicit choice."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from designer_bff.pipeline.routing import (
    STRATEGIES,
    NoRoute,
    RouteNeeds,
    RouteOption,
    choose,
    score_routes,
)
from designer_bff.providers.base import Capabilities

CAPS = Capabilities(negative_prompt=True, aspect_ratios=("1:1", "3:4"), max_prompt_length=1000, seed=True)
NEEDS = RouteNeeds(prompt_length=200, width=768, height=1024, aspect_ratio="3:4", quality="standard")


def option(name: str, price: float, latency: float = 10.0, **kw: object) -> RouteOption:
    caps = kw.pop("caps", CAPS)
    return RouteOption(name, "m", caps, price, latency, **kw)  # type: ignore[arg-type]


def test_strategy_weights_are_the_designs_and_sum_to_one() -> None:
    assert STRATEGIES["balanced"] == (0.30, 0.20, 0.15, 0.25, 0.10)
    assert STRATEGIES["cost_optimized"] == (0.15, 0.45, 0.10, 0.20, 0.10)
    for weights in STRATEGIES.values():
        assert sum(weights) == pytest.approx(1.0)


def test_terms_are_computed_as_documented() -> None:
    cheap = option("cheap", 0.02, latency=5.0, successes=8, failures=2)
    dear = option("dear", 0.08, latency=20.0)
    scored = {s.route: s for s in score_routes([cheap, dear], NEEDS, "balanced", random.Random(0))}
    assert scored["cheap:m"].scores["cost"] == pytest.approx(0.75)
    assert scored["dear:m"].scores["cost"] == pytest.approx(0.0)
    assert scored["cheap:m"].scores["speed"] == pytest.approx(1.0)
    assert scored["dear:m"].scores["speed"] == pytest.approx(0.25)
    assert scored["cheap:m"].scores["history"] == pytest.approx(9 / 12)
    assert scored["dear:m"].scores["history"] == pytest.approx(0.5)
    assert scored["cheap:m"].scores["suitability"] == pytest.approx(1.0)
    weights = STRATEGIES["balanced"]
    s = scored["cheap:m"].scores
    expected = sum(
        w * s[t] for w, t in zip(weights, ("quality", "cost", "speed", "suitability", "history"), strict=True)
    )
    assert scored["cheap:m"].total == pytest.approx(expected)


def test_cost_strategy_prefers_cheap_and_quality_strategy_prefers_proven_quality() -> None:
    # "dear" has pleased this designer 40 times out of 42; "cheap" 2 out of 42.
    cheap = option("cheap", 0.01, quality_alpha=2 + 2, quality_beta=2 + 40)
    dear = option("dear", 0.12, quality_alpha=2 + 40, quality_beta=2 + 2)
    picks = Counter(
        choose([cheap, dear], NEEDS, strategy=s, rng=random.Random(i)).route
        for s in ("quality_first",)
        for i in range(200)
    )
    assert picks["dear:m"] == 200
    picks = Counter(
        choose(
            [option("cheap", 0.01), option("dear", 0.12)],
            NEEDS,
            strategy="cost_optimized",
            rng=random.Random(i),
        ).route
        for i in range(200)
    )
    assert picks["cheap:m"] > 180


def test_thompson_sampling_still_explores_an_uncertain_route() -> None:
    known = option("known", 0.04, quality_alpha=30, quality_beta=20)  # mean 0.6, tight
    new = option("new", 0.04)  # Beta(2, 2): mean 0.5, wide
    picks = Counter(
        choose([known, new], NEEDS, strategy="quality_first", rng=random.Random(i)).route for i in range(400)
    )
    assert 40 < picks["new:m"] < 200  # tried, but less often than the better-known route


def test_exclusions_name_the_reason_and_fallbacks_are_the_next_best() -> None:
    short = option(
        "short", 0.01, caps=Capabilities(negative_prompt=False, aspect_ratios=("1:1",), max_prompt_length=100)
    )
    dear = option("dear", 0.50)
    cool = option("cool", 0.01, cooling_down=True)
    ok1, ok2 = option("ok1", 0.02), option("ok2", 0.03)
    needs = RouteNeeds(**{**NEEDS.__dict__, "budget_left_usd": 0.10})
    choice = choose([short, dear, cool, ok1, ok2], needs, strategy="balanced", rng=random.Random(1))
    excluded = {c.route: c.excluded for c in choice.candidates if c.excluded}
    assert "exceeds its limit of 100" in excluded["short:m"]
    assert "budget" in excluded["dear:m"]
    assert "cooling down" in excluded["cool:m"]
    assert {choice.route, *choice.fallbacks} == {"ok1:m", "ok2:m"}
    assert choice.reason.startswith("balanced: ") and "ahead of" in choice.reason


def test_a_cooling_route_is_used_when_nothing_else_can() -> None:
    choice = choose(
        [option("cool", 0.01, cooling_down=True)], NEEDS, strategy="balanced", rng=random.Random(0)
    )
    assert choice.route == "cool:m" and choice.fallbacks == ()


def test_nothing_eligible_raises_with_every_reason() -> None:
    needs = RouteNeeds(**{**NEEDS.__dict__, "reference_images": 1})
    with pytest.raises(NoRoute, match="does not accept reference images"):
        choose([option("a", 0.01)], needs, strategy="balanced", rng=random.Random(0))


def test_explicit_route_wins_unless_it_cannot_make_the_image() -> None:
    options = [option("cheap", 0.01), option("dear", 0.12)]
    choice = choose(options, NEEDS, strategy="cost_optimized", rng=random.Random(0), requested="dear:m")
    assert choice.route == "dear:m" and choice.reason == "requested explicitly" and choice.fallbacks == ()
    needs = RouteNeeds(**{**NEEDS.__dict__, "budget_left_usd": 0.05})
    with pytest.raises(NoRoute, match="budget"):
        choose(options, needs, strategy="balanced", rng=random.Random(0), requested="dear:m")


def test_unknown_strategy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown routing strategy 'fastest'"):
        choose([option("a", 0.0)], NEEDS, strategy="fastest", rng=random.Random(0))
