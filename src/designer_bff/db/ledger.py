"""Repositories of provider calls (idempotency ledger and costs), routing decisions and route quality."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from designer_bff.db.tables import ProviderCall, RoutingDecisionRow, utcnow


@dataclass(frozen=True)
class RouteStats:
    """Observed behaviour of one route over a recent window."""

    successes: int
    failures: int
    mean_latency_s: float | None


class Calls:
    """The provider-call ledger: one row per (generation, slot, route)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_or_create(self, call_id: str, **fields: Any) -> ProviderCall:
        """The ledger row `call_id`, created (pending) when it is new; safe against a concurrent insert."""
        row = self.session.get(ProviderCall, call_id)
        if row is not None:
            return row
        try:
            with self.session.begin_nested():
                row = ProviderCall(id=call_id, status="pending", attempts=0, failures=0, **fields)
                self.session.add(row)
        except IntegrityError:
            row = self.session.get(ProviderCall, call_id)
            assert row is not None  # the concurrent insert committed it
        return row

    def get(self, call_id: str) -> ProviderCall | None:
        """A ledger row by id."""
        return self.session.get(ProviderCall, call_id)

    def succeed(self, call_id: str, **fields: Any) -> bool:
        """Mark a call paid and stored, once: False when it was already marked (nothing changes)."""
        result = self.session.execute(
            update(ProviderCall)
            .where(ProviderCall.id == call_id, ProviderCall.status != "succeeded")
            .values(status="succeeded", finished_at=utcnow(), error=None, error_kind=None, **fields)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def for_generation(self, generation_id: str) -> Sequence[ProviderCall]:
        """Every call made for a generation, by slot."""
        return self.session.scalars(
            select(ProviderCall)
            .where(ProviderCall.generation_id == generation_id)
            .order_by(ProviderCall.slot, ProviderCall.created_at)
        ).all()

    def spent(self, user_id: str, since: datetime) -> float:
        """What a user's confirmed images cost since a moment (deleted generations still count)."""
        total = self.session.scalar(
            select(func.coalesce(func.sum(ProviderCall.cost_usd), 0.0)).where(
                ProviderCall.user_id == user_id,
                ProviderCall.status == "succeeded",
                ProviderCall.finished_at >= since,
            )
        )
        return float(total or 0.0)

    def stats(self, window: timedelta) -> dict[tuple[str, str], RouteStats]:
        """Per (provider, model): successes, failed attempts and mean latency in the window."""
        rows = self.session.execute(
            select(
                ProviderCall.provider,
                ProviderCall.model,
                func.count().filter(ProviderCall.status == "succeeded"),
                func.coalesce(func.sum(ProviderCall.failures), 0),
                func.avg(ProviderCall.latency_ms),
            )
            .where(ProviderCall.created_at >= utcnow() - window)
            .group_by(ProviderCall.provider, ProviderCall.model)
        ).all()
        return {
            (p, m): RouteStats(int(ok), int(bad), None if lat is None else float(lat) / 1000)
            for p, m, ok, bad, lat in rows
        }


class RoutingDecisions:
    """Stage 8 decisions, per image."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_all(self, rows: Sequence[RoutingDecisionRow]) -> None:
        """Store a plan's decisions."""
        self.session.add_all(rows)

    def list(
        self, user_id: str, *, generation_id: str | None, limit: int, offset: int
    ) -> tuple[builtins.list[RoutingDecisionRow], int]:
        """A user's decisions, newest first, optionally of one generation; with the total count."""
        query = select(RoutingDecisionRow).where(RoutingDecisionRow.user_id == user_id)
        if generation_id is not None:
            query = query.where(RoutingDecisionRow.generation_id == generation_id)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(RoutingDecisionRow.created_at.desc(), RoutingDecisionRow.slot)
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), int(total)
