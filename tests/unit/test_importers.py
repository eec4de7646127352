"""Legacy importers: six-attribute coverage taxonomy, ultra-detailed descriptor, and format detection."""

from __future__ import annotations

from typing import Any

import pytest

from designer_bff.errors import InvalidInput
from designer_bff.importers.coverage_taxonomy import import_coverage_taxonomy, is_coverage_taxonomy
from designer_bff.importers.detect import detect_format, import_any
from designer_bff.importers.ultra_detailed import import_ultra_detailed, is_ultra_detailed

# (record, expected attributes, expected unmapped)
COVERAGE_CASES: list[tuple[dict[str, Any], dict[str, str], dict[str, str]]] = [
    (
        {"garment": "dress", "silhouette": "a-line", "fabric": "silk", "neckline": "v-neck",
         "sleeve": "short", "length": "midi"},
        {"garment.type": "dress", "garment.silhouette": "a-line", "fabric.type": "silk",
         "garment.neckline": "v-neck", "garment.sleeve.length": "short", "garment.length": "midi"},
        {},
    ),
    (  # camelCase keys, synonyms and phrases
        {"garmentType": "Midi Dress", "silhouette": "flowy", "fabricType": "poplin", "neckLine": "bateau",
         "sleeveLength": "3/4 puff sleeves", "garmentLength": "knee-length"},
        {"garment.type": "dress", "garment.silhouette": "relaxed", "fabric.type": "cotton",
         "garment.neckline": "boat", "garment.sleeve.length": "three-quarter", "garment.sleeve.type": "puff",
         "garment.length": "knee"},
        {},
    ),
    (  # snake_case keys; a sleeve type alone; an unknown neckline and fabric kept
        {"garment_type": "blouse", "fabric_type": "moonweave", "neckline": "keyhole",
         "sleeve_type": "bishop"},
        {"garment.type": "blouse", "garment.sleeve.type": "bishop"},
        {"fabric.type": "moonweave", "garment.neckline": "keyhole"},
    ),
    (  # no sleeves at all
        {"type": "top", "sleeves": "sleeveless", "length": "cropped"},
        {"garment.type": "top", "garment.sleeve.length": "sleeveless", "garment.sleeve.type": "none",
         "garment.length": "crop"},
        {},
    ),
    (  # a sleeve phrase the taxonomy cannot read is kept
        {"garment": "shirt", "sleeve": "tentacle", "fabric": "linen"},
        {"garment.type": "shirt", "fabric.type": "linen"},
        {"garment.sleeve": "tentacle"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("record", "expected", "unmapped"), COVERAGE_CASES)
def test_coverage_records_map_onto_the_canonical_spec(
    record: dict[str, Any], expected: dict[str, str], unmapped: dict[str, str]
) -> None:
    assert is_coverage_taxonomy(record) and detect_format(record) == "coverage-taxonomy"
    result = import_coverage_taxonomy(record)
    (spec,) = result.specs
    attributes = spec.attributes()
    assert {k: attributes.get(k) for k in expected} == expected
    assert spec.unmapped == unmapped
    for path, value in unmapped.items():
        assert any(value in w and path in w and "unmapped" in w for w in result.warnings), result.warnings


@pytest.mark.parametrize(
    ("document", "count", "first_where"),
    [
        ([{"garment": "skirt", "length": "mini"}, {"garment": "coat", "length": "knee"}], 2, "[1]"),
        ({"items": [{"garmentType": "jeans", "silhouette": "wide leg", "length": "ankle"}]}, 1, "items[0]"),
        ({"records": [{"garment_type": "gown", "neckline": "sweetheart"}]}, 1, "records[0]"),
    ],
)
def test_coverage_lists_and_envelopes(document: object, count: int, first_where: str) -> None:
    result = import_any(document)
    assert result is not None and len(result.specs) == count and len(result.prompts) == count
    bad = [*document[:1], {"garment": "spacesuit", "length": "mini"}] if isinstance(document, list) else None
    if bad is not None:
        with pytest.raises(InvalidInput) as info:
            import_any(bad)
        assert info.value.field == f"{first_where}.garment" and "spacesuit" in info.value.message


ULTRA: dict[str, Any] = {
    "garments": [
        {
            "type": "Midi Dress",
            "description": "bias-cut evening dress",
            "fabric": {"primary_material": "100% silk", "texture": "smooth", "weight": "lightweight",
                       "finish": "lustrous", "drape": "flowing", "secondary_material": "elastane"},
            "silhouette": {"overall": "A-line", "fit": "relaxed", "length": "midi", "volume": "gentle flare"},
            "design_details": {
                "neckline": {"type": "v neck", "depth": "deep"},
                "sleeves": "long bishop sleeves",
                "closures": ["invisible zipper at back", "hook"],
                "embellishments": "delicate embroidery and beading",
                "pockets": "side seam",
                "hem": "asymmetric",
            },
            "color_palette": [
                {"color_name": "ivory", "hex_estimate": "#FFFFF0", "coverage_percentage": "20%"},
                {"color_name": "Dusty Rose", "hex_estimate": "#D8A7B1", "coverage_percentage": 70},
                {"color_name": "Mystery", "coverage_percentage": 10},
            ],
            "confidence": 0.9,
        },
        {"type": "blazer", "silhouette": "structured", "fabric": "tweed",
         "color_palette": [{"color_name": "oxblood", "coverage_percentage": 100}]},
    ]
}  # fmt: skip


def test_ultra_detailed_maps_nested_sections_and_palette() -> None:
    assert is_ultra_detailed(ULTRA) and detect_format(ULTRA) == "ultra-detailed"
    result = import_ultra_detailed(ULTRA)
    dress, blazer = result.specs
    assert (
        dress.garment.type == "dress"
        and dress.garment.silhouette == "a-line"
        and dress.garment.fit == "relaxed"
    )
    assert (
        dress.garment.length == "midi"
        and dress.garment.neckline == "v-neck"
        and dress.garment.hem == "asymmetric"
    )
    assert dress.garment.sleeve is not None and (dress.garment.sleeve.type, dress.garment.sleeve.length) == (
        "bishop",
        "long",
    )
    assert dress.garment.closures == ["zipper", "hook-and-eye"] and dress.garment.pockets == "in-seam"
    assert dress.construction.embellishments == ["embroidery", "beading"]
    assert (dress.fabric.type, dress.fabric.weight, dress.fabric.finish, dress.fabric.drape) == (
        "silk",
        "light",
        "sheen",
        "fluid",
    )
    # Roles follow coverage; an unknown name falls back to the nearest colour of its hex, with a warning.
    assert [(p.name, p.hex, p.coverage, p.role) for p in dress.color.palette] == [
        ("blush", "#d8a7b1", 70.0, "primary"),
        ("ivory", "#fffff0", 20.0, "secondary"),
    ]
    assert dress.color.primary == "blush" and dress.color.secondary == "ivory"
    assert any("Dusty Rose" in w and "nearest" in w for w in result.warnings)
    assert dress.unmapped == {
        "fabric.secondary_material": "elastane",
        "silhouette.volume": "gentle flare",
        "color.palette[2]": "color_name: Mystery; coverage_percentage: 10",
    }
    assert dress.confidence == {"overall": 0.9} and dress.notes == "bias-cut evening dress"
    assert blazer.garment.silhouette == "fitted" and blazer.fabric.type == "tweed"
    assert (
        blazer.color.primary == "burgundy" and blazer.color.palette[0].hex == "#800020"
    )  # synonym → taxonomy hex
    assert result.prompts == [None, None]


def test_a_single_ultra_garment_and_unknown_top_level_fields_are_kept() -> None:
    result = import_any({"type": "skirt", "design_details": {"hem": "bubble"}, "mood_board": ["sea", "salt"]})
    assert result is not None
    (skirt,) = result.specs
    assert skirt.unmapped == {"garment.hem": "bubble", "mood_board": "sea; salt"}
    assert sum("unmapped" in w for w in result.warnings) == 2


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({"garments": "a dress"}, "garments", "must be a list"),
        ({"garments": []}, "garments", "no garments"),
        ({"garments": [42]}, "garments[0]", "not an object"),
        ({"garments": [{"fabric": {"texture": "smooth"}}]}, "garments[0].type", "missing or unknown"),
        (
            {"garments": [{"type": "dress", "design_details": "pretty"}]},
            "garments[0].design_details",
            "object",
        ),
        ({"garments": [{"type": "dress", "color_palette": {"red": 1}}]}, "garments[0].color_palette", "list"),
        (
            {"garments": [{"type": "dress", "color_palette": ["red"]}]},
            "garments[0].color_palette[0]",
            "object",
        ),
        ({"items": [{"garment": "dress", "length": "midi"}, "oops"]}, "items[1]", "not an object"),
        ({"records": []}, "records", "no records"),
        ({"records": [{"garmentType": "spaceship"}]}, "records[0].garmentType", "missing or unknown"),
    ],
)
def test_bad_shapes_name_the_field(document: object, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        import_any(document)
    assert info.value.field == field and words in info.value.message


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ({"garmentType": "dress", "fabric": {"type": "silk"}, "colors": {"primary": "red"}}, "vlt"),
        ({"jobId": "j", "records": [{"garmentType": "dress"}]}, "vlt"),
        ([{"garmentType": "dress", "silhouette": "a-line"}], "vlt"),
        ({"garmentType": "dress", "fabric": "silk"}, "coverage-taxonomy"),
        ({"records": [{"garmentType": "dress", "sleeveLength": "short"}]}, "coverage-taxonomy"),
        ({"garments": []}, "ultra-detailed"),
        ({"hello": "world"}, None),
        ([1, 2, 3], None),
        ("a dress", None),
        (None, None),
    ],
)
def test_detection(document: object, kind: str | None) -> None:
    assert detect_format(document) == kind
    if kind is None:
        assert import_any(document) is None


def test_vlt_documents_still_import_through_detection() -> None:
    result = import_any(
        {"jobId": "job-1", "records": [{"garmentType": "Midi Dress", "colors": {"primary": "red"}}]}
    )
    assert result is not None and result.job_id == "job-1"
    assert result.specs[0].garment.type == "dress" and result.specs[0].color.primary == "red"
    listed = import_any([{"garmentType": "coat"}, {"garmentType": "jeans"}])
    assert listed is not None and [s.garment.type for s in listed.specs] == ["coat", "jeans"]
