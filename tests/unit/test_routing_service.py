"""The router around the database: learned route quality (the preference model's route features)
changes the choice; requests are checked."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from designer_bff.container import Container
from designer_bff.db.repositories import Users
from designer_bff.domain.generation import GenerationSettings
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.routing import RouteNeeds
from designer_bff.providers.base import Capabilities, Price, PriceTable
from designer_bff.providers.tech_flat import TechFlatProvider
from tests.learning_fixtures import teach


class Twin:
    """Two identical paid routes that differ only by name."""

    capabilities = Capabilities(negative_prompt=True, aspect_ratios=("1:1",), max_prompt_length=4000)
    prices = PriceTable("2026-11-21", "test", (Price(0.04),))

    def __init__(self, provider_id: str, configured: bool = True) -> None:
        self.provider_id, self.model, self._configured = provider_id, "m", configured

    def is_configured(self) -> bool:
        return self._configured

    def price_usd(self, width: int, height: int, quality: str) -> float:
        return 0.04

    def generate(self, request: Any) -> Any:
        raise AssertionError("routing never calls a provider")


@pytest.fixture
def router_world(make_settings: Callable[..., Any]) -> tuple[Container, str]:
    container = Container(
        make_settings(routing_strategy="quality_first"),
        providers_override=[TechFlatProvider(), Twin("a"), Twin("b"), Twin("off", configured=False)],
    )
    container.db.migrate()
    with container.db.session() as s:
        user_id = Users(s).add("r@example.com", "x").id
    return container, user_id


NEEDS = RouteNeeds(prompt_length=100, width=1024, height=1024, aspect_ratio="1:1", quality="standard")
DRESS = GarmentSpec.model_validate({"garment": {"type": "dress"}})
COAT = GarmentSpec.model_validate({"garment": {"type": "coat"}})


def test_feedback_on_a_route_shifts_later_choices_for_that_category_only(router_world: Any) -> None:
    container, user = router_world
    router = container.router
    assert router.candidate_routes() == ["a:m", "b:m"]  # the offline renderer leaves routing; "off" too
    teach(container, user, ["route:b:m|dress"], "outlier", 30)
    teach(container, user, ["route:a:m|dress"], "reject", 30)
    learned = container.learning.model(user).get("route:b:m|dress")
    assert learned.pos == pytest.approx(30.0) and learned.neg == 0
    choose = router.chooser(user, GenerationSettings())
    dress = Counter(choose(DRESS, NEEDS, random.Random(i)).route for i in range(100))
    coat = Counter(choose(COAT, NEEDS, random.Random(i)).route for i in range(100))
    assert dress["b:m"] == 100
    assert 20 < coat["b:m"] < 80  # no evidence for coats: both still tried


def test_another_users_feedback_does_not_move_my_routing(router_world: Any) -> None:
    container, user = router_world
    with container.db.session() as s:
        other = Users(s).add("o@example.com", "x").id
    teach(container, other, ["route:b:m|dress"], "outlier", 100)
    choose = container.router.chooser(user, GenerationSettings())
    picks = Counter(choose(DRESS, NEEDS, random.Random(i)).route for i in range(100))
    assert 20 < picks["b:m"] < 80


def test_requests_are_checked(router_world: Any) -> None:
    container, user = router_world
    with pytest.raises(InvalidInput, match="'off' is not configured") as info:
        container.router.chooser(user, GenerationSettings(provider="off"))
    assert info.value.field == "settings.provider"
    with pytest.raises(InvalidInput, match="unknown provider 'midjourney'"):
        container.router.chooser(user, GenerationSettings(provider="midjourney"))
    choice = container.router.chooser(user, GenerationSettings(provider="tech-flat"))(
        DRESS, NEEDS, random.Random(0)
    )
    assert choice.route == "tech-flat:tech-flat-v1" and choice.reason == "requested explicitly"
