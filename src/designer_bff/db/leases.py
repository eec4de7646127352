"""Job leases on a row: claim, heartbeat and requeue for any table with status/lease_owner/heartbeat_at.

Generations and portfolio analyses use the same rules: a worker claims a pending row (or one whose lease
ran out), renews the lease while it works, and the recovery loop hands back rows whose worker died.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from designer_bff.db.tables import utcnow


def claim(session: Session, model: Any, row_id: str, owner: str, lease: timedelta, **values: Any) -> bool:
    """Atomically take a pending row, or a working one whose lease ran out (`values` are set too)."""
    now = utcnow()
    result = session.execute(
        update(model)
        .where(
            model.id == row_id,
            or_(
                model.status == "pending",
                (model.status == model.working_status) & (model.heartbeat_at < now - lease),
            ),
        )
        .values(status=model.working_status, lease_owner=owner, heartbeat_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def heartbeat(session: Session, model: Any, row_id: str, owner: str) -> bool:
    """Extend the lease; False when another worker has taken the job over."""
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.lease_owner == owner)
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def requeue_stalled(session: Session, model: Any, lease: timedelta) -> list[str]:
    """Reset rows a crashed worker left (or that were never picked up) to pending; their ids.

    For a pending row `heartbeat_at` means "last enqueued at", so each stalled job is handed back to the
    queue at most once per lease period however many consumers run recovery.
    """
    cutoff = utcnow() - lease
    stalled = or_(
        (model.status == model.working_status) & (model.heartbeat_at < cutoff),
        (model.status == "pending") & (func.coalesce(model.heartbeat_at, model.created_at) < cutoff),
    )
    ids = list(session.scalars(select(model.id).where(stalled)).all())
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(ids), stalled)
            .values(status="pending", lease_owner=None, heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return ids
