"""The headline numbers: totals, standout rate, the last 30 days against the 30 before, spend, leaders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from designer_bff.db.tables import Generation, GenerationAsset, PreferenceStat
from designer_bff.services.analytics.costs import Forecast
from designer_bff.services.analytics.quality import Tally, tally_by
from designer_bff.services.analytics.stats import WILSON, Z_TEST, two_proportion, wilson
from designer_bff.services.analytics.success import label

WINDOW_DAYS = 30
MIN_SHOWN = 20  # kept images a direction or provider needs before it can be called the best
OVERVIEW_METHOD = (
    f"Standout rate = kept images currently marked standout ÷ kept images, {WILSON}; windows by the "
    f"image's creation time, compared with the {Z_TEST}. Best direction / provider: highest standout rate "
    f"among those with at least {MIN_SHOWN} kept images (from the success counts)."
)
_JUDGEMENTS = {
    "outlier": "standouts",
    "heart": "hearts",
    "save": "saves",
    "rating": "ratings",
    "comment": "comments",
    "reject": "rejects",
}


def _window(tally: Tally, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "kept": tally.kept,
        "judged": tally.judged,
        "standouts": tally.standouts,
        "standoutRate": wilson(tally.standouts, tally.kept).to_dict(),
    }


def _leaders(s: Session, user_id: str) -> dict[str, Any]:
    """The direction and the provider (model, over all categories) with the best standout rate."""
    stat = PreferenceStat
    rows = s.execute(
        select(stat.feature, stat.kind, stat.shown, stat.outliers).where(
            stat.user_id == user_id, stat.kind.in_(("direction", "route"))
        )
    ).all()
    pooled: dict[tuple[str, str], list[int]] = {}
    for feature, kind, shown, outliers in rows:
        name = label(feature) if kind == "direction" else feature.removeprefix("route:").rpartition("|")[0]
        counts = pooled.setdefault((kind, name), [0, 0])
        counts[0] += outliers
        counts[1] += shown
    best: dict[str, Any] = {"minShown": MIN_SHOWN, "direction": None, "provider": None}
    for (kind, name), (k, n) in sorted(pooled.items()):
        slot = "direction" if kind == "direction" else "provider"
        current = best[slot]
        if n < MIN_SHOWN or (current is not None and k / n <= current["standoutRate"]["rate"]):
            continue
        best[slot] = {"name": name, "shown": n, "standouts": k, "standoutRate": wilson(k, n).to_dict()}
    return best


def overview(s: Session, user_id: str, *, now: datetime, forecast: Forecast) -> dict[str, Any]:
    """Totals, rates with intervals, the two 30-day windows, spend against budget, and the leaders."""
    generations = s.scalar(select(func.count()).where(Generation.user_id == user_id)) or 0
    recent_start = now - timedelta(days=WINDOW_DAYS)
    previous_start = recent_start - timedelta(days=WINDOW_DAYS)
    window = case(
        (GenerationAsset.created_at >= recent_start, literal("recent")),
        (GenerationAsset.created_at >= previous_start, literal("previous")),
        else_=literal("older"),
    ).label("window")
    by_window = tally_by(s, user_id, [window], since=None, until=now)
    total = Tally()
    for tally in by_window.values():
        total.merge(tally)
    recent, previous = by_window.get(("recent",), Tally()), by_window.get(("previous",), Tally())
    change = two_proportion(recent.standouts, recent.kept, previous.standouts, previous.kept)
    return {
        "asOf": now.isoformat(),
        "totals": {
            "generations": int(generations),
            "imagesKept": total.kept,
            "judged": total.judged,
            **{name: total.judgements.get(j, 0) for j, name in _JUDGEMENTS.items()},
        },
        "standoutRate": wilson(total.standouts, total.kept).to_dict(),
        "standoutRateOfJudged": wilson(total.standouts, total.judged).to_dict(),
        "last30Days": _window(recent, recent_start, now),
        "previous30Days": _window(previous, previous_start, recent_start),
        "change": {
            "difference": round(change.difference, 4),
            "pValue": round(change.p_value, 6),
            "significant": change.significant(),
        },
        "spend": {
            "monthToDateUsd": round(forecast.month_to_date_usd, 6),
            "monthlyBudgetUsd": forecast.monthly_budget_usd,
        },
        "forecast": forecast.to_dict(),
        "best": _leaders(s, user_id),
        "method": OVERVIEW_METHOD,
    }
