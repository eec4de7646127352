"""The canonical garment spec: the typed lingua franca of every pipeline stage (DESIGN.md §3)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from designer_bff.taxonomy import load_taxonomy


class CamelModel(BaseModel):
    """Base model: snake_case in Python, camelCase in JSON (both accepted on input)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def _vocab_validator(category: str) -> AfterValidator:
    def check(value: str) -> str:
        cat = load_taxonomy().category(category)
        canonical = cat.lookup(value)
        if canonical is None:
            raise PydanticCustomError(
                "taxonomy_value",
                "unknown {category} '{value}'; allowed: {allowed_text}",
                {
                    "category": category,
                    "value": value,
                    "allowed": list(cat.values),
                    "allowed_text": ", ".join(cat.values),
                },
            )
        return canonical

    return AfterValidator(check)


def _color_check(value: str) -> str:
    tax = load_taxonomy()
    canonical = tax.color(value)
    if canonical is None:
        raise PydanticCustomError(
            "taxonomy_value",
            "unknown colour '{value}'; use a colour name or #rrggbb, e.g. {examples}",
            {
                "category": "color",
                "value": value,
                "allowed": list(tax.colors),
                "examples": "navy, rust, #c8102e",
            },
        )
    return canonical


def Vocab(category: str) -> Any:  # noqa: N802 - reads as a type in annotations
    """A string constrained to (and normalised onto) one taxonomy category."""
    return Annotated[str, _vocab_validator(category)]


ColorName = Annotated[str, AfterValidator(_color_check)]
GarmentType = Vocab("garment_type")


class Sleeve(CamelModel):
    """Sleeve construction and length."""

    type: Vocab("sleeve_type") = "set-in"  # type: ignore[valid-type]
    length: Vocab("sleeve_length") = "long"  # type: ignore[valid-type]


class Garment(CamelModel):
    """What the garment is and how it is cut."""

    type: GarmentType  # type: ignore[valid-type]
    silhouette: Vocab("silhouette") | None = None  # type: ignore[valid-type]
    fit: Vocab("fit") | None = None  # type: ignore[valid-type]
    neckline: Vocab("neckline") | None = None  # type: ignore[valid-type]
    sleeve: Sleeve | None = None
    length: Vocab("length") | None = None  # type: ignore[valid-type]
    waist: Vocab("waist") | None = None  # type: ignore[valid-type]
    closures: list[Vocab("closure")] = Field(default_factory=list)  # type: ignore[valid-type]
    pockets: Vocab("pockets") | None = None  # type: ignore[valid-type]
    hem: Vocab("hem") | None = None  # type: ignore[valid-type]


class Fabric(CamelModel):
    """The cloth: fibre, hand and surface."""

    type: Vocab("fabric_type") | None = None  # type: ignore[valid-type]
    texture: Vocab("texture") | None = None  # type: ignore[valid-type]
    weight: Vocab("fabric_weight") | None = None  # type: ignore[valid-type]
    drape: Vocab("drape") | None = None  # type: ignore[valid-type]
    finish: Vocab("finish") | None = None  # type: ignore[valid-type]
    stretch: Vocab("stretch") | None = None  # type: ignore[valid-type]
    opacity: Vocab("opacity") | None = None  # type: ignore[valid-type]


class PaletteEntry(CamelModel):
    """One colour of the palette with its share of the garment."""

    name: ColorName
    hex: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    coverage: float = Field(ge=0, le=100, description="Share of the garment surface, percent.")
    role: Literal["primary", "secondary", "accent"] = "primary"


class Pattern(CamelModel):
    """Surface pattern and its scale."""

    type: Vocab("pattern") = "solid"  # type: ignore[valid-type]
    scale: Vocab("pattern_scale") | None = None  # type: ignore[valid-type]


class Color(CamelModel):
    """Colours and pattern."""

    primary: ColorName | None = None
    secondary: ColorName | None = None
    palette: list[PaletteEntry] = Field(default_factory=list)
    pattern: Pattern = Field(default_factory=Pattern)


class Construction(CamelModel):
    """Seams, finishing and surface details."""

    seams: Vocab("seams") | None = None  # type: ignore[valid-type]
    stitching: Vocab("stitching") | None = None  # type: ignore[valid-type]
    lining: Vocab("lining") | None = None  # type: ignore[valid-type]
    embellishments: list[Vocab("embellishment")] = Field(default_factory=list)  # type: ignore[valid-type]
    hardware: list[Vocab("hardware")] = Field(default_factory=list)  # type: ignore[valid-type]


class Style(CamelModel):
    """Aesthetic, formality and context."""

    aesthetic: Vocab("aesthetic") | None = None  # type: ignore[valid-type]
    formality: Vocab("formality") | None = None  # type: ignore[valid-type]
    season: Vocab("season") | None = None  # type: ignore[valid-type]
    occasion: Vocab("occasion") | None = None  # type: ignore[valid-type]
    mood: Vocab("mood") | None = None  # type: ignore[valid-type]


class Photography(CamelModel):
    """How the garment is shown."""

    shot: Vocab("shot") | None = None  # type: ignore[valid-type]
    camera_angle: Vocab("camera_angle") | None = None  # type: ignore[valid-type]
    camera_height: Vocab("camera_height") | None = None  # type: ignore[valid-type]
    lighting_type: Vocab("lighting_type") | None = None  # type: ignore[valid-type]
    lighting_direction: Vocab("lighting_direction") | None = None  # type: ignore[valid-type]
    background: Vocab("background") | None = None  # type: ignore[valid-type]
    pose: Vocab("pose") | None = None  # type: ignore[valid-type]
    model_presentation: str | None = Field(None, max_length=300)


class GarmentSpec(CamelModel):
    """The canonical garment spec. `confidence` maps attribute paths (e.g. 'garment.type') to 0..1."""

    garment: Garment
    fabric: Fabric = Field(default_factory=Fabric)
    color: Color = Field(default_factory=Color)
    construction: Construction = Field(default_factory=Construction)
    style: Style = Field(default_factory=Style)
    photography: Photography = Field(default_factory=Photography)
    confidence: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    unmapped: dict[str, str] = Field(
        default_factory=dict, description="Values an importer could not map, kept verbatim by attribute path."
    )
    notes: str | None = Field(None, max_length=2000)

    def attributes(self) -> dict[str, str]:
        """Flat view of every set categorical attribute: {'garment.type': 'dress', ...}."""
        flat: dict[str, str] = {}

        def walk(prefix: str, value: object) -> None:
            if isinstance(value, BaseModel):
                for name in type(value).model_fields:
                    walk(f"{prefix}.{name}" if prefix else name, getattr(value, name))
            elif isinstance(value, str):
                flat[prefix] = value
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                flat[prefix] = ",".join(value)

        for section in ("garment", "fabric", "color", "construction", "style", "photography"):
            walk(section, getattr(self, section))
        return flat

    def caption(self) -> str:
        """Short human caption, e.g. 'rust linen a-line maxi dress, floral'."""
        g = self.garment
        parts = [
            self.color.primary,
            self.fabric.type,
            g.silhouette,
            g.length if g.type not in ("top", "blouse", "shirt", "t-shirt", "sweater") else None,
            g.type,
        ]
        text = " ".join(p for p in parts if p)
        if self.color.pattern.type != "solid":
            text += f", {self.color.pattern.type}"
            if self.color.secondary:
                text += f" in {self.color.secondary}"
        return text
