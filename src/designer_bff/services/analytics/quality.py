"""Standout rate over time: per period, the kept images and what the designer made of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import SQLColumnExpression, func, select
from sqlalchemy.orm import Session

from designer_bff.db.tables import AssetJudgement, GenerationAsset
from designer_bff.services.analytics.sql import (
    Period,
    day_start,
    period_keys,
    period_start,
)
from designer_bff.services.analytics.stats import WILSON, wilson

QUALITY_METHOD = (
    "Kept images bucketed by their creation day (UTC) with their current judgement; standout = judgement "
    f"'outlier'. Rates with the {WILSON}; 'ofJudged' divides by images the designer reacted to, 'ofKept' "
    "by every kept image."
)
_COUNTED = {"outlier": "standouts", "heart": "hearts", "save": "saves", "reject": "rejects"}


@dataclass
class Tally:
    """Kept images and their current judgements (one period, one window, one route, or all time)."""

    kept: int = 0
    judgements: dict[str, int] = field(default_factory=dict)

    def merge(self, other: Tally) -> None:
        """Add another tally's counts to this one."""
        self.kept += other.kept
        for judgement, count in other.judgements.items():
            self.judgements[judgement] = self.judgements.get(judgement, 0) + count

    @property
    def judged(self) -> int:
        """Kept images with any current judgement."""
        return sum(self.judgements.values())

    @property
    def standouts(self) -> int:
        """Kept images currently marked standout."""
        return self.judgements.get("outlier", 0)

    def to_dict(self) -> dict[str, Any]:
        """Counts and both standout rates with their intervals."""
        counts = {name: self.judgements.get(j, 0) for j, name in _COUNTED.items()}
        return {
            "kept": self.kept,
            "judged": self.judged,
            **counts,
            "standoutRateOfJudged": wilson(self.standouts, self.judged).to_dict(),
            "standoutRateOfKept": wilson(self.standouts, self.kept).to_dict(),
        }


def current_judgement(user_id: str) -> Any:
    """SQL: the user's current judgement of the asset in the surrounding query (NULL when none).

    A correlated lookup on the judgements' primary key rather than a join: its cost is one index probe
    per kept image whatever the planner believes about the tables' sizes, whereas a join plan chosen
    from missing statistics (PostgreSQL before its first ANALYZE) can be a thousand times slower.
    """
    return (
        select(AssetJudgement.judgement)
        .where(AssetJudgement.user_id == user_id, AssetJudgement.asset_id == GenerationAsset.id)
        .scalar_subquery()
    )


def kept_images(user_id: str, *, since: datetime | None, until: datetime) -> list[Any]:
    """WHERE conditions: the user's kept images created in [since, until]."""
    window = [
        GenerationAsset.user_id == user_id,
        GenerationAsset.selected.is_(True),
        GenerationAsset.created_at <= until,
    ]
    return window if since is None else [*window, GenerationAsset.created_at >= since]


def tally_by(
    s: Session,
    user_id: str,
    columns: Sequence[SQLColumnExpression[Any]],
    *,
    since: datetime | None,
    until: datetime,
) -> dict[tuple[Any, ...], Tally]:
    """Kept images and their current judgements grouped by `columns` (of generation_assets): one query."""
    labelled: list[Any] = [column.label(f"c{i}") for i, column in enumerate(columns)]
    inner = (
        select(*labelled, current_judgement(user_id).label("judgement"))
        .where(*kept_images(user_id, since=since, until=until))
        .subquery()
    )
    keys = [inner.c[f"c{i}"] for i in range(len(columns))]
    rows = s.execute(select(*keys, inner.c.judgement, func.count()).group_by(*keys, inner.c.judgement)).all()
    width = len(columns)
    out: dict[tuple[Any, ...], Tally] = {}
    for row in rows:
        tally = out.setdefault(tuple(row[:width]), Tally())
        count = int(row[width + 1])
        tally.kept += count
        if row[width] is not None:
            tally.judgements[row[width]] = tally.judgements.get(row[width], 0) + count
    return out


def quality_over_time(
    s: Session, user_id: str, *, period: Period, days: int, now: datetime
) -> dict[str, Any]:
    """Per period of the last `days` days: kept, judged, standouts, hearts, saves, rejects and rates."""
    first: date = now.date() - timedelta(days=days - 1)
    bucket = period_start(GenerationAsset.created_at, period).label("period")
    by_period = tally_by(s, user_id, [bucket], since=day_start(first), until=now)
    total = Tally()
    for tally in by_period.values():
        total.merge(tally)
    rows = [
        {"period": key, **by_period.get((key,), Tally()).to_dict()}
        for key in period_keys(first, now.date(), period)
    ]
    return {
        "period": period,
        "days": days,
        "from": first.isoformat(),
        "to": now.date().isoformat(),
        "rows": rows,
        "totals": total.to_dict(),
        "method": QUALITY_METHOD,
    }
