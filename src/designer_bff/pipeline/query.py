"""Stage 3 (query): free text → the garment attributes it names, matched against the taxonomy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from designer_bff.taxonomy import Taxonomy, load_taxonomy, normalise_token

# Category → attribute path in the canonical spec. Order matters: earlier categories claim words first,
# so "wrap dress" gives silhouette=wrap and "halter neck" is not also read as something else.
_PARSED: tuple[tuple[str, str], ...] = (
    ("garment_type", "garment.type"),
    ("pattern", "color.pattern.type"),
    ("fabric_type", "fabric.type"),
    ("silhouette", "garment.silhouette"),
    ("neckline", "garment.neckline"),
    ("sleeve_length", "garment.sleeve.length"),
    ("sleeve_type", "garment.sleeve.type"),
    ("length", "garment.length"),
    ("waist", "garment.waist"),
    ("closure", "garment.closures"),
    ("aesthetic", "style.aesthetic"),
    ("finish", "fabric.finish"),
    ("occasion", "style.occasion"),
    ("season", "style.season"),
    ("embellishment", "construction.embellishments"),
)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "in",
        "with",
        "and",
        "or",
        "of",
        "for",
        "me",
        "make",
        "create",
        "generate",
        "design",
        "some",
        "style",
        "styled",
        "made",
        "from",
        "on",
        "to",
        "my",
        "please",
        "i",
        "want",
        "need",
        "give",
        "show",
        "us",
        "few",
        "couple",
        "piece",
        "pieces",
        "look",
        "looks",
        "inspired",
        "vibe",
        "sleeve",
        "sleeves",
        "sleeved",
        "neck",
        "neckline",
        "hem",
        "waisted",
    ]
)
_MULTI = {"construction.embellishments", "garment.closures"}


@dataclass
class ParsedPrompt:
    """Attributes found in a prompt (canonical values by spec path) and the words left unplaced."""

    attributes: dict[str, str | list[str]] = field(default_factory=dict)
    colors: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    def to_spec_tree(self) -> dict[str, object]:
        """Nested dict in the canonical spec's shape (colours: first primary, second secondary)."""
        tree: dict[str, object] = {}
        for path, value in self.attributes.items():
            node = tree
            parts = path.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})  # type: ignore[assignment]
            node[parts[-1]] = value
        if self.colors:
            color = tree.setdefault("color", {})
            assert isinstance(color, dict)
            color["primary"] = self.colors[0]
            if len(self.colors) > 1:
                color["secondary"] = self.colors[1]
        return tree


def _color_mentions(text: str, tax: Taxonomy) -> list[tuple[int, int, str]]:
    names = {**{n: n for n in tax.colors}, **tax.color_synonyms}
    found: list[tuple[int, int, str]] = []
    for phrase, canonical in sorted(names.items(), key=lambda kv: -len(kv[0])):
        for match in re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text):
            start, end = match.span()
            if all(end <= s or start >= e for s, e, _ in found):
                found.append((start, end, canonical))
    return sorted(found)


def parse_prompt(prompt: str, taxonomy: Taxonomy | None = None) -> ParsedPrompt:
    """Find garment type, colours, pattern, fabric, silhouette, neckline, sleeves, length, aesthetic…"""
    tax = taxonomy or load_taxonomy()
    text = normalise_token(prompt)
    taken: list[tuple[int, int]] = []
    parsed = ParsedPrompt()

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for start, end, color in _color_mentions(text, tax):
        if free(start, end):
            taken.append((start, end))
            if color not in parsed.colors:
                parsed.colors.append(color)
    for category, path in _PARSED:
        for start, end, value in tax.category(category).find(text):
            if not free(start, end):
                continue
            taken.append((start, end))
            if path in _MULTI:
                values = parsed.attributes.setdefault(path, [])
                assert isinstance(values, list)
                if value not in values:
                    values.append(value)
            else:
                parsed.attributes.setdefault(path, value)
    for match in re.finditer(r"[a-z][a-z'-]*", text):
        if free(*match.span()) and match.group() not in _STOPWORDS:
            parsed.unplaced.append(match.group())
    return parsed
