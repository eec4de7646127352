"""JSON Schemas for language-model answers, generated from the canonical spec and the taxonomy.

Every categorical field is an `enum` of the taxonomy's canonical values (nullable), so a value added
to `taxonomy.json` reaches the models without touching this file; a field added to `GarmentSpec` is
picked up by walking its pydantic models. Keys are the spec's Python names (snake_case), the same
dotted paths `GarmentSpec.attributes()` and the pipeline use.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, get_args, get_origin

from annotated_types import MaxLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from designer_bff.domain.intent import Intent, Mode
from designer_bff.domain.spec import GarmentSpec, PaletteEntry
from designer_bff.taxonomy import load_taxonomy

FieldKind = Literal["category", "categories", "color", "palette", "text"]
SECTIONS = ("garment", "fabric", "color", "construction", "style", "photography")
# Spec paths whose taxonomy category is not simply the field's own name.
_CATEGORY_OF = {
    "garment.type": "garment_type",
    "garment.sleeve.type": "sleeve_type",
    "garment.sleeve.length": "sleeve_length",
    "garment.closures": "closure",
    "fabric.type": "fabric_type",
    "fabric.weight": "fabric_weight",
    "color.pattern.type": "pattern",
    "color.pattern.scale": "pattern_scale",
    "construction.embellishments": "embellishment",
    "color.primary": "color",
    "color.secondary": "color",
}
# Intent fields with their own slot → the spec path whose vocabulary they use.
INTENT_FIELDS = {
    "garment": "garment.type",
    "silhouette": "garment.silhouette",
    "fabrics": "fabric.type",
    "colors": "color.primary",
    "style": "style.aesthetic",
    "occasion": "style.occasion",
}
_HEX_PATTERN = r"^#[0-9a-fA-F]{6}$"


@dataclass(frozen=True)
class SpecField:
    """One leaf of the canonical spec: its dotted path, what it holds and its taxonomy category."""

    path: str
    kind: FieldKind
    category: str | None = None  # a taxonomy category, "color" for colour names, None for free text
    max_length: int | None = None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `Model`, `Model | None` or `list[Model]`, if any."""
    for item in (annotation, *get_args(annotation)):
        if isinstance(item, type) and get_origin(item) is None and issubclass(item, BaseModel):
            return item
    return None


def _max_length(info: FieldInfo) -> int | None:
    for meta in info.metadata:
        if isinstance(meta, MaxLen):
            return int(meta.max_length)
    return None


def _walk(prefix: str, model: type[BaseModel]) -> list[SpecField]:
    tax = load_taxonomy()
    fields: list[SpecField] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}"
        annotation = info.annotation
        nested = _model_in(annotation)
        is_list = get_origin(annotation) is list
        if nested is PaletteEntry:
            fields.append(SpecField(path, "palette", "color"))
        elif nested is not None:
            fields.extend(_walk(path, nested))
        else:
            category = _CATEGORY_OF.get(path, name)
            if category == "color":
                fields.append(SpecField(path, "color", "color"))
            elif category in tax.categories:
                fields.append(SpecField(path, "categories" if is_list else "category", category))
            else:
                fields.append(SpecField(path, "text", None, _max_length(info)))
    return fields


@lru_cache(maxsize=1)
def spec_fields() -> tuple[SpecField, ...]:
    """Every leaf of the canonical spec's six sections, in declaration order."""
    fields: list[SpecField] = []
    for section in SECTIONS:
        model = _model_in(GarmentSpec.model_fields[section].annotation)
        assert model is not None, section
        fields.extend(_walk(section, model))
    return tuple(fields)


def field_by_path() -> dict[str, SpecField]:
    """`spec_fields()` keyed by path."""
    return {f.path: f for f in spec_fields()}


def vocabulary(category: str) -> list[str]:
    """Canonical values of a taxonomy category ("color" → the colour names)."""
    tax = load_taxonomy()
    return list(tax.colors) if category == "color" else list(tax.category(category).values)


def _nullable_enum(category: str, description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"], "enum": [*vocabulary(category), None]}
    if description:
        schema["description"] = description
    return schema


def _list_of(category: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "enum": vocabulary(category)}}


def _palette() -> dict[str, Any]:
    roles = list(get_args(PaletteEntry.model_fields["role"].annotation))
    return {
        "type": "array",
        "description": "Visible colours, largest first; coverage is the percent of the garment surface.",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "enum": vocabulary("color")},
                "hex": {"type": "string", "pattern": _HEX_PATTERN},
                "coverage": {"type": "number", "minimum": 0, "maximum": 100},
                "role": {"type": "string", "enum": roles},
            },
            "required": ["name", "hex", "coverage", "role"],
        },
    }


def field_schema(field: SpecField) -> dict[str, Any]:
    """The JSON Schema of one spec leaf."""
    if field.kind == "palette":
        return _palette()
    if field.kind == "categories":
        assert field.category is not None
        return _list_of(field.category)
    if field.kind in ("category", "color"):
        assert field.category is not None
        return _nullable_enum(field.category)
    text: dict[str, Any] = {"type": ["string", "null"]}
    if field.max_length:
        text["maxLength"] = field.max_length
    return text


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _insert(tree: dict[str, Any], parts: list[str], leaf: dict[str, Any]) -> None:
    """Place `leaf` at `parts` in a tree of object schemas; intermediate objects are nullable."""
    node = tree
    for part in parts[:-1]:
        # Nullable: a model may answer "sleeve": null for a sleeveless view or a section it cannot see.
        node = node["properties"].setdefault(part, {**_object({}), "type": ["object", "null"]})
    node["properties"][parts[-1]] = leaf


@lru_cache(maxsize=1)
def _spec_schema() -> dict[str, Any]:
    root = _object({})
    for field in spec_fields():
        _insert(root, field.path.split("."), field_schema(field))
    root["properties"]["confidence"] = {
        "type": "object",
        "description": "Your confidence from 0 to 1 for each attribute path you filled, e.g. "
        '{"garment.type": 0.95, "color.primary": 0.8, "fabric.type": 0.5}.',
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
    }
    notes_max = _max_length(GarmentSpec.model_fields["notes"])
    root["properties"]["notes"] = {"type": ["string", "null"], "maxLength": notes_max or 2000}
    return root


def spec_schema() -> dict[str, Any]:
    """JSON Schema of a garment analysis: the canonical spec's sections plus per-path `confidence`."""
    return copy.deepcopy(_spec_schema())


@lru_cache(maxsize=1)
def _intent_schema() -> dict[str, Any]:
    by_path = field_by_path()
    claimed = {*INTENT_FIELDS.values(), "color.secondary"}
    attributes = {
        f.path: field_schema(f)
        for f in spec_fields()
        if f.kind in ("category", "categories") and f.path not in claimed
    }
    schedule = list(get_args(Intent.model_fields["schedule"].annotation))
    text_list = {"type": "array", "items": {"type": "string"}}
    return _object(
        {
            "count": {
                "type": ["integer", "null"],
                "description": "How many designs were asked for (at least 1); null when no number is named.",
            },
            "garment": _nullable_enum(by_path[INTENT_FIELDS["garment"]].category or "garment_type"),
            "colors": _list_of("color"),
            "fabrics": _list_of(by_path[INTENT_FIELDS["fabrics"]].category or "fabric_type"),
            "silhouette": _nullable_enum(by_path[INTENT_FIELDS["silhouette"]].category or "silhouette"),
            "style": _nullable_enum(by_path[INTENT_FIELDS["style"]].category or "aesthetic"),
            "occasion": _nullable_enum(by_path[INTENT_FIELDS["occasion"]].category or "occasion"),
            "mode": {"type": "string", "enum": list(get_args(Mode))},
            "modifiers": {**text_list, "description": "Words that qualify the request but are no attribute."},
            "attributes": {**_object(attributes), "description": "Other garment attributes by spec path."},
            "schedule": {"type": "string", "enum": schedule},
            "unplaced": {**text_list, "description": "Words of the command you could not place."},
        },
        required=["mode"],
    )


def intent_schema() -> dict[str, Any]:
    """JSON Schema of a parsed command (`Intent` without `command` and `parser`)."""
    return copy.deepcopy(_intent_schema())
