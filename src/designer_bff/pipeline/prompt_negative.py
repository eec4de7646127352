"""Stage 6 negatives: what each prompt family is told to avoid, specialised to the spec.

- "sd" / "sd-plain": a full list (artefacts, quality, anatomy or, for shots without a person, people and
  mannequins) after the spec-aware items and the user's own words; SD reads it through CLIP, so the
  most specific items come first, inside the first 75-token window.
- prose families whose provider takes a negative prompt: a short plain-words list (spec items first).
- a provider without a negative prompt (``supported=False``): "" — `render` says it in words instead for
  the instruction-following families (dalle, gpt-image, gemini: "No text, logos or watermarks.") and
  says nothing for imagen and flux, which do not follow negation.
"""

from __future__ import annotations

from designer_bff.domain.spec import GarmentSpec
from designer_bff.providers.base import PromptFamily

_SD_CORE = (
    "watermark",
    "text",
    "logo",
    "low quality",
    "worst quality",
    "blurry",
    "jpeg artifacts",
    "cropped garment",
    "out of frame",
    "duplicate garment",
)
_SD_ANATOMY = (
    "bad anatomy",
    "deformed",
    "disfigured",
    "extra limbs",
    "extra arms",
    "bad hands",
    "extra fingers",
    "missing fingers",
    "fused fingers",
    "distorted face",
    "long neck",
)
_SD_QUALITY = (
    "lowres",
    "noise",
    "grainy",
    "oversaturated",
    "overexposed",
    "underexposed",
    "signature",
    "username",
    "frame",
    "border",
    "collage",
    "asymmetrical sleeves",
    "mismatched seams",
    "messy background",
)
_PROSE = (
    "blurry",
    "low quality",
    "distorted proportions",
    "watermark",
    "text",
    "logo",
    "cropped garment",
)
# Shots with nobody in them: a person, hands or a visible mannequin is the artefact to avoid.
_NO_PERSON = {
    "flat-lay": ("person", "model", "hands", "mannequin"),
    "ghost-mannequin": ("visible mannequin", "person", "model", "hands"),
    "technical-flat": ("photograph", "photorealistic", "shading", "person", "model", "background scenery"),
}
_SLEEVED_LENGTHS = ("cap", "short", "elbow", "three-quarter", "long")


def spec_negatives(spec: GarmentSpec) -> list[str]:
    """What this spec rules out: a solid garment has no print, a sleeveless one no sleeves, and so on."""
    items: list[str] = []
    g, c, f = spec.garment, spec.color, spec.fabric
    if c.pattern.type == "solid":
        items += ["pattern", "print"]
    if g.sleeve and g.sleeve.length == "sleeveless":
        items.append("sleeves")
    elif g.sleeve and g.sleeve.length == "long":
        items.append("short sleeves")
    if g.length in ("maxi", "floor", "ankle"):
        items.append("short hemline")
    elif g.length in ("mini", "crop"):
        items.append("long hemline")
    if f.finish == "matte":
        items += ["shiny", "glossy"]
    elif f.finish in ("glossy", "sheen", "metallic"):
        items.append("dull matte fabric")
    if f.opacity == "opaque":
        items.append("see-through")
    if g.neckline == "turtleneck":
        items.append("low neckline")
    return items


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out


def negative_prompt(
    family: PromptFamily,
    *,
    spec: GarmentSpec | None = None,
    user_negative: str | None = None,
    supported: bool = True,
) -> str:
    """The negative prompt for `family`: the user's words, then spec-aware items, then the family's list."""
    if not supported:
        return ""
    user = [user_negative.strip()] if user_negative and user_negative.strip() else []
    specific = spec_negatives(spec) if spec is not None else []
    shot = spec.photography.shot if spec is not None else None
    if family in ("sd", "sd-plain"):
        people = list(_NO_PERSON.get(shot or "", _SD_ANATOMY))
        items = [*user, *specific, *_SD_CORE, *people, *_SD_QUALITY]
    else:
        items = [*user, *specific, *_PROSE, *_NO_PERSON.get(shot or "", ())]
    return ", ".join(_dedupe(items))
