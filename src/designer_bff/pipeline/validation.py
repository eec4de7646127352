"""Stage 10 (validation): re-analyse a generated image and score how consistently it follows its spec.

The offline analyser can measure colour and pattern only; every other attribute is reported as
unchecked rather than guessed. Scores per attribute are 0..1; the overall consistency is their mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.analysis import ColorAnalysis, colour_shares, dominant_colors
from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import hex_to_rgb, rgb_to_lab

Verdict = Literal["ok", "flagged", "rejected"]
# ΔE*ab below FULL counts as the same colour; above NONE as a different one; linear in between.
# 12 absorbs shading and anti-aliasing; 40 is clearly another hue or lightness.
_DE_FULL, _DE_NONE = 12.0, 40.0
_PRINT_SHARE = 0.01  # the print's colour on ≥ 1 % of the garment: even a small polka dot reaches that
_MAIN_SHARE = 0.25  # the primary on a quarter of the garment at full resolution is the primary
_PLAIN_LIMIT = 0.08  # linings and highlights stay below 8 % of a plain garment
_MEASURED = ("color.primary", "color.secondary", "color.pattern.type")


@dataclass(frozen=True)
class AttributeCheck:
    """One measured attribute: what the spec asked for, what the image shows, and the agreement."""

    attribute: str
    expected: str
    observed: str
    score: float


@dataclass(frozen=True)
class ValidationResult:
    """Consistency of one image with its spec."""

    score: float
    verdict: Verdict
    checks: list[AttributeCheck]
    unchecked: list[str] = field(default_factory=list)
    analyser: str = "offline-colour-pattern"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for `pipeline_data` and the API."""
        return {
            "score": round(self.score, 4),
            "verdict": self.verdict,
            "analyser": self.analyser,
            "checks": [
                {
                    "attribute": c.attribute,
                    "expected": c.expected,
                    "observed": c.observed,
                    "score": round(c.score, 3),
                }
                for c in self.checks
            ],
            "unchecked": self.unchecked,
        }


def _delta_e(hex_a: str, hex_b: str) -> float:
    lab = rgb_to_lab(np.array([hex_to_rgb(hex_a), hex_to_rgb(hex_b)], dtype=np.float64))
    return float(np.linalg.norm(lab[0] - lab[1]))


def _colour_score(delta: float) -> float:
    return float(np.clip((_DE_NONE - delta) / (_DE_NONE - _DE_FULL), 0.0, 1.0))


def _best_match(analysis: ColorAnalysis, target_hex: str, min_coverage: float) -> tuple[str, float]:
    """The measured colour (name, ΔE) closest to the target among clusters covering ≥ min_coverage %."""
    candidates = [c for c in analysis.colors if c.coverage >= min_coverage] or analysis.colors[:1]
    best = min(candidates, key=lambda c: _delta_e(c.hex, target_hex))
    return best.name, _delta_e(best.hex, target_hex)


def _pattern_checks(
    rgb: NDArray[np.uint8], spec: GarmentSpec, colors: dict[str, str]
) -> list[AttributeCheck]:
    """Pattern evidence is colour evidence: a print shows its secondary colour; a plain garment has
    (almost) no surface in colours far from its main one."""
    assert spec.color.primary is not None
    kind = spec.color.pattern.type
    secondary = spec.color.secondary
    if kind == "solid" or secondary is None:
        shares = colour_shares(rgb, colors[spec.color.primary])
        observed = (
            f"patterned ({shares.off_main:.0%} off-colour)" if shares.off_main >= _PLAIN_LIMIT else "solid"
        )
        expected_plain = kind == "solid"
        return [
            AttributeCheck(
                "color.pattern.type", kind, observed, float(expected_plain == (observed == "solid"))
            )
        ]
    shares = colour_shares(rgb, colors[spec.color.primary], colors[secondary])
    found = shares.near >= _PRINT_SHARE
    # Partial credit below the threshold: a faint or tiny print is weaker evidence, not no evidence.
    score = 1.0 if found else shares.near / _PRINT_SHARE
    return [
        AttributeCheck("color.pattern.type", kind, "patterned" if found else "solid", score),
        AttributeCheck("color.secondary", secondary, f"{shares.near:.1%} of the garment", score),
    ]


def validate(
    rgb: NDArray[np.uint8], spec: GarmentSpec, *, reject_below: float = 0.6, flag_below: float = 0.8
) -> ValidationResult:
    """Score an (H, W, 3) image against its spec; reject below `reject_below`, flag below `flag_below`."""
    if not 0 <= reject_below <= flag_below <= 1:
        from designer_bff.errors import InvalidInput

        raise InvalidInput("thresholds must satisfy 0 ≤ reject_below ≤ flag_below ≤ 1", field="reject_below")
    colors = load_taxonomy().colors
    checks: list[AttributeCheck] = []
    primary = spec.color.primary
    if primary:
        analysis = dominant_colors(rgb, k=6)
        name, delta = _best_match(analysis, colors[primary], min_coverage=20)
        score = _colour_score(delta)
        if score < 1:
            # Fine prints (houndstooth, small checks) average into a third colour at the clustering
            # resolution; at full resolution the primary is still there on a large share of the surface.
            main_share = colour_shares(rgb, colors[primary]).main
            if main_share >= _MAIN_SHARE:
                name, score = f"{primary} ({main_share:.0%} of the garment)", 1.0
        checks.append(AttributeCheck("color.primary", primary, name, score))
        checks.extend(_pattern_checks(rgb, spec, colors))
    unchecked = sorted(a for a in spec.attributes() if a not in _MEASURED)
    score = float(np.mean([c.score for c in checks])) if checks else 1.0
    verdict: Verdict = "rejected" if score < reject_below else "flagged" if score < flag_below else "ok"
    return ValidationResult(score=score, verdict=verdict, checks=checks, unchecked=unchecked)
