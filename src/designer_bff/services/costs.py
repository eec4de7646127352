"""Spending: monthly and per-request budgets (settings, overridden per user), estimates, refusals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.ledger import Calls
from designer_bff.db.repositories import Users
from designer_bff.domain.generation import PlannedImage
from designer_bff.errors import BudgetExceeded, InvalidInput
from designer_bff.providers.registry import ProviderRegistry


def month_start(now: datetime | None = None) -> datetime:
    """00:00 UTC on the first day of the current calendar month."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Budget:
    """A user's limits (None = none) and what they spent this month."""

    monthly_usd: float | None
    request_max_usd: float | None
    spent_month_usd: float

    @property
    def month_left_usd(self) -> float | None:
        """Money left this month."""
        return None if self.monthly_usd is None else max(0.0, self.monthly_usd - self.spent_month_usd)

    def per_image_usd(self, images: int) -> float | None:
        """The tightest limit shared evenly over `images` (routing excludes dearer routes)."""
        limits = [v for v in (self.request_max_usd, self.month_left_usd) if v is not None]
        return min(limits) / max(images, 1) if limits else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "monthlyBudgetUsd": self.monthly_usd,
            "requestMaxUsd": self.request_max_usd,
            "spentThisMonthUsd": round(self.spent_month_usd, 6),
            "monthLeftUsd": None if self.month_left_usd is None else round(self.month_left_usd, 6),
        }


@dataclass(frozen=True)
class Estimate:
    """What a planned request should cost: expected (planned routes), and the range fallbacks allow."""

    images: int
    expected_usd: float
    low_usd: float
    high_usd: float
    by_route: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "images": self.images,
            "expectedUsd": round(self.expected_usd, 6),
            "lowUsd": round(self.low_usd, 6),
            "highUsd": round(self.high_usd, 6),
            "byRoute": self.by_route,
            # No enhancement stage (upscaling, face restoration) is planned by this release.
            "enhancementUsd": 0.0,
        }


class Costs:
    """Budgets, estimates and the up-front refusal of requests that would exceed them."""

    def __init__(self, settings: Settings, db: Database, registry: ProviderRegistry) -> None:
        self.settings = settings
        self.db = db
        self.registry = registry

    def budget(self, user_id: str) -> Budget:
        """The user's limits (their own, else the deployment's) and this month's spending."""
        with self.db.session() as s:
            user = Users(s).get(user_id)
            spent = Calls(s).spent(user_id, month_start())
            monthly = user.monthly_budget_usd
            per_request = user.request_max_usd
        return Budget(
            self.settings.monthly_budget_usd if monthly is None else monthly,
            self.settings.request_max_usd if per_request is None else per_request,
            spent,
        )

    def set_budget(self, user_id: str, *, monthly_usd: float | None, request_max_usd: float | None) -> Budget:
        """Set (or with None, clear back to the defaults) the user's own limits."""
        for name, value in (("monthlyBudgetUsd", monthly_usd), ("requestMaxUsd", request_max_usd)):
            if value is not None and not 0 <= value <= 1_000_000:
                raise InvalidInput(f"{name} must be between 0 and 1000000, got {value}", field=name)
        with self.db.session() as s:
            user = Users(s).get(user_id)
            user.monthly_budget_usd = monthly_usd
            user.request_max_usd = request_max_usd
        return self.budget(user_id)

    def estimate(self, items: Sequence[PlannedImage]) -> Estimate:
        """Cost of a plan at list prices: its routes, and the cheapest/dearest of each image's fallbacks."""
        expected = low = high = 0.0
        by_route: dict[str, dict[str, float]] = {}
        for item in items:
            route = item.route or ""
            prices = [
                self.registry.get(r).price_usd(item.width, item.height, item.quality)
                for r in (route, *item.fallbacks)
            ]
            expected += prices[0]
            low += min(prices)
            high += max(prices)
            entry = by_route.setdefault(route, {"images": 0, "usd": 0.0})
            entry["images"] += 1
            entry["usd"] = round(entry["usd"] + prices[0], 6)
        return Estimate(len(items), expected, low, high, by_route)

    def call_guard(self, user_id: str, generation_id: str) -> Callable[[float], None]:
        """A check run before each paid provider call of a generation (fallbacks may cost more than
        planned): BudgetExceeded when `usd` more would break the monthly or per-request limit."""

        def guard(usd: float) -> None:
            if usd <= 0:
                return
            budget = self.budget(user_id)
            left = budget.month_left_usd
            if left is not None and usd > left + 1e-9:
                raise BudgetExceeded(
                    f"${usd:.3f} more would exceed the monthly budget (${left:.3f} left)",
                    budget=budget.to_dict(),
                )
            if budget.request_max_usd is not None:
                with self.db.session() as s:
                    spent = sum(c.cost_usd or 0.0 for c in Calls(s).for_generation(generation_id))
                if spent + usd > budget.request_max_usd + 1e-9:
                    raise BudgetExceeded(
                        f"${usd:.3f} more would exceed the request maximum of ${budget.request_max_usd:.2f}",
                        budget=budget.to_dict(),
                    )

        return guard

    def check(self, budget: Budget, estimate: Estimate) -> None:
        """Refuse (BudgetExceeded, before any provider call) a plan that would go over a limit."""
        cost = estimate.expected_usd
        if budget.request_max_usd is not None and cost > budget.request_max_usd + 1e-9:
            raise BudgetExceeded(
                f"this request is estimated at ${cost:.2f}, over your per-request maximum of "
                f"${budget.request_max_usd:.2f}",
                budget=budget.to_dict(),
                estimate=estimate.to_dict(),
            )
        left = budget.month_left_usd
        if left is not None and budget.monthly_usd is not None and cost > left + 1e-9:
            raise BudgetExceeded(
                f"this request is estimated at ${cost:.2f}; your monthly budget is ${budget.monthly_usd:.2f} "
                f"and ${budget.spent_month_usd:.2f} is spent, leaving ${left:.2f}",
                budget=budget.to_dict(),
                estimate=estimate.to_dict(),
            )
