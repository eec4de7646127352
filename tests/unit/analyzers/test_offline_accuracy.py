"""Accuracy of the offline analyser on images whose colour and pattern are known.

Two fixture families: tech-flat renders of a colour × pattern grid (the renderer paints the spec's
colours exactly), and synthetic numpy garments (stripes at several angles and periods, checks, random
blob prints, noisy shaded solids — some on a noisy, shaded backdrop so the photo path is exercised).
A primary colour is right when its name matches or its hex is within ΔE*ab 10 of the true colour.
`pytest -s` prints the report; `benchmarks/bench_analysis_accuracy.py` prints the same without pytest,
so this module must not import pytest.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from designer_bff.analyzers.offline import analyse_rgb
from designer_bff.domain.spec import GarmentSpec
from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import hex_to_rgb, rgb_to_lab
from designer_bff.techflat import render_png

RGB = NDArray[np.uint8]
# 12 colours spread over hue (red → purple) and lightness (black → white).
COLORS = ("navy", "red", "sage", "mustard", "white", "black", "camel", "cobalt", "lavender", "teal",
          "burgundy", "fuchsia")  # fmt: skip
PATTERNS = ("solid", "stripe", "check", "floral", "polka-dot", "abstract")
GARMENTS = ("dress", "shirt", "skirt", "pants", "coat", "top", "jacket", "sweater", "blouse", "jumpsuit")
CUES = ("solid", "stripe", "check", "print")
# (ground, figure) colour pairs for the synthetic garments.
PAIRS = (("navy", "white"), ("red", "cream"), ("emerald", "black"), ("mustard", "navy"), ("grey", "burgundy"),
         ("cobalt", "white"), ("blush", "charcoal"), ("olive", "ivory"))  # fmt: skip
SIZE = 256


@dataclass(frozen=True)
class Case:
    """One image with its true primary colour (taxonomy name) and pattern cue."""

    label: str
    rgb: RGB
    color: str
    cue: str


@dataclass
class Report:
    """Accuracy over a set of cases, with the pattern confusion counts and the misses."""

    total: int = 0
    color_hits: int = 0
    cue_hits: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    @property
    def color_accuracy(self) -> float:
        """Share of cases whose primary colour is right."""
        return self.color_hits / max(1, self.total)

    @property
    def pattern_accuracy(self) -> float:
        """Share of cases whose pattern cue is right."""
        return self.cue_hits / max(1, self.total)

    def recall(self, cue: str) -> float:
        """Share of the cases of one true cue that were measured as that cue."""
        row = sum(n for (truth, _), n in self.confusion.items() if truth == cue)
        return self.confusion[(cue, cue)] / max(1, row)


def _rgb(name: str) -> NDArray[np.float64]:
    return np.array(hex_to_rgb(load_taxonomy().colors[name]), dtype=np.float64)


def delta_e(hex_value: str, name: str) -> float:
    """ΔE*ab between a measured hex and a taxonomy colour."""
    lab = rgb_to_lab(np.array([hex_to_rgb(hex_value), _rgb(name)], dtype=np.float64))
    return float(np.linalg.norm(lab[0] - lab[1]))


def techflat_cases(size: int = 320) -> list[Case]:
    """Tech-flat renders: every colour in COLORS × every pattern in PATTERNS, garments rotating."""
    cases = []
    for i, color in enumerate(COLORS):
        for j, pattern in enumerate(PATTERNS):
            garment = GARMENTS[(i + j) % len(GARMENTS)]
            spec = GarmentSpec.model_validate(
                {"garment": {"type": garment}, "color": {"primary": color, "pattern": {"type": pattern}}}
            )
            data = render_png(spec, seed=i * 31 + j, width=size, height=size)
            rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
            cue = pattern if pattern in CUES else "print"
            cases.append(Case(f"flat {color} {pattern} {garment}", rgb, color, cue))
    return cases


def _silhouette(size: int) -> NDArray[np.bool_]:
    """A dress-like trapezoid (narrow shoulders, wide hem) centred in the frame."""
    image = Image.new("L", (size, size), 0)
    s = size / 256
    ImageDraw.Draw(image).polygon(
        [(96 * s, 28 * s), (160 * s, 28 * s), (200 * s, 228 * s), (56 * s, 228 * s)], fill=255
    )
    return np.asarray(image) > 0


def _compose(surface: NDArray[np.float64], backdrop: NDArray[np.float64], mask: NDArray[np.bool_]) -> RGB:
    """Garment surface inside the mask, a 2-pixel dark outline around it, backdrop outside."""
    from scipy import ndimage

    out = np.where(mask[..., None], surface, backdrop)
    outline = ndimage.binary_dilation(mask, iterations=2) & ~mask
    out[outline] = (40, 40, 40)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _coords(size: int, angle: float) -> NDArray[np.float64]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    coords: NDArray[np.float64] = x * math.cos(math.radians(angle)) + y * math.sin(math.radians(angle))
    return coords


def _paint(figure: NDArray[np.bool_], ground: str, ink: str) -> NDArray[np.float64]:
    return np.where(figure[..., None], _rgb(ink), _rgb(ground))


def synthetic_cases(seed: int = 7) -> list[Case]:
    """Stripes (6 angles × 2 periods), checks (4), random prints (6) and noisy solids (8)."""
    rng = np.random.default_rng(seed)
    mask = _silhouette(SIZE)
    white = np.full((SIZE, SIZE, 3), 248.0)
    cases: list[Case] = []
    for i, angle in enumerate((0, 30, 45, 90, 120, 160)):
        for period in (9, 20):
            ground, ink = PAIRS[(i + period) % len(PAIRS)]
            stripe = np.mod(_coords(SIZE, angle), period) < 0.35 * period
            rgb = _compose(_paint(stripe, ground, ink), white, mask)
            cases.append(Case(f"synthetic stripe {angle}° p{period}", rgb, ground, "stripe"))
    for i, (angle, period) in enumerate(((0, 12), (45, 16), (20, 24), (90, 32))):
        ground, ink = PAIRS[i]
        u = np.mod(_coords(SIZE, angle), period) < 0.3 * period
        v = np.mod(_coords(SIZE, angle + 90), period) < 0.3 * period
        surface = np.where((u ^ v)[..., None], (_rgb(ground) + _rgb(ink)) / 2, _paint(u & v, ground, ink))
        cases.append(
            Case(f"synthetic check {angle}° p{period}", _compose(surface, white, mask), ground, "check")
        )
    for i in range(6):
        ground, ink = PAIRS[(i + 3) % len(PAIRS)]
        image = Image.new("L", (SIZE, SIZE), 0)
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(40, 90))):
            cx, cy = rng.uniform(0, SIZE, 2)
            rx, ry = rng.uniform(2, 4 + 3 * i, 2)
            draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=255)
        blobs = np.asarray(image) > 0
        cases.append(
            Case(f"synthetic print {i}", _compose(_paint(blobs, ground, ink), white, mask), ground, "print")
        )
    y = np.mgrid[0:SIZE, 0:SIZE][0][..., None] / SIZE
    for i, (ground, _) in enumerate(PAIRS):
        noise = rng.normal(0, 3 + i, (SIZE, SIZE, 3))
        surface = _rgb(ground) * (0.92 + 0.16 * y) + noise  # soft top-to-bottom shading, sensor noise
        backdrop = white
        if i % 2:  # a shaded, noisy grey wall: no uniform ground, so the photo path measures it
            backdrop = 200 + 30 * y + rng.normal(0, 3, (SIZE, SIZE, 3))
        cases.append(
            Case(f"synthetic solid {ground} σ{3 + i}", _compose(surface, backdrop, mask), ground, "solid")
        )
    return cases


def evaluate(cases: list[Case]) -> Report:
    """Run the analyser on every case and count colour and pattern hits."""
    report = Report()
    for case in cases:
        result = analyse_rgb(case.rgb)
        color = result.spec["color"]
        measured_hex = color["palette"][0]["hex"]
        color_ok = color["primary"] == case.color or delta_e(measured_hex, case.color) < 10
        cue = result.details["pattern"]["kind"]
        report.total += 1
        report.color_hits += color_ok
        report.cue_hits += cue == case.cue
        report.confusion[(case.cue, cue)] += 1
        if not color_ok or cue != case.cue:
            report.misses.append(
                f"{case.label}: colour {color['primary']} {measured_hex} "
                f"(ΔE {delta_e(measured_hex, case.color):.1f} to {case.color}), pattern {cue}"
            )
    return report


def format_report(report: Report, title: str) -> str:
    """Accuracy lines, the pattern confusion table (rows: truth, columns: measured) and the misses."""
    lines = [
        f"{title}: {report.total} images",
        f"  primary colour accuracy {report.color_accuracy:.3f}"
        f"  pattern accuracy {report.pattern_accuracy:.3f}",
        "  truth \\ measured " + "".join(f"{c:>8}" for c in CUES) + "  recall",
    ]
    for truth in CUES:
        row = "".join(f"{report.confusion[(truth, m)]:>8}" for m in CUES)
        lines.append(f"  {truth:<17}{row}  {report.recall(truth):.2f}")
    lines += [f"  miss: {m}" for m in report.misses]
    return "\n".join(lines)


def test_offline_analyser_accuracy_on_known_images() -> None:
    flats = evaluate(techflat_cases())
    synthetic = evaluate(synthetic_cases())
    print(
        "\n"
        + format_report(flats, "tech-flat renders")
        + "\n"
        + format_report(synthetic, "synthetic garments")
    )
    # Thresholds sit below what was measured (flats: colour 0.99, pattern 1.0; synthetic: 1.0 / 1.0) with
    # room for a miss or two, and above what a broken stage scores (chance is 0.25 for four cues).
    for report in (flats, synthetic):
        assert report.color_accuracy >= 0.9, report.misses
        assert report.pattern_accuracy >= 0.85, report.misses
        assert all(report.recall(cue) >= 0.75 for cue in CUES), report.confusion
