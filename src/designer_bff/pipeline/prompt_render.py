"""Stage 6 rendering: structured prompt parts → the text one prompt family reads, within its length limit.

"sd" writes weighted tags "(silk:1.2)", most important first so the first CLIP window (75 tokens) holds
garment, colour, fabric and shot; "sd-plain" the same tags without weights; every other family gets
complete English sentences in the register its model follows best (see `_PROSE_ORDER`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from designer_bff.providers.base import PromptFamily

CLIP_WINDOW_TOKENS = 75  # 77 positions minus the start and end tokens


@dataclass(frozen=True)
class Term:
    """One phrase of a prompt: `text` is its tag form, `prose` its sentence form ("" = same as text).

    `weight` is the SD emphasis (1.0 = neutral); `essential` terms (garment type, colour, fabric) are
    never dropped to meet a length limit.
    """

    text: str
    weight: float = 1.0
    prose: str = ""
    essential: bool = False

    @property
    def sentence_form(self) -> str:
        """The phrase as it reads inside a sentence."""
        return self.prose or self.text


@dataclass(frozen=True)
class PromptParts:
    """The structured prompt template: one tuple of terms per section, most important term first."""

    garment: tuple[Term, ...] = ()  # silhouette + length + type first, then fit, neckline, sleeves
    colour: tuple[Term, ...] = ()  # primary first, then pattern (with scale and secondary) or accents
    fabric: tuple[Term, ...] = ()  # fibre first, then weight, opacity, finish, texture, drape, stretch
    details: tuple[Term, ...] = ()  # closures, pockets, hem, waist, embellishments, hardware, seams
    aesthetic: tuple[Term, ...] = ()  # aesthetic, formality, season, occasion, mood
    shot: tuple[
        Term, ...
    ] = ()  # kind of image first ("full-body studio fashion photograph"), then presentation
    photography: tuple[Term, ...] = ()  # angle, height, background, lighting, pose, model presentation
    signature: tuple[Term, ...] = ()  # the designer's signature (palette, fabrics, details)
    persona: tuple[Term, ...] = ()  # injected persona keywords
    modifiers: tuple[Term, ...] = ()  # stage-7 modifiers, prose already led ("lit by …", "with …")
    palette: tuple[Term, ...] = ()  # exact colours with hex codes (only gpt-image reads them)
    user: tuple[Term, ...] = ()  # the user's own words, verbatim
    avoid: tuple[str, ...] = ()  # things to avoid, said in words where no negative prompt is possible


# Sections in the order they give way to a length limit (first = dropped first), term by term, lowest
# weight first; a section is gone once its last droppable term is.
DROP_ORDER = (
    "palette",
    "modifiers",
    "persona",
    "signature",
    "details",
    "user",
    "aesthetic",
    "photography",
    "shot",
    "fabric",
    "colour",
    "garment",
)
SECTIONS = tuple(f.name for f in fields(PromptParts) if f.name != "avoid")

# --- CLIP token estimate --------------------------------------------------------------------------
# CLIP's pre-tokenizer splits text into letter runs, single digits and punctuation runs, then BPE-encodes
# each piece. Without its 49 408-entry vocabulary we estimate: a word of up to 10 letters is one token
# (CLIP holds most common English words whole), longer words one more per further 6 letters, each digit
# and each punctuation mark one token. Rare words split more than this, so it is an estimate, kept
# slightly generous by counting punctuation runs per character.
_PIECE = re.compile(r"'(?:s|t|re|ve|m|ll|d)\b|[^\W\d_]+|\d|[^\w\s]|_")
_WEIGHTED = re.compile(r"\(([^()]*?):\s*\d+(?:\.\d+)?\)")


def strip_weights(text: str) -> str:
    """Remove "(term:1.2)" emphasis syntax the way SD front-ends do before tokenizing."""
    return _WEIGHTED.sub(r"\1", text).replace("(", "").replace(")", "")


def clip_tokens(text: str) -> int:
    """Estimated CLIP token count of `text` after stripping weight syntax (an estimate, see above)."""
    count = 0
    for piece in _PIECE.findall(strip_weights(text).lower()):
        if piece[0].isalpha() and len(piece) > 10:
            count += 1 + math.ceil((len(piece) - 10) / 6)
        else:
            count += 1
    return count


# --- SD tags --------------------------------------------------------------------------------------
def _clean_tag(text: str) -> str:
    # Brackets and colons are emphasis syntax to SD front-ends; user text must not open a weight group.
    return re.sub(r"\s+", " ", re.sub(r"[()\[\]{}:]", " ", text)).strip(" ,")


def _tag(term: Term, weighted: bool) -> str:
    text = _clean_tag(term.text)
    w = round(term.weight, 2)
    return f"({text}:{w:g})" if weighted and w != 1.0 else text


def _tag_order(p: PromptParts) -> list[Term]:
    essential = [t for t in p.garment if t.essential] + list(p.colour) + [t for t in p.fabric if t.essential]
    first = essential + list(p.shot[:1])
    rest = [t for t in (*p.garment, *p.fabric, *p.shot) if t not in first]
    return [
        *first,
        *rest,
        *p.photography,
        *p.user,
        *p.aesthetic,
        *p.details,
        *p.signature,
        *p.persona,
        *p.modifiers,
    ]


def _render_tags(p: PromptParts, weighted: bool) -> str:
    return ", ".join(t for t in (_tag(term, weighted) for term in _tag_order(p)) if t)


# --- prose ----------------------------------------------------------------------------------------
def _series(items: list[str], conj: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conj} {items[-1]}"


def _predicate(frags: list[str]) -> str:
    """Plain fragments in a series, then every "with …" fragment under one "with".

    "made for …" fragments merge too ("made for summer and vacation"), where the first one stood.
    """
    made = [f.removeprefix("made for ") for f in frags if f.startswith("made for ")]
    if len(made) > 1:
        first = next(i for i, f in enumerate(frags) if f.startswith("made for "))
        rest = [f for f in frags if not f.startswith("made for ")]
        frags = [*rest[:first], f"made for {_series(made)}", *rest[first:]]
    plain = [f for f in frags if not f.startswith("with ")]
    withs = [f.removeprefix("with ") for f in frags if f.startswith("with ")]
    text = _series(plain)
    if withs:
        text = f"{text}, with {_series(withs)}" if text else f"with {_series(withs)}"
    return text


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


def _user_words(p: PromptParts) -> str:
    # Verbatim, not re-capitalised: these are the designer's words (the generic rendering leads with them).
    text = " ".join(t.text.strip() for t in p.user if t.text.strip())
    return text if not text or text[-1] in ".!?" else f"{text}."


def _user_sentence(p: PromptParts) -> str:
    return _sentence(_user_words(p))


def _subject(p: PromptParts) -> str:
    """ "an a-line maxi dress in rust silk, with a floral print in cream and a v-neckline" """
    head = next((t.sentence_form for t in p.garment if t.essential), "a garment")
    colours = [t.sentence_form for t in p.colour if not t.sentence_form.startswith("with ")]
    fibre = [t.sentence_form for t in p.fabric if t.essential]
    material = " ".join(x for x in (_series(colours), *fibre) if x)
    text = f"{head} in {material}" if material else head
    withs = [t.sentence_form.removeprefix("with ") for t in p.colour if t.sentence_form.startswith("with ")]
    withs += [t.sentence_form.removeprefix("with ") for t in p.garment if not t.essential]
    return f"{text}, with {_series(withs)}" if withs else text


def _fabric(p: PromptParts) -> str:
    frags = [t.sentence_form for t in p.fabric if not t.essential]
    if not frags:
        return ""
    noun = next((t.sentence_form for t in p.fabric if t.essential), "fabric")
    pred = _predicate(frags)
    if pred.startswith("with "):
        return _sentence(f"The {noun} has {pred.removeprefix('with ')}")
    return _sentence(f"The {noun} is {pred}")


def _led(lead: str, terms: tuple[Term, ...]) -> str:
    frags = [t.sentence_form for t in terms]
    return _sentence(f"{lead} {_predicate(frags)}") if frags else ""


def _signature(p: PromptParts) -> str:
    # Signature items contain "and" themselves ("silk and linen"), so they are set off by semicolons.
    items = [t.sentence_form.removeprefix("signature ") for t in p.signature]
    return _sentence(f"It carries the designer's signature: {'; '.join(items)}") if items else ""


def _a(phrase: str) -> str:
    return f"an {phrase}" if phrase[:1].lower() in "aeio" else f"a {phrase}"


def _kind(p: PromptParts, fallback: str) -> str:
    return p.shot[0].sentence_form if p.shot else fallback


def _presented(p: PromptParts) -> str:
    """Generic register: "Presented in a full-body studio fashion photograph, worn by a model, …" """
    frags = [_a(p.shot[0].sentence_form)] if p.shot else []
    frags += [t.sentence_form for t in (*p.shot[1:], *p.photography)]
    return _sentence(f"Presented in {_predicate(frags)}") if frags else ""


def _opening(p: PromptParts, lead: str) -> str:
    """Photograph-first register: "A full-body … photograph of <subject>, worn by a model." """
    kind = _kind(p, "fashion photograph")
    extra = [t.sentence_form for t in p.shot[1:]]
    tail = f", {_series(extra)}" if extra else ""
    return _sentence(f"{lead}{_a(kind)} of {_subject(p)}{tail}")


def _palette(p: PromptParts) -> str:
    return _sentence(f"Exact colors: {_series([t.sentence_form for t in p.palette])}") if p.palette else ""


def _avoid(p: PromptParts, imperative: bool) -> str:
    things = _series([*p.avoid, "text", "logos", "watermarks"], "or")
    return _sentence(f"Do not include any {things}" if imperative else f"No {things}")


def _subject_sentence(p: PromptParts) -> str:
    return _sentence(_subject(p))


def _photo_opening(p: PromptParts) -> str:
    return _opening(p, "")


def _create_opening(p: PromptParts) -> str:
    return _opening(p, "Create ")


def _brief(p: PromptParts) -> str:
    return _sentence(f'Follow this brief: "{_user_words(p).rstrip(".")}"') if p.user else ""


def _section(lead: str, name: str) -> Callable[[PromptParts], str]:
    """A sentence part: `lead` followed by the section's terms."""
    return lambda p: _led(lead, getattr(p, name))


_details = _section("Details include", "details")
_aesthetic = _section("The look is", "aesthetic")
_persona = _section("The styling draws on", "persona")
_shot_as_described = _section("Shot", "photography")
_shoot_it = _section("Shoot it", "photography")
_image_is = _section("The image is", "modifiers")
_image_should_be = _section("The image should be", "modifiers")


_Part = Callable[[PromptParts], str]
_PARAGRAPH: tuple[_Part, ...] = (
    _subject_sentence,
    _fabric,
    _details,
    _aesthetic,
    _signature,
    _persona,
    _presented,
    _image_is,
)
# Sentence order per family; the avoidance sentence is added after it for the instruction-following
# families (gemini, gpt-image, dalle). Imagen and FLUX get none: they do not follow negation, and naming
# "text" or "logo" there tends to draw it.
_PROSE_ORDER: dict[str, tuple[_Part, ...]] = {
    # The offline renderer and the generic rendering: the user's words lead verbatim, then the garment.
    "tech-flat": (_user_words, *_PARAGRAPH),
    # DALL·E 3 rewrites prompts into a descriptive paragraph itself; give it one to start from.
    "dalle": (_user_sentence, *_PARAGRAPH),
    # GPT Image follows long, precise prompts: the same paragraph plus exact hex colours.
    "gpt-image": (_user_sentence, *_PARAGRAPH, _palette),
    # Imagen's prompt guide: say what kind of photograph first, then subject, then camera and light.
    "imagen": (
        _photo_opening,
        _user_sentence,
        _shot_as_described,
        _image_is,
        _fabric,
        _details,
        _aesthetic,
        _signature,
        _persona,
    ),
    # Gemini is conversational: an instruction to create the image, then what it must show.
    "gemini": (
        _create_opening,
        _brief,
        _fabric,
        _details,
        _aesthetic,
        _signature,
        _persona,
        _shoot_it,
        _image_should_be,
    ),
    # FLUX (T5 encoder) weighs early words most: dense garment description first, photography after.
    "flux": (
        _photo_opening,
        _user_sentence,
        _fabric,
        _details,
        _aesthetic,
        _shot_as_described,
        _image_is,
        _signature,
        _persona,
    ),
}
_AVOIDING = {"dalle": False, "gpt-image": False, "gemini": True}  # family → imperative phrasing


def _render_once(p: PromptParts, family: PromptFamily, with_avoid: bool) -> str:
    if family in ("sd", "sd-plain"):
        return _render_tags(p, weighted=family == "sd")
    sentences = [part(p) for part in _PROSE_ORDER[family]]
    if with_avoid and family in _AVOIDING:
        sentences.append(_avoid(p, _AVOIDING[family]))
    return " ".join(s for s in sentences if s)


def _drop_one(p: PromptParts, section: str) -> PromptParts | None:
    """`p` without the lowest-weight droppable term of `section` (the later one on ties), or None."""
    terms: tuple[Term, ...] = getattr(p, section)
    candidates = [i for i, t in enumerate(terms) if not t.essential]
    if not candidates:
        return None
    idx = min(reversed(candidates), key=lambda i: terms[i].weight)
    changes: dict[str, Any] = {section: terms[:idx] + terms[idx + 1 :]}
    return replace(p, **changes)


def render(parts: PromptParts, family: PromptFamily, *, max_length: int) -> str:
    """The prompt for `family` in at most `max_length` characters, dropping whole terms, never mid-word.

    Deterministic. Raises ValueError when even the essential terms (garment, colour, fabric) do not fit.
    """
    text = _render_once(parts, family, with_avoid=True)
    if len(text) <= max_length:
        return text
    p = parts
    text = _render_once(p, family, with_avoid=False)  # the avoidance sentence gives way first
    for section in DROP_ORDER:
        while len(text) > max_length:
            smaller = _drop_one(p, section)
            if smaller is None:
                break
            p, text = smaller, _render_once(smaller, family, with_avoid=False)
        if len(text) <= max_length:
            return text
    raise ValueError(
        f"max_length {max_length} is shorter than the essential {family} prompt ({len(text)} chars): {text!r}"
    )


def clip_windows(text: str, size: int = CLIP_WINDOW_TOKENS) -> list[str]:
    """Split comma-separated SD tags into the ~75-token windows a CLIP front-end encodes one by one."""
    windows: list[str] = []
    current: list[str] = []
    used = 0
    for tag in (t.strip() for t in text.split(",")):
        if not tag:
            continue
        cost = clip_tokens(tag) + 1  # the comma after it
        if current and used + cost > size:
            windows.append(", ".join(current))
            current, used = [], 0
        current.append(tag)
        used += cost
    if current:
        windows.append(", ".join(current))
    return windows
