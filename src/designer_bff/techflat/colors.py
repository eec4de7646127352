"""Colour resolution for flats: fill, pattern, line and stitch colours derived from the spec."""

from __future__ import annotations

from dataclasses import dataclass

from designer_bff.taxonomy import load_taxonomy

BACKGROUND = "#fbfaf7"
NEUTRAL = "#d8d2c6"  # warm stone: reads as "undyed sample" rather than as a colour choice
DENIM = "#4d6b92"
DEFAULT_BY_TYPE = {"jeans": DENIM, "coat": "#c19a6b", "trench": "#c9b48f"}


def to_rgb(hex_value: str) -> tuple[float, float, float]:
    """'#rrggbb' → floats in 0..1."""
    h = hex_value.lstrip("#")
    return int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255


def to_hex(rgb: tuple[float, float, float]) -> str:
    """Floats in 0..1 → '#rrggbb'."""
    return "#" + "".join(f"{max(0, min(255, round(c * 255))):02x}" for c in rgb)


def mix(a: str, b: str, t: float) -> str:
    """Blend two hex colours: t = 0 gives a, t = 1 gives b."""
    ra, rb = to_rgb(a), to_rgb(b)
    return to_hex((ra[0] + (rb[0] - ra[0]) * t, ra[1] + (rb[1] - ra[1]) * t, ra[2] + (rb[2] - ra[2]) * t))


def luminance(hex_value: str) -> float:
    """Perceived lightness 0..1 (Rec. 601 luma is plenty for choosing contrasts)."""
    r, g, b = to_rgb(hex_value)
    return 0.299 * r + 0.587 * g + 0.114 * b


def resolve_hex(name: str | None) -> str | None:
    """Taxonomy colour name → hex (names are already canonical in a validated spec)."""
    if name is None:
        return None
    colors = load_taxonomy().colors
    return colors.get(name, name if name.startswith("#") else None)


@dataclass(frozen=True)
class Palette:
    """Every colour a flat uses."""

    primary: str
    secondary: str
    line: str  # outline and seams
    inner_line: str  # construction lines drawn over the fill
    stitch: str  # topstitching
    inside: str  # the garment's inside (back neck, linings)
    hardware: str  # buttons, zips, buckles


def contrast_for(primary: str) -> str:
    """A default secondary colour that reads clearly against the primary."""
    lum = luminance(primary)
    if lum > 0.62:
        return "#1f2a44"  # navy on light grounds, the classic print ground/motif pairing
    if lum > 0.35:
        return "#f8f8f5"
    return "#f3ead3"  # cream on dark grounds


def build_palette(
    primary_name: str | None,
    secondary_name: str | None,
    garment_type: str,
    *,
    contrast_stitch: bool,
    metal_hardware: bool,
) -> Palette:
    """Resolve the spec's colour names into a complete palette."""
    primary = resolve_hex(primary_name) or DEFAULT_BY_TYPE.get(garment_type, NEUTRAL)
    secondary = resolve_hex(secondary_name) or contrast_for(primary)
    lum = luminance(primary)
    line = mix(primary, "#141414", 0.82)
    # On dark cloth a dark seam line vanishes, so interior lines go lighter instead.
    inner = mix(primary, "#ffffff", 0.45) if lum < 0.28 else mix(primary, "#141414", 0.7)
    stitch = "#d9a53a" if contrast_stitch else inner
    # Mixing towards grey (not darkening in HLS) keeps pale colours from turning saturated.
    inside = mix(primary, "#3c3a38", 0.22) if lum > 0.25 else mix(primary, "#ffffff", 0.12)
    hardware = "#c9a449" if metal_hardware else mix(primary, "#141414", 0.35)
    return Palette(primary, secondary, line, inner, stitch, inside, hardware)
