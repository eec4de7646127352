"""Any analytics table as CSV: nested values flatten to dotted columns ('standoutRate.low')."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} → {'a.b': 1}; lists become '; '-joined text."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat[name] = "; ".join(cell(v) for v in value)
        else:
            flat[name] = value
    return flat


def cell(value: Any) -> str:
    """One CSV cell: empty for None, JSON spelling of booleans, repr-exact floats."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """A header row (every column any row has, in order of first appearance) and one line per row."""
    flat = [flatten(r) for r in rows]
    columns = list(dict.fromkeys(k for r in flat for k in r))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for r in flat:
        writer.writerow([cell(r.get(c)) for c in columns])
    return buffer.getvalue()
