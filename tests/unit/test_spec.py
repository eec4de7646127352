"""Canonical spec, taxonomy and the legacy VLT importer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.importers.vlt import import_legacy
from designer_bff.taxonomy import load_taxonomy


def test_taxonomy_covers_design_vocabulary() -> None:
    tax = load_taxonomy()
    garments = tax.category("garment_type").values
    for kind in ("dress", "gown", "blazer", "jeans", "jumpsuit", "romper", "bodysuit", "set"):
        assert kind in garments
    assert set(tax.category("pattern").values) >= {"solid", "stripe", "check", "floral", "polka-dot"}
    assert all(value.startswith("#") and len(value) == 7 for value in tax.colors.values())
    # every garment type belongs to exactly one group
    for kind in garments:
        assert sum(kind in members for members in tax.garment_groups.values()) == 1


def test_synonyms_and_spacing_normalise() -> None:
    spec = GarmentSpec.model_validate(
        {
            "garment": {"type": "Frock", "silhouette": "A Line", "sleeve": {"length": "3/4"}},
            "color": {"primary": "Gray", "secondary": "#c8102e", "pattern": {"type": "plaid"}},
        }
    )
    assert spec.garment.type == "dress"
    assert spec.garment.silhouette == "a-line"
    assert spec.garment.sleeve is not None and spec.garment.sleeve.length == "three-quarter"
    assert spec.color.primary == "grey"
    assert spec.color.secondary == "red"  # nearest named colour in CIELAB
    assert spec.color.pattern.type == "check"


def test_unknown_value_names_field_and_allowed_values() -> None:
    with pytest.raises(ValidationError) as info:
        GarmentSpec.model_validate({"garment": {"type": "dress", "neckline": "spaceship"}})
    err = info.value.errors()[0]
    assert err["loc"] == ("garment", "neckline")
    assert "spaceship" in err["msg"] and "v-neck" in err["msg"]
    assert "sweetheart" in err["ctx"]["allowed"]


def test_camel_case_round_trip() -> None:
    spec = GarmentSpec.model_validate(
        {"garment": {"type": "coat"}, "photography": {"cameraAngle": "front", "lightingType": "softbox"}}
    )
    dumped = spec.model_dump(by_alias=True, exclude_none=True)
    assert dumped["photography"] == {"cameraAngle": "front", "lightingType": "studio-softbox"}
    assert GarmentSpec.model_validate(dumped) == spec


def test_category_find_prefers_longest_phrase() -> None:
    found = load_taxonomy().category("garment_type").find("two t-shirts and a trench coat")
    assert [v for _, _, v in found] == ["t-shirt", "trench"]


LEGACY = {
    "jobId": "job-42",
    "records": [
        {
            "garmentType": "Midi Dress",
            "silhouette": "A-line",
            "fabric": {"type": "silk", "texture": "smooth", "weight": "light", "finish": "lustrous"},
            "colors": {"primary": "emerald", "secondary": "gold", "pattern": "floral"},
            "construction": {"seams": "french", "closure": "invisible zipper", "details": ["ruffled hem"]},
            "style": {"aesthetic": "romantic", "formality": "cocktail", "season": "spring"},
            "promptText": "an emerald silk dress",
            "confidence": 0.87,
        },
        {"garmentType": "blazer", "fabric": {"type": "moonweave"}, "colors": {"primary": "navy"}},
    ],
    "summary": {"count": 2},
}


def test_legacy_envelope_maps_synonyms_and_keeps_unknowns() -> None:
    result = import_legacy(LEGACY)
    assert result.job_id == "job-42"
    first, second = result.specs
    assert first.garment.type == "dress" and first.garment.closures == ["zipper"]
    assert first.fabric.finish == "sheen"
    assert first.construction.embellishments == ["ruffles"]
    assert first.confidence == {"overall": 0.87}
    assert result.prompts[0] == "an emerald silk dress"
    assert second.fabric.type is None
    assert second.unmapped == {"fabric.type": "moonweave"}
    assert any("moonweave" in w and "unmapped" in w for w in result.warnings)
    assert any("'Midi Dress' to 'dress'" in w for w in result.warnings)


def test_legacy_record_without_garment_type_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        import_legacy({"garmentType": "spaceship"})
    assert info.value.field == "records[0].garmentType"
    assert "dress" in (info.value.details["allowed"])
