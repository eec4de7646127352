"""The attribute vocabulary (categories, values, synonyms, colour names) loaded from `taxonomy.json`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from designer_bff.errors import InvalidInput

_SPACES = re.compile(r"[\s_]+")


def normalise_token(text: str) -> str:
    """Lower-case, trim and collapse whitespace/underscores, so 'Wide_Leg ' matches 'wide leg'."""
    return _SPACES.sub(" ", text.strip().lower())


@dataclass(frozen=True)
class Category:
    """One attribute category: its canonical values and the synonyms that map onto them."""

    name: str
    values: tuple[str, ...]
    synonyms: dict[str, str] = field(default_factory=dict)

    def lookup(self, raw: str) -> str | None:
        """Canonical value for `raw` (exact, synonym, or hyphen/space variant), else None."""
        token = normalise_token(raw)
        for candidate in (token, token.replace(" ", "-"), token.replace("-", " ")):
            if candidate in self.values:
                return candidate
            if candidate in self.synonyms:
                return self.synonyms[candidate]
        return None

    def terms(self) -> dict[str, str]:
        """Every phrase that names a value (values, synonyms, spaced variants) → canonical value."""
        table = {v: v for v in self.values}
        table.update({v.replace("-", " "): v for v in self.values if "-" in v})
        table.update(self.synonyms)
        return table

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, canonical) mentions in free text, longest phrases first."""
        token_text = normalise_token(text)
        taken: list[tuple[int, int, str]] = []
        for phrase, value in sorted(self.terms().items(), key=lambda kv: -len(kv[0])):
            for match in re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?:e?s)?(?![\w-])", token_text):
                start, end = match.span()
                if all(end <= s or start >= e for s, e, _ in taken):
                    taken.append((start, end, value))
        return sorted(taken)

    def canonical(self, raw: str, *, field_name: str | None = None) -> str:
        """Canonical value for `raw`, or InvalidInput naming the field and the allowed values."""
        value = self.lookup(raw)
        if value is None:
            name = field_name or self.name
            raise InvalidInput(
                f"unknown {name} {raw!r}; allowed: {', '.join(self.values)}", field=name, allowed=self.values
            )
        return value


@dataclass(frozen=True)
class Taxonomy:
    """The whole vocabulary: categories, garment groups and named colours with hex values."""

    version: int
    categories: dict[str, Category]
    garment_groups: dict[str, tuple[str, ...]]
    colors: dict[str, str]
    color_synonyms: dict[str, str]

    def category(self, name: str) -> Category:
        """The category called `name` (KeyError for a programming mistake, not user input)."""
        return self.categories[name]

    def color(self, raw: str) -> str | None:
        """Canonical colour name for `raw` (name, synonym or #hex → nearest name), else None."""
        token = normalise_token(raw)
        if token in self.colors:
            return token
        if token in self.color_synonyms:
            return self.color_synonyms[token]
        if re.fullmatch(r"#?[0-9a-f]{6}", token):
            from designer_bff.taxonomy.colors import nearest_color_name

            return nearest_color_name(token if token.startswith("#") else f"#{token}", self.colors)
        return None

    def canonical_color(self, raw: str, *, field_name: str = "color") -> str:
        """Canonical colour name or InvalidInput naming the field and the allowed names."""
        value = self.color(raw)
        if value is None:
            raise InvalidInput(
                f"unknown {field_name} {raw!r}; use a colour name or #rrggbb; "
                f"known: {', '.join(self.colors)}",
                field=field_name,
                allowed=tuple(self.colors),
            )
        return value

    def group_of(self, garment_type: str) -> str:
        """The garment group (one-piece, top, outerwear, bottom, set) of a garment type."""
        for group, members in self.garment_groups.items():
            if garment_type in members:
                return group
        raise KeyError(garment_type)


def _parse(data: dict[str, object]) -> Taxonomy:
    raw_categories = data["categories"]
    assert isinstance(raw_categories, dict)
    categories: dict[str, Category] = {}
    for name, body in raw_categories.items():
        values = tuple(body["values"])
        synonyms = {normalise_token(k): v for k, v in body.get("synonyms", {}).items()}
        bad = {k: v for k, v in synonyms.items() if v not in values}
        if bad:
            raise ValueError(f"taxonomy category {name}: synonyms point at unknown values {bad}")
        categories[name] = Category(name=name, values=values, synonyms=synonyms)
    colors = {normalise_token(k): v.lower() for k, v in dict(data["colors"]).items()}  # type: ignore[call-overload]
    color_synonyms = {normalise_token(k): v for k, v in dict(data["color_synonyms"]).items()}  # type: ignore[call-overload]
    groups = {k: tuple(v) for k, v in dict(data["garment_groups"]).items()}  # type: ignore[call-overload]
    return Taxonomy(
        version=int(data["version"]),  # type: ignore[call-overload]
        categories=categories,
        garment_groups=groups,
        colors=colors,
        color_synonyms=color_synonyms,
    )


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The packaged taxonomy (parsed once per process)."""
    text = resources.files("designer_bff.taxonomy").joinpath("taxonomy.json").read_text(encoding="utf-8")
    return _parse(json.loads(text))
