"""Provider × model (× garment category) performance: standouts, latency, failures and cost per kept image."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import SQLColumnExpression, select
from sqlalchemy.orm import Session

from designer_bff.db.tables import GenerationAsset, ProviderCall
from designer_bff.services.analytics.quality import Tally, tally_by
from designer_bff.services.analytics.sql import spec_text
from designer_bff.services.analytics.stats import WILSON, wilson

MODELS_METHOD = (
    "Kept images and their current judgements per provider and model (category = the spec's garment "
    f"type); standout rate = standouts ÷ kept images, {WILSON}. From provider_calls: failure rate = failed "
    "÷ finished calls; latency (mean, p95 nearest rank) over calls that returned an image; cost per kept "
    "image = everything the route was paid (over-generated candidates included) ÷ its kept images."
)
Key = tuple[str, ...]


@dataclass
class CallStats:
    """What one route's provider calls did: finished, failed, paid, and how long the good ones took."""

    calls: int = 0
    failed: int = 0
    cost: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def mean_ms(self) -> float | None:
        """Mean latency of the calls that returned an image."""
        return sum(self.latencies) / len(self.latencies) if self.latencies else None

    def p95_ms(self) -> float | None:
        """Nearest-rank 95th percentile latency of the calls that returned an image."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


def call_stats(s: Session, user_id: str, by_category: bool) -> dict[Key, CallStats]:
    """Per route (and category): one pass over the user's calls.

    Counts and sums could be a GROUP BY, but a percentile cannot be portably (PostgreSQL has
    percentile_cont, SQLite nothing) and a window-function ranking costs more than this projection.
    """
    keys: list[SQLColumnExpression[str]] = [ProviderCall.provider, ProviderCall.model]
    if by_category:
        keys.append(ProviderCall.category)
    rows = s.execute(
        select(*keys, ProviderCall.status, ProviderCall.cost_usd, ProviderCall.latency_ms).where(
            ProviderCall.user_id == user_id
        )
    )
    width = len(keys)
    out: dict[Key, CallStats] = {}
    for row in rows:
        values: tuple[Any, ...] = tuple(row)
        stats = out.setdefault(values[:width], CallStats())
        status, cost, latency = values[width:]
        stats.cost += cost or 0.0  # a failed call without a confirmed cost was not paid
        if status in ("succeeded", "failed"):  # pending calls have not finished either way
            stats.calls += 1
        if status == "failed":
            stats.failed += 1
        elif status == "succeeded" and latency is not None:
            stats.latencies.append(float(latency))
    return out


def _row(key: Key, by_category: bool, tally: Tally, calls: CallStats) -> dict[str, Any]:
    row: dict[str, Any] = {"provider": key[0], "model": key[1], "route": f"{key[0]}:{key[1]}"}
    if by_category:
        row["category"] = key[2]
    mean, p95 = calls.mean_ms(), calls.p95_ms()
    row.update(
        {
            "kept": tally.kept,
            "judged": tally.judged,
            "standouts": tally.standouts,
            "hearts": tally.judgements.get("heart", 0),
            "rejects": tally.judgements.get("reject", 0),
            "standoutRate": wilson(tally.standouts, tally.kept).to_dict(),
            "standoutRateOfJudged": wilson(tally.standouts, tally.judged).to_dict(),
            "calls": calls.calls,
            "failedCalls": calls.failed,
            "failureRate": wilson(calls.failed, calls.calls).to_dict(),
            "meanLatencyMs": None if mean is None else round(mean, 1),
            "p95LatencyMs": None if p95 is None else round(p95, 1),
            "costUsd": round(calls.cost, 6),
            "costPerKeptImageUsd": round(calls.cost / tally.kept, 6) if tally.kept else None,
        }
    )
    return row


def model_rows(s: Session, user_id: str, *, by_category: bool, now: datetime) -> list[dict[str, Any]]:
    """One row per provider + model (and garment category), best standout rate first."""
    asset_keys: list[SQLColumnExpression[Any]] = [GenerationAsset.provider, GenerationAsset.model]
    if by_category:
        asset_keys.append(spec_text("garment", "type"))
    kept = tally_by(s, user_id, asset_keys, since=None, until=now)
    calls = call_stats(s, user_id, by_category)
    rows = [
        _row(key, by_category, kept.get(key, Tally()), calls.get(key, CallStats()))
        for key in sorted(set(kept) | set(calls), key=lambda k: tuple(str(p) for p in k))
    ]
    rows.sort(key=lambda r: (-(r["standoutRate"]["rate"] or -1.0), -r["kept"], r["route"]))
    return rows
