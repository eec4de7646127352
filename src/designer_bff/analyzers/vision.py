"""Stage 1 with a vision language model over an OpenAI-compatible API (OpenAI, Ollama, vLLM).

The image goes as a base64 data URL content part, the answer comes on `spec_schema()` and is mapped
onto the taxonomy (`llm.spec_answer`): unknown values are kept in `unmapped` with a warning. When the
model's overall confidence is below 0.70 it is asked once more, told which attributes it was unsure
about, and the better of the two answers is kept.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from designer_bff.analyzers.base import AnalysisResult
from designer_bff.errors import ProviderError, UnsupportedMedia
from designer_bff.imaging.decode import load_rgb
from designer_bff.imaging.sniff import (
    ACCEPTED,
    ACCEPTED_TEXT,
    FORMAT_NAMES,
    MIME_TYPES,
    detect_format,
    header_size,
)
from designer_bff.llm.chat import ChatModel, Usage
from designer_bff.llm.schema import spec_schema
from designer_bff.llm.spec_answer import SpecReading, read_spec_answer

RETRY_BELOW = 0.70
# Vision APIs scale images down to about 2048 px on the long side anyway; sending more only costs upload time.
MAX_SIDE = 2048
_MAX_PIXELS = 100_000_000

SYSTEM_PROMPT = """\
You are a senior fashion analyst. Look at the photograph and describe its main garment as a canonical \
garment spec in JSON. Use only the vocabulary values the schema lists; use null (or []) for anything \
you cannot see, and never guess a garment type from the setting. Colours: the nearest listed colour \
name. palette: up to five colours of the garment itself (not the background), largest first, each with \
a #rrggbb hex, its coverage in percent of the garment surface (together about 100) and its role \
(primary, secondary, accent). photography says how the image is shot. In "confidence" give, for every \
attribute path you filled, a number from 0 (a guess) to 1 (certain), e.g. {"garment.type": 0.95, \
"fabric.type": 0.6, "color.primary": 0.9}. Answer with the JSON object only."""


def _add(total: dict[str, int], usage: Usage | None) -> None:
    if usage is not None:
        total["prompt_tokens"] += usage.prompt_tokens
        total["completion_tokens"] += usage.completion_tokens
        total["requests"] += usage.requests


class VisionAnalyzer:
    """Analyser backed by a vision chat model; `name` is "vision:<model>"."""

    def __init__(
        self, chat: ChatModel, *, retry_below: float = RETRY_BELOW, max_side: int = MAX_SIDE
    ) -> None:
        self._chat = chat
        self._retry_below = retry_below
        self._max_side = max_side
        self.name = f"vision:{chat.model}"

    def is_configured(self) -> bool:
        """True when the chat model is (model named, key or self-hosted server)."""
        return self._chat.is_configured()

    def analyse(self, data: bytes, *, mime: str, filename: str | None = None) -> AnalysisResult:
        """Analyse one image; ProviderError when the model fails or answers nothing usable twice."""
        url, sent_size = self._data_url(data)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Analyse the garment in this image."},
                    {"type": "image_url", "image_url": {"url": url, "detail": "high"}},
                ],
            },
        ]
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "requests": 0}
        first_answer = self._ask(messages, usage)
        first = read_spec_answer(first_answer)
        kept, attempts, retry = first, 1, None
        if first.overall() < self._retry_below:
            attempts = 2
            messages += [
                {"role": "assistant", "content": json.dumps(first_answer)},
                {"role": "user", "content": self._retry_prompt(first)},
            ]
            try:
                second = read_spec_answer(self._ask(messages, usage))
            except ProviderError as exc:
                # The first answer is still an answer; the retry was only to improve it.
                retry = f"the second ask failed ({exc.kind}): {exc.message}; kept the first answer"
            else:
                kept = second if second.overall() > first.overall() else first
                retry = (
                    f"overall confidence {first.overall():.2f} < {self._retry_below:.2f}: asked again "
                    f"({second.overall():.2f}); kept the {'second' if kept is second else 'first'} answer"
                )
        warnings = (*kept.warnings, *([retry] if retry else []))
        return AnalysisResult(
            analyser=self.name,
            spec=kept.tree,
            confidence=dict(kept.confidence),
            measured=kept.measured,
            details={
                "model": self._chat.model,
                "attempts": attempts,
                "overall": round(kept.overall(), 4),
                "first_overall": round(first.overall(), 4),
                "sent_size": list(sent_size),
                "usage": usage,
            },
            warnings=warnings,
        )

    def _ask(self, messages: list[dict[str, Any]], usage: dict[str, int]) -> dict[str, Any]:
        try:
            return self._chat.complete_json(
                messages, spec_schema(), schema_name="garment_spec", temperature=0.0, lenient=True
            )
        finally:
            _add(usage, self._chat.usage)

    def _retry_prompt(self, reading: SpecReading) -> str:
        unsure = sorted(
            ((p, c) for p, c in reading.confidence.items() if c < self._retry_below), key=lambda pc: pc[1]
        )
        listed = ", ".join(f"{p} ({c:.2f})" for p, c in unsure[:12]) or "most attributes"
        return (
            f"Your overall confidence was {reading.overall():.2f}. You were unsure about: {listed}. Look at "
            "the image again, closely, at those attributes, and answer the complete JSON again with every "
            "attribute and a confidence for each. Use null for what truly cannot be seen."
        )

    def _data_url(self, data: bytes) -> tuple[str, tuple[int, int]]:
        """The image as a data URL (shrunk to `max_side` when larger) and the size sent."""
        # The bytes decide the format, not the declared MIME type: a mislabelled upload still works.
        fmt = detect_format(data)
        if fmt not in ACCEPTED:
            found = FORMAT_NAMES.get(fmt or "", "not an image")
            raise UnsupportedMedia(
                f"the image is {found}; the vision analyser takes {ACCEPTED_TEXT}", field="file"
            )
        width, height = header_size(data, fmt)
        mime = MIME_TYPES[fmt]
        if max(width, height) > self._max_side:
            from PIL import Image

            image = load_rgb(data, max_pixels=_MAX_PIXELS)
            image.thumbnail((self._max_side, self._max_side), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=90)
            data, mime, (width, height) = buffer.getvalue(), "image/jpeg", image.size
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", (width, height)
