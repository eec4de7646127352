"""Stage 16 (insights): analytics over a user's generations, judgements, preference counts and spending.

Every method answers for one user, reads with a few GROUP BY queries (the buckets are computed in SQL),
and says how its numbers were computed (`method`). `now` is injectable so forecasts and windows can be
checked against fixed dates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.tables import AssetJudgement, ProviderCall
from designer_bff.errors import InvalidInput
from designer_bff.services.analytics.costs import SPEND_METHOD, Forecast, GroupBy, forecast, spend_rows
from designer_bff.services.analytics.evolution import style_evolution
from designer_bff.services.analytics.models import MODELS_METHOD, model_rows
from designer_bff.services.analytics.overview import overview
from designer_bff.services.analytics.quality import quality_over_time
from designer_bff.services.analytics.recommendations import recommend
from designer_bff.services.analytics.sql import Period
from designer_bff.services.analytics.success import KINDS, SUCCESS_METHOD, success_rows

if TYPE_CHECKING:
    from designer_bff.services.costs import Costs

MAX_SPAN_DAYS = 3 * 366
DEFAULT_SPAN_DAYS: dict[str, int] = {"day": 30, "week": 7 * 12, "month": 365}
TREND_DAYS = 90
EARLIEST_DAY = date(2000, 1, 1)  # before any image model; also keeps date arithmetic far from date.min


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AnalyticsService:
    """Read-only analytics of one user at a time."""

    def __init__(
        self, settings: Settings, db: Database, costs: Costs, *, now: Callable[[], datetime] | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.costs = costs
        self.now = now or _utcnow

    def _forecast(self, user_id: str, now: datetime) -> Forecast:
        monthly = self.costs.budget(user_id).monthly_usd
        with self.db.session() as s:
            return forecast(s, user_id, now, monthly)

    def overview(self, user_id: str) -> dict[str, Any]:
        """Totals, standout rate with CI, last 30 days against the 30 before, spend and forecast, leaders."""
        now = self.now()
        month = self._forecast(user_id, now)
        with self.db.session() as s:
            return overview(s, user_id, now=now, forecast=month)

    def spend(
        self,
        user_id: str,
        *,
        period: Period = "day",
        by: GroupBy = "provider",
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, Any]:
        """Spend per period and group between `start` and `end` (inclusive days), with the forecast."""
        now = self.now()
        earliest, latest = EARLIEST_DAY, now.date() + timedelta(days=366)
        for name, day in (("from", start), ("to", end)):
            if day is not None and not earliest <= day <= latest:
                raise InvalidInput(f"{name} must be between {earliest} and {latest}, got {day}", field=name)
        last = end or now.date()
        first = start or max(earliest, last - timedelta(days=DEFAULT_SPAN_DAYS[period] - 1))
        if first > last:
            raise InvalidInput(f"from ({first}) must not be after to ({last})", field="from")
        if (last - first).days >= MAX_SPAN_DAYS:
            raise InvalidInput(f"from..to may span at most {MAX_SPAN_DAYS} days", field="from")
        month = self._forecast(user_id, now)
        with self.db.session() as s:
            table = spend_rows(s, user_id, period=period, by=by, first=first, last=last)
        return {
            "period": period,
            "by": by,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "currency": "USD",
            **table,
            "forecast": month.to_dict(),
            "method": SPEND_METHOD,
        }

    def quality(self, user_id: str, *, period: Period = "week", days: int = 90) -> dict[str, Any]:
        """Kept, judged, standouts, hearts, rejects and standout rates with CIs per period."""
        with self.db.session() as s:
            return quality_over_time(s, user_id, period=period, days=days, now=self.now())

    def models(self, user_id: str, *, by_category: bool = False) -> dict[str, Any]:
        """Per provider + model (and garment category): standouts, latency, failures, cost per kept image."""
        with self.db.session() as s:
            rows = model_rows(s, user_id, by_category=by_category, now=self.now())
        return {"by": "category" if by_category else "route", "rows": rows, "method": MODELS_METHOD}

    def style_evolution(
        self, user_id: str, *, days: int = TREND_DAYS, period: Period = "week", include_hearts: bool = False
    ) -> dict[str, Any]:
        """Shares of the main attributes among standouts per period, and a trend per value."""
        with self.db.session() as s:
            return style_evolution(
                s, user_id, days=days, period=period, include_hearts=include_hearts, now=self.now()
            )

    def clusters(self, user_id: str) -> dict[str, Any]:
        """Performance per style direction and per persona."""
        with self.db.session() as s:
            rows = success_rows(s, user_id, ("direction", "persona"), 0)
        return {
            "rows": rows,
            "directions": [r for r in rows if r["kind"] == "direction"],
            "personas": [r for r in rows if r["kind"] == "persona"],
            "method": SUCCESS_METHOD,
        }

    def success(self, user_id: str, *, kinds: Sequence[str] = KINDS, min_shown: int = 1) -> dict[str, Any]:
        """Standout and heart rates with counts and CIs per feature of the given kinds."""
        with self.db.session() as s:
            rows = success_rows(s, user_id, kinds, min_shown)
        return {"kinds": list(kinds), "minShown": min_shown, "rows": rows, "method": SUCCESS_METHOD}

    def recommendations(self, user_id: str) -> dict[str, Any]:
        """Plain sentences with their evidence, only where a test says the difference is real."""
        now = self.now()
        month = self._forecast(user_id, now)
        with self.db.session() as s:
            success = success_rows(s, user_id, KINDS, 0)
            judged = s.scalar(select(func.count()).where(AssetJudgement.user_id == user_id)) or 0
            costs = {
                f"route:{p}:{m}|{c}": float(usd or 0.0)
                for p, m, c, usd in s.execute(
                    select(
                        ProviderCall.provider,
                        ProviderCall.model,
                        ProviderCall.category,
                        func.coalesce(func.sum(ProviderCall.cost_usd), 0.0),
                    )
                    .where(ProviderCall.user_id == user_id)
                    .group_by(ProviderCall.provider, ProviderCall.model, ProviderCall.category)
                )
            }
            trends = style_evolution(
                s, user_id, days=TREND_DAYS, period="week", include_hearts=False, now=now
            )["trends"]
        return recommend(success, costs, trends, TREND_DAYS, month, int(judged))
