"""What every analyser is: the `Analyzer` Protocol and its result (DESIGN.md §2, stage 1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class AnalysisResult:
    """One image's analysis as a canonical-spec-shaped tree holding only what the analyser could tell.

    `spec` uses the canonical spec's field names and taxonomy values (e.g. {"color": {"primary": "rust"}});
    it may lack `garment.type` (an offline analyser cannot see what the garment is). `confidence` maps
    attribute paths ("color.primary", "color.pattern.type") to 0..1; every path in `measured` has one.
    `unmeasured` names what this analyser cannot measure, so callers never mistake silence for a value.
    `details` carries measurements that are not spec attributes (palette coverage, brightness, framing…).
    """

    analyser: str
    spec: dict[str, Any]
    confidence: dict[str, float]
    measured: tuple[str, ...]
    unmeasured: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def overall_confidence(self) -> float:
        """Mean confidence over the measured attributes (0 when nothing was measured)."""
        values = [self.confidence[p] for p in self.measured if p in self.confidence]
        return sum(values) / len(values) if values else 0.0


@runtime_checkable
class Analyzer(Protocol):
    """Turns one image into an `AnalysisResult`; raises InvalidInput for undecodable images and
    ProviderError for a remote service's failure (callers fall back to the offline analyser)."""

    name: str

    def is_configured(self) -> bool:
        """True when whatever it needs (URL, key, model) is present."""
        ...

    def analyse(self, data: bytes, *, mime: str, filename: str | None = None) -> AnalysisResult:
        """Analyse one encoded image (JPEG/PNG/WebP bytes)."""
        ...
