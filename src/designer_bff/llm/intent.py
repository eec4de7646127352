"""Stage 3 with a language model: a designer's command → `Intent`, normalised through the taxonomy.

The model answers on `intent_schema()`; nothing it says is trusted as is: every value is mapped onto
the taxonomy (synonyms included), whatever does not map is kept in `unplaced`, the count is at least 1,
and an explicit "overnight"/"batch" in the command always schedules the nightly run.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from designer_bff.domain.intent import Intent, Mode
from designer_bff.errors import InvalidInput
from designer_bff.llm.chat import ChatModel
from designer_bff.llm.schema import INTENT_FIELDS, field_by_path, intent_schema
from designer_bff.taxonomy import Taxonomy, load_taxonomy, normalise_token

SYSTEM_PROMPT = """\
You turn a fashion designer's command into one JSON object saying what to design. Use only the \
vocabulary values the schema lists; use null or [] for anything the command does not say. Never invent \
attributes the command does not name.

- count: how many designs are asked for ("a dozen" = 12, "a couple" = 2); null when no number is named.
- mode: "specific" when the command names garment attributes (a garment type, colour, fabric, \
silhouette, style, occasion, neckline…). "exploratory" when it asks for variety without attributes: \
"surprise me", "show me something new", "20 pieces", "some outfits", "a few looks", "designs". Generic \
nouns (pieces, outfits, looks, designs, items) are not a garment type: leave garment null.
- schedule: "overnight" when the command says overnight, tonight, batch, or to run later or while the \
designer sleeps; otherwise "now".
- colors: colour names in the order given (the first is the main colour); fabrics likewise.
- attributes: every other garment attribute by spec path, e.g. {"garment.neckline": "v-neck", \
"garment.sleeve.length": "long", "color.pattern.type": "floral"}.
- modifiers: words that qualify the request without being an attribute ("bold", "varied", "moody \
lighting", "editorial").
- unplaced: words naming something you could not map onto the vocabulary.
Answer with the JSON object only."""

_OVERNIGHT = re.compile(r"\b(overnight|tonight|batch)\b", re.IGNORECASE)
_MODES: tuple[str, ...] = get_args(Mode)
_SCHEDULES: tuple[str, ...] = get_args(Intent.model_fields["schedule"].annotation)


class LlmIntentParser:
    """Parses commands with a chat model; `parser` on the result names the model."""

    def __init__(self, chat: ChatModel) -> None:
        self._chat = chat
        self.name = f"llm:{chat.model}"

    def is_configured(self) -> bool:
        """True when the chat model is."""
        return self._chat.is_configured()

    def parse(self, command: str) -> Intent:
        """The command's intent; ProviderError when the model fails (callers fall back to offline parsing)."""
        if not command.strip():
            raise InvalidInput("the command is empty", field="command")
        answer = self._chat.complete_json(
            [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": command.strip()}],
            intent_schema(),
            schema_name="intent",
            temperature=0.0,
            lenient=True,  # synonyms and unknown words are mapped below, not worth a second request
        )
        return intent_from_answer(command, answer, parser=self.name)


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def _canonical(tax: Taxonomy, category: str, raw: str) -> str | None:
    if category == "color":
        return tax.color(raw)
    cat = tax.category(category)
    value = cat.lookup(raw)
    if value is None:
        # A phrase such as "flowy midi dress" names the value inside it; take the last one named.
        mentions = cat.find(raw)
        value = mentions[-1][2] if mentions else None
    return value


def _count(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = round(float(str(value).strip()))
    except (ValueError, OverflowError):
        return None
    return max(1, number)


def intent_from_answer(command: str, answer: dict[str, Any], *, parser: str) -> Intent:
    """Map a model's answer onto `Intent`: taxonomy values only, the rest in `unplaced`."""
    tax = load_taxonomy()
    by_path = field_by_path()
    unplaced: list[str] = []

    def place(category: str, raw: str) -> str | None:
        value = _canonical(tax, category, raw)
        if value is None:
            unplaced.append(raw)
        return value

    def one(intent_field: str) -> str | None:
        category = by_path[INTENT_FIELDS[intent_field]].category or ""
        values = [v for v in (place(category, raw) for raw in _strings(answer.get(intent_field))) if v]
        return values[0] if values else None

    def many(intent_field: str) -> list[str]:
        category = by_path[INTENT_FIELDS[intent_field]].category or ""
        values = [place(category, raw) for raw in _strings(answer.get(intent_field))]
        return list(dict.fromkeys(v for v in values if v))

    fields = {name: one(name) for name in ("garment", "silhouette", "style", "occasion")}
    colors, fabrics = many("colors"), many("fabrics")
    attributes: dict[str, str | list[str]] = {}
    raw_attributes = answer.get("attributes")
    dedicated = {path: name for name, path in INTENT_FIELDS.items()} | {"color.secondary": "colors"}
    for key, raw in raw_attributes.items() if isinstance(raw_attributes, dict) else ():
        field = by_path.get(str(key))
        if field is None or field.kind not in ("category", "categories", "color") or field.category is None:
            unplaced.extend(_strings(raw))
            continue
        values = list(dict.fromkeys(v for v in (place(field.category, r) for r in _strings(raw)) if v))
        slot = dedicated.get(field.path)
        if slot in ("colors", "fabrics"):
            target = colors if slot == "colors" else fabrics
            target.extend(v for v in values if v not in target)
        elif slot is not None:
            fields[slot] = fields[slot] or (values[0] if values else None)
        elif values:
            attributes[field.path] = values if field.kind == "categories" else values[0]
    mode = answer.get("mode")
    if mode not in _MODES:
        placed = any(fields.values()) or colors or fabrics or attributes
        mode = "specific" if placed else "exploratory"
    schedule = answer.get("schedule") if answer.get("schedule") in _SCHEDULES else "now"
    if _OVERNIGHT.search(command):
        schedule = "overnight"
    modifiers = list(dict.fromkeys(normalise_token(m) for m in _strings(answer.get("modifiers"))))
    unplaced.extend(_strings(answer.get("unplaced")))
    return Intent(
        command=command,
        count=_count(answer.get("count")),
        colors=colors,
        fabrics=fabrics,
        mode=mode,
        modifiers=modifiers,
        attributes=attributes,
        schedule=schedule,
        unplaced=list(dict.fromkeys(unplaced)),
        parser=parser,
        **fields,
    )
