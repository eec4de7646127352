"""Repositories of the designer-understanding tables: portfolios, profiles, personas, prompt cache, commands.

Every query is scoped by owner, so one user never sees another's rows.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from designer_bff.db.tables import (
    CommandRow,
    PersonaRow,
    Portfolio,
    PortfolioImage,
    PromptCache,
    StyleProfileRow,
    utcnow,
)
from designer_bff.errors import Conflict, NotFound


class Portfolios:
    """Portfolios and their images."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, portfolio: Portfolio, images: Sequence[PortfolioImage]) -> Portfolio:
        """Persist a portfolio with its image rows."""
        self.session.add(portfolio)
        self.session.flush()
        self.session.add_all(images)
        self.session.flush()
        return portfolio

    def get(self, portfolio_id: str, *, user_id: str | None) -> Portfolio:
        """The owner's portfolio (NotFound for anyone else); `user_id=None` only for workers."""
        row = self.session.get(Portfolio, portfolio_id)
        if row is None or (user_id is not None and row.user_id != user_id):
            raise NotFound(f"portfolio {portfolio_id} not found")
        return row

    def list(self, user_id: str) -> Sequence[Portfolio]:
        """The user's portfolios, newest first."""
        return self.session.scalars(
            select(Portfolio).where(Portfolio.user_id == user_id).order_by(Portfolio.created_at.desc())
        ).all()

    def images(self, portfolio_id: str, *, status: str | None = None) -> Sequence[PortfolioImage]:
        """A portfolio's image rows in upload order."""
        query = select(PortfolioImage).where(PortfolioImage.portfolio_id == portfolio_id)
        if status is not None:
            query = query.where(PortfolioImage.status == status)
        return self.session.scalars(query.order_by(PortfolioImage.position)).all()

    def counts(self, portfolio_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Image counts per status for each portfolio."""
        rows = self.session.execute(
            select(PortfolioImage.portfolio_id, PortfolioImage.status, func.count())
            .where(PortfolioImage.portfolio_id.in_(portfolio_ids))
            .group_by(PortfolioImage.portfolio_id, PortfolioImage.status)
        ).all()
        counts: dict[str, dict[str, int]] = {pid: {} for pid in portfolio_ids}
        for pid, status, n in rows:
            counts[pid][status] = int(n)
        return counts

    def next_position(self, portfolio_id: str) -> int:
        """The position the next image of a portfolio gets."""
        top = self.session.scalar(
            select(func.max(PortfolioImage.position)).where(PortfolioImage.portfolio_id == portfolio_id)
        )
        return 0 if top is None else int(top) + 1

    def user_hashes(self, user_id: str) -> builtins.list[tuple[str, str]]:
        """(image id, perceptual hash) of every stored image of the user, for duplicate detection."""
        rows = self.session.execute(
            select(PortfolioImage.id, PortfolioImage.phash).where(
                PortfolioImage.user_id == user_id,
                PortfolioImage.phash.is_not(None),
                PortfolioImage.status.in_(("pending", "analysed", "failed")),
            )
        ).all()
        return [(i, h) for i, h in rows if h]

    def analysed_images(self, user_id: str) -> Sequence[PortfolioImage]:
        """Every analysed image of the user (all portfolios), oldest first: the style profile's input."""
        return self.session.scalars(
            select(PortfolioImage)
            .where(PortfolioImage.user_id == user_id, PortfolioImage.status == "analysed")
            .order_by(PortfolioImage.created_at, PortfolioImage.id)
        ).all()

    def delete(self, portfolio: Portfolio) -> None:
        """Remove a portfolio and (by cascade) its image rows."""
        self.session.delete(portfolio)


class StyleProfiles:
    """Each user's current style profile."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: str) -> StyleProfileRow | None:
        """The user's profile row, if one was built."""
        return self.session.get(StyleProfileRow, user_id)

    def save(self, user_id: str, *, profile: dict[str, Any], state: dict[str, Any], rebuilt: bool) -> int:
        """Store a new version of the profile; returns the version number."""
        row = self.session.get(StyleProfileRow, user_id)
        if row is None:
            row = StyleProfileRow(user_id=user_id, version=0, images=0, profile={}, state={})
            self.session.add(row)
        row.version += 1
        row.profile = profile
        row.state = state
        row.images = int(profile.get("images", 0))
        if rebuilt:
            row.built_at = utcnow()
        self.session.flush()
        return row.version


class Personas:
    """User-defined personas."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, user_id: str) -> Sequence[PersonaRow]:
        """The user's own personas, by name."""
        return self.session.scalars(
            select(PersonaRow).where(PersonaRow.user_id == user_id).order_by(PersonaRow.name)
        ).all()

    def get(self, persona_id: str, *, user_id: str) -> PersonaRow:
        """The owner's persona (NotFound for anyone else)."""
        row = self.session.get(PersonaRow, persona_id)
        if row is None or row.user_id != user_id:
            raise NotFound(f"persona {persona_id} not found")
        return row

    def add(self, row: PersonaRow) -> PersonaRow:
        """Persist a persona (Conflict when the user already has one of that name)."""
        self._check_name(row.user_id, row.name, exclude=None)
        self.session.add(row)
        self.session.flush()
        return row

    def rename_check(self, row: PersonaRow, name: str) -> None:
        """Conflict when another of the user's personas already has `name`."""
        self._check_name(row.user_id, name, exclude=row.id)

    def _check_name(self, user_id: str, name: str, exclude: str | None) -> None:
        # Compared in Python: SQL lower() folds only ASCII on SQLite, so "À" and "à" would slip through.
        rows = self.session.execute(
            select(PersonaRow.id, PersonaRow.name).where(PersonaRow.user_id == user_id)
        )
        if any(other.casefold() == name.casefold() and pid != exclude for pid, other in rows):
            raise Conflict(f"you already have a persona called {name!r}", field="name")

    def delete(self, row: PersonaRow) -> None:
        """Remove a persona."""
        self.session.delete(row)


class PromptCacheRepo:
    """LLM prompt enhancements by input hash."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> str | None:
        """The cached text for an input hash."""
        row = self.session.get(PromptCache, key)
        return row.text if row is not None else None

    def put(self, key: str, *, model: str, family: str, text: str) -> None:
        """Remember an enhancement (first writer wins)."""
        if self.session.get(PromptCache, key) is None:
            self.session.add(PromptCache(key=key, model=model, family=family, text=text))
            self.session.flush()


class Commands:
    """The command history."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: CommandRow) -> CommandRow:
        """Persist a command."""
        self.session.add(row)
        self.session.flush()
        return row

    def list(self, user_id: str, limit: int = 50) -> Sequence[CommandRow]:
        """The user's latest commands."""
        return self.session.scalars(
            select(CommandRow)
            .where(CommandRow.user_id == user_id)
            .order_by(CommandRow.created_at.desc())
            .limit(limit)
        ).all()
