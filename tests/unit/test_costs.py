"""Budgets: defaults and user overrides, spending this month, estimates and the per-call guard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from designer_bff.container import Container
from designer_bff.db.repositories import Users
from designer_bff.db.tables import Generation, ProviderCall
from designer_bff.domain.generation import PlannedImage
from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import BudgetExceeded, InvalidInput
from designer_bff.providers.tech_flat import TechFlatProvider
from designer_bff.services.costs import Budget, month_start


@pytest.fixture
def world(make_settings: Callable[..., Any]) -> tuple[Container, str]:
    container = Container(make_settings(monthly_budget_usd=1.0, request_max_usd=0.5))
    container.db.migrate()
    with container.db.session() as s:
        user_id = Users(s).add("c@example.com", "x").id
        s.add(Generation(id="g" * 32, user_id=user_id, mode="prompt", requested_count=1))
    return container, user_id


def _paid(container: Container, user_id: str, cid: str, usd: float, when: datetime) -> None:
    with container.db.session() as s:
        s.add(
            ProviderCall(
                id=cid, generation_id="g" * 32, user_id=user_id, slot=0, provider="p", model="m",
                category="dress", status="succeeded", cost_usd=usd, finished_at=when, result={},
            )
        )  # fmt: skip


def test_spending_counts_this_month_only_and_overrides_replace_defaults(world: Any) -> None:
    container, user = world
    now = datetime.now(UTC)
    _paid(container, user, "a", 0.25, now)
    _paid(container, user, "b", 9.0, month_start(now) - timedelta(seconds=1))  # last month
    budget = container.costs.budget(user)
    assert (budget.monthly_usd, budget.request_max_usd) == (1.0, 0.5)
    assert budget.spent_month_usd == pytest.approx(0.25) and budget.month_left_usd == pytest.approx(0.75)
    budget = container.costs.set_budget(user, monthly_usd=3.0, request_max_usd=None)
    assert (budget.monthly_usd, budget.request_max_usd) == (3.0, 0.5)  # None = back to the default
    with pytest.raises(InvalidInput, match="monthlyBudgetUsd must be between"):
        container.costs.set_budget(user, monthly_usd=-1, request_max_usd=None)


def test_the_call_guard_stops_a_call_that_would_break_a_limit(world: Any) -> None:
    container, user = world
    guard = container.costs.call_guard(user, "g" * 32)
    guard(0.4)
    _paid(container, user, "a", 0.4, datetime.now(UTC))
    with pytest.raises(BudgetExceeded, match=r"request maximum of \$0.50"):
        guard(0.2)  # 0.4 + 0.2 > 0.5 for this generation
    container.costs.set_budget(user, monthly_usd=0.45, request_max_usd=10)
    with pytest.raises(BudgetExceeded, match=r"monthly budget \(\$0.050 left\)"):
        guard(0.06)
    guard(0.0)  # free routes are never stopped


def test_estimate_prices_the_plan_and_its_fallbacks() -> None:
    from designer_bff.providers.registry import ProviderRegistry
    from designer_bff.services.costs import Costs

    class Paid(TechFlatProvider):
        provider_id = "paid"

        def price_usd(self, width: int, height: int, quality: str) -> float:
            return 0.08 if quality == "hd" else 0.04

    registry = ProviderRegistry([TechFlatProvider(), Paid()])
    spec = GarmentSpec.model_validate({"garment": {"type": "dress"}})
    items = [
        PlannedImage(slot=i, spec=spec, prompt="p", negative_prompt="n", seed=i, width=64, height=64,
                     quality="hd", route="paid:tech-flat-v1", fallbacks=["tech-flat:tech-flat-v1"])
        for i in range(3)
    ]  # fmt: skip
    estimate = Costs(None, None, registry).estimate(items)  # type: ignore[arg-type]
    assert (estimate.expected_usd, estimate.low_usd, estimate.high_usd) == pytest.approx((0.24, 0.0, 0.24))
    assert estimate.by_route == {"paid:tech-flat-v1": {"images": 3, "usd": 0.24}}
    costs = Costs(None, None, registry)  # type: ignore[arg-type]
    with pytest.raises(BudgetExceeded, match=r"over your per-request maximum of \$0.20"):
        costs.check(Budget(None, 0.2, 0.0), estimate)
    with pytest.raises(BudgetExceeded, match=r"monthly budget is \$1.00 and \$0.90 is spent"):
        costs.check(Budget(1.0, None, 0.9), estimate)
    costs.check(Budget(1.0, 0.5, 0.5), estimate)
