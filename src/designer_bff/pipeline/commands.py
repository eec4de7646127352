"""Stage 3 (query): a typed or spoken command → an `Intent`, offline, from the taxonomy plus number words.

One pass claims the longest phrases first over hyphen-split tokens, so "evening gown" beats "evening",
"off-white" beats "white" and "three quarter sleeves" never reads as a count of three. Numbers are then read
from what is left, and every other word is either a stopword or reported in `unplaced`.
"""

from __future__ import annotations

from dataclasses import dataclass

from designer_bff.domain.intent import Intent
from designer_bff.pipeline.commands_vocab import (
    BIFURCATED,
    CATEGORY_PATHS,
    CONTAINER,
    DECADES,
    DIGITS,
    ERA,
    EXPANDING,
    EXPLORE,
    EXTRA,
    GENERIC,
    HUES,
    IGNORED,
    IGNORED_ANY,
    MAX_WORDS,
    MODIFIERS,
    MULTI_PATHS,
    NOT_SPECIFIC,
    NUMBERISH,
    OVERNIGHT,
    PHOTO_PATHS,
    PREFER,
    QUANTITY,
    RUN,
    SCALES,
    SHADES,
    SKIPPABLE,
    STOPWORDS,
    TEENS,
    TENS,
    THOUSANDS,
    UNIT_AFTER,
    UNIT_BEFORE,
    UNITS,
    VARIETY,
)
from designer_bff.taxonomy import Taxonomy, load_taxonomy, normalise_token


@dataclass(frozen=True)
class Term:
    """What a phrase means: category (taxonomy, "color" or a command word "_…"), canonical value, rank."""

    category: str
    value: str
    canonical: bool = False
    rank: tuple[int, int, int, int] = (1, 0, 0, 0)
    shade: bool = False


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int
    joined: bool  # hyphen-joined to the next token ("twenty-five", "one-shoulder")


@dataclass(frozen=True)
class _Mention:
    first: int
    last: int  # inclusive token index
    surface: str  # as said ("ball gowns")
    phrase: str  # as in the vocabulary ("ball gown")
    term: Term

    @property
    def plural(self) -> bool:
        return self.surface != self.phrase


def _tokenise(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    for match in RUN.finditer(text):
        pos = match.start()
        parts = match.group().split("-")
        for k, part in enumerate(parts):
            start, end = pos, pos + len(part)
            pos = end + 1
            while start < end and text[start] in "./'":
                start += 1
            while end > start and text[end - 1] in "./'":
                end -= 1
            if text[start:end].endswith("'s"):  # possessive: "women's" → "women", "tonight's" → "tonight"
                end -= 2
            if start < end:
                tokens.append(_Tok(text[start:end], start, end, joined=k < len(parts) - 1))
    return tokens


def _key(phrase: str) -> str:
    """A phrase as the claim pass sees it: tokenised the same way as commands, hyphens as spaces."""
    return " ".join(t.text for t in _tokenise(normalise_token(phrase)))


_TABLES: dict[int, tuple[Taxonomy, dict[str, list[Term]]]] = {}


def _term_table(tax: Taxonomy) -> dict[str, list[Term]]:
    """Phrase → every term it can mean, built once per taxonomy object."""
    cached = _TABLES.get(id(tax))
    if cached is not None and cached[0] is tax:
        return cached[1]
    table: dict[str, list[Term]] = {}

    def add(phrase: str, term: Term) -> None:
        key = _key(phrase)
        if key:
            table.setdefault(key, []).append(term)

    for order, category in enumerate(CATEGORY_PATHS):
        cat = tax.category(category)
        phrases = dict(cat.terms())
        phrases.update({k.replace("-", " "): v for k, v in cat.synonyms.items()})
        phrases.update({p: cv.split(":")[1] for p, cv in EXTRA.items() if cv.split(":")[0] == category})
        for phrase, value in phrases.items():
            key = _key(phrase)
            if key in IGNORED_ANY or (category, key) in IGNORED:
                continue
            canonical = key == _key(value)
            add(
                phrase,
                Term(
                    category,
                    value,
                    canonical,
                    (int(PREFER.get(key) != category), 2, int(not canonical), order),
                ),
            )
    colours = {**{n: n for n in tax.colors}, **tax.color_synonyms}
    for name, value in colours.items():
        add(name, Term("color", value, name == value, (1, 1, 0, 0)))
        for shade in SHADES:
            add(f"{shade} {name}", Term("color", value, False, (1, 1, 0, 0), shade=True))
        for hue in HUES - {value}:  # "sage green", "navy blue", "blush pink" name the specific colour
            add(f"{name} {hue}", Term("color", value, False, (1, 1, 0, 0)))
    for word in GENERIC:
        add(word, Term("_generic", word, True, (1, 0, 0, 0)))
    for group, phrases_ in (("_explore", EXPLORE), ("_overnight", OVERNIGHT), ("_container", CONTAINER)):
        for phrase in phrases_:
            add(phrase, Term(group, phrase, True, (1, 0, 0, 0)))
    for group, mapping in (("_quantity", QUANTITY), ("_mod", MODIFIERS), ("_variety", VARIETY)):
        for phrase, val in mapping.items():
            add(phrase, Term(group, str(val), True, (1, 0, 0, 0)))
    _TABLES[id(tax)] = (tax, table)
    return table


def _lookup(table: dict[str, list[Term]], key: str) -> str | None:
    """The table phrase `key` says: itself, else itself without a plural 's' / 'es' ('dresses' → 'dress')."""
    if key in table:
        return key
    for cut in (1, 2):
        stem = key[:-cut]
        if key.endswith("es"[2 - cut :]) and len(stem) > 2 and stem in table:
            return stem
    return None


def _claim(tokens: list[_Tok], table: dict[str, list[Term]]) -> list[_Mention]:
    """Longest-first, then leftmost, non-overlapping claims; the best-ranked meaning of each phrase."""
    taken = [False] * len(tokens)
    found: list[_Mention] = []
    for size in range(min(MAX_WORDS, len(tokens)), 0, -1):
        for i in range(len(tokens) - size + 1):
            if any(taken[i : i + size]):
                continue
            key = " ".join(t.text for t in tokens[i : i + size])
            phrase = _lookup(table, key)
            if phrase is not None:
                taken[i : i + size] = [True] * size
                term = min(table[phrase], key=lambda t: t.rank)
                found.append(_Mention(i, i + size - 1, key, phrase, term))
    return sorted(found, key=lambda m: m.first)


def _number_at(tokens: list[_Tok], i: int, free: list[bool]) -> tuple[int, int] | None:
    """(value, end) of a number starting at token i: "80", "1k", "twenty-five", "a hundred and fifty",
    "two dozen", "fifteen hundred"; None if there is none or it is part of a compound ("one-shoulder")."""
    total = current = 0
    last = ""  # what the previous word was: digit, unit, teen, ten, hundred, big, dozen, and
    j = i
    while j < len(tokens) and free[j]:
        word, nxt = tokens[j].text, tokens[j + 1].text if j + 1 < len(tokens) else ""
        said = total + current  # the value up to the previous word
        if word in ("a", "an") and not last and nxt in SCALES:
            current, kind = 1, "unit"
        elif DIGITS.fullmatch(word) and not last:
            current, kind = int(word), "digit"
        elif DIGITS.fullmatch(word[:-1]) and word[-1:] == "k" and not last:
            total, kind = int(word[:-1]) * 1000, "big"
        elif word in UNITS and last in ("", "ten", "hundred", "big", "and"):
            current, kind = current + UNITS[word], "unit"
        elif (word in TEENS or word in TENS) and last in ("", "hundred", "big", "and"):
            current, kind = (
                current + TEENS.get(word, TENS.get(word, 0)),
                "teen" if word in TEENS else "ten",
            )
        elif word == "hundred" and last in ("", "unit", "teen", "digit"):  # "hundred dresses" is 100
            current, kind = max(current, 1) * 100, "hundred"
        elif word == "thousand" and last in ("", "unit", "teen", "ten", "hundred", "digit"):
            total, current, kind = total + max(current, 1) * 1000, 0, "big"
        elif word == "dozen" and last in ("", "unit", "digit"):
            current, kind = max(current, 1) * 12, "dozen"
        elif word == "and" and last in ("hundred", "big") and nxt in NUMBERISH:
            kind = "and"
        else:
            break
        if tokens[j].joined and nxt not in NUMBERISH:
            # Hyphen-joined to a word it is a compound ("one-shoulder", "4-way"), except "10-piece" and
            # "12-look", which name the capsule's count.
            if kind == "digit" and nxt in ("piece", "look") and not last:
                return current, j + 1
            return (said, j) if last and last != "and" else None
        last = kind
        j += 1
    if not last:
        return None
    return total + current, j - (1 if last == "and" else 0)


def _counts(tokens: list[_Tok], free: list[bool], text: str) -> list[tuple[int, int, int]]:
    """(value, first, end) of every number on unclaimed tokens that is not a time, size, price or share."""
    found: list[tuple[int, int, int]] = []
    i = 0
    while i < len(tokens):
        run = _number_at(tokens, i, free) if free[i] else None
        if run is None:
            i += 1
            continue
        value, end = run
        before = tokens[i - 1].text if i > 0 else ""
        after = tokens[end].text if end < len(tokens) else ""
        glued = (
            text[tokens[i].start - 1 : tokens[i].start] + text[tokens[end - 1].end : tokens[end - 1].end + 1]
        )
        if before not in UNIT_BEFORE and after not in UNIT_AFTER and not set(glued) & set("%$£€#"):
            found.append((value, i, end))
        i = end
    return found


def _article_count(tokens: list[_Tok], mentions: list[_Mention], noun: _Mention) -> int | None:
    """1 for "a red silk dress" or "an evening gown": an article before a singular head noun."""
    if noun.plural or noun.term.value in BIFURCATED:
        return None
    covered = {k for m in mentions if m is not noun for k in range(m.first, m.last + 1)}
    for k in range(noun.first - 1, -1, -1):
        word = tokens[k].text
        if k in covered:  # a claimed phrase between article and noun ("a red silk dress"), or "a-line"
            continue
        if word in ("a", "an", "one", "another"):
            return 1
        if word in STOPWORDS and word not in SKIPPABLE:
            return None
    return None


def _scan(text: str, tax: Taxonomy) -> tuple[str, list[_Tok], list[_Mention]]:
    norm = normalise_token(text.replace("’", "'").replace("‘", "'"))
    norm = THOUSANDS.sub("", norm)  # "1,000" → "1000"
    tokens = _tokenise(norm)
    return norm, tokens, _claim(tokens, _term_table(tax))


def find_terms(text: str, *, taxonomy: Taxonomy | None = None) -> list[tuple[str, str, str]]:
    """(surface, kind, canonical value) of each content term of `text`, in order.

    kind is a spec path ("fabric.drape"), "color", "modifier" or "word" (a content word the taxonomy does
    not know), so "boho" and "bohemian" both give kind "style.aesthetic", value "bohemian". Command words
    (numbers, "surprise me", "overnight", generic nouns) are left out.
    """
    _, tokens, mentions = _scan(text, taxonomy or load_taxonomy())
    out: list[tuple[int, tuple[str, str, str]]] = []
    for m in mentions:
        category = m.term.category
        if category in CATEGORY_PATHS:
            out.append((m.first, (m.surface, CATEGORY_PATHS[category], m.term.value)))
        elif category in ("color", "_mod", "_variety"):
            out.append((m.first, (m.surface, "color" if category == "color" else "modifier", m.term.value)))
    covered = {k for m in mentions for k in range(m.first, m.last + 1)}
    for k, tok in enumerate(tokens):
        if k not in covered and tok.text not in STOPWORDS and not any(c.isdigit() for c in tok.text):
            out.append((k, (tok.text, "word", tok.text)))
    return [term for _, term in sorted(out, key=lambda kv: kv[0])]


def parse_command(text: str, *, taxonomy: Taxonomy | None = None, default_count: int | None = None) -> Intent:
    """Read a designer's command ("make me 80 blue dresses") into an Intent, offline and deterministically."""
    tax = taxonomy or load_taxonomy()
    norm, tokens, mentions = _scan(text, tax)
    free = [True] * len(tokens)
    for m in mentions:
        free[m.first : m.last + 1] = [False] * (m.last - m.first + 1)
    garments = [m for m in mentions if m.term.category == "garment_type"]
    nouns = garments or [m for m in mentions if m.term.category == "_generic"]
    noun = nouns[0] if nouns else None  # the garment the command is about, else "pieces", "looks"…

    count: int | None = None
    for m in mentions:
        if m.term.category == "_quantity" and count is None and m.term.value != "-1":
            count = int(m.term.value)
            if count == -2:  # "a pair of": one garment for trousers, jeans, shorts; two of anything else
                nxt = next((g for g in garments if g.first > m.last), None)
                count = 1 if nxt is not None and nxt.term.value in BIFURCATED else 2
    numbers = _counts(tokens, free, norm)
    if numbers and count is None:
        # The number right before the head noun ("in 2 colourways, 30 dresses"), else the first one said.
        before = [n for n in numbers if noun is not None and n[1] < noun.first]
        chosen = before[-1] if before else numbers[0]
        count = chosen[0]
        free[chosen[1] : chosen[2]] = [False] * (chosen[2] - chosen[1])
    if count is None and noun is not None:
        count = _article_count(tokens, mentions, noun)
    intent = Intent(command=text, count=count if count is not None else default_count)

    unplaced: list[str] = []
    single: dict[str, str] = {}
    implied: list[tuple[str, str]] = []
    # Canonical mentions first, then by position: "floral print" keeps floral. A second canonical value for a
    # one-valued attribute ("dresses and skirts") cannot be placed and is reported; a later synonym restates
    # ("leopard print") and is dropped quietly.
    for m in sorted(mentions, key=lambda m: (not m.term.canonical, m.first)):
        category, value = m.term.category, m.term.value
        path = CATEGORY_PATHS.get(category, "")
        if category == "_explore":
            intent.mode = "exploratory"
        elif category == "_overnight":
            intent.schedule = "overnight"
        elif category == "color":
            intent.colors.append(value)
            if m.term.shade:
                intent.modifiers.append(m.surface)
        elif category in ("_mod", "_variety") or category == "mood" or path in PHOTO_PATHS:
            intent.modifiers.append(value)
        if category == "fabric_type":
            intent.fabrics.append(value)
        elif path in MULTI_PATHS:
            values = intent.attributes.setdefault(path, [])
            if isinstance(values, list) and value not in values:
                values.append(value)
        elif path and path not in single:
            single[path] = value
        elif path and single[path] != value and m.term.canonical and path not in NOT_SPECIFIC:
            unplaced.append(m.surface)  # extra moods and photo looks are kept as modifiers instead
        if path and " " in m.phrase:  # "evening gown" also says evening; "ball gown" also says gown
            implied += [
                (CATEGORY_PATHS[other], word)
                for word in m.phrase.split()
                for other in EXPANDING
                if other != category and word in tax.category(other).values
            ]
    for path, value in implied:
        single.setdefault(path, value)
    intent.colors = list(dict.fromkeys(intent.colors))
    intent.fabrics = list(dict.fromkeys(intent.fabrics))

    for path, value in single.items():
        if path == "garment.type":
            intent.garment = value
        elif path == "garment.silhouette":
            intent.silhouette = value
        elif path == "style.aesthetic":
            intent.style = value
        elif path == "style.occasion":
            intent.occasion = value
        else:
            intent.attributes[path] = value
    for k, tok in enumerate(tokens):
        if free[k] and (ERA.fullmatch(tok.text) or tok.text in DECADES):
            # "90s" → 1990s, "00s" → 2000s, "seventies" → 1970s: an era is a strong cue for the prompt.
            era = DECADES.get(tok.text) or tok.text
            era = era if len(era) == 5 else ("20" if era[0] in "01" else "19") + era
            intent.modifiers.append(era)
            free[k] = False
    kept_previous = False
    for k, tok in enumerate(tokens):
        keep = free[k] and tok.text not in STOPWORDS
        if keep and kept_previous and tokens[k - 1].joined:  # report "one-shoulder" whole, as written
            unplaced[-1] += "-" + tok.text
        elif keep:
            unplaced.append(tok.text)
        kept_previous = keep
    intent.unplaced = list(dict.fromkeys(unplaced))
    intent.modifiers = list(dict.fromkeys(intent.modifiers))

    named = [
        intent.garment,
        intent.silhouette,
        intent.style,
        intent.occasion,
        *intent.colors,
        *intent.fabrics,
    ]
    if not any(named) and all(p in NOT_SPECIFIC for p in intent.attributes):
        intent.mode = "exploratory"
    return intent
