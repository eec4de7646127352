"""Stage 6 (prompt): canonical spec → structured prompt parts → a provider-ready prompt and negative prompt.

`prompt_parts` turns a spec (plus signature, persona keywords, stage-7 modifiers and the user's words)
into weighted terms per section; `render` (prompt_render.py) writes them for one prompt family within a
length limit; `negative_prompt` (prompt_negative.py) writes the family's negative. `render_pair` is the
one call the planner makes. Prompts use US spelling ("color"): image models' captions are mostly US English.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.modifiers import Modifier, categories_for_spec
from designer_bff.pipeline.prompt_negative import negative_prompt, spec_negatives
from designer_bff.pipeline.prompt_render import (
    PromptParts,
    Term,
    clip_tokens,
    clip_windows,
    render,
    strip_weights,
)
from designer_bff.providers.base import PromptFamily
from designer_bff.taxonomy import load_taxonomy

__all__ = [
    "PromptPair",
    "PromptParts",
    "Term",
    "build_prompt",
    "clip_tokens",
    "clip_windows",
    "negative_prompt",
    "prompt_parts",
    "render",
    "render_pair",
    "spec_negatives",
    "strip_weights",
]

_LENGTH = {"crop": "cropped", "hip": "hip-length", "knee": "knee-length", "ankle": "ankle-length"}
_LENGTH.update({"floor": "floor-length", "mini": "mini", "midi": "midi", "maxi": "maxi"})
_BOTTOMS = frozenset({"pants", "jeans", "shorts"})
_TAILORED = frozenset({"blazer", "jacket", "coat", "trench", "bomber", "vest"})
_NECKLINE = {
    "v-neck": "v-neckline",
    "off-shoulder": "off-the-shoulder neckline",
    "turtleneck": "turtleneck",
}
_PATTERN = {
    "stripe": "stripes",
    "check": "check pattern",
    "houndstooth": "houndstooth pattern",
    "polka-dot": "polka dots",
}
_MASS = frozenset({"embroidery", "beading", "fringe", "appliqué", "lace trim"})  # no article in a sentence
_FABRIC = {"synthetic": "technical fabric"}
_WEIGHT = {"light": "lightweight", "medium": "mid-weight", "heavy": "heavyweight"}
_CLOSURE = {
    "buttons": "button closure",
    "zipper": "zip closure",
    "wrap-tie": "wrap tie",
    "hook-and-eye": "hook-and-eye closure",
    "snaps": "snap closure",
    "drawstring": "drawstring",
    "lace-up": "lace-up fastening",
}
_FORMALITY = {
    "casual": ("casual wear", "casual"),
    "smart-casual": ("smart-casual", "smart-casual"),
    "business": ("business wear", "business-appropriate"),
    "cocktail": ("cocktail attire", "cocktail-ready"),
    "formal": ("formal wear", "formal"),
    "black-tie": ("black-tie eveningwear", "black-tie"),
}
_OCCASION = {
    "everyday": ("everyday wear", "made for everyday wear"),
    "work": ("workwear", "made for work"),
    "evening": ("eveningwear", "made for the evening"),
    "wedding": ("wedding guest look", "made for weddings"),
    "vacation": ("resort wear", "made for vacation"),
    "party": ("partywear", "made for parties"),
    "lounge": ("loungewear", "made for lounging"),
    "active": ("activewear", "made for movement"),
}
# shot → (tag, kind as it reads in a sentence, presentation)
_ON_MODEL = "worn by a model"
_SHOT = {
    "on-model-full-body": ("full-body fashion photograph", "full-body {studio}fashion photograph", _ON_MODEL),
    "three-quarter": (
        "three-quarter length fashion photograph",
        "three-quarter length {studio}fashion photograph",
        _ON_MODEL,
    ),
    "close-up": ("close-up detail photograph", "close-up {studio}detail photograph", ""),
    "flat-lay": ("flat lay product photograph", "flat lay product photograph", "laid flat, shot from above"),
    "ghost-mannequin": (
        "ghost mannequin product photograph",
        "ghost mannequin {studio}product photograph",
        "",
    ),
    "technical-flat": (
        "technical flat sketch",
        "technical flat sketch",
        "drawn as clean black line art on white",
    ),
}
_GENERIC_MAX = 100_000  # the offline renderer's limit: the generic prose is never cut
_STUDIO_BACKGROUNDS = frozenset({"white-seamless", "grey-seamless", "neutral-studio"})
_ANGLE = {
    "front": ("front view", "from the front"),
    "three-quarter": ("three-quarter view", "from a three-quarter angle"),
    "side": ("side view", "from the side"),
    "back": ("back view", "from the back"),
    "overhead": ("overhead view", "from overhead"),
}
_HEIGHT = {
    "low": ("low camera angle", "from a low camera"),
    "eye-level": ("eye-level camera", "at eye level"),
    "high": ("high camera angle", "from a high camera"),
}
_LIGHTING = {
    "studio-softbox": ("studio softbox lighting", "lit by studio softboxes"),
    "natural-daylight": ("natural daylight", "lit by natural daylight"),
    "golden-hour": ("golden hour light", "lit by golden hour sun"),
    "dramatic": ("dramatic lighting", "lit dramatically"),
    "high-key": ("high-key lighting", "with high-key lighting"),
    "low-key": ("low-key lighting", "with low-key lighting"),
}
_BACKGROUND = {
    "white-seamless": ("white seamless background", "against a white seamless background"),
    "grey-seamless": ("grey seamless background", "against a grey seamless background"),
    "neutral-studio": ("neutral studio backdrop", "against a neutral studio backdrop"),
    "urban": ("urban street setting", "in an urban street setting"),
    "nature": ("natural outdoor setting", "in a natural outdoor setting"),
    "interior": ("elegant interior", "in an elegant interior"),
    "runway": ("fashion runway", "on a fashion runway"),
}
_POSE = {
    "standing-front": ("standing facing the camera", "with the model standing facing the camera"),
    "walking": ("model walking", "with the model walking"),
    "contrapposto": ("contrapposto pose", "with the model in a contrapposto stance"),
    "seated": ("seated pose", "with the model seated"),
    "dynamic": ("dynamic pose", "with the model in a dynamic pose"),
}
# Each modifier category's lead word, so a modifier phrase reads inside "The image is …".
_MODIFIER_LEAD = {
    "lighting": "lit by",
    "composition": "with",
    "style": "in",
    "quality": "with",
    "mood": "with a",
    "pose": "with the model in a",
}


@dataclass(frozen=True)
class PromptPair:
    """The text sent to a provider."""

    prompt: str
    negative_prompt: str


def _a(phrase: str) -> str:
    return f"an {phrase}" if phrase[:1].lower() in "aeio" else f"a {phrase}"


def _plural(phrase: str) -> bool:
    return phrase.endswith("s") and not phrase.endswith(("ss", "less"))


def _noun(phrase: str) -> str:
    """The phrase with an article when it is a singular noun phrase ("a zip closure", "patch pockets")."""
    return phrase if _plural(phrase) else _a(phrase)


def _garment(spec: GarmentSpec) -> list[Term]:
    g = spec.garment
    silhouette = g.silhouette
    if silhouette == "straight" and g.type in _BOTTOMS:
        silhouette = "straight-leg"
    elif silhouette == "empire":
        silhouette = "empire-waist"
    kind = "co-ord set" if g.type == "set" else g.type
    if silhouette == "ball-gown" and g.type == "gown":
        silhouette, kind = None, "ball gown"
    length = _LENGTH.get(g.length or "") if g.length != "hip" else None  # hip is every top's default
    head = " ".join(x for x in (silhouette, length, kind) if x)
    prose = f"a pair of {head}" if g.type in _BOTTOMS else _a(head)
    terms = [Term(head, 1.3, prose, essential=True)]
    if g.fit and g.fit != g.silhouette:
        terms.append(Term(f"{g.fit} fit", 1.05, _a(f"{g.fit} fit")))
    if g.neckline:
        if g.neckline == "collared":
            neck = "notched lapels" if g.type in _TAILORED else "pointed collar"
        else:
            neck = _NECKLINE.get(g.neckline, f"{g.neckline} neckline")
        terms.append(Term(neck, 1.1, _noun(neck)))
    if g.sleeve:
        if g.sleeve.length == "sleeveless":
            terms.append(Term("sleeveless", 1.1, "a sleeveless cut"))
        else:
            length_word = "elbow-length" if g.sleeve.length == "elbow" else g.sleeve.length
            kind_word = g.sleeve.type if g.sleeve.type not in ("set-in", "none") else None
            sleeves = " ".join(x for x in (length_word, kind_word, "sleeves") if x)
            terms.append(Term(sleeves, 1.1))
    return terms


def _colour(spec: GarmentSpec) -> list[Term]:
    c = spec.color
    terms: list[Term] = []
    if c.primary:
        terms.append(Term(f"{c.primary} color", 1.25, c.primary, essential=True))
    if c.pattern.type != "solid":
        noun = _PATTERN.get(c.pattern.type, f"{c.pattern.type} print")
        scale = f"{c.pattern.scale}-scale " if c.pattern.scale else ""
        tag = " ".join(x for x in (f"{scale}{c.secondary or ''}".strip(), noun) if x)
        in_colour = f" in {c.secondary}" if c.secondary else ""
        terms.append(Term(tag, 1.15, f"with {_noun(scale + noun)}{in_colour}"))
    elif c.secondary:
        terms.append(Term(f"{c.secondary} accents", 1.05, f"with {c.secondary} accents"))
    named = {c.primary, c.secondary}
    accents = [e.name for e in c.palette if e.name not in named][:2]
    terms += [Term(f"{name} accents", 1.0, f"with {name} accents") for name in dict.fromkeys(accents)]
    return terms


def _fabric(spec: GarmentSpec) -> list[Term]:
    f = spec.fabric
    terms: list[Term] = []
    if f.type:
        terms.append(Term(_FABRIC.get(f.type, f.type), 1.2, essential=True))
    if f.weight:
        terms.append(Term(_WEIGHT[f.weight], 1.0))
    if f.opacity in ("sheer", "semi-sheer"):
        terms.append(Term(f.opacity, 1.05))
    if f.finish:
        terms.append(Term(f"{f.finish} finish", 1.1, f"with {_a(f.finish)} finish"))
    if f.texture:
        tag = "textured surface" if f.texture == "textured" else f"{f.texture} texture"
        terms.append(Term(tag, 1.05, f"with {_a(tag)}"))
    if f.drape:
        terms.append(Term(f"{f.drape} drape", 1.0, f"with {_a(f.drape)} drape"))
    if f.stretch in ("medium", "high"):
        terms.append(Term(f"{f.stretch} stretch", 1.0, f"with {f.stretch} stretch"))
    return terms


def _details(spec: GarmentSpec) -> list[Term]:
    g, k = spec.garment, spec.construction
    phrases: list[tuple[str, float]] = [(_CLOSURE[c], 1.0) for c in g.closures if c in _CLOSURE]
    if g.pockets and g.pockets != "none":
        phrases.append((f"{g.pockets} pockets", 1.0))
    if g.hem:
        phrases.append(("clean straight hem" if g.hem == "straight" else f"{g.hem} hem", 1.0))
    if g.waist and g.waist != "natural":
        phrases.append((f"{g.waist} waist" if g.waist != "empire" else "empire waistline", 1.0))
    phrases += [(e.replace("-", " "), 1.1) for e in k.embellishments]
    phrases += [("D-rings" if h == "d-rings" else h.replace("-", " "), 1.0) for h in k.hardware]
    if k.seams and k.seams != "plain":
        phrases.append((f"{k.seams} seams", 1.0))
    if k.stitching and k.stitching != "invisible":
        phrases.append((f"{k.stitching} stitching", 1.0))
    if k.lining == "fully-lined":
        phrases.append(("full lining", 1.0))
    return [
        Term(text, w, text if text in _MASS or text.endswith("stitching") else _noun(text))
        for text, w in phrases
    ]


def _aesthetic(spec: GarmentSpec) -> list[Term]:
    s = spec.style
    terms: list[Term] = []
    if s.aesthetic:
        terms.append(Term(f"{s.aesthetic} style", 1.1, s.aesthetic))
    if s.formality:
        tag, prose = _FORMALITY[s.formality]
        terms.append(Term(tag, 1.0, prose))
    if s.season:
        prose = "made for every season" if s.season == "all-season" else f"made for {s.season}"
        terms.append(Term(f"{s.season} collection", 1.0, prose))
    if s.occasion:
        tag, prose = _OCCASION[s.occasion]
        terms.append(Term(tag, 1.0, prose))
    if s.mood:
        terms.append(Term(f"{s.mood} mood", 1.05, f"with {_a(s.mood)} mood"))
    return terms


def _shot(spec: GarmentSpec) -> list[Term]:
    p = spec.photography
    if not p.shot:
        return []
    tag, kind, presentation = _SHOT[p.shot]
    studio = "studio " if p.background in _STUDIO_BACKGROUNDS else ""
    terms = [Term(tag, 1.1, kind.format(studio=studio))]
    if presentation:
        terms.append(Term(presentation, 1.0))
    return terms


def _photography(spec: GarmentSpec) -> list[Term]:
    p = spec.photography
    pairs = [
        _ANGLE.get(p.camera_angle or ""),
        _HEIGHT.get(p.camera_height or ""),
        _BACKGROUND.get(p.background or ""),
        _LIGHTING.get(p.lighting_type or ""),
    ]
    if p.lighting_direction:
        pairs.append((f"{p.lighting_direction} lighting", f"with light from the {p.lighting_direction}"))
    if p.shot not in ("flat-lay", "ghost-mannequin", "technical-flat"):
        pairs.append(_POSE.get(p.pose or ""))
        if p.model_presentation and p.model_presentation.strip():
            text = " ".join(p.model_presentation.split())
            pairs.append((text, f"featuring {text.rstrip('.')}"))
    return [Term(tag, 1.0, prose) for tag, prose in (x for x in pairs if x)]


def prompt_parts(
    spec: GarmentSpec,
    *,
    user_prompt: str | None = None,
    signature: str | None = None,
    persona_keywords: Sequence[str] = (),
    modifiers: Sequence[Modifier] = (),
) -> PromptParts:
    """The structured prompt for a spec; modifiers of categories the spec decides itself are left out."""
    usable = set(categories_for_spec(spec))
    chosen = [m for m in modifiers if m.category in usable]
    sig = [s.strip() for s in (signature or "").split(";") if s.strip()]
    keywords = list(dict.fromkeys(k.strip() for k in persona_keywords if k.strip()))
    user = " ".join(user_prompt.split()) if user_prompt else ""
    return PromptParts(
        garment=tuple(_garment(spec)),
        colour=tuple(_colour(spec)),
        fabric=tuple(_fabric(spec)),
        details=tuple(_details(spec)),
        aesthetic=tuple(_aesthetic(spec)),
        shot=tuple(_shot(spec)),
        photography=tuple(_photography(spec)),
        signature=tuple(Term(s, 1.05) for s in sig),
        persona=tuple(Term(k, 0.9 if i else 1.0) for i, k in enumerate(keywords)),
        modifiers=tuple(Term(m.text, 1.0, f"{_MODIFIER_LEAD[m.category]} {m.text}") for m in chosen),
        palette=tuple(_palette(spec)),
        user=(Term(user, 1.0),) if user else (),
    )


def _palette(spec: GarmentSpec) -> list[Term]:
    """Exact colours for models that read hex codes: the spec's palette, else the taxonomy's named hex."""
    c = spec.color
    if c.palette:
        return [
            Term(f"{e.name} {e.hex.upper()}", 1.0, f"{e.name} ({e.hex.upper()}, about {round(e.coverage)}%)")
            for e in c.palette
        ]
    colours = load_taxonomy().colors
    return [
        Term(f"{name} {colours[name].upper()}", 1.0, f"{name} ({colours[name].upper()})")
        for name in dict.fromkeys(x for x in (c.primary, c.secondary) if x and x in colours)
    ]


def render_pair(
    parts: PromptParts,
    family: PromptFamily,
    *,
    max_length: int,
    negative_supported: bool,
    spec: GarmentSpec | None = None,
    user_negative: str | None = None,
) -> PromptPair:
    """Prompt and negative for one provider: the planner's single call into this stage.

    Without a negative prompt the user's negative words move into the prompt's avoidance sentence
    (gemini, gpt-image, dalle); the negative is cut term by term to `max_length` like the prompt.
    """
    if not negative_supported and user_negative and user_negative.strip():
        parts = replace(parts, avoid=(*parts.avoid, " ".join(user_negative.split())))
    prompt = render(parts, family, max_length=max_length)
    negative = negative_prompt(family, spec=spec, user_negative=user_negative, supported=negative_supported)
    while len(negative) > max_length:
        negative = negative.rsplit(", ", 1)[0] if ", " in negative else ""
    return PromptPair(prompt=prompt, negative_prompt=negative)


def build_prompt(
    spec: GarmentSpec, *, user_prompt: str | None = None, user_negative: str | None = None
) -> PromptPair:
    """The generic prose prompt (the user's own words lead) and a plain-words negative, for any provider."""
    parts = prompt_parts(spec, user_prompt=user_prompt)
    return render_pair(
        parts,
        "tech-flat",
        max_length=100_000,
        negative_supported=True,
        spec=spec,
        user_negative=user_negative,
    )
