"""Pure image cues for the offline analyser: surface pattern, brightness, framing and background.

Pattern: the garment's texture signal (CIELAB projected on its main axis of variation, so a red/blue
stripe of equal lightness still shows) is read two ways — its 2-D power spectrum (energy by wave-vector
orientation) and the orientation of its colour edges (Di Zenzo structure tensor). One dominant orientation
is a stripe, two roughly orthogonal ones a check, no dominant orientation a print; a garment whose surface
barely departs from its local colour is solid. All thresholds are in ΔE*ab or shares, at `PATTERN_SIDE`.
Background: the frame's uniformity plus the flat neutral backdrop (wall, sweep, cast shadows) of a photo,
which `pipeline.analysis.garment_weights` also removes before naming colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from designer_bff.taxonomy.colors import rgb_to_lab

F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]
PatternKind = Literal["solid", "stripe", "check", "print"]

PATTERN_SIDE = 384  # garment crops are analysed with their long side at most this many pixels
_EDGE_STEP = 8.0  # ΔE per pixel that counts as a colour edge (shading and weave stay below it)
_OFF_LOCAL = 15.0  # ΔE from the local mean colour that counts as a departure (print or trim)
_HALF_WIDTH = 2  # orientation bins (of 5°) either side of a peak counted as "that orientation"
_BINS = 36
SEGMENT_SIDE = 192  # photo backdrop and garment segmentation run at this size; ΔE-per-pixel steps assume it
RIM_STEP = 6.0  # ΔE per pixel: softer steps are shadow or light-patch rims, harder ones are outlines


@dataclass(frozen=True)
class PatternCue:
    """Pattern kind, its confidence (0..1), scale (None for solid) and the statistics behind it."""

    kind: PatternKind
    confidence: float
    scale: str | None
    stats: dict[str, float] = field(default_factory=dict)


def _smooth_in_mask(values: F64, mask: Mask, sigma: float) -> F64:
    """Gaussian mean of `values` over the mask only (normalised convolution), so the background never
    bleeds into the garment's local colour."""
    from scipy import ndimage

    weight = ndimage.gaussian_filter(mask.astype(np.float64), sigma)
    out = np.stack(
        [
            ndimage.gaussian_filter(np.where(mask, values[..., c], 0.0), sigma)
            for c in range(values.shape[-1])
        ],
        -1,
    )
    result: F64 = out / np.maximum(weight, 1e-6)[..., None]
    return result


def _structure_tensor(lab: F64) -> tuple[F64, F64]:
    """Colour edge strength (ΔE per pixel) and orientation (0..180°, of the gradient) per pixel."""
    from scipy import ndimage

    jxx, jyy, jxy = (np.zeros(lab.shape[:2]) for _ in range(3))
    for c in range(3):
        gx = ndimage.sobel(lab[..., c], 1) / 8
        gy = ndimage.sobel(lab[..., c], 0) / 8
        jxx += gx * gx
        jyy += gy * gy
        jxy += gx * gy
    root = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2)
    strength = np.sqrt(np.maximum((jxx + jyy + root) / 2, 0.0))
    angle = (np.degrees(0.5 * np.arctan2(2 * jxy, jxx - jyy)) + 180.0) % 180.0
    return strength, angle


def _orientation_peaks(hist: F64) -> tuple[float, float, float]:
    """(dominant share, orthogonal share, dominant angle°) of a circular 180° orientation histogram."""
    total = float(hist.sum())
    if total <= 0:
        return 0.0, 0.0, 0.0
    offsets = np.arange(-_HALF_WIDTH, _HALF_WIDTH + 1)
    mass = np.array([hist[(i + offsets) % _BINS].sum() for i in range(_BINS)]) / total
    # Ties (all energy in one bin fills five windows) go to the window centred on the strongest bin.
    first = int(np.argmax(mass + 1e-9 * hist / total))
    across = (first + _BINS // 2 + np.arange(-3, 4)) % _BINS  # within ±15° of orthogonal
    second = int(across[np.argmax(mass[across])])
    window = (first + offsets) % _BINS
    centre = first + 0.5 + float(hist[window] @ offsets) / max(float(hist[window].sum()), 1e-12)
    return float(mass[first]), float(mass[second]), centre * 180.0 / _BINS % 180.0


def edge_statistics(lab: F64, interior: Mask) -> dict[str, float]:
    """Edge density inside the garment and the concentration of edge orientations."""
    strength, angle = _structure_tensor(lab)
    edges = interior & (strength > _EDGE_STEP)
    area = max(1, int(interior.sum()))
    bins = np.minimum((angle[edges] / (180.0 / _BINS)).astype(int), _BINS - 1)
    hist = np.bincount(bins, weights=strength[edges], minlength=_BINS).astype(np.float64)
    first, second, theta = _orientation_peaks(hist)
    return {
        "edge_density": round(float(edges.sum()) / area, 4),
        "edge_orientation_peak": round(first, 4),
        "edge_orientation_orthogonal": round(second, 4),
        "edge_angle": round(theta, 1),
    }


def _texture_signal(lab: F64, interior: Mask) -> F64:
    """Zero-mean projection of the garment's Lab values on their first principal axis (0 outside)."""
    points = lab[interior]
    centred = points - points.mean(0)
    _, _, vt = np.linalg.svd(centred[:: max(1, len(centred) // 20000)], full_matrices=False)
    signal = np.zeros(lab.shape[:2])
    signal[interior] = centred @ vt[0]
    return signal


def spectrum_statistics(lab: F64, interior: Mask, size: float) -> dict[str, float]:
    """Orientation concentration, periodicity and dominant period (pixels) of the texture's spectrum.

    Wave vectors with periods longer than a quarter of the garment (shading, colour blocks) or shorter
    than 2.5 pixels (noise) are left out.
    """
    from scipy import ndimage

    taper = ndimage.gaussian_filter(interior.astype(np.float64), 2.0) * interior
    signal = _texture_signal(lab, interior) * taper
    n = int(2 ** np.ceil(np.log2(max(signal.shape) + 1)))
    power = np.abs(np.fft.fft2(signal, s=(n, n))) ** 2
    freq = np.fft.fftfreq(n)
    fy, fx = np.meshgrid(freq, freq, indexing="ij")
    radius = np.hypot(fx, fy)
    band = (radius > 4.0 / max(size, 8.0)) & (radius < 0.4)
    total = float(power[band].sum())
    if total <= 0:
        return {"spectrum_orientation_peak": 0.0, "spectrum_orientation_orthogonal": 0.0,
                "periodicity": 0.0, "period_px": 0.0}  # fmt: skip
    angle = (np.degrees(np.arctan2(fy, fx)) + 180.0) % 180.0
    bins = np.minimum((angle[band] / (180.0 / _BINS)).astype(int), _BINS - 1)
    hist = np.bincount(bins, weights=power[band], minlength=_BINS).astype(np.float64)
    first, second, _ = _orientation_peaks(hist)
    peak = int(np.argmax(np.where(band, power, 0.0)))
    # Share of the band's energy within one frequency step of the strongest wave vector (and its mirror).
    near = band & (np.hypot(fx - fx.flat[peak], fy - fy.flat[peak]) <= 1.5 / n)
    near |= band & (np.hypot(fx + fx.flat[peak], fy + fy.flat[peak]) <= 1.5 / n)
    return {
        "spectrum_orientation_peak": round(first, 4),
        "spectrum_orientation_orthogonal": round(second, 4),
        "periodicity": round(float(power[near].sum()) / total, 4),
        "period_px": round(1.0 / max(float(radius.flat[peak]), 1e-6), 2),
    }


def departure_share(lab: F64, interior: Mask, size: float) -> float:
    """Share of the garment whose colour departs (> 15 ΔE) from its local mean, after a 3×3 opening.

    The local mean (σ = 4 % of the garment) follows shading and colour blocks, and the opening removes
    one- and two-pixel lines (seams, topstitching), so what remains is print, stripe or check."""
    from scipy import ndimage

    local = _smooth_in_mask(lab, interior, max(2.0, 0.04 * size))
    off = interior & (np.linalg.norm(lab - local, axis=-1) > _OFF_LOCAL)
    off = ndimage.binary_opening(off, np.ones((3, 3), dtype=bool))
    return round(float(off.sum()) / max(1, int(interior.sum())), 4)


def ramp(value: float, low: float, high: float) -> float:
    """0 at `low`, 1 at `high`, linear in between (either direction)."""
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


def classify_pattern(stats: dict[str, float]) -> tuple[PatternKind, float]:
    """Pattern kind and confidence from the measured statistics (see module doc).

    Solid cloth departs from its local colour on < 1 % of its surface (seams and outlines are opened
    away) and has few edges; prints depart on ≥ 3 % or are dense with edges. Orientation shares mix the
    spectrum (weight 0.7: it resolves small checks whose corners blur the edge angles) and the edges.
    A ±10° window holds 11 % of uniformly spread orientations, so prints sit near 0.2–0.3.
    """
    departure, density = stats["departure_share"], stats["edge_density"]
    patterned = max(ramp(departure, 0.01, 0.03), ramp(density, 0.10, 0.18))
    if patterned < 0.5:
        return "solid", round(0.5 + 0.45 * (1 - 2 * patterned), 2)
    certainty = 0.5 + 0.45 * (2 * patterned - 1)
    first = 0.7 * stats["spectrum_orientation_peak"] + 0.3 * stats["edge_orientation_peak"]
    second = 0.7 * stats["spectrum_orientation_orthogonal"] + 0.3 * stats["edge_orientation_orthogonal"]
    if first >= 0.55 and second <= 0.35 * first:
        return "stripe", round(certainty * (0.6 + 0.4 * ramp(first, 0.55, 0.8)), 2)
    if first >= 0.34 and second >= 0.7 * first:
        return "check", round(certainty * (0.6 + 0.4 * ramp(first + second, 0.68, 0.85)), 2)
    return "print", round(certainty * (0.6 + 0.4 * ramp(0.34 - first, 0.0, 0.1)), 2)


def pattern_scale(period_px: float, size: float) -> str:
    """small / medium / large from the dominant period relative to the garment size (√area)."""
    relative = period_px / max(size, 1.0)
    return "small" if relative < 0.055 else "medium" if relative < 0.1 else "large"


def pattern_cue(rgb: NDArray[np.uint8], mask: Mask) -> PatternCue:
    """Pattern cue of the garment `mask` covers in an (H, W, 3) RGB array (any size ≥ 16 px)."""
    from scipy import ndimage

    lab = rgb_to_lab(rgb)
    interior = ndimage.binary_erosion(mask, iterations=3)  # outlines and anti-aliasing are not surface
    if interior.sum() < 200:
        return PatternCue("solid", 0.3, None, {"interior_px": float(interior.sum())})
    size = float(np.sqrt(interior.sum()))
    stats = {"interior_px": float(interior.sum()), "departure_share": departure_share(lab, interior, size)}
    stats |= edge_statistics(lab, interior) | spectrum_statistics(lab, interior, size)
    stats["relative_period"] = round(stats["period_px"] / size, 4)
    kind, confidence = classify_pattern(stats)
    scale = None if kind == "solid" else pattern_scale(stats["period_px"], size)
    return PatternCue(kind, confidence, scale, stats)


@dataclass(frozen=True)
class Brightness:
    """Mean L* and contrast (standard deviation of L*) of the whole image and of the garment."""

    mean_l: float
    contrast: float
    garment_mean_l: float
    dark_share: float  # share of the image with L* < 30
    light_share: float  # share of the image with L* > 80


def brightness(lab: F64, garment: Mask) -> Brightness:
    """Brightness statistics of a Lab image and of its garment region."""
    lightness = lab[..., 0]
    inside = lightness[garment] if garment.any() else lightness.ravel()
    return Brightness(
        mean_l=round(float(lightness.mean()), 1),
        contrast=round(float(lightness.std()), 1),
        garment_mean_l=round(float(inside.mean()), 1),
        dark_share=round(float((lightness < 30).mean()), 3),
        light_share=round(float((lightness > 80).mean()), 3),
    )


def lighting_key(light: Brightness) -> tuple[str | None, float]:
    """'high-key' / 'low-key' with a confidence, only when the image is clearly bright or dark overall."""
    if light.mean_l >= 82 and light.dark_share <= 0.03:
        return "high-key", round(0.6 + 0.3 * ramp(light.mean_l, 82, 92), 2)
    if light.mean_l <= 30 and light.light_share <= 0.05:
        return "low-key", round(0.6 + 0.3 * ramp(30 - light.mean_l, 0, 15), 2)
    return None, 0.0


@dataclass(frozen=True)
class Framing:
    """Where the garment sits in the frame (shares of the image; edges it touches mean cropping)."""

    occupancy: float  # garment pixels / image
    box_occupancy: float  # garment bounding box / image
    centred: bool
    offset_x: float  # bounding-box centre minus image centre, in image widths
    offset_y: float
    touching: tuple[str, ...]  # sides the garment runs into: "top", "bottom", "left", "right"
    aspect: float  # bounding box height / width


def framing(garment: Mask) -> Framing:
    """Framing of a garment mask (an empty mask gives zero occupancy and no sides)."""
    h, w = garment.shape
    if not garment.any():
        return Framing(0.0, 0.0, False, 0.0, 0.0, (), 0.0)
    ys, xs = np.nonzero(garment)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    # Within 1 % of the frame counts as touching: a photo's garment mask is eroded by a pixel or two.
    ty, tx = max(1, round(0.01 * h)), max(1, round(0.01 * w))
    sides = {"top": y0 < ty, "bottom": y1 >= h - ty, "left": x0 < tx, "right": x1 >= w - tx}
    dx, dy = (x0 + x1 + 1) / 2 / w - 0.5, (y0 + y1 + 1) / 2 / h - 0.5
    return Framing(
        occupancy=round(float(garment.mean()), 3),
        box_occupancy=round((y1 - y0 + 1) * (x1 - x0 + 1) / (h * w), 3),
        centred=abs(dx) <= 0.1 and abs(dy) <= 0.15,
        offset_x=round(dx, 3),
        offset_y=round(dy, 3),
        touching=tuple(side for side, hit in sides.items() if hit),
        aspect=round((y1 - y0 + 1) / (x1 - x0 + 1), 3),
    )


def shrink(rgb: NDArray[np.uint8], long_side: int) -> F64:
    """Area-averaged downscale so the long side is at most `long_side` (float RGB)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1:
        return rgb.astype(np.float64)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX), dtype=np.float64)


def gradient_magnitude(lab: F64) -> F64:
    """Colour gradient (ΔE*ab per pixel, Sobel over L*, a*, b*)."""
    from scipy import ndimage

    total = np.zeros(lab.shape[:2])
    for c in range(3):
        total += ndimage.sobel(lab[..., c], 0) ** 2 + ndimage.sobel(lab[..., c], 1) ** 2
    result: F64 = np.sqrt(total) / 8  # Sobel's kernel sums to 8 per unit step
    return result


def frame_band(shape: tuple[int, ...], fraction: float = 0.06, *, bottom: bool = False) -> NDArray[np.bool_]:
    """Strips along the top, left and right of the frame (and the bottom when asked). The bottom is left
    out by default: fashion shots crop the garment there (a half-body portrait's jacket runs off it)."""
    h, w = shape[:2]
    b = max(2, round(fraction * min(h, w)))
    band = np.zeros((h, w), dtype=bool)
    band[:b], band[:, :b], band[:, -b:] = True, True, True
    if bottom:
        band[-b:] = True
    return band


def flat_backdrop(lab: F64, gradient: F64) -> NDArray[np.bool_]:
    """Wall, floor and cast shadows: achromatic, light-to-mid and flat (no step above 1.5 ΔE in a 5×5
    window), connected to the frame through such pixels. Cloth, even plain grey, always has folds,
    seams or weave, so it is never flat at this scale."""
    from scipy import ndimage

    neutral = (np.hypot(lab[..., 1], lab[..., 2]) < 6) & (lab[..., 0] > 30)
    flat = neutral & (ndimage.maximum_filter(gradient, 5) < 1.5)
    # A shadow's or light patch's rim is a soft step, not flat: let it link flat regions (hysteresis) so
    # a shadow enclosed by a sunlit patch still reaches the frame. Garment outlines are harder steps.
    bridge = flat | (neutral & (gradient < RIM_STEP))
    labels, _ = ndimage.label(bridge)
    touching = np.unique(labels[frame_band(lab.shape)])
    backdrop = flat & np.isin(labels, touching[touching > 0])
    if backdrop.any():
        # Wall seen between the legs or under an arm is enclosed, but it is the same flat colour.
        islands, count = ndimage.label(flat & ~backdrop)
        if count:
            means = np.stack(
                [ndimage.mean(lab[..., c], islands, np.arange(1, count + 1)) for c in range(3)], 1
            )
            tones = lab[backdrop][:: max(1, int(backdrop.sum()) // 2000)]
            near = np.min(np.linalg.norm(means[:, None] - tones[None], axis=-1), axis=1) < 6
            # A hard-edged cast shadow: a large flat region darker than the wall, of the wall's tint.
            sizes = ndimage.sum_labels(np.ones(lab.shape[:2]), islands, np.arange(1, count + 1))
            wall = np.median(tones, axis=0)
            tint = np.linalg.norm(means[:, 1:] - wall[1:], axis=1) < 4
            shadow = (sizes >= 0.01 * islands.size) & (means[:, 0] < wall[0]) & tint
            backdrop |= np.isin(islands, np.flatnonzero(near | shadow) + 1)
        # Slivers too narrow to be flat (wall between the legs, floor by the feet) match the backdrop
        # right next to them: compare each neutral pixel with the local backdrop colour.
        near_weight = ndimage.gaussian_filter(backdrop.astype(np.float64), 6.0)
        local = (
            np.stack(
                [ndimage.gaussian_filter(np.where(backdrop, lab[..., c], 0.0), 6.0) for c in range(3)], -1
            )
            / np.maximum(near_weight, 1e-6)[..., None]
        )
        backdrop |= neutral & (near_weight > 0.05) & (np.linalg.norm(lab - local, axis=-1) < 5)
    # The soft rim itself (a few pixels around each flat region) is backdrop too.
    result: NDArray[np.bool_] = backdrop | (bridge & ndimage.binary_dilation(backdrop, iterations=4))
    return result


def backdrop_mask(rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Flat neutral backdrop (wall, floor, cast shadows) of a photo, at `SEGMENT_SIDE` resolution."""
    lab = rgb_to_lab(shrink(rgb, SEGMENT_SIDE))
    return flat_backdrop(lab, gradient_magnitude(lab))


@dataclass(frozen=True)
class Background:
    """The frame's backdrop: uniform white / grey / other colour, or busy; its colour and uniformity."""

    kind: Literal["white", "grey", "other", "busy"]
    hex: str
    uniformity: float  # share of border pixels within ΔE 10 of the border's median colour
    flat_share: float  # share of the frame band that is flat neutral backdrop (wall, sweep, shadow)


def background(rgb: NDArray[np.uint8]) -> Background:
    """Classify an RGB image's backdrop from its frame.

    Uniform means the border is one colour (≥ 75 % within ΔE 10 of its median: renders, paper sweeps)
    or mostly flat neutral wall (≥ 60 % of the frame band: a studio wall with shadows and light patches).
    White is L* ≥ 85 (photographed white walls rarely exceed 90), grey 35–85, both with chroma < 6.
    """
    from designer_bff.taxonomy.colors import rgb_to_hex

    border_rgb = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float64)
    border = rgb_to_lab(border_rgb)
    median_lab, median_rgb = np.median(border, axis=0), np.median(border_rgb, axis=0)
    uniformity = float(np.mean(np.linalg.norm(border - median_lab, axis=1) < 10))
    small = shrink(rgb, SEGMENT_SIDE)
    band = frame_band(small.shape, bottom=True)
    flat = backdrop_mask(rgb) & band
    flat_share = float(flat.sum() / band.sum())
    if uniformity < 0.75 and flat_share >= 0.6:  # the wall, not the shadows on it, names the colour
        median_rgb = np.median(small[flat], axis=0)
        median_lab = rgb_to_lab(median_rgb)
    hex_value = rgb_to_hex(tuple(int(v) for v in median_rgb))  # type: ignore[arg-type]
    chroma = float(np.hypot(median_lab[1], median_lab[2]))
    kind: Literal["white", "grey", "other", "busy"]
    if uniformity < 0.75 and flat_share < 0.6:
        kind = "busy"
    elif chroma < 6 and median_lab[0] >= 85:
        kind = "white"
    elif chroma < 6 and median_lab[0] >= 35:
        kind = "grey"
    else:
        kind = "other"
    return Background(kind, hex_value, round(uniformity, 3), round(flat_share, 3))
