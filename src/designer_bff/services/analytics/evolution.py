"""How the designer's style moves: the attributes of their standout images per period, and trends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, select
from sqlalchemy.orm import Session

from designer_bff.db.tables import GenerationAsset
from designer_bff.services.analytics.quality import current_judgement, kept_images
from designer_bff.services.analytics.sql import Period, day_start, period_keys, period_start, spec_text
from designer_bff.services.analytics.stats import Z_TEST, two_proportion

MAIN_ATTRIBUTES = (
    "garment.type",
    "color.primary",
    "fabric.type",
    "garment.silhouette",
    "color.pattern.type",
    "style.aesthetic",
)
MIN_N = 10  # standouts per half before a trend can be called rising or falling
EVOLUTION_METHOD = (
    "Standout images (current judgement 'outlier', plus 'heart' with include=heart) among kept images "
    "created in the window, bucketed by creation day (UTC). share = images with the value ÷ images of the "
    "period stating that attribute. Trend: share in the recent half of the window against the earlier "
    f"half, {Z_TEST}; rising/falling when p < 0.05 with at least {MIN_N} images on each side, else steady."
)


def style_evolution(
    s: Session, user_id: str, *, days: int, period: Period, include_hearts: bool, now: datetime
) -> dict[str, Any]:
    """Per-period shares of each main attribute's values among standouts, and a trend per value."""
    first = now.date() - timedelta(days=days - 1)
    start = day_start(first)
    middle = start + (now - start) / 2
    judgements = ["outlier", "heart"] if include_hearts else ["outlier"]
    inner = (
        select(
            period_start(GenerationAsset.created_at, period).label("period"),
            case((GenerationAsset.created_at >= middle, literal(1)), else_=literal(0)).label("recent"),
            *(spec_text(*path.split(".")).label(f"a{i}") for i, path in enumerate(MAIN_ATTRIBUTES)),
            current_judgement(user_id).label("judgement"),
        )
        .where(*kept_images(user_id, since=start, until=now))
        .subquery()
    )
    rows = s.execute(
        select(*[c for c in inner.c if c.name != "judgement"]).where(inner.c.judgement.in_(judgements))
    ).all()
    # counts[attribute][(period, value)], totals[attribute][period], halves[attribute][half][value]
    counts: dict[str, dict[tuple[str, str], int]] = {a: {} for a in MAIN_ATTRIBUTES}
    totals: dict[str, dict[str, int]] = {a: {} for a in MAIN_ATTRIBUTES}
    halves: dict[str, list[dict[str, int]]] = {a: [{}, {}] for a in MAIN_ATTRIBUTES}
    for key, recent, *values in rows:
        for attribute, value in zip(MAIN_ATTRIBUTES, values, strict=True):
            if not value:
                continue
            counts[attribute][(key, value)] = counts[attribute].get((key, value), 0) + 1
            totals[attribute][key] = totals[attribute].get(key, 0) + 1
            half = halves[attribute][int(recent)]
            half[value] = half.get(value, 0) + 1
    shares = [
        {
            "attribute": attribute,
            "value": value,
            "period": key,
            "count": count,
            "periodTotal": totals[attribute][key],
            "share": round(count / totals[attribute][key], 4),
        }
        for attribute in MAIN_ATTRIBUTES
        for (key, value), count in sorted(counts[attribute].items())
    ]
    return {
        "days": days,
        "period": period,
        "from": first.isoformat(),
        "to": now.date().isoformat(),
        "judgements": judgements,
        "images": len(rows),
        "halves": {
            "earlier": {"from": start.isoformat(), "to": middle.isoformat()},
            "recent": {"from": middle.isoformat(), "to": now.isoformat()},
        },
        "attributes": list(MAIN_ATTRIBUTES),
        "periods": period_keys(first, now.date(), period),
        "shares": shares,
        "trends": [row for attribute in MAIN_ATTRIBUTES for row in _trends(attribute, halves[attribute])],
        "method": EVOLUTION_METHOD,
    }


def _trends(attribute: str, halves: list[dict[str, int]]) -> list[dict[str, Any]]:
    """One row per value seen: its share in each half, the change, p-value and direction."""
    earlier, recent = halves
    n_earlier, n_recent = sum(earlier.values()), sum(recent.values())
    rows = []
    for value in sorted(set(earlier) | set(recent)):
        test = two_proportion(recent.get(value, 0), n_recent, earlier.get(value, 0), n_earlier)
        direction = "steady"
        if test.significant(min_n=MIN_N):
            direction = "rising" if test.difference > 0 else "falling"
        rows.append(
            {
                "attribute": attribute,
                "value": value,
                "earlierCount": earlier.get(value, 0),
                "earlierN": n_earlier,
                "earlierShare": test.b.to_dict()["rate"],
                "recentCount": recent.get(value, 0),
                "recentN": n_recent,
                "recentShare": test.a.to_dict()["rate"],
                "change": round(test.difference, 4),
                "pValue": round(test.p_value, 6),
                "direction": direction,
            }
        )
    rows.sort(key=lambda r: (-abs(r["change"]), r["value"]))
    return rows
