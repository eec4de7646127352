"""Importer for the original system's six-attribute coverage taxonomy record.

A record names garment, silhouette, fabric, neckline, sleeve and length as flat strings, under camelCase or
snake_case keys (`garmentType`, `garment_type`, `sleeveLength`, `sleeve_length` …). Documents are one record,
a list of records, or an envelope `{"items" | "records": [...]}`. Values map through the taxonomy (synonyms
and phrases); anything unknown is kept verbatim in `GarmentSpec.unmapped` with a warning, never dropped.
`SpecBuilder` is the shared collector the ultra-detailed importer uses as well.
"""

from __future__ import annotations

import re
from typing import Any

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.importers.vlt import ImportResult, _map_value, _set, import_each
from designer_bff.taxonomy import load_taxonomy

# normalised key (lower case, no _ - or spaces) → attribute of the six
_KEYS = {
    "garment": "garment", "garmenttype": "garment", "type": "garment", "garmentcategory": "garment",
    "category": "garment", "silhouette": "silhouette", "shape": "silhouette", "fabric": "fabric",
    "fabrictype": "fabric", "material": "fabric", "neckline": "neckline", "neck": "neckline",
    "necklinetype": "neckline", "sleeve": "sleeve", "sleeves": "sleeve", "sleevelength": "sleeve",
    "sleevetype": "sleeve", "sleevestyle": "sleeve", "length": "length", "garmentlength": "length",
    "hemlength": "length",
}  # fmt: skip
_TARGETS = {
    "silhouette": ("garment.silhouette", "silhouette"),
    "fabric": ("fabric.type", "fabric_type"),
    "neckline": ("garment.neckline", "neckline"),
    "length": ("garment.length", "length"),
}
_NO_SLEEVES = {"none", "no sleeves", "no sleeve", "sleeveless"}
_IGNORED_OK = {"id", "confidence", "count", "source", "notes", "filename", "image", "imageurl", "url"}


def normalise_key(key: str) -> str:
    """'sleeve_length', 'sleeveLength', 'Sleeve Length' → 'sleevelength'."""
    return re.sub(r"[\s_\-]+", "", key).lower()


class SpecBuilder:
    """Collects mapped values into a canonical spec tree; unknown ones go to `unmapped` with a warning."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.tree: dict[str, Any] = {}
        self.unmapped: dict[str, str] = {}
        self.warnings: list[str] = []

    def keep_unmapped(self, source: str, target: str, raw: str, why: str = "is not in the taxonomy") -> None:
        """Keep `raw` verbatim under `target` (several values join with '; ') and warn."""
        previous = self.unmapped.get(target)
        self.unmapped[target] = f"{previous}; {raw}" if previous else raw
        self.warnings.append(f"{self.where}.{source}: {raw!r} {why}; kept as unmapped[{target!r}]")

    def put(
        self, source: str, target: str, category: str, raw: object, *, as_list: bool = False
    ) -> str | None:
        """Map `raw` through `category` and set it at `target`; returns the canonical value (or None)."""
        if raw is None or raw == "" or raw == []:
            return None
        text = raw if isinstance(raw, str) else str(raw)
        mapped = _map_value(load_taxonomy(), category, text)
        if mapped is None:
            self.keep_unmapped(source, target, text)
            return None
        if mapped != text.strip().lower():
            self.warnings.append(f"{self.where}.{source}: mapped {text!r} to {mapped!r}")
        if as_list:
            values = self.get(target) or []
            if mapped not in values:
                _set(self.tree, target, [*values, mapped])
        else:
            _set(self.tree, target, mapped)
        return mapped

    def put_all(self, source: str, target: str, category: str, raw: object) -> None:
        """Every value of `category` mentioned in `raw` (a string or a list) appended at `target`."""
        items = raw if isinstance(raw, list) else [raw]
        cat = load_taxonomy().category(category)
        for i, item in enumerate(items):
            where = f"{source}[{i}]" if isinstance(raw, list) else source
            if item is None or item == "":
                continue
            text = item if isinstance(item, str) else str(item)
            found = [cat.lookup(text)] if cat.lookup(text) else [m[2] for m in cat.find(text)]
            if not found:
                self.keep_unmapped(where, target, text)
            for value in found:
                self.put(where, target, category, value, as_list=True)

    def put_sleeve(self, source: str, raw: object) -> None:
        """A sleeve phrase ('long puff', '3/4 bell', 'sleeveless') → garment.sleeve.length and/or .type."""
        if raw is None or raw == "":
            return
        text = raw if isinstance(raw, str) else str(raw)
        tax = load_taxonomy()
        if text.strip().lower() in _NO_SLEEVES:
            _set(self.tree, "garment.sleeve", {"type": "none", "length": "sleeveless"})
            return
        length = tax.category("sleeve_length").lookup(text) or _last(tax.category("sleeve_length").find(text))
        kind = tax.category("sleeve_type").lookup(text) or _last(tax.category("sleeve_type").find(text))
        if length is None and kind is None:
            self.keep_unmapped(source, "garment.sleeve", text)
            return
        sleeve = {"length": length} if length else {}
        if kind:
            sleeve["type"] = kind
        if length == "sleeveless":
            sleeve["type"] = "none"
        _set(self.tree, "garment.sleeve", sleeve)
        if text.strip().lower() not in (length, kind):
            self.warnings.append(f"{self.where}.{source}: mapped {text!r} to sleeve {sleeve}")
        if length is None:
            self.warnings.append(
                f"{self.where}.{source}: no sleeve length in {text!r}; the spec default applies"
            )

    def get(self, path: str) -> Any:
        """The value set at a dotted path, or None."""
        node: Any = self.tree
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def build(self, *, garment_field: str, garment_raw: object, notes: str | None = None) -> GarmentSpec:
        """The spec; InvalidInput naming `garment_field` when the garment type is missing or unknown."""
        if self.get("garment.type") is None:
            values = load_taxonomy().category("garment_type").values
            raise InvalidInput(
                f"{garment_field} is missing or unknown ({garment_raw!r}); allowed: {', '.join(values)}",
                field=garment_field,
                allowed=values,
            )
        return GarmentSpec.model_validate({**self.tree, "unmapped": self.unmapped, "notes": notes})


def _last(mentions: list[tuple[int, int, str]]) -> str | None:
    return mentions[-1][2] if mentions else None


def _fields(record: dict[str, Any]) -> dict[str, tuple[str, object]]:
    """Attribute → (original key, value) for the six attributes present in the record."""
    found: dict[str, tuple[str, object]] = {}
    for key, value in record.items():
        attribute = _KEYS.get(normalise_key(str(key)))
        if attribute is not None and attribute not in found:
            found[attribute] = (str(key), value)
    return found


def is_coverage_record(data: object) -> bool:
    """A flat record naming a garment plus a neckline, sleeve or length, or a fabric as a plain string
    (the VLT record nests fabric in an object and has no neckline, sleeve or length)."""
    if not isinstance(data, dict):
        return False
    fields = _fields(data)
    if "garment" not in fields or any(isinstance(v, dict | list) for _, v in fields.values()):
        return False
    return bool({"neckline", "sleeve", "length"} & set(fields)) or isinstance(
        fields.get("fabric", (0, 0))[1], str
    )


def _records(data: object) -> list[object] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("items", "records"):
            if isinstance(data.get(key), list):
                return list(data[key])
    return None


def is_coverage_taxonomy(data: object) -> bool:
    """True for a coverage record, a list of them, or an {"items"|"records": [...]} envelope of them."""
    if is_coverage_record(data):
        return True
    records = _records(data)
    return bool(records) and any(is_coverage_record(r) for r in records or ())


def import_coverage_record(record: dict[str, Any], *, where: str = "record") -> tuple[GarmentSpec, list[str]]:
    """One coverage record → a spec and its warnings."""
    builder = SpecBuilder(where)
    fields = _fields(record)
    garment_key, garment_raw = fields.get("garment", ("garmentType", None))
    builder.put(garment_key, "garment.type", "garment_type", garment_raw)
    for attribute, (target, category) in _TARGETS.items():
        if attribute in fields:
            key, value = fields[attribute]
            builder.put(key, target, category, value)
    if "sleeve" in fields:
        builder.put_sleeve(*fields["sleeve"])
    used = {key for key, _ in fields.values()}
    extra = sorted(k for k in record if k not in used and normalise_key(str(k)) not in _IGNORED_OK)
    if extra:
        builder.warnings.append(
            f"{where}: fields outside the six attributes were not imported: {', '.join(extra)}"
        )
    notes = record.get("notes") if isinstance(record.get("notes"), str) else None
    spec = builder.build(garment_field=f"{where}.{garment_key}", garment_raw=garment_raw, notes=notes)
    return spec, builder.warnings


def import_coverage_taxonomy(data: object) -> ImportResult:
    """Import a coverage record, a list of records or an envelope into canonical specs."""
    if is_coverage_record(data):
        assert isinstance(data, dict)
        spec, warnings = import_coverage_record(data)
        return ImportResult(specs=[spec], warnings=warnings, prompts=[None])
    records = _records(data)
    if records is None:
        raise InvalidInput(
            "not a coverage taxonomy record (garment plus silhouette, fabric, neckline, sleeve, length), "
            "a list of them, or an {items: [...]} envelope",
            field="items",
        )
    if not records:
        raise InvalidInput("the coverage taxonomy document has no records", field="items")
    prefix = (
        "items" if isinstance(data, dict) and "items" in data else "records" if isinstance(data, dict) else ""
    )
    return import_each(records, prefix, import_coverage_record)
