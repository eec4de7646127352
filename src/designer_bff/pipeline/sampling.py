"""Stage 4 (spec sampling): a partial spec → N complete specs, varying only what the request left open."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from designer_bff.domain.spec import GarmentSpec

# Plausible options per garment type for attributes the request did not fix. The first option of each
# list is the most typical; sampling weights it double so defaults read as "classic" more often.
_CUT: dict[str, dict[str, list[str]]] = {
    "dress": {
        "silhouette": ["a-line", "sheath", "wrap", "shift", "empire", "fitted", "relaxed"],
        "neckline": ["v-neck", "crew", "square", "scoop", "sweetheart", "halter", "off-shoulder", "boat"],
        "sleeve_length": ["short", "sleeveless", "long", "three-quarter", "cap", "elbow"],
        "length": ["midi", "knee", "maxi", "mini"],
    },
    "gown": {
        "silhouette": ["ball-gown", "mermaid", "a-line", "sheath", "empire"],
        "neckline": ["sweetheart", "off-shoulder", "v-neck", "halter", "boat", "square"],
        "sleeve_length": ["sleeveless", "long", "cap", "short"],
        "length": ["floor"],
    },
    "top": {
        "silhouette": ["fitted", "relaxed", "oversized"],
        "neckline": ["scoop", "square", "v-neck", "halter", "off-shoulder", "cowl"],
        "sleeve_length": ["sleeveless", "short", "cap", "long"],
        "length": ["hip", "crop"],
    },
    "blouse": {
        "silhouette": ["relaxed", "fitted", "wrap"],
        "neckline": ["v-neck", "collared", "boat", "square", "cowl"],
        "sleeve_length": ["long", "three-quarter", "short", "elbow"],
        "length": ["hip"],
    },
    "shirt": {
        "silhouette": ["straight", "relaxed", "fitted", "oversized"],
        "neckline": ["collared"],
        "sleeve_length": ["long", "short"],
        "length": ["hip"],
    },
    "t-shirt": {
        "silhouette": ["relaxed", "fitted", "oversized"],
        "neckline": ["crew", "v-neck", "scoop"],
        "sleeve_length": ["short", "elbow", "long"],
        "length": ["hip", "crop"],
    },
    "sweater": {
        "silhouette": ["relaxed", "oversized", "fitted"],
        "neckline": ["crew", "turtleneck", "v-neck", "boat", "cowl"],
        "sleeve_length": ["long"],
        "length": ["hip", "crop"],
    },
    "cardigan": {
        "silhouette": ["relaxed", "oversized", "fitted"],
        "neckline": ["v-neck", "crew"],
        "sleeve_length": ["long", "three-quarter"],
        "length": ["hip", "crop", "knee"],
    },
    "blazer": {
        "silhouette": ["fitted", "straight", "oversized"],
        "neckline": ["collared"],
        "sleeve_length": ["long"],
        "length": ["hip"],
    },
    "jacket": {
        "silhouette": ["straight", "fitted", "oversized", "relaxed"],
        "neckline": ["collared", "crew"],
        "sleeve_length": ["long"],
        "length": ["hip", "crop"],
    },
    "bomber": {
        "silhouette": ["relaxed", "oversized"],
        "neckline": ["crew"],
        "sleeve_length": ["long"],
        "length": ["hip"],
    },
    "vest": {
        "silhouette": ["fitted", "straight", "oversized"],
        "neckline": ["v-neck", "crew", "collared"],
        "sleeve_length": ["sleeveless"],
        "length": ["hip", "crop"],
    },
    "coat": {
        "silhouette": ["straight", "a-line", "oversized", "wrap", "fitted"],
        "neckline": ["collared"],
        "sleeve_length": ["long"],
        "length": ["knee", "midi", "maxi", "hip"],
    },
    "trench": {
        "silhouette": ["straight", "a-line", "wrap"],
        "neckline": ["collared"],
        "sleeve_length": ["long"],
        "length": ["knee", "midi", "maxi"],
    },
    "pants": {
        "silhouette": ["straight", "wide-leg", "tapered", "fitted", "relaxed"],
        "length": ["ankle", "floor", "crop"],
    },
    "jeans": {
        "silhouette": ["straight", "tapered", "wide-leg", "fitted", "relaxed"],
        "length": ["ankle", "floor", "crop"],
    },
    "skirt": {
        "silhouette": ["a-line", "pencil", "wrap", "straight", "mermaid"],
        "length": ["midi", "knee", "mini", "maxi"],
    },
    "shorts": {"silhouette": ["straight", "relaxed", "wide-leg", "fitted"], "length": ["mini", "knee"]},
    "jumpsuit": {
        "silhouette": ["wide-leg", "straight", "tapered", "wrap"],
        "neckline": ["v-neck", "halter", "square", "collared", "off-shoulder"],
        "sleeve_length": ["sleeveless", "short", "long"],
        "length": ["ankle", "floor"],
    },
    "romper": {
        "silhouette": ["relaxed", "wrap", "fitted"],
        "neckline": ["v-neck", "square", "halter", "off-shoulder"],
        "sleeve_length": ["short", "sleeveless", "cap"],
        "length": ["mini"],
    },
    "bodysuit": {
        "silhouette": ["fitted", "bodycon"],
        "neckline": ["scoop", "square", "turtleneck", "v-neck", "halter"],
        "sleeve_length": ["long", "sleeveless", "short"],
        "length": ["hip"],
    },
    "set": {
        "silhouette": ["relaxed", "fitted", "wide-leg"],
        "neckline": ["square", "v-neck", "collared", "crew"],
        "sleeve_length": ["short", "long", "sleeveless"],
        "length": ["ankle", "midi"],
    },
}
_SLEEVE_TYPES = ["set-in", "set-in", "set-in", "puff", "bell", "bishop", "raglan"]
_FABRIC = {
    "dress": ["silk", "cotton", "linen", "crepe", "chiffon", "jersey", "satin"],
    "gown": ["satin", "silk", "tulle", "chiffon", "velvet", "organza", "lace"],
    "jeans": ["denim"],
    "sweater": ["knit", "cashmere", "wool"],
    "cardigan": ["knit", "cashmere", "wool"],
    "t-shirt": ["jersey", "cotton"],
    "blazer": ["wool", "tweed", "linen", "crepe"],
    "coat": ["wool", "cashmere", "tweed"],
    "trench": ["cotton", "synthetic"],
    "bomber": ["satin", "leather", "synthetic", "wool"],
}
_DEFAULT_FABRICS = ["cotton", "linen", "silk", "wool", "crepe", "denim", "satin", "jersey"]
_PALETTES = {
    "minimalist": ["black", "white", "ivory", "grey", "camel", "navy", "charcoal", "beige"],
    "bohemian": ["rust", "terracotta", "cream", "olive", "mustard", "camel", "burgundy", "sage"],
    "romantic": ["blush", "lavender", "ivory", "sage", "pink", "lilac", "cream", "champagne"],
    "classic": ["navy", "camel", "white", "black", "burgundy", "grey", "beige", "forest green"],
    "edgy": ["black", "charcoal", "burgundy", "silver", "olive", "red", "white"],
    "avant-garde": ["black", "white", "cobalt", "red", "silver", "fuchsia", "mustard"],
    "streetwear": ["black", "white", "olive", "orange", "grey", "cobalt", "khaki", "yellow"],
    "preppy": ["navy", "white", "red", "forest green", "sky blue", "camel", "pink"],
    "glamorous": ["black", "gold", "emerald", "burgundy", "silver", "champagne", "red", "navy"],
    "utilitarian": ["olive", "khaki", "tan", "charcoal", "navy", "black", "brown"],
}
_ALL_COLORS = sorted({c for palette in _PALETTES.values() for c in palette})
_PATTERNS = {
    "minimalist": ["solid"] * 8 + ["stripe"],
    "bohemian": ["floral", "paisley", "solid", "solid", "geometric", "stripe"],
    "romantic": ["floral", "solid", "solid", "polka-dot", "floral"],
    "preppy": ["stripe", "check", "solid", "solid", "polka-dot"],
    "edgy": ["solid", "solid", "animal", "check", "abstract"],
    "streetwear": ["solid", "solid", "abstract", "geometric", "check"],
    "classic": ["solid", "solid", "stripe", "houndstooth", "check"],
}
_PLAIN_FABRICS = frozenset({"leather", "denim"})
_DEFAULT_PATTERNS = ["solid", "solid", "solid", "stripe", "check", "floral", "polka-dot"]


Boosts = Mapping[str, Mapping[str, float]]  # attribute path → value → sampling weight factor
_GARMENTS = ["dress", "top", "skirt", "pants", "blazer", "coat", "jumpsuit"]


def sampler_values(path: str) -> tuple[str, ...]:
    """The values `complete_spec` draws `path` from when nothing is fixed or boosted (any aesthetic)."""
    if path == "garment.type":
        return tuple(_GARMENTS)
    if path == "color.primary":
        return tuple(_ALL_COLORS)
    if path == "color.pattern.type":
        return tuple(sorted({*_DEFAULT_PATTERNS, *(p for ps in _PATTERNS.values() for p in ps)}))
    if path == "fabric.type":
        return tuple(sorted({*_DEFAULT_FABRICS, *(f for fs in _FABRIC.values() for f in fs)}))
    return ()


def _pick(rng: random.Random, options: list[str], boosts: Boosts | None = None, path: str = "") -> str:
    """Choose one option, the first (most typical) with double weight, times any coverage boost."""
    factors = (boosts or {}).get(path, {})
    weights = [(2.0 if i == 0 else 1.0) * factors.get(o, 1.0) for i, o in enumerate(options)]
    return rng.choices(options, weights=weights)[0]


def _choose(rng: random.Random, options: list[str], boosts: Boosts | None, path: str) -> str:
    """A uniform choice (repeats in `options` weigh more) times any boost of `path`.

    Without factors for `path` this is `rng.choice`, so unboosted batches keep their exact draws."""
    factors = (boosts or {}).get(path)
    if not factors:
        return rng.choice(options)
    return rng.choices(options, weights=[factors.get(o, 1.0) for o in options])[0]


def _multiply(*tables: Boosts | None) -> dict[str, dict[str, float]]:
    """Factor tables (path → value → factor) multiplied value by value; a missing factor is 1."""
    out: dict[str, dict[str, float]] = {}
    for table in tables:
        for path, factors in (table or {}).items():
            row = out.setdefault(path, {})
            for value, factor in factors.items():
                row[value] = row.get(value, 1.0) * factor
    return out


def _with_boosted(options: list[str], boosts: Boosts | None, path: str) -> list[str]:
    """Options plus boosted values (factor > 1) not among them, so an uncovered or liked value can be
    sampled at all."""
    extra = [v for v, f in (boosts or {}).get(path, {}).items() if f > 1 and v not in options]
    return [*options, *sorted(extra)]


def _contrast(rng: random.Random, primary: str, palette: list[str]) -> str:
    light = {"white", "ivory", "cream", "beige", "blush", "champagne", "sky blue", "mint", "peach", "lilac"}
    pool = [c for c in palette if c != primary and ((c in light) != (primary in light))]
    return rng.choice(pool or [c for c in ("white", "black") if c != primary])


def complete_spec(
    partial: dict[str, Any],
    rng: random.Random,
    boosts: Boosts | None = None,
    learned: Boosts | None = None,
) -> GarmentSpec:
    """Fill every open attribute of `partial` (a spec-shaped dict) with a plausible seeded choice.

    `boosts` (from the last batch's coverage gaps) raise the odds of under-covered values. Garment
    types and fabrics may be boosted into the options; cut attributes are boosted only among the values
    that suit the garment type, so a gap never produces a mermaid-hem pair of trousers. `learned` factors
    (stage 15) work the same way: a value the designer liked can be sampled outside its usual options,
    one they disliked only becomes rarer.
    """
    factors = _multiply(boosts, learned) if learned else boosts
    tree: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in partial.items()}
    garment = dict(tree.get("garment") or {})
    kind = garment.get("type") or _pick(
        rng, _with_boosted(_GARMENTS, factors, "garment.type"), factors, "garment.type"
    )
    garment["type"] = kind
    cut = _CUT.get(kind, _CUT["top"])
    for attr in ("silhouette", "neckline", "length"):
        if not garment.get(attr) and attr in cut:
            garment[attr] = _pick(rng, cut[attr], factors, f"garment.{attr}")
    if "sleeve_length" in cut:
        sleeve = dict(garment.get("sleeve") or {})
        sleeve.setdefault("length", _pick(rng, cut["sleeve_length"], factors, "garment.sleeve.length"))
        default_type = "set-in" if sleeve["length"] != "sleeveless" else "none"
        if sleeve["length"] in ("long", "three-quarter", "short", "elbow"):
            default_type = rng.choice(_SLEEVE_TYPES)
        sleeve.setdefault("type", default_type)
        garment["sleeve"] = sleeve
    tree["garment"] = garment

    style = dict(tree.get("style") or {})
    aesthetic = style.get("aesthetic")
    fabric = dict(tree.get("fabric") or {})
    fabrics = _FABRIC.get(kind, _DEFAULT_FABRICS)
    if kind not in ("jeans",):  # jeans are denim by definition; other garments take boosted fabrics
        fabrics = _with_boosted(fabrics, factors, "fabric.type")
    fabric.setdefault("type", _pick(rng, fabrics, factors, "fabric.type"))
    tree["fabric"] = fabric

    color = dict(tree.get("color") or {})
    palette = _PALETTES.get(aesthetic or "", _ALL_COLORS)
    colour_given = bool(color.get("primary"))
    if not colour_given:
        color["primary"] = _choose(
            rng, _with_boosted(palette, factors, "color.primary"), factors, "color.primary"
        )
    pattern = dict(color.get("pattern") or {})
    if "type" not in pattern:
        # A named colour ("black leather bomber") mostly means that colour, plain; leather and denim
        # are plain unless a pattern is asked for.
        plain_odds = 1.0 if fabric["type"] in _PLAIN_FABRICS else 0.6 if colour_given else 0.0
        patterns = _PATTERNS.get(aesthetic or "", _DEFAULT_PATTERNS)
        pattern["type"] = (
            "solid"
            if rng.random() < plain_odds
            else _choose(
                rng, _with_boosted(patterns, factors, "color.pattern.type"), factors, "color.pattern.type"
            )
        )
    if pattern["type"] != "solid":
        pattern.setdefault("scale", rng.choice(["small", "medium", "medium", "large"]))
        if not color.get("secondary"):
            color["secondary"] = _contrast(rng, color["primary"], [*palette, "white", "black"])
    color["pattern"] = pattern
    tree["color"] = color
    tree["style"] = style
    photography = dict(tree.get("photography") or {})
    photography.setdefault("shot", "technical-flat")
    photography.setdefault("camera_angle", "front")
    photography.setdefault("background", "white-seamless")
    tree["photography"] = photography
    return GarmentSpec.model_validate(tree)


def sample_specs(
    partial: dict[str, Any], count: int, seed: int, boosts: Boosts | None = None
) -> list[GarmentSpec]:
    """`count` complete specs around `partial`; spec i depends only on (seed, i), so re-runs agree."""
    return [complete_spec(partial, random.Random(f"{seed}:{i}"), boosts) for i in range(count)]
