"""Repositories: every query the studio makes, scoped by owner so one user never sees another's rows."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Float, delete, func, select, update
from sqlalchemy.orm import Session

from designer_bff.db import leases
from designer_bff.db.tables import (
    ApiKey,
    CoverageGap,
    CoverageReport,
    CoverageSettings,
    Generation,
    GenerationAsset,
    GenerationCluster,
    GenerationFeedback,
    User,
    utcnow,
)
from designer_bff.db.vector import uses_pgvector
from designer_bff.errors import Conflict, NotFound


class Users:
    """Accounts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, email: str, password_hash: str, display_name: str | None = None) -> User:
        """Create an account; Conflict when the email is taken."""
        if self.by_email(email) is not None:
            raise Conflict(f"an account with email {email!r} already exists", field="email")
        user = User(email=email, password_hash=password_hash, display_name=display_name)
        self.session.add(user)
        self.session.flush()
        return user

    def by_email(self, email: str) -> User | None:
        """The account with this (case-insensitive) email."""
        return self.session.scalar(select(User).where(func.lower(User.email) == email.lower()))

    def get(self, user_id: str) -> User:
        """The account with this id, or NotFound."""
        user = self.session.get(User, user_id)
        if user is None:
            raise NotFound("user not found")
        return user


class ApiKeys:
    """API keys (hashes only)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user_id: str, name: str, prefix: str, key_hash: str) -> ApiKey:
        """Store a new key's hash."""
        key = ApiKey(user_id=user_id, name=name, prefix=prefix, key_hash=key_hash)
        self.session.add(key)
        self.session.flush()
        return key

    def by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash."""
        return self.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))

    def for_user(self, user_id: str) -> Sequence[ApiKey]:
        """A user's keys, newest first."""
        return self.session.scalars(
            select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc())
        ).all()

    def delete(self, user_id: str, key_id: str) -> None:
        """Revoke one of the user's keys (NotFound for anyone else's)."""
        key = self.session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id))
        if key is None:
            raise NotFound("API key not found")
        self.session.delete(key)


class Generations:
    """Generation requests, always read through their owner."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, generation: Generation) -> Generation:
        """Persist a new generation."""
        self.session.add(generation)
        self.session.flush()
        return generation

    def get(self, generation_id: str, *, user_id: str | None) -> Generation:
        """The generation with this id owned by `user_id` (None = system access for jobs)."""
        query = select(Generation).where(Generation.id == generation_id)
        if user_id is not None:
            query = query.where(Generation.user_id == user_id)
        generation = self.session.scalar(query)
        if generation is None:
            raise NotFound(f"generation {generation_id} not found")
        return generation

    def list(
        self,
        user_id: str,
        *,
        status: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Generation], int]:
        """A page of the user's generations (newest first) and the total matching."""
        query = select(Generation).where(Generation.user_id == user_id)
        if status:
            query = query.where(Generation.status == status)
        if since:
            query = query.where(Generation.created_at >= since)
        if until:
            query = query.where(Generation.created_at < until)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(Generation.created_at.desc(), Generation.id).limit(limit).offset(offset)
        ).all()
        return rows, total

    def claim(self, generation_id: str, owner: str, lease: timedelta) -> bool:
        """Atomically take a pending generation, or a processing one whose lease ran out."""
        return leases.claim(
            self.session,
            Generation,
            generation_id,
            owner,
            lease,
            attempts=Generation.attempts + 1,
            started_at=func.coalesce(Generation.started_at, utcnow()),
        )

    def heartbeat(self, generation_id: str, owner: str) -> bool:
        """Extend the lease; False when another worker has taken the job over."""
        return leases.heartbeat(self.session, Generation, generation_id, owner)

    def requeue_stalled(self, lease: timedelta) -> builtins.list[str]:
        """Reset generations a crashed worker left (or that were never picked up) to pending, and release
        scheduled ones whose time has come; their ids."""
        now = utcnow()
        due = (Generation.status == "scheduled") & (Generation.heartbeat_at <= now)
        ids = list(self.session.scalars(select(Generation.id).where(due)).all())
        if ids:
            self.session.execute(
                update(Generation)
                .where(Generation.id.in_(ids), due)
                .values(status="pending", heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )
        return [*ids, *leases.requeue_stalled(self.session, Generation, lease)]

    def delete(self, generation: Generation) -> None:
        """Remove a generation and (by cascade) its assets and feedback."""
        self.session.delete(generation)


class Assets:
    """Stored images."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, asset: GenerationAsset) -> GenerationAsset:
        """Persist a new asset row."""
        self.session.add(asset)
        self.session.flush()
        return asset

    def for_generation(self, generation_id: str) -> Sequence[GenerationAsset]:
        """A generation's assets in slot order."""
        return self.session.scalars(
            select(GenerationAsset)
            .where(GenerationAsset.generation_id == generation_id)
            .order_by(GenerationAsset.slot)
        ).all()

    def for_generations(self, generation_ids: Sequence[str]) -> dict[str, list[GenerationAsset]]:
        """Assets of several generations in one query, grouped by generation."""
        grouped: dict[str, list[GenerationAsset]] = {gid: [] for gid in generation_ids}
        if not generation_ids:
            return grouped
        rows = self.session.scalars(
            select(GenerationAsset)
            .where(GenerationAsset.generation_id.in_(generation_ids))
            .order_by(GenerationAsset.slot)
        ).all()
        for row in rows:
            grouped[row.generation_id].append(row)
        return grouped

    def get(self, asset_id: str, *, user_id: str) -> GenerationAsset:
        """The user's asset with this id, or NotFound."""
        asset = self.session.scalar(
            select(GenerationAsset).where(GenerationAsset.id == asset_id, GenerationAsset.user_id == user_id)
        )
        if asset is None:
            raise NotFound(f"asset {asset_id} not found")
        return asset

    def get_any(self, asset_id: str) -> GenerationAsset:
        """The asset with this id regardless of owner (only behind a verified URL signature)."""
        asset = self.session.get(GenerationAsset, asset_id)
        if asset is None:
            raise NotFound(f"asset {asset_id} not found")
        return asset

    def nearest(
        self, user_id: str, vector: builtins.bytes, embedding_model: str, limit: int = 10
    ) -> builtins.list[tuple[GenerationAsset, float]]:
        """The user's assets of one feature space nearest to `vector` (float32 bytes), by cosine distance."""
        query = np.frombuffer(vector, dtype="<f4").astype(np.float64)
        if not query.any():
            return []  # a zero vector has no direction: it is near nothing
        same_space = (GenerationAsset.user_id == user_id, GenerationAsset.embedding_model == embedding_model)
        if uses_pgvector(self.session.get_bind().dialect):
            distance = GenerationAsset.embedding.op("<=>", return_type=Float())(vector)
            rows = self.session.execute(
                select(GenerationAsset, distance)
                .where(
                    *same_space,
                    func.vector_dims(GenerationAsset.embedding) == query.size,
                    func.vector_norm(GenerationAsset.embedding) > 0,
                )
                .order_by(distance, GenerationAsset.id)
                .limit(limit)
            ).all()
            return [(asset, float(d)) for asset, d in rows]
        # Blobs cannot be compared in SQL: score the user's vectors of this space here.
        assets = [
            a
            for a in self.session.scalars(select(GenerationAsset).where(*same_space))
            if a.embedding and len(a.embedding) == len(vector)
        ]
        matrix = np.array([np.frombuffer(a.embedding or b"", dtype="<f4") for a in assets], dtype=np.float64)
        matrix = matrix.reshape(len(assets), query.size)
        norms = np.linalg.norm(matrix, axis=1)
        cosines = matrix @ query / np.where(norms > 0, norms, 1.0) / np.linalg.norm(query)
        scored = sorted(
            (1 - float(c), a.id, a) for c, n, a in zip(cosines, norms, assets, strict=True) if n > 0
        )
        return [(a, d) for d, _, a in scored[:limit]]


class Feedback:
    """Reactions to generations and assets."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, feedback: GenerationFeedback) -> GenerationFeedback:
        """Persist a reaction."""
        self.session.add(feedback)
        self.session.flush()
        return feedback

    def for_generation(self, generation_id: str) -> Sequence[GenerationFeedback]:
        """All reactions to a generation, oldest first."""
        return self.session.scalars(
            select(GenerationFeedback)
            .where(GenerationFeedback.generation_id == generation_id)
            .order_by(GenerationFeedback.created_at)
        ).all()


class Coverage:
    """Clusters, coverage reports, gaps and coverage settings."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def settings(self, user_id: str) -> dict[str, Any]:
        """The user's stored coverage settings (empty = defaults)."""
        row = self.session.get(CoverageSettings, user_id)
        return dict(row.config) if row else {}

    def save_settings(self, user_id: str, config: dict[str, Any]) -> None:
        """Replace the user's coverage settings."""
        row = self.session.get(CoverageSettings, user_id)
        if row is None:
            self.session.add(CoverageSettings(user_id=user_id, config=config))
        else:
            row.config = config

    def replace_clusters(self, generation_id: str, clusters: Sequence[GenerationCluster]) -> None:
        """Store a batch's clusters, replacing any from an earlier (interrupted) run."""
        self.session.execute(
            delete(GenerationCluster).where(GenerationCluster.generation_id == generation_id)
        )
        self.session.add_all(clusters)

    def clusters(self, generation_id: str) -> Sequence[GenerationCluster]:
        """A batch's clusters by label."""
        return self.session.scalars(
            select(GenerationCluster)
            .where(GenerationCluster.generation_id == generation_id)
            .order_by(GenerationCluster.label)
        ).all()

    def report_for(self, generation_id: str) -> CoverageReport | None:
        """A batch's coverage report."""
        return self.session.scalar(
            select(CoverageReport).where(CoverageReport.generation_id == generation_id)
        )

    def reports(self, user_id: str, limit: int) -> Sequence[CoverageReport]:
        """The user's newest batch coverage reports."""
        return self.session.scalars(
            select(CoverageReport)
            .where(CoverageReport.user_id == user_id)
            .order_by(CoverageReport.created_at.desc())
            .limit(limit)
        ).all()

    def add_report(self, report: CoverageReport) -> None:
        """Store a batch's coverage report."""
        self.session.add(report)
        self.session.flush()

    def gaps(self, user_id: str, status: str | None = None) -> Sequence[CoverageGap]:
        """The user's gaps, most severe and newest first."""
        query = select(CoverageGap).where(CoverageGap.user_id == user_id)
        if status:
            query = query.where(CoverageGap.status == status)
        return self.session.scalars(
            query.order_by(CoverageGap.boost.desc(), CoverageGap.created_at.desc())
        ).all()

    def open_gaps(self, user_id: str) -> Sequence[CoverageGap]:
        """The user's gaps that no batch has closed yet."""
        return self.gaps(user_id, "open")

    def gap(self, user_id: str, gap_id: str) -> CoverageGap:
        """One of the user's gaps, or NotFound."""
        gap = self.session.scalar(
            select(CoverageGap).where(CoverageGap.id == gap_id, CoverageGap.user_id == user_id)
        )
        if gap is None:
            raise NotFound(f"coverage gap {gap_id} not found")
        return gap

    def add_gap(self, gap: CoverageGap) -> None:
        """Open a new gap."""
        self.session.add(gap)
        self.session.flush()
