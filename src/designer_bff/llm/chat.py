"""A chat model behind any OpenAI-compatible API (OpenAI, Ollama, vLLM, LM Studio) via the official SDK.

`complete_json` gets a JSON object that matches a schema however the server behaves: structured
output (`json_schema`) where supported, `json_object` plus the schema in the system message where not
(older Ollama / vLLM answer 400), plain instructions as a last resort; near-JSON is repaired locally
and only what cannot be repaired is asked again, once per kind of problem. The SDK's own retries are
off; transient failures are retried here a bounded number of times, honouring Retry-After.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from designer_bff.errors import ProviderError
from designer_bff.llm.errors import from_openai, status_text
from designer_bff.llm.jsontools import JsonRepairError, parse_json_object, validate

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# The SDK refuses an empty key; self-hosted servers ignore whatever is sent.
_KEYLESS = "unused"
# A server asking for a longer pause than this is better left to the caller (fallback, queue).
_MAX_WAIT_S = 30.0
# How servers say a parameter is not accepted (OpenAI, vLLM's pydantic errors, llama.cpp, Ollama).
_UNSUPPORTED = ("unsupported", "not supported", "unknown", "unrecognized", "extra inputs", "input should be")
# JSON modes from best to most basic; a server that rejects one is asked with the next from then on.
_JSON_MODES = ("json_schema", "json_object", "prompt")


@dataclass(frozen=True)
class Usage:
    """Tokens billed for one public call, summed over every request it made (re-asks included)."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


class _Rejected(Exception):
    """The server refused the response_format in use (a 400 naming it)."""


class ChatModel:
    """One model on one OpenAI-compatible server; thread-safe, `usage` is per thread."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        model: str,
        *,
        timeout_s: float = 60,
        max_attempts: int = 2,
        backoff_s: float = 0.5,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.model = model
        # Explicit: left None, the SDK would read OPENAI_BASE_URL from the environment itself.
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._client: openai.OpenAI | None = None
        self._lock = threading.Lock()
        self._local = threading.local()
        # What this server turned out not to accept, learned from its 400s so later calls skip the detour.
        self._json_mode = _JSON_MODES[0]
        self._max_tokens_param = "max_tokens"
        self._send_temperature = True

    @property
    def name(self) -> str:
        """Display name, e.g. "openai-compatible:gpt-4o-mini"."""
        return f"openai-compatible:{self.model}"

    @property
    def usage(self) -> Usage | None:
        """Token usage of this thread's last call (None before the first), for cost logging."""
        usage: Usage | None = getattr(self._local, "usage", None)
        return usage

    def needs_key(self) -> bool:
        """True for OpenAI's own API; a self-hosted server (Ollama, vLLM) at any other URL needs none."""
        return urlsplit(self.base_url).hostname == urlsplit(DEFAULT_BASE_URL).hostname

    def is_configured(self) -> bool:
        """True when a model is named and a key is set (or the server needs none)."""
        return bool(self.model) and (bool(self._api_key) or not self.needs_key())

    def complete_json(
        self,
        messages: list[dict[str, Any]],
        schema: dict[str, Any],
        *,
        schema_name: str,
        temperature: float = 0.0,
        lenient: bool = False,
    ) -> dict[str, Any]:
        """A JSON object matching `schema`; ProviderError(kind="invalid") naming the problem if none comes.

        `lenient` leaves enum misses and unknown keys to the caller (which maps them through the taxonomy
        and keeps what it cannot place), so a synonym never costs a second request.
        """
        self._begin()
        conversation = [dict(m) for m in messages]
        asked_again: set[str] = set()
        while True:
            text, finish = self._json_answer(conversation, schema, schema_name, temperature)
            try:
                value, _repairs = parse_json_object(text)
            except JsonRepairError as exc:
                cut = " (the answer was cut off at the token limit)" if finish == "length" else ""
                if "syntax" in asked_again:
                    raise self._fail(
                        f"the answer is still not valid JSON after asking again: {exc}{cut}; "
                        f"it began {text[:160]!r}",
                        "invalid",
                    ) from exc
                asked_again.add("syntax")
                conversation += [
                    {"role": "assistant", "content": text or "(empty answer)"},
                    {
                        "role": "user",
                        "content": f"Your last answer was not valid JSON: {exc}{cut}. Answer again with "
                        "only the JSON object: no prose, no code fence.",
                    },
                ]
                continue
            problems = validate(value, schema, lenient=lenient)
            if not problems:
                return value
            if "schema" in asked_again:
                raise self._fail(
                    f"the answer does not match the {schema_name} schema after asking again: "
                    + "; ".join(problems[:8]),
                    "invalid",
                )
            asked_again.add("schema")
            conversation += [
                {"role": "assistant", "content": json.dumps(value)},
                {
                    "role": "user",
                    "content": "Your last answer did not match the JSON schema:\n- "
                    + "\n- ".join(problems[:20])
                    + "\nAnswer again with the corrected JSON object only.",
                },
            ]

    def complete_text(
        self, messages: list[dict[str, Any]], *, temperature: float = 0.7, max_tokens: int = 600
    ) -> str:
        """The model's text answer (stripped); ProviderError when it is empty or the call fails."""
        self._begin()
        completion = self._request(
            [dict(m) for m in messages], temperature=temperature, max_tokens=max_tokens
        )
        text, _finish = self._content(completion)
        if not text.strip():
            raise self._fail("the answer is empty", "transient")
        return text.strip()

    def _json_answer(
        self, conversation: list[dict[str, Any]], schema: dict[str, Any], name: str, temperature: float
    ) -> tuple[str, str | None]:
        while True:
            mode = self._json_mode
            if mode == "json_schema":
                fmt: dict[str, Any] | None = {
                    "type": "json_schema",
                    "json_schema": {"name": name, "schema": schema, "strict": False},
                }
                sent = conversation
            else:
                fmt = {"type": "json_object"} if mode == "json_object" else None
                sent = _with_schema(conversation, schema, name)
            try:
                return self._content(self._request(sent, temperature=temperature, response_format=fmt))
            except _Rejected as exc:
                if mode == _JSON_MODES[-1]:
                    raise self._fail(f"the server rejects every JSON mode: {exc}", "invalid") from exc
                # Another thread may have stepped down already; only ever move forward.
                with self._lock:
                    if self._json_mode == mode:
                        self._json_mode = _JSON_MODES[_JSON_MODES.index(mode) + 1]

    def _request(
        self,
        messages: list[dict[str, Any]],
        *,
        temperature: float,
        response_format: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> ChatCompletion:
        import openai

        if not self.is_configured():
            raise self._fail("no API key is configured for OpenAI's API (or no model is named)", "auth")
        attempt = 0
        while True:
            attempt += 1
            kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
            if response_format is not None:
                kwargs["response_format"] = response_format
            if self._send_temperature:
                kwargs["temperature"] = temperature
            if max_tokens is not None:
                kwargs[self._max_tokens_param] = max_tokens
            try:
                completion: ChatCompletion = self._get_client().chat.completions.create(**kwargs)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if self._adapt(exc, kwargs):
                    attempt -= 1  # the server told us what it wants: not a failed attempt
                    continue
                raise self._error(exc) from exc
            except openai.OpenAIError as exc:
                error = self._error(exc)
                wait = self._wait(error, attempt)
                if wait is None:
                    raise error from exc
                time.sleep(wait)
                continue
            self._count(completion)
            return completion

    def _adapt(self, exc: openai.APIStatusError, sent: dict[str, Any]) -> bool:
        """Learn from a 400 that names a parameter; True when the request should simply be sent again."""
        text = f"{exc.message} {exc.body}".lower()
        if "response_format" in sent and ("response_format" in text or "json_schema" in text):
            raise _Rejected(status_text(exc))
        if not any(marker in text for marker in _UNSUPPORTED):
            return False
        # OpenAI's reasoning models want max_completion_tokens and only their default temperature.
        if "max_tokens" in sent and "max_tokens" in text.replace("max_completion_tokens", ""):
            self._max_tokens_param = "max_completion_tokens"
            return True
        if "temperature" in sent and "temperature" in text:
            self._send_temperature = False
            return True
        return False

    def _wait(self, error: ProviderError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if not error.retryable or attempt >= self._max_attempts:
            return None
        if error.retry_after is not None:
            retry_after = float(error.retry_after)
            return retry_after if retry_after <= _MAX_WAIT_S else None
        return min(_MAX_WAIT_S, self._backoff_s * 2.0 ** (attempt - 1))

    def _content(self, completion: ChatCompletion) -> tuple[str, str | None]:
        if not completion.choices:
            raise self._fail("the answer has no choices", "transient")
        choice = completion.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise self._fail(f"the model refused: {refusal}", "refusal")
        if choice.finish_reason == "content_filter":
            raise self._fail("the answer was withheld by the server's content filter", "refusal")
        return choice.message.content or "", choice.finish_reason

    def _begin(self) -> None:
        self._local.usage = Usage(model=self.model)

    def _count(self, completion: ChatCompletion) -> None:
        usage: Usage = self._local.usage
        tokens = completion.usage
        self._local.usage = replace(
            usage,
            prompt_tokens=usage.prompt_tokens + (tokens.prompt_tokens if tokens else 0),
            completion_tokens=usage.completion_tokens + (tokens.completion_tokens if tokens else 0),
            requests=usage.requests + 1,
        )

    def _get_client(self) -> openai.OpenAI:
        with self._lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(
                    api_key=self._api_key or _KEYLESS,
                    base_url=self.base_url,
                    timeout=self._timeout_s,
                    max_retries=0,
                )
            return self._client

    def _error(self, exc: openai.OpenAIError) -> ProviderError:
        return from_openai(exc, provider=self.name, label=f"chat {self.model}", timeout_s=self._timeout_s)

    def _fail(self, message: str, kind: str) -> ProviderError:
        return ProviderError(f"chat {self.model}: {message}", provider=self.name, kind=kind)


def _with_schema(
    conversation: list[dict[str, Any]], schema: dict[str, Any], name: str
) -> list[dict[str, Any]]:
    """The conversation with the schema spelled out in the system message (servers without json_schema)."""
    instruction = (
        f"Answer with a single JSON object only (no prose, no code fence) that matches this JSON Schema "
        f"named {name}:\n{json.dumps(schema, separators=(',', ':'))}"
    )
    messages = [dict(m) for m in conversation]
    if messages and messages[0].get("role") == "system" and isinstance(messages[0].get("content"), str):
        messages[0]["content"] = f"{messages[0]['content']}\n\n{instruction}"
    else:
        messages.insert(0, {"role": "system", "content": instruction})
    return messages
