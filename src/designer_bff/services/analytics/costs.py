"""Spending from the provider-call ledger: per period and group, and the forecast to month end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import SQLColumnExpression, case, func, literal, select
from sqlalchemy.orm import Session

from designer_bff.db.tables import ProviderCall
from designer_bff.services.analytics.sql import Period, counted, day_start, period_keys, period_start

GroupBy = Literal["provider", "model", "category", "user"]
RUN_RATE_DAYS = 7.0
_SPENT = func.coalesce(func.sum(func.coalesce(ProviderCall.cost_usd, 0.0)), 0.0)
SPEND_METHOD = (
    "Sum of provider_calls.cost_usd by the call's creation time (UTC); a failed call without a confirmed "
    "cost counts $0. images = calls that returned an image (kept or not); periods without calls are "
    "omitted from rows (see `periods` for the full axis)."
)
FORECAST_METHOD = (
    "run rate = spend over the last 7 days (or the days of the month so far, at least one day) ÷ those "
    "days; projected = month to date + run rate × days left; the budget runs out when month to date + "
    "run rate × t reaches it."
)


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(start: datetime) -> datetime:
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _group_column(by: GroupBy, user_id: str) -> SQLColumnExpression[str]:
    if by == "provider":
        return ProviderCall.provider
    if by == "model":
        return ProviderCall.provider + ":" + ProviderCall.model
    if by == "category":
        return ProviderCall.category
    return literal(user_id)  # a user only ever sees their own row


def spend_rows(
    s: Session, user_id: str, *, period: Period, by: GroupBy, first: date, last: date
) -> dict[str, Any]:
    """Spend, images and calls per period and group between two days (inclusive), one GROUP BY."""
    bucket = period_start(ProviderCall.created_at, period).label("period")
    group: Any = _group_column(by, user_id).label("grp")
    succeeded = ProviderCall.status == "succeeded"
    rows = s.execute(
        select(
            bucket,
            group,
            _SPENT,
            counted(succeeded),
            func.count(),
            counted(ProviderCall.status == "failed"),
        )
        .where(
            ProviderCall.user_id == user_id,
            ProviderCall.created_at >= day_start(first),
            ProviderCall.created_at < day_start(last + timedelta(days=1)),
        )
        .group_by(bucket, group)
        .order_by(bucket, group)
    ).all()
    table: list[dict[str, Any]] = [
        {
            "period": key,
            "group": grp,
            "costUsd": round(float(cost), 6),
            "images": int(images),
            "calls": int(calls),
            "failedCalls": int(failed),
        }
        for key, grp, cost, images, calls, failed in rows
    ]
    groups: dict[str, dict[str, Any]] = {}
    for row in table:
        total = groups.setdefault(row["group"], {"group": row["group"], "costUsd": 0.0, "images": 0})
        total["costUsd"] = round(total["costUsd"] + row["costUsd"], 6)
        total["images"] += row["images"]
    return {
        "periods": period_keys(first, last, period),
        "rows": table,
        "groups": sorted(groups.values(), key=lambda g: (-g["costUsd"], g["group"])),
        "totals": {
            "costUsd": round(sum(r["costUsd"] for r in table), 6),
            "images": sum(r["images"] for r in table),
            "calls": sum(r["calls"] for r in table),
            "failedCalls": sum(r["failedCalls"] for r in table),
        },
    }


@dataclass(frozen=True)
class Forecast:
    """Month-to-date spend, the run rate it implies, the projected month end and the budget's fate."""

    now: datetime
    month_to_date_usd: float
    run_rate_usd_per_day: float
    run_rate_days: float
    days_left: float
    monthly_budget_usd: float | None

    @property
    def projected_usd(self) -> float:
        """Month to date plus the run rate over the rest of the month."""
        return self.month_to_date_usd + self.run_rate_usd_per_day * self.days_left

    @property
    def status(self) -> str:
        """no-budget | exhausted | over (projected above budget) | under."""
        if self.monthly_budget_usd is None:
            return "no-budget"
        if self.month_to_date_usd >= self.monthly_budget_usd:
            return "exhausted"
        return "over" if self.projected_usd > self.monthly_budget_usd + 1e-9 else "under"

    @property
    def runs_out_on(self) -> date | None:
        """The day the budget would be used up at the run rate (today if it already is), else None."""
        if self.status == "exhausted":
            return self.now.date()
        if self.status != "over" or self.monthly_budget_usd is None:
            return None
        left = self.monthly_budget_usd - self.month_to_date_usd
        return (self.now + timedelta(days=left / self.run_rate_usd_per_day)).date()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        budget = self.monthly_budget_usd
        runs_out = self.runs_out_on
        return {
            "asOf": self.now.isoformat(),
            "monthToDateUsd": round(self.month_to_date_usd, 6),
            "runRateUsdPerDay": round(self.run_rate_usd_per_day, 6),
            "runRateDays": round(self.run_rate_days, 3),
            "daysLeft": round(self.days_left, 3),
            "projectedMonthEndUsd": round(self.projected_usd, 6),
            "monthlyBudgetUsd": budget,
            "projectedOverUsd": None if budget is None else round(self.projected_usd - budget, 6),
            "status": self.status,
            "budgetRunsOutOn": runs_out.isoformat() if runs_out else None,
            "method": FORECAST_METHOD,
        }


def forecast(s: Session, user_id: str, now: datetime, monthly_budget_usd: float | None) -> Forecast:
    """The month-end forecast at `now` (one query: month to date and the run-rate window together)."""
    start = _month_start(now)
    window_start = max(start, now - timedelta(days=RUN_RATE_DAYS))
    in_window = ProviderCall.created_at >= window_start
    month, recent = s.execute(
        select(
            _SPENT,
            func.coalesce(
                func.sum(case((in_window, func.coalesce(ProviderCall.cost_usd, 0.0)), else_=0.0)), 0.0
            ),
        ).where(
            ProviderCall.user_id == user_id,
            ProviderCall.created_at >= start,
            ProviderCall.created_at <= now,
        )
    ).one()
    # At least one day: a single call in the first hour of a month must not extrapolate to a fortune.
    days = max((now - window_start).total_seconds() / 86_400.0, 1.0)
    left = (_next_month(start) - now).total_seconds() / 86_400.0
    return Forecast(now, float(month), float(recent) / days, days, left, monthly_budget_usd)
