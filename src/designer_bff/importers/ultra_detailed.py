"""Importer for the original system's "ultra-detailed" garment descriptor.

Shape: `{"garments": [{"type", "fabric": {...}, "silhouette": {...}, "design_details": {...},
"color_palette": [{"color_name", "hex_estimate", "coverage_percentage"}]}]}` → one GarmentSpec per garment.
Nested keys map onto canonical fields where a sensible mapping exists; values map through the taxonomy;
anything else (unknown values, keys without a canonical field) is kept in `GarmentSpec.unmapped` under its
source path with a warning, never dropped.
"""

from __future__ import annotations

import re
from typing import Any

from designer_bff.errors import InvalidInput
from designer_bff.importers.coverage_taxonomy import SpecBuilder, normalise_key
from designer_bff.importers.vlt import ImportResult, import_each
from designer_bff.taxonomy import load_taxonomy

# section → normalised key → (canonical path, taxonomy category, how: "one" | "all" | "sleeve")
_SECTIONS: dict[str, dict[str, tuple[str, str, str]]] = {
    "fabric": {
        "primarymaterial": ("fabric.type", "fabric_type", "one"),
        "material": ("fabric.type", "fabric_type", "one"),
        "type": ("fabric.type", "fabric_type", "one"),
        "texture": ("fabric.texture", "texture", "one"),
        "weight": ("fabric.weight", "fabric_weight", "one"),
        "finish": ("fabric.finish", "finish", "one"),
        "sheen": ("fabric.finish", "finish", "one"),
        "drape": ("fabric.drape", "drape", "one"),
        "stretch": ("fabric.stretch", "stretch", "one"),
        "opacity": ("fabric.opacity", "opacity", "one"),
        "transparency": ("fabric.opacity", "opacity", "one"),
    },
    "silhouette": {
        "overall": ("garment.silhouette", "silhouette", "one"),
        "shape": ("garment.silhouette", "silhouette", "one"),
        "type": ("garment.silhouette", "silhouette", "one"),
        "fit": ("garment.fit", "fit", "one"),
        "length": ("garment.length", "length", "one"),
        "waist": ("garment.waist", "waist", "one"),
        "waistline": ("garment.waist", "waist", "one"),
    },
    "design_details": {
        "neckline": ("garment.neckline", "neckline", "one"),
        "collar": ("garment.neckline", "neckline", "one"),
        "sleeves": ("garment.sleeve", "sleeve", "sleeve"),
        "sleeve": ("garment.sleeve", "sleeve", "sleeve"),
        "closures": ("garment.closures", "closure", "all"),
        "closure": ("garment.closures", "closure", "all"),
        "pockets": ("garment.pockets", "pockets", "one"),
        "hem": ("garment.hem", "hem", "one"),
        "hemline": ("garment.hem", "hem", "one"),
        "embellishments": ("construction.embellishments", "embellishment", "all"),
        "hardware": ("construction.hardware", "hardware", "all"),
        "seams": ("construction.seams", "seams", "one"),
        "stitching": ("construction.stitching", "stitching", "one"),
        "lining": ("construction.lining", "lining", "one"),
        "pattern": ("color.pattern.type", "pattern", "one"),
        "print": ("color.pattern.type", "pattern", "one"),
    },
}
_HEX = re.compile(r"^#?[0-9a-fA-F]{6}$")
_ROLES = ("primary", "secondary")


def is_ultra_detailed(data: object) -> bool:
    """True for `{"garments": ...}` or a single garment object with design details or a colour palette."""
    return isinstance(data, dict) and (
        "garments" in data or "design_details" in data or "color_palette" in data
    )


def _text(value: object) -> object:
    """A detail given as an object ({"type": "v-neck", "depth": "deep"}) is named by its type/style/name."""
    if isinstance(value, dict):
        for key in ("type", "style", "name", "value"):
            if isinstance(value.get(key), str):
                return value[key]
    return value


def _put(builder: SpecBuilder, source: str, rule: tuple[str, str, str], value: object) -> None:
    target, category, how = rule
    value = _text(value)
    if how == "sleeve":
        builder.put_sleeve(source, value)
    elif how == "all":
        builder.put_all(source, target, category, value)
    elif isinstance(value, list):
        for i, item in enumerate(value):  # a list for a single-valued field: first mapped wins
            if builder.get(target) is None:
                builder.put(f"{source}[{i}]", target, category, _text(item))
            elif item:
                builder.keep_unmapped(
                    f"{source}[{i}]", target, str(item), "is a further value for a single field"
                )
    else:
        builder.put(source, target, category, value)


def _section(builder: SpecBuilder, name: str, body: object) -> None:
    """Map one nested section; a plain string silhouette/fabric is its main value."""
    rules = _SECTIONS[name]
    if body is None:
        return
    if not isinstance(body, dict):
        main = {"fabric": "primarymaterial", "silhouette": "overall"}.get(name)
        if main is None:
            raise InvalidInput(f"{builder.where}.{name} must be an object", field=f"{builder.where}.{name}")
        _put(builder, name, rules[main], body)
        return
    for key, value in body.items():
        source = f"{name}.{key}"
        rule = rules.get(normalise_key(str(key)))
        if rule is None:
            if value not in (None, "", [], {}):
                builder.keep_unmapped(source, source, _flat(value), "has no canonical field")
            continue
        _put(builder, source, rule, value)


def _flat(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    return str(value)


def _palette(builder: SpecBuilder, entries: object) -> None:
    """color_palette → palette entries (roles by coverage), primary and secondary colours."""
    if entries is None:
        return
    if not isinstance(entries, list):
        raise InvalidInput(
            f"{builder.where}.color_palette must be a list", field=f"{builder.where}.color_palette"
        )
    tax = load_taxonomy()
    palette: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        where = f"color_palette[{i}]"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{builder.where}.{where} is not an object", field=f"{builder.where}.{where}")
        raw_name, raw_hex = entry.get("color_name"), entry.get("hex_estimate")
        hex_value = (
            f"#{str(raw_hex).lstrip('#').lower()}"
            if isinstance(raw_hex, str) and _HEX.match(raw_hex)
            else None
        )
        name = tax.color(str(raw_name)) if raw_name else None
        if name is None and hex_value is not None:
            name = tax.color(hex_value)
            builder.warnings.append(
                f"{builder.where}.{where}.color_name: {raw_name!r} is not a taxonomy colour; "
                f"named {name!r}, the nearest to {hex_value}"
            )
        elif name is not None and raw_name and name != str(raw_name).strip().lower():
            builder.warnings.append(f"{builder.where}.{where}.color_name: mapped {raw_name!r} to {name!r}")
        if name is None:
            why = "names no taxonomy colour and has no usable hex_estimate"
            builder.keep_unmapped(where, f"color.palette[{i}]", _flat(entry), why)
            continue
        if hex_value is None:
            hex_value = tax.colors[name]
            if raw_hex:
                builder.keep_unmapped(
                    f"{where}.hex_estimate", f"color.palette[{i}].hex", str(raw_hex), "is not #rrggbb"
                )
        palette.append({"name": name, "hex": hex_value, "coverage": _coverage(builder, i, entry)})
    palette.sort(key=lambda p: -p["coverage"])
    for i, entry in enumerate(palette):
        entry["role"] = _ROLES[i] if i < len(_ROLES) else "accent"
    if palette:
        builder.tree.setdefault("color", {}).update(palette=palette, primary=palette[0]["name"])
        if len(palette) > 1:
            builder.tree["color"]["secondary"] = palette[1]["name"]


def _coverage(builder: SpecBuilder, index: int, entry: dict[str, Any]) -> float:
    """The entry's coverage in percent (0 with the raw value kept when it is not a number)."""
    where = f"color_palette[{index}].coverage_percentage"
    raw = entry.get("coverage_percentage")
    text = raw.strip().rstrip("%") if isinstance(raw, str) else raw
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        if raw is not None:
            builder.keep_unmapped(where, f"color.palette[{index}].coverage", str(raw), "is not a number")
        return 0.0
    if not 0 <= value <= 100:
        builder.warnings.append(f"{builder.where}.{where}: {value} clipped to 0..100")
    return min(100.0, max(0.0, value))


def import_garment(garment: dict[str, Any], *, where: str) -> tuple[Any, list[str]]:
    """One ultra-detailed garment → a spec and its warnings."""
    builder = SpecBuilder(where)
    builder.put("type", "garment.type", "garment_type", _text(garment.get("type")))
    for name in _SECTIONS:
        _section(builder, name, garment.get(name))
    _palette(builder, garment.get("color_palette"))
    known = {"type", "color_palette", "description", "confidence", *_SECTIONS}
    for key in sorted(k for k in garment if k not in known):
        builder.keep_unmapped(str(key), str(key), _flat(garment[key]), "has no canonical field")
    confidence = garment.get("confidence")
    if isinstance(confidence, int | float) and 0 <= float(confidence) <= 1:
        builder.tree["confidence"] = {"overall": float(confidence)}
    description = garment.get("description")
    notes = description[:2000] if isinstance(description, str) else None
    spec = builder.build(garment_field=f"{where}.type", garment_raw=garment.get("type"), notes=notes)
    return spec, builder.warnings


def import_ultra_detailed(data: object) -> ImportResult:
    """Import an ultra-detailed descriptor (or one garment of it) into one spec per garment."""
    if not is_ultra_detailed(data):
        raise InvalidInput("not an ultra-detailed descriptor (needs garments[])", field="garments")
    assert isinstance(data, dict)
    garments = data.get("garments", [data])
    if not isinstance(garments, list):
        raise InvalidInput("garments must be a list of garment objects", field="garments")
    if not garments:
        raise InvalidInput("the descriptor has no garments", field="garments")
    return import_each(garments, "garments", import_garment)
