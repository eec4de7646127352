"""Stage 1 around the analysers: the configured one first, the offline analyser as fallback and for colour."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from designer_bff.analyzers.base import AnalysisResult, Analyzer
from designer_bff.errors import ProviderError
from designer_bff.pipeline.understanding import merge_trees

log = logging.getLogger(__name__)


def _paths(tree: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            found |= _paths(value, path)
        elif value not in (None, [], {}):
            found.add(path)
    return found


def combine(primary: AnalysisResult, offline: AnalysisResult) -> AnalysisResult:
    """The primary (model) result, with what only the offline analyser measured filled in.

    A vision model names the garment; the offline analyser measures colour coverage and pattern
    statistics. Where both speak, the model wins for named attributes and the measurement is kept in
    `details.measured` so a person can compare the two.
    """
    own = _paths(primary.spec)
    extra_paths = [p for p in offline.measured if p not in own and not p.startswith("color.palette")]
    spec = merge_trees(offline.spec, primary.spec)
    if primary.spec.get("color", {}).get("palette"):
        spec["color"]["palette"] = primary.spec["color"]["palette"]
    confidence = {**{p: offline.confidence[p] for p in extra_paths if p in offline.confidence}}
    confidence.update(primary.confidence)
    return replace(
        primary,
        spec=spec,
        confidence=confidence,
        measured=tuple(dict.fromkeys([*primary.measured, *extra_paths])),
        unmeasured=tuple(p for p in primary.unmeasured if p not in extra_paths),
        details={**primary.details, "measured": offline.details},
    )


class AnalysisService:
    """Analyses one image with the configured analyser, falling back to the offline one on failure."""

    def __init__(self, offline: Analyzer, primary: Analyzer | None = None) -> None:
        self.offline = offline
        self.primary = primary if primary is not None and primary.is_configured() else None

    @property
    def name(self) -> str:
        """The analyser in charge ("vision:<model>", "vlt:<model>" or "offline")."""
        return self.primary.name if self.primary else self.offline.name

    def analyse(self, data: bytes, *, mime: str, filename: str | None = None) -> AnalysisResult:
        """Analyse an image; a remote failure is a warning and the offline result, never a lost image."""
        measured = self.offline.analyse(data, mime=mime, filename=filename)
        if self.primary is None:
            return measured
        try:
            result = self.primary.analyse(data, mime=mime, filename=filename)
        except ProviderError as exc:
            log.warning("analyser %s failed (%s); using the offline analysis", self.primary.name, exc.message)
            note = f"{self.primary.name} failed ({exc.kind}: {exc.message}); offline analysis used instead"
            return replace(measured, warnings=(*measured.warnings, note))
        return combine(result, measured)
