"""Coverage use cases: per-user targets, batch reports and clusters, open gaps and the boosts they give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from designer_bff.db.engine import Database
from designer_bff.db.repositories import Coverage, Generations
from designer_bff.db.tables import CoverageGap, CoverageReport, GenerationCluster
from designer_bff.pipeline.coverage import CoverageConfig

DEFAULT_SETTINGS: dict[str, Any] = {"autoBoost": True}


@dataclass(frozen=True)
class UserCoverage:
    """A user's coverage targets (as a pipeline config) and whether open gaps boost by default."""

    config: CoverageConfig
    auto_boost: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON form used by the API and stored in `coverage_settings`."""
        return {
            "targets": {c.name: c.target for c in self.config.categories},
            "underRepresented": self.config.under_represented,
            "autoBoost": self.auto_boost,
        }


def user_coverage(raw: dict[str, Any]) -> UserCoverage:
    """Build (and validate) a user's coverage configuration from its stored JSON."""
    base = CoverageConfig()
    config = base.with_targets(raw.get("targets") or {})
    if "underRepresented" in raw:
        config = CoverageConfig(
            categories=config.categories,
            under_represented=float(raw["underRepresented"]),
            severities=config.severities,
            coverage_weight=config.coverage_weight,
            entropy_weight=config.entropy_weight,
        )
    return UserCoverage(config=config, auto_boost=bool(raw.get("autoBoost", True)))


def boosts_from_rows(gaps: list[CoverageGap], *, auto_boost: bool) -> dict[str, dict[str, float]]:
    """attribute path → value → boost from the open gaps (all of them, or only pinned ones)."""
    boosts: dict[str, dict[str, float]] = {}
    for gap in gaps:
        if not (auto_boost or gap.pinned):
            continue
        values = [*gap.values.get("missing", []), *gap.values.get("underRepresented", [])]
        for value in values:
            current = boosts.setdefault(gap.attribute, {}).get(value, 1.0)
            boosts[gap.attribute][value] = max(current, gap.boost)
    return boosts


class CoverageService:
    """Reads and adjusts what the selection stage measured, always scoped to the caller."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def settings(self, user_id: str) -> UserCoverage:
        """The user's coverage configuration (defaults when never set)."""
        with self.db.session() as s:
            return user_coverage(Coverage(s).settings(user_id))

    def save_settings(self, user_id: str, raw: dict[str, Any]) -> UserCoverage:
        """Validate and store new coverage settings (unknown categories or bad targets → InvalidInput)."""
        merged = {**self.settings(user_id).to_dict(), **raw}
        config = user_coverage(merged)
        with self.db.session() as s:
            Coverage(s).save_settings(user_id, config.to_dict())
        return config

    def report(self, user_id: str, generation_id: str) -> CoverageReport:
        """A batch's coverage report (NotFound for other users' batches or before selection ran)."""
        from designer_bff.errors import NotFound

        with self.db.session() as s:
            Generations(s).get(generation_id, user_id=user_id)
            report = Coverage(s).report_for(generation_id)
        if report is None:
            raise NotFound(f"generation {generation_id} has no coverage report yet")
        return report

    def history(self, user_id: str, limit: int = 50) -> list[CoverageReport]:
        """The user's coverage over time, oldest first (the newest `limit` batches)."""
        with self.db.session() as s:
            return list(reversed(Coverage(s).reports(user_id, limit)))

    def clusters(self, user_id: str, generation_id: str) -> list[GenerationCluster]:
        """A batch's clusters."""
        with self.db.session() as s:
            Generations(s).get(generation_id, user_id=user_id)
            return list(Coverage(s).clusters(generation_id))

    def gaps(self, user_id: str, status: str | None = "open") -> list[CoverageGap]:
        """The user's gaps (open by default)."""
        with self.db.session() as s:
            return list(Coverage(s).gaps(user_id, status))

    def apply_boost(self, user_id: str, gap_id: str) -> CoverageGap:
        """Pin a gap: its boost applies to the next batches even when automatic boosting is off."""
        with self.db.session() as s:
            gap = Coverage(s).gap(user_id, gap_id)
            gap.pinned = True
            return gap

    def boosts(self, user_id: str) -> dict[str, dict[str, float]]:
        """The boosts the user's next batch will sample with."""
        with self.db.session() as s:
            auto = user_coverage(Coverage(s).settings(user_id)).auto_boost
            return boosts_from_rows(list(Coverage(s).open_gaps(user_id)), auto_boost=auto)
