"""Stage 5 (persona): match a request to a design voice; lend it that voice's words when the match is weak.

`match_personas` blends two 0..1 parts: the cosine of the request and the persona document under a text
embedder, clipped at 0 (a negative cosine means "unrelated", the same as 0, so it is not rewarded with
0.5 as a (c + 1) / 2 mapping would), and the keyword overlap — the share of the request's canonical terms
that the persona's keywords or preferences contain. `apply_persona` then fills what the request left open
from the persona's preferences and, below the threshold, returns the persona's keywords for the prompt.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from typing import Any

from designer_bff.domain.persona import Persona, PersonaMatch
from designer_bff.domain.profile import StyleProfile
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.commands_vocab import CATEGORY_PATHS, MULTI_PATHS
from designer_bff.pipeline.persona_text import TextEmbedder, best_embedder, canonical_terms
from designer_bff.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "DEFAULT_PERSONAS",
    "TextEmbedder",
    "apply_persona",
    "best_embedder",
    "match_personas",
    "persona_document",
    "personas_from_profile",
    "valid_preference",
]


def _persona(slug: str, name: str, description: str, keywords: str, prefs: str, prompts: str) -> Persona:
    """A default persona from compact text: keywords ';'-separated, prefs 'path = a, b; …', prompts '|'."""
    preferences = {}
    for row in prefs.split(";"):
        path, values = row.split("=")
        preferences[path.strip()] = [v.strip() for v in values.split(",")]
    return Persona(
        id=f"default:{slug}",
        name=name,
        description=description,
        keywords=[k.strip() for k in keywords.split(";")],
        style_preferences=preferences,
        example_prompts=[p.strip() for p in prompts.split("|")],
        source="default",
    )


# The five default voices of the original design (DESIGN.md §4). Every preference is a taxonomy value
# (tests check it); keywords are what the prompt stage adds when a request matches only weakly.
DEFAULT_PERSONAS: tuple[Persona, ...] = (
    _persona(
        "minimalist-tailoring",
        "Minimalist Tailoring",
        "Precise, pared-back tailoring: sharp shoulders, clean lines and a restrained neutral palette in "
        "wool and crepe. Structure comes from the cut rather than decoration, and every seam has a reason "
        "to be there.",
        "minimalist; tailored; clean lines; sharp shoulders; structured; precise cut; neutral palette; "
        "matte wool; understated; monochrome; crisp; pared-back",
        "style.aesthetic = minimalist, classic; garment.type = blazer, pants, coat, shirt, trench, "
        "dress;garment.silhouette = fitted, straight, sheath, wide-leg, tapered; fabric.type = wool, crepe, "
        "cotton, cashmere; fabric.drape = structured; fabric.finish = matte; color.primary = black, "
        "charcoal, ivory, camel, navy, grey, white; color.pattern.type = solid; style.formality = business, "
        "smart-casual;style.occasion = work, everyday; garment.neckline = collared, crew, v-neck; "
        "style.mood = effortless, powerful",
        "a sharp charcoal wool blazer with clean lines | wide-leg ivory crepe trousers, minimal and precise |"
        "a camel cashmere coat with strong shoulders",
    ),
    _persona(
        "fluid-evening",
        "Fluid Evening",
        "Liquid evening wear that moves with the body: bias-cut silk and satin, fluid drapes, cowl and "
        "halter necklines, floor-sweeping lengths and a soft sheen under low light. Made for galas, "
        "black-tie dinners and nights out.",
        "evening; flowing; fluid drape; silk; satin; bias cut; gown; floor-length; sheen; gala; cowl neck; "
        "liquid; after dark; glamorous",
        "style.aesthetic = glamorous, romantic; garment.type = gown, dress, jumpsuit; garment.silhouette = "
        "sheath, mermaid, a-line, empire, wrap; fabric.type = silk, satin, chiffon, crepe, "
        "velvet;fabric.drape = fluid; fabric.finish = sheen, glossy; color.primary = black, champagne, "
        "emerald, burgundy, navy, silver, gold, wine; style.formality = formal, black-tie, cocktail; "
        "style.occasion = evening, party, wedding; garment.length = floor, maxi, midi; garment.neckline = "
        "cowl, halter, v-neck, off-shoulder; style.mood = sensual, dreamy",
        "a flowing emerald silk gown with a cowl neck | a bias-cut champagne satin slip dress for a gala |"
        "a black velvet column gown, floor length",
    ),
    _persona(
        "avant-garde-experimental",
        "Avant-Garde Experimental",
        "Conceptual, sculptural pieces that question the outline of the body: deconstructed tailoring, "
        "exaggerated volumes, asymmetric and raw hems, unexpected materials and proportions. Garments as "
        "objects and ideas rather than uniforms.",
        "avant-garde; sculptural; deconstructed; asymmetric; exaggerated volume; conceptual; architectural; "
        "experimental; raw edges; unexpected proportions; layered; angular",
        "style.aesthetic = avant-garde, edgy; garment.type = coat, jacket, dress, top, pants, skirt;"
        "garment.silhouette = oversized, straight, shift, wide-leg; garment.hem = asymmetric, raw, high-low;"
        "fabric.type = organza, leather, synthetic, wool, tulle; fabric.drape = stiff, structured;"
        "fabric.finish = metallic, glossy, matte; color.primary = black, white, silver, cobalt, red;"
        "color.pattern.type = solid, abstract, geometric; construction.hardware = exposed-zipper, buckles;"
        "style.formality = cocktail, formal; style.mood = bold, powerful",
        "a sculptural white organza coat with exaggerated volume | a deconstructed black wool jacket with an "
        "asymmetric raw hem | an architectural silver dress with unexpected proportions",
    ),
    _persona(
        "soft-romantic",
        "Soft Romantic",
        "Delicate, feminine pieces with a gentle, dreamy mood: ruffles, lace trims, puff sleeves, floral "
        "prints and airy chiffon in blush, lavender and cream. Nostalgic without ever looking like costume.",
        "romantic; feminine; soft; ruffles; lace trim; puff sleeves; floral print; delicate; blush tones; "
        "airy chiffon; dreamy; pastel; sweetheart neckline",
        "style.aesthetic = romantic, bohemian; garment.type = dress, blouse, skirt, top;garment.silhouette "
        "= a-line, empire, wrap, relaxed; fabric.type = chiffon, lace, silk, cotton, tulle, organza; "
        "fabric.drape = soft, fluid; fabric.finish = matte, sheen; color.primary = blush, lavender, cream, "
        "ivory, pink, lilac, sage, peach; color.pattern.type = floral, solid, "
        "polka-dot;construction.embellishments = ruffles, lace-trim, bows, embroidery; garment.hem = "
        "ruffled;garment.sleeve.type = puff, bishop, bell; garment.neckline = sweetheart, square, "
        "off-shoulder, v-neck;style.mood = dreamy, playful, nostalgic; style.occasion = wedding, everyday, "
        "vacation, party;style.formality = casual, smart-casual, cocktail",
        "a ruffled blush chiffon dress with puff sleeves | a cream lace blouse with a sweetheart neckline |"
        "a floral lavender midi skirt, soft and dreamy",
    ),
    _persona(
        "urban-streetwear",
        "Urban Streetwear",
        "Relaxed, oversized street silhouettes built for the city: graphic hoodies, bombers, cargo pockets, "
        "heavyweight cotton jersey and denim, utility hardware and bold colour blocking. Comfort first, "
        "attitude always.",
        "streetwear; urban; oversized; hoodie; graphic print; bomber; cargo pockets; sporty; utility; "
        "heavyweight cotton; denim; colour blocking; sneaker culture; logo",
        "style.aesthetic = streetwear, utilitarian, edgy; garment.type = sweater, bomber, t-shirt, pants, "
        "jacket, shorts, jeans; garment.silhouette = oversized, relaxed, straight, wide-leg;"
        "fabric.type = cotton, jersey, denim, synthetic, knit; fabric.weight = heavy, medium;"
        "fabric.finish = matte, distressed; color.primary = black, grey, olive, white, orange, cobalt, khaki;"
        "color.pattern.type = solid, abstract, geometric; garment.pockets = cargo, patch;"
        "construction.hardware = exposed-zipper, grommets, d-rings; style.formality = casual;"
        "style.occasion = everyday, active; style.mood = bold, effortless; photography.background = urban",
        "an oversized black graphic hoodie | an olive bomber jacket with cargo pockets |"
        "wide-leg washed denim with utility hardware",
    ),
)

# Cut values that suit each garment type; a persona's preference outside them is not used for that garment
# (no wide-leg dresses, no necklines on trousers). Types not listed take any value.
_GROUPS = {
    "top": "top blouse shirt t-shirt sweater cardigan",
    "outer": "blazer jacket bomber vest coat trench",
    "bottom": "pants jeans skirt shorts",
}


def _sets(text: str) -> dict[str, set[str]]:
    """'dress: a b; gown: c' → {'dress': {'a', 'b'}, 'gown': {'c'}}."""
    return {k.strip(): set(v.split()) for k, v in (row.split(":") for row in text.split(";"))}


_SUITS: dict[str, dict[str, set[str]]] = {
    "garment.silhouette": _sets(
        "dress: fitted relaxed oversized a-line empire wrap sheath bodycon shift straight pencil mermaid;"
        "gown: fitted a-line empire sheath mermaid ball-gown wrap straight relaxed;"
        "top: fitted relaxed oversized straight wrap; outer: fitted relaxed oversized straight wrap;"
        "pants: fitted relaxed oversized straight wide-leg tapered; jeans: fitted relaxed oversized straight "
        "wide-leg tapered; shorts: fitted relaxed oversized straight wide-leg;"
        "skirt: fitted relaxed a-line pencil wrap straight mermaid; romper: fitted relaxed wrap;"
        "jumpsuit: fitted relaxed oversized straight wide-leg wrap tapered; bodysuit: fitted"
    ),
    "garment.length": _sets(
        "top: crop hip; outer: crop hip knee midi maxi; dress: mini knee midi maxi; gown: maxi ankle floor;"
        "skirt: mini knee midi maxi floor; pants: crop ankle floor; jeans: crop ankle floor;"
        "jumpsuit: crop ankle floor; romper: mini; shorts: ; bodysuit: "
    ),
    "garment.neckline": _sets("bottom: "),
    "garment.sleeve.length": _sets("bottom: ; vest: sleeveless"),
    "garment.sleeve.type": _sets("bottom: ; vest: none"),
    "garment.waist": _sets("top: ; outer: "),
    "fabric.type": _sets("jeans: denim"),
}
_NEEDS_GARMENT = frozenset(path for path in _SUITS if path.startswith("garment."))
_CATEGORY_OF = {path: category for category, path in CATEGORY_PATHS.items()}


def valid_preference(path: str, value: str, taxonomy: Taxonomy | None = None) -> bool:
    """Whether `value` is a canonical taxonomy value for the spec attribute at `path`."""
    tax = taxonomy or load_taxonomy()
    if path in ("color.primary", "color.secondary"):
        return value in tax.colors
    category = _CATEGORY_OF.get(path)
    return category is not None and value in tax.category(category).values


def _suits(path: str, value: str, garment: str | None) -> bool:
    table = _SUITS.get(path)
    if table is None:
        return True
    if garment is None:
        return path not in _NEEDS_GARMENT  # a cut value without a garment could land on the wrong one
    group = next((g for g, members in _GROUPS.items() if garment in members.split()), "")
    allowed = table.get(garment, table.get(group))
    return allowed is None or value in allowed


# How a profile's dominant value reads as a prompt keyword ("cowl neckline", not a bare "cowl").
_KEYWORD_FORMS = {
    "garment.neckline": "{} neckline",
    "garment.sleeve.length": "{} sleeves",
    "garment.sleeve.type": "{} sleeves",
    "garment.length": "{} length",
    "fabric.drape": "{} drape",
    "fabric.finish": "{} finish",
    "fabric.texture": "{} texture",
    "color.pattern.type": "{} pattern",
    "garment.hem": "{} hem",
    "style.mood": "{} mood",
}
_MIN_SHARE = 0.2


def personas_from_profile(profile: StyleProfile, *, taxonomy: Taxonomy | None = None) -> list[Persona]:
    """One persona per style-profile cluster: its dominant values (share ≥ 0.2) become preferences."""
    tax = taxonomy or load_taxonomy()
    personas: list[Persona] = []
    for cluster in profile.clusters:
        ranked: list[tuple[float, str]] = []  # (share × cluster weight, keyword) across attributes
        preferences: dict[str, list[str]] = {}
        for path, shares in sorted(cluster.attributes.items()):
            top = sorted((s for s in shares if s.share >= _MIN_SHARE), key=lambda s: (-s.share, s.value))
            values = [s.value for s in top if valid_preference(path, s.value, tax)]
            if values:
                preferences[path] = values
            for s in top:
                if s.value in ("solid", "none") or not valid_preference(path, s.value, tax):
                    continue  # "solid pattern" or "none" say nothing worth adding to a prompt
                ranked.append((s.share, _KEYWORD_FORMS.get(path, "{}").format(s.value)))
        colours = [
            c for c in sorted(cluster.colors, key=lambda c: (-c.share, c.name)) if c.name in tax.colors
        ]
        strong = [c.name for c in colours if c.share >= _MIN_SHARE] or [c.name for c in colours[:1]]
        if strong:
            preferences["color.primary"] = strong
        ranked += [(c.share, c.name) for c in colours if c.name in strong]
        keywords = list(dict.fromkeys(k for _, k in sorted(ranked, key=lambda r: (-r[0], r[1]))))[:15]
        top_of = {path: values[0] for path, values in preferences.items()}
        example = " ".join(
            v
            for v in (
                top_of.get("color.primary"),
                top_of.get("fabric.type"),
                top_of.get("garment.silhouette"),
                top_of.get("garment.type", "design"),
            )
            if v
        )
        personas.append(
            Persona(
                id=f"profile:{cluster.id}",
                name=(cluster.name.strip() or f"Style direction {cluster.id + 1}")[:80],
                description=(
                    f"{cluster.descriptor} — {cluster.weight:.0f}% of the portfolio ({cluster.size} images)."
                )[:2000],
                keywords=keywords,
                style_preferences=preferences,
                example_prompts=[example],
                source="profile",
            )
        )
    return personas


def persona_document(persona: Persona) -> str:
    """The text a persona is embedded as: name, description, keywords, example prompts, preferred values."""
    values = [v for path in sorted(persona.style_preferences) for v in persona.style_preferences[path]]
    return ". ".join(
        part
        for part in (
            persona.name,
            persona.description,
            ", ".join(persona.keywords),
            ". ".join(persona.example_prompts),
            ", ".join(values),
        )
        if part
    )


def _persona_terms(persona: Persona, tax: Taxonomy) -> dict[str, list[str]]:
    """Canonical term → the persona keywords / preferred values that contain it."""
    sources: dict[str, list[str]] = {}
    for keyword in persona.keywords:
        for term in canonical_terms(keyword, tax):
            sources.setdefault(term, []).append(keyword)
    for values in persona.style_preferences.values():
        for value in values:
            sources.setdefault(value.replace(" ", "-"), []).append(value)
    return sources


def match_personas(
    text: str,
    personas: Sequence[Persona],
    embedder: TextEmbedder,
    *,
    keyword_weight: float = 0.35,
    taxonomy: Taxonomy | None = None,
) -> list[PersonaMatch]:
    """Every persona scored against `text`, best first: (1 − w)·similarity + w·keyword overlap, all 0..1."""
    if not 0.0 <= keyword_weight <= 1.0:
        raise InvalidInput("keyword_weight must be within 0..1", field="keyword_weight")
    if not personas:
        return []
    tax = taxonomy or load_taxonomy()
    vectors = embedder.embed([text, *(persona_document(p) for p in personas)])
    cosines = vectors[1:] @ vectors[0]
    wanted = list(dict.fromkeys(canonical_terms(text, tax)))
    matches: list[PersonaMatch] = []
    for persona, cosine in zip(personas, cosines, strict=True):
        similarity = min(1.0, max(0.0, float(cosine)))
        sources = _persona_terms(persona, tax)
        hits = [term for term in wanted if term in sources]
        overlap = len(hits) / len(wanted) if wanted else 0.0
        matched = list(dict.fromkeys(source for term in hits for source in sources[term]))
        score = (1 - keyword_weight) * similarity + keyword_weight * overlap
        matches.append(
            PersonaMatch(
                persona_id=persona.id,
                name=persona.name,
                score=round(min(1.0, max(0.0, score)), 6),
                similarity=round(similarity, 6),
                keyword_overlap=round(overlap, 6),
                matched_keywords=matched,
            )
        )
    # Ties (e.g. all 0 for "100 outfits") keep the caller's order, so its first persona is the fallback.
    order = {m.persona_id: i for i, m in enumerate(matches)}
    return sorted(matches, key=lambda m: (-m.score, order[m.persona_id]))


def _get(tree: dict[str, Any], path: str) -> Any:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = tree
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def apply_persona(
    spec_tree: dict[str, Any],
    persona: Persona,
    match: PersonaMatch,
    *,
    threshold: float = 0.6,
    rng: random.Random,
    max_keywords: int = 6,
    taxonomy: Taxonomy | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Fill attributes the request left unset from the persona; below `threshold` also return its keywords.

    Nothing the request fixed is overridden, and no keyword is injected that names a different value for
    an attribute the tree holds ("silk" is dropped for a request that said cotton). Preferred
    values that do not suit the garment (a wide-leg dress) are skipped. Deterministic for a seeded `rng`.
    """
    if match.persona_id != persona.id:
        raise InvalidInput(f"match is for {match.persona_id!r}, not {persona.id!r}", field="match")
    tax = taxonomy or load_taxonomy()
    tree = copy.deepcopy(spec_tree)
    # The garment first: which cut values suit depends on it.
    for path in sorted(persona.style_preferences, key=lambda p: (p != "garment.type", p)):
        if _get(tree, path) not in (None, "", []):
            continue
        garment = _get(tree, "garment.type")
        taken = _get(tree, "color.primary") if path == "color.secondary" else None
        options = [
            v
            for v in persona.style_preferences[path]
            if valid_preference(path, v, tax) and _suits(path, v, garment) and v != taken
        ]
        if options:
            # The persona's first-listed value is its signature: twice the odds of each other one.
            first = persona.style_preferences[path][0]
            choice = rng.choices(options, weights=[2.0 if v == first else 1.0 for v in options])[0]
            _set(tree, path, [choice] if path in MULTI_PATHS else choice)
    if match.score >= threshold:
        return tree, []
    # Keywords are checked against the finished tree, the request's values and the ones just filled in, so
    # the prompt never says "silk" over a cotton spec or "tailored" over a relaxed one.
    paths = (*CATEGORY_PATHS.values(), "color.primary", "color.secondary")
    fixed = {path: value for path in paths if isinstance(value := _get(tree, path), str)}
    present = set(fixed.values()) | {v for p in MULTI_PATHS for v in (_get(tree, p) or [])}
    keywords: list[str] = []
    for keyword in persona.keywords:
        terms = canonical_terms(keyword, tax)
        clashes = any(
            value != term and valid_preference(path, term, tax)
            for term in terms
            for path, value in fixed.items()
        )
        if terms and not clashes and not set(terms) <= present:
            keywords.append(keyword)
    if len(keywords) > max_keywords:
        keep = sorted(rng.sample(range(len(keywords)), max_keywords))
        keywords = [keywords[i] for i in keep]
    return tree, keywords
