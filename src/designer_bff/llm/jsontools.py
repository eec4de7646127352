"""Reading a language model's JSON: lenient repair of near-JSON and a validator for the schema subset we emit.

Models wrap JSON in markdown fences, add prose around it, leave trailing commas or write Python-style
single quotes. Those are repaired locally (cheaper and faster than asking again); only what cannot be
repaired goes back to the model. The validator covers exactly the JSON Schema keywords `llm.schema`
emits (type, enum, properties, required, additionalProperties, items, minimum/maximum, pattern,
minItems/maxItems, maxLength), so no third-party validator is needed at run time.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)


class JsonRepairError(ValueError):
    """The text is not a JSON object even after repair; the message names the parse error."""


def parse_json_object(text: str) -> tuple[dict[str, Any], list[str]]:
    """The JSON object in `text` and the repairs that were needed (empty when it parsed as is)."""
    repairs: list[str] = []
    candidate = text.strip()
    if not candidate:
        raise JsonRepairError("the answer is empty")
    error = _try(candidate)
    if error is None:
        return _as_object(candidate), repairs
    fenced = _FENCE.search(candidate)
    if fenced:
        candidate = fenced.group(1).strip()
        repairs.append("removed a markdown code fence")
    start, end = candidate.find("{"), candidate.rfind("}")
    if start >= 0 and end > start and (start, end) != (0, len(candidate) - 1):
        candidate = candidate[start : end + 1]
        repairs.append("kept the outermost {...} and dropped the text around it")
    steps = (
        (_drop_trailing_commas, "removed trailing commas"),
        (_single_to_double_quotes, "turned single-quoted strings into double-quoted ones"),
    )
    for step, note in steps:
        if _try(candidate) is None:
            break
        fixed = step(candidate)
        if fixed != candidate:
            candidate = fixed
            repairs.append(note)
    error = _try(candidate)
    if error is not None:
        raise JsonRepairError(error)
    return _as_object(candidate), repairs


def _try(text: str) -> str | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return None


def _as_object(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise JsonRepairError(f"expected a JSON object, got a JSON {type(value).__name__}")
    return value


def _scan(text: str, quote: str = '"') -> list[tuple[str, bool]]:
    """Split `text` into (chunk, inside_string) runs for `quote`-delimited strings with backslash escapes."""
    runs: list[tuple[str, bool]] = []
    i, start, inside = 0, 0, False
    while i < len(text):
        ch = text[i]
        if inside and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if inside:
                runs.append((text[start : i + 1], True))
                start = i + 1
            else:
                runs.append((text[start:i], False))
                start = i
            inside = not inside
        i += 1
    runs.append((text[start:], inside))
    return runs


def _drop_trailing_commas(text: str) -> str:
    """Remove commas directly before a closing bracket, outside strings only."""
    return "".join(chunk if inside else re.sub(r",(\s*[}\]])", r"\1", chunk) for chunk, inside in _scan(text))


def _single_to_double_quotes(text: str) -> str:
    """Python-literal style {'a': 'b', 'c': True} → JSON, only when no double quote occurs (unambiguous)."""
    if '"' in text or "'" not in text:
        return text
    out: list[str] = []
    for chunk, inside in _scan(text, "'"):
        if inside:
            body = chunk[1:-1] if chunk.endswith("'") and len(chunk) > 1 else chunk[1:]
            out.append(json.dumps(body.replace("\\'", "'")))
        else:
            out.append(
                re.sub(r"\bTrue\b", "true", re.sub(r"\bFalse\b", "false", re.sub(r"\bNone\b", "null", chunk)))
            )
    return _drop_trailing_commas("".join(out))


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is_type(value: object, name: str) -> bool:
    # bool is an int in Python but not a number in JSON; a float with no fraction counts as an integer.
    if isinstance(value, bool):
        return name == "boolean"
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[name])


def _short(values: list[Any], limit: int = 12) -> str:
    shown = ", ".join(json.dumps(v) for v in values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def validate(
    instance: object, schema: dict[str, Any], *, lenient: bool = False, path: str = "$"
) -> list[str]:
    """Every violation of `schema` as "path: problem"; `lenient` leaves enum misses and extra keys alone."""
    errors: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(instance, n) for n in names):
            return [f"{path}: expected {' or '.join(names)}, got {json.dumps(instance)[:60]}"]
    if "enum" in schema and not lenient and instance not in schema["enum"]:
        errors.append(f"{path}: {json.dumps(instance)[:60]} is not one of {_short(schema['enum'])}")
    if isinstance(instance, dict):
        props: dict[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in instance:
                errors.append(f"{path}: missing required property {name!r}")
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            where = f"{path}.{key}"
            if key in props:
                errors += validate(value, props[key], lenient=lenient, path=where)
            elif isinstance(extra, dict):
                errors += validate(value, extra, lenient=lenient, path=where)
            elif extra is False and not lenient:
                errors.append(f"{path}: unknown property {key!r}; allowed: {', '.join(props)}")
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            errors.append(f"{path}: needs at least {schema['minItems']} items")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            errors.append(f"{path}: has {len(instance)} items; at most {schema['maxItems']}")
        if "items" in schema:
            for i, item in enumerate(instance):
                errors += validate(item, schema["items"], lenient=lenient, path=f"{path}[{i}]")
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            errors.append(f"{path}: {instance} is below the minimum {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            errors.append(f"{path}: {instance} is above the maximum {schema['maximum']}")
    if isinstance(instance, str):
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            errors.append(f"{path}: {instance[:60]!r} does not match {schema['pattern']}")
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']} characters")
    return errors
