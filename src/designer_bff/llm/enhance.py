"""Optional stage-6 enhancement: a chat model rewrites a fashion image prompt in a model family's register.

The rewrite must keep the garment: every term in `must_keep` (colour names, fabric, garment type…) has
to survive, and for Stable Diffusion every "(term:1.2)" weight too; otherwise the input prompt is used
and a warning says what the model dropped. Enhancement never fails a generation: a provider error also
falls back to the input. Caching is the caller's job (`cache_key`); cache only results with `used_model`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from designer_bff.errors import InvalidInput, ProviderError
from designer_bff.llm.chat import ChatModel
from designer_bff.taxonomy import normalise_token

PROSE_FAMILIES = ("flux", "imagen", "dalle", "gpt-image", "gemini")
TAG_FAMILIES = ("sd", "sd-plain")
FAMILIES = (*PROSE_FAMILIES, *TAG_FAMILIES, "tech-flat")

# How each family likes to be prompted, as its makers' prompting guides describe it.
_REGISTER = {
    "flux": "FLUX reads natural prose: one or two flowing descriptive sentences, the garment first, then "
    "fabric, colour and construction, then camera, light and background.",
    "imagen": "Imagen follows clear descriptive sentences: the subject with its materials and colours named "
    "precisely, then the setting and the photographic style.",
    "dalle": "DALL·E 3 prefers concise, vivid prose in plain sentences: no lists, no tags, no weights.",
    "gpt-image": "gpt-image follows detailed natural-language instructions: describe the garment exactly, "
    "then the composition, lighting and background.",
    "gemini": "Gemini image models like conversational descriptive sentences that state the subject, its "
    "materials and colours and the shot plainly.",
    "sd": "Stable Diffusion reads comma-separated tags, most important first. Keep every weight written as "
    "(term:1.2) exactly as it is; add no new weights.",
    "sd-plain": "This Stable Diffusion pipeline reads comma-separated tags, most important first, and no "
    "weight syntax: never write parentheses or :1.2 weights.",
}
SYSTEM_TEMPLATE = """\
You are a prompt engineer for fashion image generation. Rewrite the user's prompt for {family}. \
{register} Keep every garment attribute the prompt names (garment type, colour names, fabric, \
silhouette, neckline, sleeves, length, pattern, details) in the same words; add only photographic and \
stylistic detail that fits, and never change the garment. Stay under {max_length} characters. Answer \
with the rewritten prompt only: no quotes, no preamble."""
_WEIGHT = re.compile(r"\(([^()]+):(\d+(?:\.\d+)?)\)")
_LABEL = re.compile(r"^(?:rewritten |enhanced |final )?prompt\s*:\s*", re.IGNORECASE)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
# Changes to the instructions change the answers: part of every cache key.
_TEMPLATE_ID = hashlib.sha256((SYSTEM_TEMPLATE + json.dumps(_REGISTER, sort_keys=True)).encode()).hexdigest()[
    :12
]


@dataclass(frozen=True)
class Enhanced:
    """The prompt to use, whether it is the model's rewrite, and why not (or what was adjusted)."""

    text: str
    used_model: bool
    warning: str | None = None


def cache_key(
    prompt: str,
    family: str,
    max_length: int,
    model: str,
    *,
    negative: str | None = None,
    must_keep: Sequence[str] = (),
) -> str:
    """sha256 over a canonical JSON of everything the rewrite depends on (instructions included)."""
    document = {
        "prompt": prompt,
        "family": family,
        "max_length": max_length,
        "model": model,
        "negative": negative,
        "must_keep": sorted({normalise_token(t) for t in must_keep}),
        "template": _TEMPLATE_ID,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def mentions(text: str, term: str) -> bool:
    """True when `term` occurs in `text` as whole words (any case; "a-line" also as "a line"; plurals)."""
    haystack = normalise_token(text)
    token = normalise_token(term)
    variants = {token, token.replace("-", " "), token.replace(" ", "-")}
    return any(re.search(rf"(?<![\w-]){re.escape(v)}(?:e?s)?(?![\w-])", haystack) for v in variants)


def truncate(text: str, max_length: int, *, tags: bool) -> str:
    """`text` cut to at most `max_length` characters at the last tag (",") or sentence boundary that fits."""
    if len(text) <= max_length:
        return text
    cut = text[:max_length]
    if not tags:
        ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", cut)]
        # A sentence end in the first half would throw away too much; fall back to a clause boundary.
        if ends and ends[-1] >= max_length // 2:
            return cut[: ends[-1]].strip()
    for boundary in (",", " "):
        index = cut.rfind(boundary)
        if index > 0:
            return cut[:index].rstrip(" ,;")
    return cut.strip()


def _clean(text: str) -> str:
    text = _FENCE.sub("", text.strip())
    text = _LABEL.sub("", text.strip())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1]
    text = text.strip("“”").strip()
    return re.sub(r"\s+", " ", text)


class PromptEnhancer:
    """Rewrites prompts with a chat model; falls back to the input whenever the rewrite is not safe."""

    def __init__(self, chat: ChatModel) -> None:
        self._chat = chat

    @property
    def model(self) -> str:
        """The chat model's name, for `cache_key`."""
        return self._chat.model

    def is_configured(self) -> bool:
        """True when the chat model is."""
        return self._chat.is_configured()

    def enhance(
        self,
        prompt: str,
        *,
        family: str,
        max_length: int,
        negative: str | None = None,
        must_keep: Sequence[str] = (),
    ) -> Enhanced:
        """The rewrite for `family` within `max_length`, or the input prompt with a warning saying why not."""
        if family not in FAMILIES:
            raise InvalidInput(f"unknown prompt family {family!r}", field="family", allowed=FAMILIES)
        if max_length < 1:
            raise InvalidInput("max_length must be at least 1", field="max_length")
        if family == "tech-flat":
            return Enhanced(prompt, False, "the tech-flat renderer draws from the spec; prompt left as is")
        tags = family in TAG_FAMILIES
        system = SYSTEM_TEMPLATE.format(family=family, register=_REGISTER[family], max_length=max_length)
        if must_keep:
            system += " These words must appear: " + ", ".join(must_keep) + "."
        if negative:
            system += f" The image must not show (handled separately, do not mention): {negative}."
        try:
            raw = self._chat.complete_text(
                [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                temperature=0.4,
                # ~4 characters a token in English; a third more headroom so the answer is never cut off.
                max_tokens=min(2048, max(64, math.ceil(max_length / 3))),
            )
        except ProviderError as exc:
            return Enhanced(prompt, False, f"enhancement failed ({exc.kind}): {exc.message}")
        text = _clean(raw)
        if family == "sd-plain":
            text = _WEIGHT.sub(r"\1", text)  # this pipeline would draw the parentheses literally
        missing = _dropped(text, prompt, family, must_keep)
        if missing:
            return Enhanced(prompt, False, f"the rewrite dropped {', '.join(missing)}; kept the input prompt")
        fitted = truncate(text, max_length, tags=tags)
        if fitted == text:
            return Enhanced(text, True)
        cut_off = _dropped(fitted, prompt, family, must_keep)
        if cut_off or not fitted:
            return Enhanced(
                prompt,
                False,
                f"the rewrite is {len(text)} characters (limit {max_length}) and cutting it drops "
                f"{', '.join(cut_off) or 'everything'}; kept the input prompt",
            )
        return Enhanced(fitted, True, f"cut the rewrite from {len(text)} to {len(fitted)} characters")


def _dropped(text: str, prompt: str, family: str, must_keep: Sequence[str]) -> list[str]:
    """What of the input `text` lost: required terms, and for "sd" the input's "(term:1.2)" weights."""
    lost = [t for t in must_keep if not mentions(text, t)]
    if family == "sd":
        weights = dict.fromkeys(m.group(0) for m in _WEIGHT.finditer(prompt))
        lost += [w for w in weights if w not in text]
    return lost
