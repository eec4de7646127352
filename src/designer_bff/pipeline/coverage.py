"""Stage 14 (coverage): how much of the vocabulary a batch covers, where the gaps are, what to boost next.

Per category (an attribute path measured against a taxonomy vocabulary): coverage, counts, Shannon
entropy in nats (natural log) and its normalised form, Gini of the counts, under-represented values.
Categories below target become gaps with a severity and boost factors for the next batch's sampling.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any, Literal, get_args

from pydantic import BaseModel

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.taxonomy import load_taxonomy

Severity = Literal["critical", "high", "medium"]
_EPS = 1e-9  # float slack so a gap of 30 computed as 29.999999999 still counts as 30


@dataclass(frozen=True)
class CategoryTarget:
    """One measured category: display name, attribute path, taxonomy vocabulary and target coverage %."""

    name: str
    path: str
    vocabulary: str
    target: float


@dataclass(frozen=True)
class SeverityRule:
    """A gap is `severity` when it is >= `gap_points` below target or misses >= `missing` values."""

    severity: Severity
    gap_points: float
    missing: int
    boost: float


DEFAULT_CATEGORIES = (
    CategoryTarget("garment", "garment.type", "garment_type", 80.0),
    CategoryTarget("silhouette", "garment.silhouette", "silhouette", 75.0),
    CategoryTarget("fabric", "fabric.type", "fabric_type", 70.0),
    CategoryTarget("neckline", "garment.neckline", "neckline", 65.0),
    CategoryTarget("sleeve", "garment.sleeve.length", "sleeve_length", 60.0),
    CategoryTarget("length", "garment.length", "length", 60.0),
)
DEFAULT_SEVERITIES = (
    SeverityRule("critical", 30.0, 5, 2.0),
    SeverityRule("high", 15.0, 3, 1.5),
    SeverityRule("medium", 5.0, 1, 1.2),
)


@lru_cache(maxsize=1)
def _spec_paths() -> frozenset[str]:
    """Every nested leaf path of GarmentSpec, derived from the model so the check cannot drift from it."""

    def leaves(prefix: str, model: type[BaseModel]) -> Iterator[str]:
        for name, info in model.model_fields.items():
            kinds = (info.annotation, *get_args(info.annotation))  # unwraps `Sleeve | None`, `list[...]`
            nested = [t for t in kinds if isinstance(t, type) and issubclass(t, BaseModel)]
            yield from leaves(f"{prefix}{name}.", nested[0]) if nested else (f"{prefix}{name}",)

    return frozenset(p for p in leaves("", GarmentSpec) if "." in p)


@dataclass(frozen=True)
class CoverageConfig:
    """Categories with targets, the under-represented share, severity rules and the overall-score weights."""

    categories: tuple[CategoryTarget, ...] = DEFAULT_CATEGORIES
    under_represented: float = 0.05
    severities: tuple[SeverityRule, ...] = DEFAULT_SEVERITIES
    coverage_weight: float = 0.6
    entropy_weight: float = 0.4

    def __post_init__(self) -> None:
        vocabularies = load_taxonomy().categories
        for i, cat in enumerate(self.categories):
            for bad, message, attr in (
                (cat.path not in _spec_paths(), f"unknown category path {cat.path!r}", "path"),
                (cat.vocabulary not in vocabularies, f"unknown vocabulary {cat.vocabulary!r}", "vocabulary"),
                (not 0.0 <= cat.target <= 100.0, f"target must be within 0..100, got {cat.target}", "target"),
            ):
                if bad:
                    raise InvalidInput(message, field=f"categories[{i}].{attr}")
        rules_ok = all(r.boost > 0 and r.gap_points >= 0 and r.missing >= 0 for r in self.severities)
        weights = (self.coverage_weight, self.entropy_weight)
        for bad, message, name in (
            (not self.categories, "at least one category is needed", "categories"),
            (len({c.name for c in self.categories}) < len(self.categories), "duplicate names", "categories"),
            (len({c.path for c in self.categories}) < len(self.categories), "duplicate paths", "categories"),
            (not 0.0 <= self.under_represented <= 1.0, "a share within 0..1 is needed", "under_represented"),
            (not self.severities or not rules_ok, "thresholds >= 0 and boosts > 0 needed", "severities"),
            (min(weights) < 0 or sum(weights) <= 0, "weights >= 0, not both 0, needed", "coverage_weight"),
        ):
            if bad:
                raise InvalidInput(f"coverage config: {message}", field=name)

    def with_targets(self, targets: Mapping[str, float]) -> CoverageConfig:
        """A copy with some targets replaced, keyed by category name or path."""
        known = {c.name for c in self.categories} | {c.path for c in self.categories}
        unknown = sorted(set(targets) - known)
        if unknown:
            raise InvalidInput(f"unknown categories {unknown}", field="targets", allowed=sorted(known))
        cats = tuple(
            replace(c, target=float(targets.get(c.name, targets.get(c.path, c.target))))
            for c in self.categories
        )
        return replace(self, categories=cats)


@dataclass(frozen=True)
class CategoryCoverage:
    """What one batch covers of one category (coverage in percent, entropy in nats)."""

    name: str
    path: str
    target: float
    counts: dict[str, int]  # every universe value, zeros included, in vocabulary order
    total: int
    present: tuple[str, ...]
    coverage: float
    entropy: float
    normalized_entropy: float
    gini: float
    under_represented: tuple[str, ...]
    ignored: int  # values at this path that are not in the vocabulary


@dataclass(frozen=True)
class Gap:
    """A category below target: how far, what is missing, and which values to boost by how much."""

    id: str
    category: str
    path: str
    severity: Severity
    target: float
    coverage: float
    gap_points: float
    missing: tuple[str, ...]
    under_represented: tuple[str, ...]
    boost: float

    @property
    def boost_values(self) -> tuple[str, ...]:
        """The values the next batch should sample more often: missing, then under-represented."""
        return self.missing + self.under_represented


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of a batch: per-category measures, gaps (most severe first) and the overall score 0..1."""

    specs: int
    categories: tuple[CategoryCoverage, ...]
    gaps: tuple[Gap, ...]
    overall: float

    def category(self, name: str) -> CategoryCoverage:
        """The measures for the category called `name` (KeyError if it was not measured)."""
        for cat in self.categories:
            if cat.name == name:
                return cat
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (tuples serialise as lists; each gap also lists its boost values)."""
        data = asdict(self)
        for gap, raw in zip(self.gaps, data["gaps"], strict=True):
            raw["boost_values"] = list(gap.boost_values)
        return data


def entropy(counts: Iterable[int]) -> float:
    """Shannon entropy in nats of the distribution given by `counts` (0 for an empty one)."""
    values = [c for c in counts if c > 0]
    total = sum(values)
    return -sum(c / total * math.log(c / total) for c in values) if total else 0.0


def gini(counts: Sequence[int]) -> float:
    """Gini coefficient of `counts` (0 = perfectly even; one non-zero of n gives (n-1)/n; empty gives 0)."""
    n, total = len(counts), sum(counts)
    if n == 0 or total == 0:
        return 0.0
    ranked = sum(i * c for i, c in enumerate(sorted(counts), start=1))
    return max(0.0, 2.0 * ranked / (n * total) - (n + 1) / n)


def classify(
    gap_points: float, missing: int, rules: Sequence[SeverityRule] = DEFAULT_SEVERITIES
) -> SeverityRule | None:
    """The first (most severe) rule whose points or missing-count threshold is met, else None."""
    return next((r for r in rules if gap_points >= r.gap_points - _EPS or missing >= r.missing), None)


def gap_id(path: str, missing: Iterable[str]) -> str:
    """Stable id from batch-independent content: the path and the sorted missing values."""
    digest = hashlib.sha256(f"{path}|{','.join(sorted(missing))}".encode()).hexdigest()
    return f"gap_{digest[:12]}"


def _measure(cat: CategoryTarget, rows: Sequence[Mapping[str, str]], share: float) -> CategoryCoverage:
    vocabulary = load_taxonomy().category(cat.vocabulary)
    counts = dict.fromkeys(vocabulary.values, 0)
    ignored = 0
    for i, row in enumerate(rows):
        raw = row.get(cat.path, "")
        if not isinstance(raw, str):
            raise InvalidInput(
                f"attribute values must be strings, got {raw!r}", field=f"attributes[{i}].{cat.path}"
            )
        # List attributes arrive comma-joined from GarmentSpec.attributes(); each item counts.
        for item in filter(None, (p.strip() for p in raw.split(","))):
            value = vocabulary.lookup(item)
            if value is None:
                ignored += 1
            else:
                counts[value] += 1
    total = sum(counts.values())
    present = tuple(v for v, c in counts.items() if c)
    universe = len(counts)
    h = entropy(counts.values())
    # log(1) = 0: a one-value vocabulary is perfectly even once it is present at all.
    normalized = h / math.log(universe) if universe > 1 else float(bool(present))
    return CategoryCoverage(
        name=cat.name,
        path=cat.path,
        target=cat.target,
        counts=counts,
        total=total,
        present=present,
        coverage=100.0 * len(present) / universe,  # multiply first: 100*7/10 is exact, 7/10*100 is not
        entropy=h,
        normalized_entropy=min(1.0, normalized),
        gini=gini(list(counts.values())),
        under_represented=tuple(v for v in present if counts[v] / total < share),
        ignored=ignored,
    )


def _gap(cov: CategoryCoverage, rules: Sequence[SeverityRule]) -> Gap | None:
    if cov.coverage >= cov.target - _EPS:
        return None
    points = cov.target - cov.coverage
    missing = tuple(v for v, c in cov.counts.items() if not c)
    # Below target means >= 1 value missing, so the defaults always match; custom rules floor at the last.
    rule = classify(points, len(missing), rules) or rules[-1]
    id_ = gap_id(cov.path, missing)
    cat, target, under = cov.name, cov.target, cov.under_represented
    return Gap(id_, cat, cov.path, rule.severity, target, cov.coverage, points, missing, under, rule.boost)


def report(attributes: Sequence[Mapping[str, str]], config: CoverageConfig | None = None) -> CoverageReport:
    """Coverage, diversity and gaps of a batch's flat spec attributes (an empty batch covers nothing)."""
    cfg = config or CoverageConfig()
    if isinstance(attributes, str | bytes | Mapping) or not all(isinstance(r, Mapping) for r in attributes):
        raise InvalidInput("attributes must be a list of flat attribute mappings", field="attributes")
    cats = tuple(_measure(c, attributes, cfg.under_represented) for c in cfg.categories)
    rank = {r.severity: i for i, r in enumerate(cfg.severities)}
    gaps = sorted(
        (g for g in (_gap(c, cfg.severities) for c in cats) if g is not None),
        key=lambda g: (rank[g.severity], -g.gap_points, g.category),
    )
    mean_coverage = sum(c.coverage for c in cats) / len(cats) / 100.0
    mean_entropy = sum(c.normalized_entropy for c in cats) / len(cats)
    # Divided by the weight sum (1.0 by default) so custom weights still give a 0..1 score.
    weights = cfg.coverage_weight + cfg.entropy_weight
    overall = (cfg.coverage_weight * mean_coverage + cfg.entropy_weight * mean_entropy) / weights
    return CoverageReport(specs=len(attributes), categories=cats, gaps=tuple(gaps), overall=overall)


def boosts_from_gaps(gaps: Iterable[Gap]) -> dict[str, dict[str, float]]:
    """Attribute path → value → boost factor for the next batch's sampling (max over gaps naming it)."""
    boosts: dict[str, dict[str, float]] = {}
    for gap in gaps:
        table = boosts.setdefault(gap.path, {})
        for value in gap.boost_values:
            table[value] = max(table.get(value, 0.0), gap.boost)
    return boosts


def closed_gaps(previous: Sequence[Gap], current: CoverageReport) -> list[Gap]:
    """Gaps of an earlier report whose missing values are all present now (unmeasured paths stay open)."""
    present = {c.path: set(c.present) for c in current.categories}
    return [g for g in previous if g.path in present and set(g.missing) <= present[g.path]]
