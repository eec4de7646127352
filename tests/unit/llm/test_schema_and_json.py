"""The generated JSON Schemas, the local JSON repair and the validator for the schema subset we emit."""

from __future__ import annotations

from typing import Any

import pytest

from designer_bff.domain.spec import GarmentSpec
from designer_bff.llm.jsontools import JsonRepairError, parse_json_object, validate
from designer_bff.llm.schema import field_by_path, intent_schema, spec_fields, spec_schema
from designer_bff.taxonomy import load_taxonomy


def test_every_categorical_field_is_an_enum_of_the_taxonomy() -> None:
    tax = load_taxonomy()
    schema = spec_schema()
    garment = schema["properties"]["garment"]["properties"]
    assert garment["type"]["enum"] == [*tax.category("garment_type").values, None]
    assert garment["sleeve"]["properties"]["length"]["enum"][:-1] == list(
        tax.category("sleeve_length").values
    )
    assert garment["closures"]["items"]["enum"] == list(tax.category("closure").values)
    color = schema["properties"]["color"]["properties"]
    assert color["primary"]["enum"] == [*tax.colors, None]
    entry = color["palette"]["items"]
    assert entry["properties"]["name"]["enum"] == list(tax.colors)
    assert entry["properties"]["role"]["enum"] == ["primary", "secondary", "accent"]
    assert entry["required"] == ["name", "hex", "coverage", "role"]
    camera = schema["properties"]["photography"]["properties"]["camera_angle"]
    assert camera["enum"][:-1] == list(tax.category("camera_angle").values)
    assert schema["properties"]["confidence"]["additionalProperties"] == {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
    }
    # Every category of the taxonomy except the colour names is used by some field.
    used = {f.category for f in spec_fields()}
    assert set(tax.categories) <= used


def test_every_leaf_of_the_spec_is_covered() -> None:
    full = GarmentSpec.model_validate(
        {
            "garment": {"type": "dress", "sleeve": {}, "closures": ["zipper"]},
            "construction": {"embellishments": ["beading"], "hardware": ["studs"]},
            "photography": {"cameraAngle": "front"},
        }
    )
    assert set(full.attributes()) <= set(field_by_path())


def test_a_complete_answer_validates_and_bad_ones_are_named() -> None:
    answer: dict[str, Any] = {
        "garment": {"type": "coat", "sleeve": {"type": "raglan", "length": "long"}, "closures": ["buttons"]},
        "fabric": {"type": "wool", "weight": "heavy"},
        "color": {
            "primary": "camel",
            "palette": [{"name": "camel", "hex": "#c19a6b", "coverage": 100, "role": "primary"}],
            "pattern": {"type": "solid", "scale": None},
        },
        "photography": {"shot": "flat-lay", "model_presentation": None},
        "confidence": {"garment.type": 0.9},
        "notes": None,
    }
    assert validate(answer, spec_schema()) == []
    answer["garment"]["type"] = "poncho"
    answer["color"]["palette"][0]["hex"] = "camel"
    answer["confidence"]["fabric.type"] = 1.5
    answer["fabric"]["colour"] = "camel"
    errors = validate(answer, spec_schema())
    assert errors[0].startswith('$.garment.type: "poncho" is not one of "dress", "gown"')
    assert (
        "$.fabric: unknown property 'colour'; allowed: type, texture, weight, drape, finish, stretch, opacity"
        in errors
    )
    assert "$.color.palette[0].hex: 'camel' does not match ^#[0-9a-fA-F]{6}$" in errors
    assert "$.confidence.fabric.type: 1.5 is above the maximum 1" in errors
    assert len(errors) == 4
    assert validate(answer, spec_schema(), lenient=True) == [
        "$.color.palette[0].hex: 'camel' does not match ^#[0-9a-fA-F]{6}$",
        "$.confidence.fabric.type: 1.5 is above the maximum 1",
    ]


def test_intent_schema() -> None:
    schema = intent_schema()
    props = schema["properties"]
    assert props["mode"]["enum"] == ["specific", "exploratory"]
    assert props["schedule"]["enum"] == ["now", "overnight"]
    assert props["fabrics"]["items"]["enum"] == list(load_taxonomy().category("fabric_type").values)
    assert props["style"]["enum"][:-1] == list(load_taxonomy().category("aesthetic").values)
    attributes = props["attributes"]["properties"]
    assert "garment.neckline" in attributes and "construction.embellishments" in attributes
    assert "garment.type" not in attributes and "color.primary" not in attributes
    assert (
        validate({"mode": "exploratory", "count": 20, "attributes": {"garment.neckline": "v-neck"}}, schema)
        == []
    )
    assert validate({"count": 2.5}, schema) == [
        "$: missing required property 'mode'",
        "$.count: expected integer or null, got 2.5",
    ]


def test_repairs() -> None:
    assert parse_json_object('{"a": 1}') == ({"a": 1}, [])
    value, repairs = parse_json_object('```json\n{"a": [1, 2,], "b": "x, }",}\n```')
    assert value == {"a": [1, 2], "b": "x, }"}  # the comma inside the string is left alone
    assert repairs == ["removed a markdown code fence", "removed trailing commas"]
    value, repairs = parse_json_object("The answer: {'a': 'it is', 'b': True, 'c': None}. Done.")
    assert value == {"a": "it is", "b": True, "c": None}
    assert repairs[-1] == "turned single-quoted strings into double-quoted ones"
    for text, message in (
        ("", "the answer is empty"),
        ("[1, 2]", "expected a JSON object, got a JSON list"),
        ('{"a": 1', "Expecting ',' delimiter"),
        ("{'a': \"mixed\"}", "Expecting property name enclosed in double quotes"),
    ):
        with pytest.raises(JsonRepairError, match=message):
            parse_json_object(text)
