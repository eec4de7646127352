"""The offline analyser: colours, pattern, background and lighting key measured from pixels, no model.

It fills only what it measures. Garment type, cut, fabric, construction and style cannot be seen this
way and are listed in `unmeasured`, so nobody mistakes their absence for an answer.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from designer_bff.analyzers.base import AnalysisResult
from designer_bff.domain.spec import GarmentSpec
from designer_bff.imaging import load_rgb
from designer_bff.pipeline import pattern_cues as cues
from designer_bff.pipeline.analysis import (
    ColorAnalysis,
    ColorShare,
    dominant_colors,
    foreground_mask,
    garment_weights,
    resample,
    scene_of,
)
from designer_bff.taxonomy.colors import hex_to_rgb, rgb_to_lab

WORK_SIDE = 512  # garment masks and scene cues are measured with the image's long side at this size
COLOR_SIDE = 192  # colours are clustered at this size (enough pixels, fast k-means)
MEASURED_SECTIONS = (
    "color.primary",
    "color.secondary",
    "color.palette",
    "color.pattern.type",
    "color.pattern.scale",
    "photography.background",
    "photography.lighting_type",
)
PRINT_NOTE = (
    "'print' is reported as 'abstract': offline, floral, paisley, polka-dot, animal and abstract prints "
    "are not told apart (the spectrum and edge statistics separate solid, stripe, check and print only)"
)
_PRINT_DISCOUNT = 0.6  # a print is certain, its kind is not: the taxonomy value gets 60 % of the confidence
_SHARE_SECONDARY = 10.0  # percent of the garment a second colour needs to be named secondary
_SHARE_BLOCK = 20.0  # … and on a solid garment (outlines and seams cover up to ~10 % of a flat)


def _attribute_paths() -> tuple[str, ...]:
    """Every categorical attribute path of the canonical spec, e.g. 'garment.sleeve.length'."""
    paths: list[str] = []

    def walk(prefix: str, model: Any) -> None:
        for name, info in model.model_fields.items():
            annotation = info.annotation
            inner = getattr(annotation, "__args__", (annotation,))
            nested = [a for a in inner if isinstance(a, type) and hasattr(a, "model_fields")]
            if nested:
                walk(f"{prefix}.{name}", nested[0])
            else:
                paths.append(f"{prefix}.{name}")

    for section in ("garment", "fabric", "color", "construction", "style", "photography"):
        walk(section, GarmentSpec.model_fields[section].annotation)
    return tuple(paths)


UNMEASURED = tuple(p for p in _attribute_paths() if p not in MEASURED_SECTIONS)


def _resize(rgb: NDArray[np.uint8], long_side: int) -> NDArray[np.uint8]:
    """Area-averaged downscale so the long side is at most `long_side`."""
    h, w = rgb.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))


def garment_mask(rgb: NDArray[np.uint8], weights: NDArray[np.float64] | None) -> NDArray[np.bool_]:
    """Garment pixels of a work-size image: outside the uniform ground (clean, `weights` None) or with
    at least half the strongest garment weight (photo)."""
    if weights is None:
        mask, _ = foreground_mask(rgb_to_lab(rgb))
        return mask
    resized = resample(weights, rgb.shape[:2])
    return resized >= 0.5 * max(float(resized.max()), 1e-9)


def _crop(rgb: NDArray[np.uint8], mask: NDArray[np.bool_]) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """The garment's bounding box, scaled so its long side is at most `cues.PATTERN_SIDE`."""
    ys, xs = np.nonzero(mask)
    box = (slice(int(ys.min()), int(ys.max()) + 1), slice(int(xs.min()), int(xs.max()) + 1))
    crop, inside = rgb[box], mask[box]
    small = _resize(crop, cues.PATTERN_SIDE)
    if small.shape != crop.shape:
        size = (small.shape[1], small.shape[0])
        inside = (
            np.asarray(Image.fromarray(inside.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX))
            > 127
        )
    return small, inside


def fold_blends(colors: list[ColorShare]) -> list[ColorShare]:
    """Fold colours that are blends of two other measured colours into them, pro rata.

    Only for stripes and checks: a gingham's half-tone bands and the anti-aliased edges of fine stripes
    read as a third colour between ground and figure, which is the weave's mixing, not a colour of its
    own. A blend lies on the Lab segment between two clearly different colours (ΔE ≥ 25 apart), within
    ΔE 8 of it and 15–85 % of the way along.
    """
    if len(colors) < 3:
        return colors
    lab = rgb_to_lab(np.array([hex_to_rgb(c.hex) for c in colors], dtype=np.float64))
    share = [c.coverage for c in colors]
    for b in sorted(range(len(colors)), key=lambda i: share[i]):
        for a, c in combinations([i for i in range(len(colors)) if i != b and share[i] > 0], 2):
            span = lab[a] - lab[c]
            length2 = float(span @ span)
            if length2 < 25.0**2:
                continue
            t = float((lab[b] - lab[c]) @ span) / length2
            if 0.15 <= t <= 0.85 and np.linalg.norm(lab[c] + t * span - lab[b]) < 8:
                share[a] += t * share[b]
                share[c] += (1 - t) * share[b]
                share[b] = 0.0
                break
    kept = [ColorShare(x.name, x.hex, round(v, 1)) for x, v in zip(colors, share, strict=True) if v > 0]
    return sorted(kept, key=lambda x: -x.coverage)


def _palette(colors: ColorAnalysis) -> list[dict[str, Any]]:
    roles = ("primary", "secondary")
    return [
        {"name": c.name, "hex": c.hex, "coverage": c.coverage, "role": roles[i] if i < 2 else "accent"}
        for i, c in enumerate(colors.colors[:5])
    ]


def _color_section(
    colors: ColorAnalysis, pattern: cues.PatternCue
) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    """The spec's colour section, its confidences and warnings."""
    photo = colors.scene == "photo"
    damp = 0.8 if photo else 1.0  # a photo's garment region is an estimate
    top = colors.colors[0]
    section: dict[str, Any] = {"primary": top.name, "palette": _palette(colors)}
    confidence = {
        "color.primary": round(damp * min(1.0, 0.4 + top.coverage / 100), 2),
        "color.palette": round(damp * 0.8, 2),
    }
    warnings: list[str] = []
    needed = _SHARE_SECONDARY if pattern.kind != "solid" else _SHARE_BLOCK
    if len(colors.colors) > 1 and colors.colors[1].coverage >= needed:
        second = colors.colors[1]
        section["secondary"] = second.name
        confidence["color.secondary"] = round(damp * min(1.0, 0.3 + second.coverage / 50), 2)
    kind = "abstract" if pattern.kind == "print" else pattern.kind
    section["pattern"] = {"type": kind}
    confidence["color.pattern.type"] = round(
        pattern.confidence * (_PRINT_DISCOUNT if pattern.kind == "print" else 1.0) * damp, 2
    )
    if pattern.kind == "print":
        warnings.append(PRINT_NOTE)
    if pattern.scale is not None:
        section["pattern"]["scale"] = pattern.scale
        confidence["color.pattern.scale"] = round(0.6 * confidence["color.pattern.type"], 2)
    return section, confidence, warnings


def _photography_section(
    ground: cues.Background, light: cues.Brightness
) -> tuple[dict[str, Any], dict[str, float]]:
    """Background (white / grey seamless when uniform) and lighting key (only when clearly extreme)."""
    section: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    if ground.kind in ("white", "grey"):
        section["background"] = f"{ground.kind}-seamless"
        evidence = max(ground.uniformity, ground.flat_share)
        confidence["photography.background"] = round(0.5 + 0.45 * cues.ramp(evidence, 0.6, 0.95), 2)
    key, certainty = cues.lighting_key(light)
    if key is not None:
        section["lighting_type"] = key
        confidence["photography.lighting_type"] = certainty
    return section, confidence


def _details(
    colors: ColorAnalysis,
    pattern: cues.PatternCue,
    light: cues.Brightness,
    ground: cues.Background,
    place: cues.Framing,
) -> dict[str, Any]:
    """Measurements that are not spec attributes: palette, brightness, background, framing, pattern."""
    details: dict[str, Any] = {
        "scene": colors.scene,
        "palette": [{"name": c.name, "hex": c.hex, "coverage": c.coverage} for c in colors.colors],
        "brightness": vars(light),
        "background": vars(ground),
        "framing": {**vars(place), "touching": list(place.touching), "cropped": bool(place.touching)},
        "pattern": {
            "kind": pattern.kind,
            "confidence": pattern.confidence,
            "scale": pattern.scale,
            "statistics": pattern.stats,
        },
    }
    if pattern.kind == "print":
        details["pattern"]["note"] = PRINT_NOTE
    return details


def analyse_rgb(rgb: NDArray[np.uint8]) -> AnalysisResult:
    """Analyse a decoded (H, W, 3) RGB array (pure; `OfflineAnalyzer.analyse` decodes and calls this)."""
    work = _resize(rgb, WORK_SIDE)
    weights = None if scene_of(work, long_side=COLOR_SIDE) == "clean" else garment_weights(work)
    colors = dominant_colors(work, k=5, long_side=COLOR_SIDE, weights=weights)
    mask = garment_mask(work, weights)
    warnings: list[str] = []
    if not mask.any() or not colors.colors:
        mask = np.ones(work.shape[:2], dtype=bool)
        warnings.append("no garment region found: the whole image was measured")
    pattern = cues.pattern_cue(*_crop(work, mask))
    if pattern.kind in ("stripe", "check"):
        colors = replace(colors, colors=fold_blends(colors.colors))
    lab = rgb_to_lab(work)
    light = cues.brightness(lab, mask)
    ground = cues.background(work)
    place = cues.framing(mask)
    spec: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    if colors.colors:
        spec["color"], color_confidence, color_warnings = _color_section(colors, pattern)
        confidence |= color_confidence
        warnings += color_warnings
    photography, photo_confidence = _photography_section(ground, light)
    if photography:
        spec["photography"] = photography
        confidence |= photo_confidence
    if colors.scene == "photo":
        warnings.append(
            "photo: colours and pattern were measured on the estimated garment region (backdrop, cast "
            "shadows and skin suppressed); several garments in one picture share one palette"
        )
    if place.occupancy >= 0.98:
        warnings.append(
            "the garment fills the frame or could not be told from the background: "
            "the colours are the whole image's"
        )
    details = _details(colors, pattern, light, ground, place)
    measured = tuple(p for p in MEASURED_SECTIONS if p in confidence)
    return AnalysisResult(
        analyser="offline",
        spec=spec,
        confidence=confidence,
        measured=measured,
        unmeasured=UNMEASURED,
        details=details,
        warnings=tuple(warnings),
    )


class OfflineAnalyzer:
    """Colour, pattern, background and lighting-key analysis from pixels alone; always available."""

    name = "offline"

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels

    def is_configured(self) -> bool:
        """Always: it needs no key, URL or weights."""
        return True

    def analyse(self, data: bytes, *, mime: str, filename: str | None = None) -> AnalysisResult:
        """Decode (InvalidInput for bad data, PayloadTooLarge over `max_pixels`) and analyse one image."""
        image = load_rgb(data, max_pixels=self.max_pixels)
        return analyse_rgb(np.asarray(image))
