"""A model's garment-spec answer (shaped by `spec_schema()`) → canonical values, confidences and warnings.

Nothing the model says is dropped silently: synonyms are mapped through the taxonomy (with a warning
naming the mapping), anything that does not map — unknown values, unknown attributes, wrong types —
is kept verbatim in `unmapped` under its attribute path with a warning. A missing garment type is fine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.alias_generators import to_snake

from designer_bff.domain.spec import GarmentSpec, PaletteEntry
from designer_bff.llm.schema import SECTIONS, SpecField, field_by_path, spec_fields
from designer_bff.taxonomy import Taxonomy, load_taxonomy, normalise_token

DEFAULT_CONFIDENCE = 0.5
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_ROLES: tuple[str, ...] = get_args(PaletteEntry.model_fields["role"].annotation)


@dataclass(frozen=True)
class SpecReading:
    """What a spec answer says in canonical terms: the tree, measured paths and their confidence."""

    tree: dict[str, Any]
    measured: tuple[str, ...]
    confidence: dict[str, float]
    warnings: tuple[str, ...] = ()
    defaulted: tuple[str, ...] = field(default=())  # measured paths whose confidence the model did not state

    def overall(self) -> float:
        """Mean confidence over the measured paths (0 when nothing was measured)."""
        values = [self.confidence[p] for p in self.measured]
        return sum(values) / len(values) if values else 0.0


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _map(tax: Taxonomy, category: str, raw: str) -> str | None:
    if category == "color":
        return tax.color(raw)
    cat = tax.category(category)
    value = cat.lookup(raw)
    if value is None:
        mentions = cat.find(raw)  # "relaxed A-line" names a value inside a phrase: take the last one
        value = mentions[-1][2] if mentions else None
    return value


class _Reader:
    def __init__(self) -> None:
        self.tax = load_taxonomy()
        self.fields = field_by_path()
        self.values: dict[str, Any] = {}
        self.unmapped: dict[str, str] = {}
        self.warnings: list[str] = []

    def keep_unmapped(self, path: str, raw: object, why: str) -> None:
        text = _text(raw)
        self.unmapped[path] = f"{self.unmapped[path]}, {text}" if path in self.unmapped else text
        self.warnings.append(f"{path}: {text!r} {why}; kept as unmapped")

    def canonical(self, path: str, category: str, raw: object) -> str | None:
        if not isinstance(raw, str):
            self.keep_unmapped(path, raw, "is not a text value")
            return None
        value = _map(self.tax, category, raw)
        if value is None:
            self.keep_unmapped(path, raw, "is not in the taxonomy")
            return None
        token = normalise_token(raw)
        if value not in (token, token.replace(" ", "-")):
            self.warnings.append(f"{path}: mapped {raw!r} to {value!r}")
        return value

    def walk(self, prefix: str, node: dict[str, Any]) -> None:
        for key, raw in node.items():
            path = f"{prefix}.{to_snake(str(key))}"
            if raw is None or raw == "" or raw == []:
                continue
            spec_field = self.fields.get(path)
            if spec_field is not None:
                self.leaf(spec_field, raw)
            elif isinstance(raw, dict) and any(p.startswith(f"{path}.") for p in self.fields):
                self.walk(path, raw)
            else:
                self.keep_unmapped(path, raw, "is not an attribute of the spec")

    def leaf(self, spec_field: SpecField, raw: object) -> None:
        path, category = spec_field.path, spec_field.category
        if spec_field.kind == "palette":
            self.palette(raw)
        elif spec_field.kind == "categories":
            assert category is not None
            items = raw if isinstance(raw, list) else [raw]
            mapped = [self.canonical(path, category, item) for item in items]
            if any(mapped):
                self.values[path] = list(dict.fromkeys(m for m in mapped if m))
        elif spec_field.kind in ("category", "color"):
            assert category is not None
            if isinstance(raw, list) and len(raw) == 1:
                raw = raw[0]
            value = self.canonical(path, category, raw)
            if value is not None:
                self.values[path] = value
        elif isinstance(raw, str):
            limit = spec_field.max_length
            if limit and len(raw) > limit:
                self.warnings.append(f"{path}: cut from {len(raw)} to {limit} characters")
            self.values[path] = raw[:limit] if limit else raw
        else:
            self.keep_unmapped(path, raw, "is not a text value")

    def palette(self, raw: object) -> None:
        path = "color.palette"
        if not isinstance(raw, list):
            self.keep_unmapped(path, raw, "is not a list of colours")
            return
        entries: list[dict[str, Any]] = []
        for i, item in enumerate(raw):
            where = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.keep_unmapped(path, item, "is not a colour entry")
                continue
            hex_value = str(item.get("hex") or "").strip()
            hex_ok = bool(_HEX.match(hex_value))
            raw_name = str(item.get("name") or "")
            name = self.tax.color(raw_name)
            if name is None and hex_ok:
                name = self.tax.color(hex_value)
                self.warnings.append(
                    f"{where}: {raw_name!r} is no taxonomy colour; named {name!r} from {hex_value}"
                )
            if name is None:
                self.keep_unmapped(path, item, "names no known colour and no valid hex")
                continue
            if not hex_ok:
                hex_value = self.tax.colors[name]
                self.warnings.append(f"{where}: no valid hex; used the taxonomy's {hex_value} for {name}")
            coverage = item.get("coverage")
            if isinstance(coverage, int | float) and not isinstance(coverage, bool):
                share = float(coverage)
            else:
                share = 0.0
                self.warnings.append(f"{where}: coverage {coverage!r} is not a number; used 0")
            if not 0 <= share <= 100:
                self.warnings.append(f"{where}: coverage {share:g} clipped to 0..100")
                share = min(100.0, max(0.0, share))
            role = item.get("role")
            if role not in _ROLES:
                role = _ROLES[0] if not entries else _ROLES[1]
            entries.append({"name": name, "hex": hex_value.lower(), "coverage": share, "role": role})
        if entries:
            self.values[path] = entries


@lru_cache(maxsize=64)
def _adapter(path: str) -> TypeAdapter[Any]:
    """A validator for one spec field (found by walking GarmentSpec's models along `path`)."""
    model: type[BaseModel] = GarmentSpec
    *parents, leaf = path.split(".")
    for part in parents:
        annotation = model.model_fields[part].annotation
        model = next(
            a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)
        )
    return TypeAdapter(model.model_fields[leaf].rebuild_annotation())


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def stated_confidence(raw: object, warnings: list[str]) -> tuple[dict[str, float], float | None]:
    """Per-path confidences the model stated (keys snake_cased, nested objects flattened) and `overall`."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return {}, (min(1.0, max(0.0, float(raw))) if raw == raw else None)  # NaN states nothing
    flat: dict[str, float] = {}

    def visit(prefix: str, node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                name = ".".join(to_snake(part) for part in str(key).split("."))
                visit(f"{prefix}.{name}" if prefix else name, value)
            return
        number: float | None = None
        if isinstance(node, int | float | str) and not isinstance(node, bool):
            try:
                number = float(node)
            except ValueError:
                number = None
        if number is None or number != number:  # NaN is not a confidence either
            warnings.append(f"confidence {prefix}: {node!r} is not a number; ignored")
            return
        if not 0 <= number <= 1:
            warnings.append(f"confidence {prefix}: {number:g} clipped to 0..1")
        flat[prefix] = min(1.0, max(0.0, number))

    visit("", raw if isinstance(raw, dict) else {})
    return flat, flat.pop("overall", None)


def assign_confidence(
    measured: tuple[str, ...], stated: dict[str, float], overall: float | None, default: float
) -> tuple[dict[str, float], tuple[str, ...]]:
    """A confidence for every measured path, and the paths that got `default` because nothing was stated."""
    confidence: dict[str, float] = {}
    defaulted: list[str] = []
    for path in measured:
        parts = path.split(".")
        # The most specific statement wins: the path itself, then a section or parent, then `overall`.
        ancestors = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
        value = next((stated[a] for a in ancestors if a in stated), overall)
        if value is None:
            value = default
            defaulted.append(path)
        confidence[path] = value
    return confidence, tuple(defaulted)


def read_spec_answer(
    answer: dict[str, Any], *, default_confidence: float = DEFAULT_CONFIDENCE
) -> SpecReading:
    """Map a spec answer onto canonical values; every measured path gets a confidence (stated or default)."""
    reader = _Reader()
    for key, raw in answer.items():
        name = to_snake(str(key))
        if name in SECTIONS and isinstance(raw, dict):
            reader.walk(name, raw)
        elif name == "notes" and isinstance(raw, str) and raw.strip():
            reader.values["notes"] = raw.strip()[:2000]
        elif name not in ("confidence", "notes") and raw not in (None, "", [], {}):
            reader.keep_unmapped(name, raw, "is not an attribute of the spec")
    for path in [p for p in reader.values if p != "notes"]:
        try:  # the taxonomy mapping already holds; this keeps any other constraint of the spec
            _adapter(path).validate_python(reader.values[path])
        except ValidationError as exc:
            reader.keep_unmapped(path, reader.values.pop(path), f"fails the spec ({exc.errors()[0]['msg']})")
    order = [f.path for f in spec_fields()]
    measured = tuple(p for p in order if p in reader.values)
    stated, overall = stated_confidence(answer.get("confidence"), reader.warnings)
    confidence, defaulted = assign_confidence(measured, stated, overall, default_confidence)
    if defaulted:
        reader.warnings.append(
            f"the model stated no confidence for {', '.join(defaulted)}; used {default_confidence:g}"
        )
    tree = _nest({p: v for p, v in reader.values.items() if p != "notes"})
    if reader.unmapped:
        tree["unmapped"] = dict(reader.unmapped)
    if "notes" in reader.values:
        tree["notes"] = reader.values["notes"]
    return SpecReading(
        tree=tree,
        measured=measured,
        confidence=confidence,
        warnings=tuple(reader.warnings),
        defaulted=defaulted,
    )
