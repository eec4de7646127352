"""Facets: the families designers think in, derived from spec attribute values (stage 15).

A designer who keeps marking black and navy dresses likes dark colours, and one-piece garments; they
have not told the studio anything about charcoal yet, but the family says it is worth trying. Each facet
is a function of one spec path's value:

- `garment.group` of `garment.type` — the taxonomy's garment groups (one-piece, top, outerwear, …);
- `color.primary.family` of `color.primary` — the colour families of the style profile (dark, earth, …);
- `color.primary.tone` of `color.primary` — dark, mid or light by CIELAB lightness of the colour's hex;
- `color.pattern.print` of `color.pattern.type` — solid or printed.

The preference model learns a facet like any attribute value (`attribute:color.primary.tone=dark`), and
centres each value's prior on its facets' posteriors: what is learned about dark colours is the starting
point for navy, and navy's own evidence moves it from there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import numpy as np

from designer_bff.pipeline.profile_state import FAMILY_OF
from designer_bff.taxonomy import load_taxonomy
from designer_bff.taxonomy.colors import hex_to_rgb, rgb_to_lab

# CIELAB L* bounds of the tones: navy (17), burgundy (26) and brown (32) read dark; camel (66) mid;
# blush (78) and ivory (100) light.
DARK_BELOW = 40.0
LIGHT_ABOVE = 75.0


def _group(garment: str) -> str | None:
    try:
        return load_taxonomy().group_of(garment)
    except KeyError:
        return None


@lru_cache(maxsize=256)
def _tone(color: str) -> str | None:
    hex_value = load_taxonomy().colors.get(color)
    if hex_value is None:
        return None
    lightness = float(rgb_to_lab(np.array(hex_to_rgb(hex_value), dtype=np.float64))[0])
    return "dark" if lightness < DARK_BELOW else "light" if lightness > LIGHT_ABOVE else "mid"


def _print(pattern: str) -> str:
    return "solid" if pattern == "solid" else "printed"


# facet path → (source spec path, value → facet value or None when the value has no such facet)
FACETS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "garment.group": ("garment.type", _group),
    "color.primary.family": ("color.primary", FAMILY_OF.get),
    "color.primary.tone": ("color.primary", _tone),
    "color.pattern.print": ("color.pattern.type", _print),
}


_SOURCES: dict[str, list[tuple[str, Callable[[str], str | None]]]] = {}
for _facet, (_source, _of) in FACETS.items():
    _SOURCES.setdefault(_source, []).append((_facet, _of))


def facets_of(flat: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Facet path → values for a flattened spec (path → values)."""
    out: dict[str, list[str]] = {}
    for facet, (source, of) in FACETS.items():
        values = sorted({f for v in flat.get(source, []) if (f := of(v)) is not None})
        if values:
            out[facet] = values
    return out


def parents_of(feature: str) -> list[str]:
    """The facet features of a spec value feature (`attribute:color.primary=navy` → its family and tone)."""
    path, _, value = feature.removeprefix("attribute:").partition("=")
    if not feature.startswith("attribute:") or path not in _SOURCES:
        return []
    return [f"attribute:{facet}={f}" for facet, of in _SOURCES[path] if (f := of(value)) is not None]
