"""Importer for the original system's flat VLT record and its batch envelope `{jobId, records[], summary}`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.taxonomy import Taxonomy, load_taxonomy

# legacy field path → (canonical attribute path, taxonomy category or "color")
_FIELDS: dict[tuple[str, ...], tuple[str, str]] = {
    ("garmentType",): ("garment.type", "garment_type"),
    ("silhouette",): ("garment.silhouette", "silhouette"),
    ("fabric", "type"): ("fabric.type", "fabric_type"),
    ("fabric", "texture"): ("fabric.texture", "texture"),
    ("fabric", "weight"): ("fabric.weight", "fabric_weight"),
    ("fabric", "finish"): ("fabric.finish", "finish"),
    ("colors", "primary"): ("color.primary", "color"),
    ("colors", "secondary"): ("color.secondary", "color"),
    ("colors", "pattern"): ("color.pattern.type", "pattern"),
    ("construction", "seams"): ("construction.seams", "seams"),
    ("construction", "closure"): ("garment.closures", "closure"),
    ("style", "aesthetic"): ("style.aesthetic", "aesthetic"),
    ("style", "formality"): ("style.formality", "formality"),
    ("style", "season"): ("style.season", "season"),
}


@dataclass
class ImportResult:
    """Specs recovered from a legacy document, with a warning for every value that needed care."""

    specs: list[GarmentSpec]
    warnings: list[str] = field(default_factory=list)
    prompts: list[str | None] = field(default_factory=list)
    job_id: str | None = None


def import_each(
    items: list[Any], prefix: str, one: Callable[..., tuple[GarmentSpec, list[str]]]
) -> ImportResult:
    """Import every object of a list with `one(item, where=...)`, naming the bad item's position."""
    result = ImportResult(specs=[])
    for i, item in enumerate(items):
        where = f"{prefix}[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} is not an object", field=where)
        spec, warnings = one(item, where=where)
        result.specs.append(spec)
        result.warnings.extend(warnings)
        result.prompts.append(None)
    return result


def is_legacy_record(data: object) -> bool:
    """True for a flat VLT record (has `garmentType`)."""
    return isinstance(data, dict) and "garmentType" in data


def is_legacy_envelope(data: object) -> bool:
    """True for a VLT batch envelope (has a `records` list)."""
    return isinstance(data, dict) and isinstance(data.get("records"), list)


def _dig(record: dict[str, Any], path: tuple[str, ...]) -> object:
    value: object = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _map_value(tax: Taxonomy, category: str, raw: str) -> str | None:
    if category == "color":
        return tax.color(raw)
    cat = tax.category(category)
    exact = cat.lookup(raw)
    if exact is not None:
        return exact
    # Legacy records often hold phrases ("Midi Dress", "relaxed A-line"): take the last named value.
    mentions = cat.find(raw)
    return mentions[-1][2] if mentions else None


def _set(tree: dict[str, Any], path: str, value: object) -> None:
    parts = path.split(".")
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def import_record(record: dict[str, Any], *, index: int = 0) -> tuple[GarmentSpec, list[str], str | None]:
    """Convert one flat VLT record; unknown values are kept in `unmapped` with a warning."""
    tax = load_taxonomy()
    where = f"records[{index}]"
    tree: dict[str, Any] = {}
    unmapped: dict[str, str] = {}
    warnings: list[str] = []
    for legacy_path, (target, category) in _FIELDS.items():
        raw = _dig(record, legacy_path)
        if raw is None or raw == "":
            continue
        if not isinstance(raw, str):
            raw = str(raw)
        mapped = _map_value(tax, category, raw)
        legacy_name = ".".join(legacy_path)
        if mapped is None:
            unmapped[target] = raw
            warnings.append(f"{where}.{legacy_name}: {raw!r} is not in the taxonomy; kept as unmapped")
            continue
        if mapped != raw.strip().lower():
            warnings.append(f"{where}.{legacy_name}: mapped {raw!r} to {mapped!r}")
        _set(tree, target, [mapped] if target == "garment.closures" else mapped)
    if "garment" not in tree or "type" not in tree["garment"]:
        raise InvalidInput(
            f"{where}.garmentType is missing or unknown ({record.get('garmentType')!r}); allowed: "
            + ", ".join(tax.category("garment_type").values),
            field=f"{where}.garmentType",
            allowed=tax.category("garment_type").values,
        )
    details = _dig(record, ("construction", "details"))
    notes = None
    if isinstance(details, list):
        embellishments = tax.category("embellishment")
        found = [m[2] for d in details if isinstance(d, str) for m in embellishments.find(d)]
        if found:
            _set(tree, "construction.embellishments", sorted(set(found)))
        notes = "; ".join(str(d) for d in details) or None
    confidence = record.get("confidence")
    if isinstance(confidence, int | float) and 0 <= float(confidence) <= 1:
        tree["confidence"] = {"overall": float(confidence)}
    spec = GarmentSpec.model_validate({**tree, "unmapped": unmapped, "notes": notes})
    prompt = record.get("promptText")
    return spec, warnings, prompt if isinstance(prompt, str) else None


def import_legacy(data: dict[str, Any]) -> ImportResult:
    """Import a flat record or a batch envelope into canonical specs."""
    if is_legacy_envelope(data):
        records = data["records"]
        if not records:
            raise InvalidInput("VLT envelope has no records", field="records")
        result = ImportResult(specs=[], job_id=str(data["jobId"]) if data.get("jobId") else None)
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise InvalidInput(f"records[{i}] is not an object", field=f"records[{i}]")
            spec, warnings, prompt = import_record(record, index=i)
            result.specs.append(spec)
            result.warnings.extend(warnings)
            result.prompts.append(prompt)
        return result
    if is_legacy_record(data):
        spec, warnings, prompt = import_record(data)
        return ImportResult(specs=[spec], warnings=warnings, prompts=[prompt])
    raise InvalidInput(
        "not a legacy VLT record (needs garmentType) or envelope (needs records[])", field="vltSpec"
    )
