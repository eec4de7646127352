"""Stage 6 (prompt): canonical spec → a provider-ready prompt and negative prompt."""

from __future__ import annotations

from dataclasses import dataclass

from designer_bff.domain.spec import GarmentSpec

BASE_NEGATIVE = (
    "blurry, low quality, distorted proportions, extra limbs, deformed hands, watermark, text, logo, "
    "cropped garment, duplicate garment, messy background"
)
_SHOT_PHRASES = {
    "technical-flat": "technical flat sketch, front view, clean line art on white, fashion tech pack",
    "flat-lay": "flat lay photograph from above",
    "ghost-mannequin": "ghost mannequin product photograph",
    "on-model-full-body": "full-body fashion photograph on a model",
    "three-quarter": "three-quarter length fashion photograph on a model",
    "close-up": "close-up detail photograph",
}


@dataclass(frozen=True)
class PromptPair:
    """The text sent to a provider."""

    prompt: str
    negative_prompt: str


def _join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def build_prompt(
    spec: GarmentSpec, *, user_prompt: str | None = None, user_negative: str | None = None
) -> PromptPair:
    """Describe the garment from its spec; the user's own words lead when given."""
    g, f, c, s, p = spec.garment, spec.fabric, spec.color, spec.style, spec.photography
    colour = c.primary or ""
    if c.pattern.type != "solid":
        scale = f"{c.pattern.scale}-scale " if c.pattern.scale else ""
        colour = _join(
            colour, f"with {scale}{c.pattern.type} pattern" + (f" in {c.secondary}" if c.secondary else "")
        )
    elif c.secondary:
        colour = _join(colour, f"and {c.secondary}")
    sleeve = None
    if g.sleeve:
        sleeve = (
            "sleeveless"
            if g.sleeve.length == "sleeveless"
            else _join(
                g.sleeve.length, g.sleeve.type if g.sleeve.type not in ("set-in", "none") else None, "sleeves"
            )
        )
    garment = _join(s.aesthetic, g.silhouette, g.length if g.length not in ("hip",) else None, g.type)
    details = [
        f"{g.neckline} neckline" if g.neckline else None,
        sleeve,
        f"{g.waist} waist" if g.waist else None,
        ", ".join(g.closures) + " closure" if g.closures else None,
        f"{g.hem} hem" if g.hem else None,
        ", ".join(spec.construction.embellishments) or None,
    ]
    fabric = _join(f.weight, f.finish, f.texture, f.type)
    sentences = [
        _join(garment, f"in {colour}" if colour else None, f"made of {fabric}" if fabric else None),
        ", ".join(d for d in details if d),
        _join(
            s.formality,
            f"for {s.occasion}" if s.occasion else None,
            f"{s.season} season" if s.season else None,
        ),
        _SHOT_PHRASES.get(p.shot or "", p.shot),
        _join(
            p.lighting_type and f"{p.lighting_type} lighting", p.background and f"{p.background} background"
        ),
    ]
    described = ". ".join(x for x in sentences if x)
    prompt = f"{user_prompt.strip()}. {described}" if user_prompt else described
    negative = BASE_NEGATIVE if not user_negative else f"{user_negative.strip()}, {BASE_NEGATIVE}"
    return PromptPair(prompt=prompt, negative_prompt=negative)
