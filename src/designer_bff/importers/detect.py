"""Recognise which legacy format a JSON document is in (VLT, coverage taxonomy, ultra-detailed); import it."""

from __future__ import annotations

from designer_bff.errors import InvalidInput
from designer_bff.importers.coverage_taxonomy import (
    import_coverage_taxonomy,
    is_coverage_record,
    is_coverage_taxonomy,
)
from designer_bff.importers.ultra_detailed import import_ultra_detailed, is_ultra_detailed
from designer_bff.importers.vlt import ImportResult, import_legacy, is_legacy_envelope, is_legacy_record


def detect_format(data: object) -> str | None:
    """'ultra-detailed', 'coverage-taxonomy' or 'vlt' for a recognised document, else None.

    The ultra-detailed descriptor is told by its `garments` key; coverage records are tried before VLT
    because both may sit in a `records` envelope (a coverage record is flat and names a neckline, sleeve
    or length, or a plain-string fabric; a VLT record nests its fabric and has none of those).
    """
    if is_ultra_detailed(data):
        return "ultra-detailed"
    if is_coverage_taxonomy(data):
        return "coverage-taxonomy"
    if is_legacy_record(data) or is_legacy_envelope(data):
        return "vlt"
    if isinstance(data, list) and data and all(is_legacy_record(r) for r in data):
        return "vlt"
    return None


def import_any(data: object) -> ImportResult | None:
    """Import any of the three legacy formats; None when the document is none of them.

    A recognised document with a bad shape (a non-list `garments`, a record that is not an object, a
    missing garment type) raises InvalidInput naming the field.
    """
    kind = detect_format(data)
    if kind == "ultra-detailed":
        return import_ultra_detailed(data)
    if kind == "coverage-taxonomy":
        return import_coverage_taxonomy(data)
    if kind == "vlt":
        if isinstance(data, list):
            return import_legacy({"records": data})
        if not isinstance(data, dict):  # pragma: no cover - detect_format only says "vlt" for dicts and lists
            raise InvalidInput("a VLT document is an object", field="records")
        return import_legacy(data)
    return None


__all__ = ["detect_format", "import_any", "is_coverage_record"]
