"""Stage 2 (style profile) words: names, descriptors, signature and summary written from a `ProfileState`.

Names are read the way a designer reads a rail: an adjective from drape, aesthetic or mood and a noun from
occasion, formality or garment ("Fluid Evening", "Minimalist Tailoring"). When only colour and pattern were
measured (offline analysis) a cluster is named by its colour story instead ("Earthy Neutrals"). A word
qualifies when its values cover at least 30 % of the cluster, and scores share·(1 + ln(share / portfolio
share)): common here and rarer elsewhere wins, so a value every cluster shares does not name any of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from designer_bff.domain.profile import ColorShare, ProfileCluster, Signature, StyleProfile, ValueShare
from designer_bff.pipeline.profile_state import COLOR_ONLY_PATHS, FAMILY_OF, NONE, ClusterStats, ProfileState

Table = Mapping[str, Sequence[float]]  # value → [Σ weight·confidence, Σ weight]

ADJECTIVES: dict[str, dict[str, str]] = {
    "fabric.drape": {"fluid": "Fluid", "soft": "Soft", "structured": "Structured", "stiff": "Sculpted"},
    "style.aesthetic": {
        "minimalist": "Minimalist", "bohemian": "Bohemian", "romantic": "Romantic", "classic": "Classic",
        "edgy": "Edgy", "avant-garde": "Avant-Garde", "streetwear": "Urban", "preppy": "Preppy",
        "glamorous": "Glamorous", "utilitarian": "Utilitarian",
    },
    "style.mood": {
        "serene": "Serene", "bold": "Bold", "playful": "Playful", "sensual": "Sensual", "powerful": "Power",
        "dreamy": "Dreamy", "nostalgic": "Nostalgic", "effortless": "Effortless",
    },
    "fabric.finish": {
        "glossy": "Glossy", "metallic": "Metallic", "sheen": "Lustrous", "distressed": "Distressed",
    },
    "fabric.type": {
        "silk": "Silken", "leather": "Leather", "denim": "Denim", "linen": "Linen", "velvet": "Velvet",
        "lace": "Lace", "tweed": "Tweed", "cashmere": "Cashmere", "knit": "Knitted", "tulle": "Tulle",
    },
}  # fmt: skip
NOUNS: dict[str, dict[str, str]] = {
    "style.occasion": {
        "everyday": "Everyday", "work": "Workwear", "evening": "Evening", "wedding": "Bridal",
        "vacation": "Resort", "party": "Party", "lounge": "Lounge", "active": "Activewear",
    },
    "style.formality": {
        "casual": "Casual", "smart-casual": "Daywear", "business": "Tailoring", "cocktail": "Cocktail",
        "formal": "Occasion", "black-tie": "Gala",
    },
    "style.aesthetic": {
        "romantic": "Romantic", "utilitarian": "Utility", "streetwear": "Streetwear",
        "minimalist": "Minimalism", "bohemian": "Boho", "classic": "Classics", "glamorous": "Glamour",
        "edgy": "Edge", "preppy": "Prep", "avant-garde": "Avant-Garde",
    },
    "garment.type": {
        "dress": "Dresses", "gown": "Gowns", "top": "Tops", "blouse": "Blouses", "shirt": "Shirting",
        "t-shirt": "Tees", "sweater": "Knitwear", "cardigan": "Knitwear", "blazer": "Tailoring",
        "jacket": "Outerwear", "bomber": "Outerwear", "vest": "Layers", "coat": "Outerwear",
        "trench": "Outerwear", "pants": "Trousers", "jeans": "Denim", "skirt": "Skirts", "shorts": "Shorts",
        "jumpsuit": "Jumpsuits", "romper": "Playsuits", "bodysuit": "Bodysuits", "set": "Co-ords",
    },
}  # fmt: skip
# How strongly each source reads as a style: the aesthetic is the designer's own word for it, drape and
# mood describe it, finish and cloth only hint; occasion and formality say what the clothes are for.
PRIORITY = {
    "style.aesthetic": 1.0, "fabric.drape": 0.85, "style.mood": 0.8, "fabric.finish": 0.7, "fabric.type": 0.6,
    "style.occasion": 1.0, "style.formality": 0.95, "garment.type": 0.85,
}  # fmt: skip
FAMILY_WORDS = {  # colour family (profile_state.COLOR_FAMILIES) → (adjective, noun for mostly plain colour)
    "dark": ("Dark", "Neutrals"), "light": ("Light", "Neutrals"), "earth": ("Earthy", "Neutrals"),
    "warm": ("Warm", "Tones"), "soft": ("Soft", "Pastels"), "cool": ("Cool", "Blues"),
    "jewel": ("Jewel", "Tones"), "fresh": ("Fresh", "Brights"),
}  # fmt: skip
PATTERN_NOUNS = {
    "stripe": "Stripes", "check": "Checks", "houndstooth": "Houndstooth", "floral": "Florals",
    "polka-dot": "Dots", "geometric": "Geometrics", "animal": "Prints", "paisley": "Paisleys",
    "abstract": "Prints",
}  # fmt: skip
DESCRIPTOR_PATHS = (
    "garment.silhouette", "garment.length", "garment.neckline", "fabric.type", "fabric.finish",
    "fabric.texture", "color.pattern.type", "construction.embellishments", "garment.type",
)  # fmt: skip
DETAIL_PATHS = (
    "construction.embellishments",
    "garment.closures",
    "construction.hardware",
    "color.pattern.type",
)
LABELS = {
    "garment.type": "garment type", "fabric.type": "fabric", "color.primary": "main colour",
    "color.secondary": "second colour", "color.pattern.type": "pattern",
    "color.pattern.scale": "pattern scale",
    "construction.embellishments": "embellishments", "garment.sleeve.length": "sleeve length",
    "garment.sleeve.type": "sleeve type", "fabric.weight": "fabric weight",
}  # fmt: skip
MIN_NAME_SHARE = 0.3
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# sRGB ← XYZ (D65), the inverse of the matrix in taxonomy/colors.py.
_XYZ_TO_RGB = np.linalg.inv(
    np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def path_label(path: str) -> str:
    """Readable name of a spec path ('fabric.type' → 'fabric', 'style.occasion' → 'occasion')."""
    return LABELS.get(path, path.rsplit(".", 1)[-1].replace("_", " "))


def lab_to_hex(lab: Sequence[float] | NDArray[np.float64]) -> str:
    """CIELAB (D65) → '#rrggbb', clipping colours outside the sRGB gamut."""
    big_l, a, b = (float(v) for v in lab)
    fy = (big_l + 16) / 116
    f = np.array([fy + a / 500, fy, fy - b / 200])
    delta = 6 / 29
    xyz = _WHITE * np.where(f > delta, f**3, 3 * delta**2 * (f - 4 / 29))
    linear = np.clip(_XYZ_TO_RGB @ xyz, 0.0, 1.0)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return "#{:02x}{:02x}{:02x}".format(*(round(float(c) * 255) for c in srgb))


def percentages(values: Sequence[float], decimals: int = 1) -> list[float]:
    """Values as percentages rounded to `decimals` that add up to exactly 100 (largest remainder)."""
    total = sum(values)
    if total <= 0:
        return [0.0 for _ in values]
    unit = 10**decimals
    exact = [v / total * 100 * unit for v in values]
    floors = [math.floor(x) for x in exact]
    short = 100 * unit - sum(floors)
    for i in sorted(range(len(values)), key=lambda i: (-(exact[i] - floors[i]), i))[:short]:
        floors[i] += 1
    return [f / unit for f in floors]


def shares(table: Table) -> dict[str, float]:
    """Confidence-weighted share of each value among the images stating the attribute."""
    total = sum(cell[0] for cell in table.values() if cell[0] > 0)
    return {v: cell[0] / total for v, cell in table.items() if cell[0] > 0} if total > 0 else {}


def distribution(table: Table) -> list[ValueShare]:
    """A table as ValueShares, most common first (ties alphabetical)."""
    share = shares(table)
    rows = [
        ValueShare(value=v, share=round(min(1.0, s), 4), count=round(max(0.0, table[v][1]), 3))
        for v, s in share.items()
    ]
    return sorted(rows, key=lambda r: (-r.share, r.value))


def merge(tables: Sequence[Mapping[str, Mapping[str, Sequence[float]]]]) -> dict[str, dict[str, list[float]]]:
    """Sum attribute tables (path → value → cells) of several clusters."""
    out: dict[str, dict[str, list[float]]] = {}
    for tab in tables:
        for path, table in tab.items():
            for value, cell in table.items():
                acc = out.setdefault(path, {}).setdefault(value, [0.0] * len(cell))
                for j, x in enumerate(cell):
                    acc[j] += x
    return out


def color_shares(
    colors: Mapping[str, Sequence[float]], limit: int = 8, floor: float = 0.0
) -> list[ColorShare]:
    """Coverage-weighted colours: share of the colour mass, hex = the mass-weighted mean in CIELAB."""
    total = sum(cell[0] for cell in colors.values() if cell[0] > 0)
    rows = []
    for name, cell in colors.items():
        if total > 0 and cell[0] > 0 and cell[0] / total >= floor:
            lab = [cell[1] / cell[0], cell[2] / cell[0], cell[3] / cell[0]]
            rows.append(ColorShare(name=name, hex=lab_to_hex(lab), share=round(min(1.0, cell[0] / total), 4)))
    return sorted(rows, key=lambda c: (-c.share, c.name))[:limit]


def _stated(stats: ClusterStats, paths: Sequence[str] | None = None) -> float:
    """Weighted images stating the best-stated path among `paths` (all paths when None)."""
    return max(
        (sum(c[1] for c in t.values()) for p, t in stats.attributes.items() if paths is None or p in paths),
        default=0.0,
    )


def is_color_only(stats: ClusterStats) -> bool:
    """True when fewer than half the cluster's images state anything beyond colour and pattern."""
    garment_paths = [p for p in stats.attributes if p not in COLOR_ONLY_PATHS]
    return _stated(stats, garment_paths) < 0.5 * max(_stated(stats), 1e-12)


def _distinct(share: float, overall: float) -> float:
    return share * (1 + math.log(share / overall)) if share > 0 and overall > 0 else 0.0


def _words(
    vocab: Mapping[str, Mapping[str, str]], here: Mapping[str, Table], everywhere: Mapping[str, Table]
) -> list[tuple[float, str, str, str]]:
    """(score, word, path, value) per vocabulary word with enough share, best first."""
    out = []
    for path, words in vocab.items():
        mine, all_ = shares(here.get(path, {})), shares(everywhere.get(path, {}))
        by_word: dict[str, tuple[float, float, str]] = {}
        for value, s in mine.items():
            if value in words:
                w, wide, first = by_word.get(words[value], (0.0, 0.0, value))
                by_word[words[value]] = (w + s, wide + all_.get(value, 0.0), first)
        for word, (s, wide, value) in by_word.items():
            if s >= MIN_NAME_SHARE and (score := PRIORITY[path] * _distinct(s, wide)) > 0:
                out.append((score, word, path, value))
    return sorted(out, key=lambda t: (-t[0], t[1]))


def _style_names(stats: ClusterStats, overall: Mapping[str, Table]) -> tuple[list[str], set[tuple[str, str]]]:
    adjectives = _words(ADJECTIVES, stats.attributes, overall)
    nouns = _words(NOUNS, stats.attributes, overall)
    pairs = sorted(
        ((a[0] + n[0], a[1], n[1], {(a[2], a[3]), (n[2], n[3])}) for a in adjectives for n in nouns
         if a[1] != n[1] and (a[2], a[3]) != (n[2], n[3])),
        key=lambda t: (-t[0], t[1], t[2]),
    )  # fmt: skip
    names = [f"{a} {n}" for _, a, n, _ in pairs]
    used = pairs[0][3] if pairs else set()
    return names, used


def _color_names(stats: ClusterStats) -> tuple[list[str], str]:
    """Colour-story name candidates and the descriptor ('rust, camel, solid')."""
    mass = {n: c[0] for n, c in stats.colors.items() if c[0] > 0}
    if not mass:  # no palette measured: the named primary colours stand in
        mass = shares(stats.attributes.get("color.primary", {}))
    if not mass:
        return [], ""  # nothing about colour is known: no colour story to name
    families: dict[str, float] = {}
    for name, m in mass.items():
        families[FAMILY_OF[name]] = families.get(FAMILY_OF[name], 0.0) + m
    total_l = sum(c[0] for c in stats.colors.values() if c[0] > 0)
    lightness = sum(c[1] for c in stats.colors.values() if c[0] > 0) / total_l if total_l > 0 else 50.0
    ranked = sorted(families, key=lambda f: (-families[f], f))
    light_word = "Dark" if lightness < 40 else "Light" if lightness > 72 else "Muted"
    top_colors = sorted(mass, key=lambda n: (-mass[n], n))
    adjectives = list(
        dict.fromkeys(
            [*(FAMILY_WORDS[f][0] for f in ranked[:2]), light_word, *(c.title() for c in top_colors[:2])]
        )
    )
    pattern = shares(stats.attributes.get("color.pattern.type", {}))
    printed = {p: s for p, s in pattern.items() if p != "solid"}
    nouns: list[str] = []
    if sum(printed.values()) >= 0.5:
        top = max(printed, key=lambda p: (printed[p], p))
        nouns += [PATTERN_NOUNS[top]] if printed[top] >= 0.6 * sum(printed.values()) else []
        nouns += ["Prints"]
    nouns += [FAMILY_WORDS[ranked[0]][1] if ranked else "Neutrals", "Tones", "Solids"]
    ordered = sorted(
        (i + j, j, f"{a} {n}")
        for j, n in enumerate(dict.fromkeys(nouns))
        for i, a in enumerate(adjectives)
        if a != n
    )
    names = [name for _, _, name in ordered]
    parts = top_colors[:2] if pattern else top_colors[:3]
    if pattern:
        parts.append(max(pattern, key=lambda p: (pattern[p], p)))
    return names, ", ".join(parts)


def _style_descriptor(stats: ClusterStats, overall: Mapping[str, Table], used: set[tuple[str, str]]) -> str:
    scored = []
    for order, path in enumerate(DESCRIPTOR_PATHS):
        mine, all_ = shares(stats.attributes.get(path, {})), shares(overall.get(path, {}))
        for value, s in mine.items():
            if s >= MIN_NAME_SHARE - 0.05 and value not in (NONE, "solid") and (path, value) not in used:
                scored.append((-_distinct(s, all_.get(value, s)), -s, order, value))
    picked: list[tuple[int, str]] = []
    for _, _, order, value in sorted(scored):
        if len(picked) < 3 and value not in {v for _, v in picked}:
            picked.append((order, value))
    return ", ".join(v for _, v in sorted(picked))


def name_clusters(state: ProfileState) -> list[tuple[str, str]]:
    """(name, descriptor) per cluster of the state, names unique (larger clusters choose first)."""
    overall = merge([c.attributes for c in state.clusters])
    result: dict[int, tuple[str, str]] = {}
    taken: set[str] = set()
    for rank, c in enumerate(
        sorted(range(len(state.clusters)), key=lambda i: (-state.clusters[i].weight, i))
    ):
        stats = state.clusters[c]
        if is_color_only(stats):
            names, descriptor = _color_names(stats)
        else:
            names, used = _style_names(stats, overall)
            descriptor = _style_descriptor(stats, overall, used)
            if not names:  # nothing in the style vocabulary covers 30 %: the colour story still reads well
                names = _color_names(stats)[0]
        names = names or [f"Direction {rank + 1}"]  # only image features: a neutral, honest name
        name = next((n for n in names if n not in taken), None)
        suffix = 2
        while name is None or name in taken:
            name = f"{names[0]} {suffix}"
            suffix += 1
        taken.add(name)
        result[c] = (name, descriptor)
    return [result[c] for c in range(len(state.clusters))]


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _summary(profile: StyleProfile, color_only: bool) -> str:
    n, k = profile.images, len(profile.clusters)
    if n == 0:
        return "No analysed images yet: add images to the portfolio to build a style profile."
    noun = "image" if n == 1 else "images"
    parts = [f"{c.name} ({c.weight:.0f} %)" for c in profile.clusters]
    if k == 1:
        c = profile.clusters[0]
        text = [
            f"Your portfolio of {n} {noun} forms one direction: {c.name}"
            + (f" ({c.descriptor})." if c.descriptor else ".")
        ]
    else:
        count = _NUMBERS[k] if k < len(_NUMBERS) else str(k)
        text = [f"Your portfolio of {n} {noun} falls into {count} directions: {_join(parts)}."]
    if profile.signature.colors:
        text.append(f"Signature colours: {_join([c.name for c in profile.signature.colors[:4]])}.")
    if profile.signature.fabrics:
        top = profile.signature.fabrics[0]
        text.append(f"Most used fabric: {top.value} ({top.share * 100:.0f} %).")
    elif color_only:
        text.append("Only colour and pattern were measured, so the directions are colour stories.")
    elif not any(c.attributes or c.colors for c in profile.clusters):
        text.append("Only image features were available, so the directions group look-alike images.")
    if len(text) < 4 and profile.signature.details:
        details = [f"{d.value} ({d.share * 100:.0f} %)" for d in profile.signature.details[:3]]
        text.append(f"Recurring details: {_join(details)}.")
    return " ".join(text)


def _signature(state: ProfileState, overall: Mapping[str, Table]) -> Signature:
    all_colors: dict[str, list[float]] = {}
    for stats in state.clusters:
        for name, cell in stats.colors.items():
            acc = all_colors.setdefault(name, [0.0] * 4)
            for j in range(4):
                acc[j] += cell[j]
    fabrics = [v for v in distribution(overall.get("fabric.type", {})) if v.share >= 0.05][:3]
    total = sum(max(0.0, c.weight) for c in state.clusters)
    details = []
    for path in DETAIL_PATHS:
        for value, counts in overall.get(path, {}).items():
            if value not in (NONE, "solid") and total > 0 and counts[1] / total >= 0.05:
                details.append(
                    ValueShare(
                        value=value, share=round(min(1.0, counts[1] / total), 4), count=round(counts[1], 3)
                    )
                )
    details.sort(key=lambda v: (-v.share, v.value))
    return Signature(
        colors=color_shares(all_colors, limit=12, floor=0.05), fabrics=fabrics, details=details[:5]
    )


def render_profile(state: ProfileState) -> StyleProfile:
    """The written profile of a state: clusters with names, weights, distributions, colours, and a summary."""
    overall = merge([c.attributes for c in state.clusters])
    names = name_clusters(state)
    weights = [max(0.0, c.weight) for c in state.clusters]
    percents = (
        percentages(weights) if sum(weights) > 0 else percentages([float(c.size) for c in state.clusters])
    )
    clusters = [
        ProfileCluster(
            id=i,
            name=names[i][0],
            descriptor=names[i][1],
            weight=percents[i],
            size=stats.size,
            attributes={p: distribution(t) for p, t in sorted(stats.attributes.items()) if shares(t)},
            colors=color_shares(stats.colors),
            exemplars=[item for _, item in stats.exemplars[:3]],
        )
        for i, stats in enumerate(state.clusters)
    ]
    clusters.sort(key=lambda c: (-c.weight, c.id))
    profile = StyleProfile(
        images=sum(c.size for c in state.clusters),
        clusters=clusters,
        attributes={p: distribution(t) for p, t in sorted(overall.items()) if shares(t)},
        signature=_signature(state, overall),
        silhouette_score=state.silhouette,
    )
    color_only = any(c.colors for c in state.clusters) and all(is_color_only(c) for c in state.clusters)
    return profile.model_copy(update={"summary": _summary(profile, color_only)})
