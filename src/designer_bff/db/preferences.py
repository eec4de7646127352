"""Repositories of the feedback-learning tables: judgements, preference statistics, the learning log.

Every query is scoped by owner, so one user never sees another's rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from designer_bff.db.tables import (
    AssetJudgement,
    GenerationAsset,
    GenerationFeedback,
    LearningUpdate,
    PreferenceStat,
    utcnow,
)
from designer_bff.errors import NotFound
from designer_bff.pipeline.preferences import kind_of


class Judgements:
    """Current judgements (one per user and asset) and the reaction history behind them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: str, asset_id: str) -> AssetJudgement | None:
        """The user's current judgement of an asset, if any."""
        return self.session.get(AssetJudgement, (user_id, asset_id))

    def for_assets(self, user_id: str, asset_ids: Iterable[str]) -> dict[str, AssetJudgement]:
        """Current judgements of several assets, by asset id."""
        ids = list(asset_ids)
        if not ids:
            return {}
        rows = self.session.scalars(
            select(AssetJudgement).where(AssetJudgement.user_id == user_id, AssetJudgement.asset_id.in_(ids))
        )
        return {r.asset_id: r for r in rows}

    def for_user(self, user_id: str) -> Sequence[AssetJudgement]:
        """Every current judgement of the user."""
        return self.session.scalars(select(AssetJudgement).where(AssetJudgement.user_id == user_id)).all()

    def signature(self, user_id: str) -> tuple[int, datetime | None, float]:
        """(count, latest judged_at, Σ strength) of the user's current judgements: changes when they do."""
        count, latest, total = self.session.execute(
            select(func.count(), func.max(AssetJudgement.judged_at), func.sum(AssetJudgement.strength)).where(
                AssetJudgement.user_id == user_id
            )
        ).one()
        return int(count), latest, float(total or 0.0)

    def with_assets(self, user_id: str) -> list[tuple[GenerationAsset, float, datetime]]:
        """(asset, strength, judged_at) of every current judgement of the user."""
        rows = self.session.execute(
            select(GenerationAsset, AssetJudgement.strength, AssetJudgement.judged_at)
            .join(GenerationAsset, GenerationAsset.id == AssetJudgement.asset_id)
            .where(AssetJudgement.user_id == user_id, GenerationAsset.user_id == user_id)
        )
        return [(asset, strength, at) for asset, strength, at in rows]

    def unmarked(self, user_id: str) -> Sequence[GenerationAsset]:
        """Kept designs the user left unjudged in batches where they judged something (seen, not marked)."""
        judged = select(AssetJudgement.asset_id).where(AssetJudgement.user_id == user_id)
        reviewed = select(GenerationAsset.generation_id).where(
            GenerationAsset.user_id == user_id, GenerationAsset.id.in_(judged)
        )
        return self.session.scalars(
            select(GenerationAsset).where(
                GenerationAsset.user_id == user_id,
                GenerationAsset.selected.is_(True),
                GenerationAsset.generation_id.in_(reviewed),
                GenerationAsset.id.not_in(judged),
            )
        ).all()

    def feedback(self, user_id: str, feedback_id: str) -> GenerationFeedback:
        """One of the user's reactions (NotFound for anyone else's)."""
        row = self.session.get(GenerationFeedback, feedback_id)
        if row is None or row.user_id != user_id:
            raise NotFound(f"feedback {feedback_id} not found")
        return row

    def history(
        self,
        user_id: str,
        *,
        asset_id: str | None = None,
        generation_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[Sequence[GenerationFeedback], int]:
        """The user's reactions, newest first, optionally for one asset or generation; and their total."""
        where = [GenerationFeedback.user_id == user_id]
        if asset_id is not None:
            where.append(GenerationFeedback.asset_id == asset_id)
        if generation_id is not None:
            where.append(GenerationFeedback.generation_id == generation_id)
        total = self.session.scalar(select(func.count()).select_from(GenerationFeedback).where(*where)) or 0
        rows = self.session.scalars(
            select(GenerationFeedback)
            .where(*where)
            .order_by(GenerationFeedback.created_at.desc(), GenerationFeedback.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return rows, total

    def live_events(self, user_id: str, asset_id: str) -> Sequence[GenerationFeedback]:
        """An asset's reactions that were not undone, oldest first."""
        return self.session.scalars(
            select(GenerationFeedback)
            .where(
                GenerationFeedback.user_id == user_id,
                GenerationFeedback.asset_id == asset_id,
                GenerationFeedback.undone_at.is_(None),
            )
            .order_by(GenerationFeedback.created_at, GenerationFeedback.id)
        ).all()


class PreferenceStats:
    """Per-user, per-feature evidence and success counts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def for_user(self, user_id: str, kinds: Iterable[str] | None = None) -> Sequence[PreferenceStat]:
        """The user's rows, optionally of some kinds only."""
        query = select(PreferenceStat).where(PreferenceStat.user_id == user_id)
        if kinds is not None:
            query = query.where(PreferenceStat.kind.in_(list(kinds)))
        return self.session.scalars(query).all()

    def rows(self, user_id: str, features: Iterable[str]) -> dict[str, PreferenceStat]:
        """Rows of the given features, created (empty) where missing."""
        wanted = sorted(set(features))
        found = {
            r.feature: r
            for r in self.session.scalars(
                select(PreferenceStat).where(
                    PreferenceStat.user_id == user_id, PreferenceStat.feature.in_(wanted)
                )
            )
        }
        now = utcnow()
        for feature in wanted:
            if feature not in found:
                row = PreferenceStat(
                    user_id=user_id,
                    feature=feature,
                    kind=kind_of(feature),
                    pos=0.0,
                    neg=0.0,
                    ref_at=now,
                    shown=0,
                    judged=0,
                    outliers=0,
                    hearts=0,
                    saves=0,
                    rejects=0,
                )
                self.session.add(row)
                found[feature] = row
        self.session.flush()
        return found

    def others(self, user_id: str, features: Iterable[str]) -> dict[str, tuple[float, float]]:
        """Other users' summed evidence per feature (aggregates only: global learning's prior)."""
        wanted = list(set(features))
        if not wanted:
            return {}
        rows = self.session.execute(
            select(PreferenceStat.feature, func.sum(PreferenceStat.pos), func.sum(PreferenceStat.neg))
            .where(PreferenceStat.user_id != user_id, PreferenceStat.feature.in_(wanted))
            .group_by(PreferenceStat.feature)
        )
        return {f: (float(p or 0), float(n or 0)) for f, p, n in rows}

    def clear(self, user_id: str) -> None:
        """Remove every row of the user (before a rebuild)."""
        for row in self.for_user(user_id):
            self.session.delete(row)
        self.session.flush()


class LearningLog:
    """The learning log: what changed in the model, by how much, because of which feedback."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_all(self, rows: Sequence[LearningUpdate]) -> None:
        """Append entries."""
        self.session.add_all(rows)
        self.session.flush()

    def list(
        self,
        user_id: str,
        *,
        feedback_id: str | None = None,
        feature: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[Sequence[LearningUpdate], int]:
        """The user's entries, newest first, with their total."""
        where = [LearningUpdate.user_id == user_id]
        if feedback_id is not None:
            where.append(LearningUpdate.feedback_id == feedback_id)
        if feature is not None:
            where.append(LearningUpdate.feature == feature)
        total = self.session.scalar(select(func.count()).select_from(LearningUpdate).where(*where)) or 0
        rows = self.session.scalars(
            select(LearningUpdate)
            .where(*where)
            .order_by(LearningUpdate.created_at.desc(), LearningUpdate.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return rows, total
