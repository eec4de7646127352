"""A fake OpenAI-compatible Chat Completions API (`POST /v1/chat/completions`) for the official SDK.

It checks requests as OpenAI does (Bearer key, model, messages with text and `image_url` content parts
whose data URLs must decode to real images, `response_format` of type text / json_object / json_schema,
the word "json" for json_object) and answers in the documented shape `{id, object: "chat.completion",
created, model, choices: [{index, message: {role, content, refusal}, finish_reason}], usage}`; errors as
`{"error": {"message", "type", "param", "code"}}`. What it answers is programmed per test: a queue of
scripted `Reply`s, then a `responder(body)` callable. It can act as an old server that rejects
`json_schema` (older vLLM / Ollama) or `max_tokens` (OpenAI's reasoning models). Every request is
recorded in `script.requests`.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError

from tests.fakes.openai_server import error, sleep_unless_gone
from tests.fakes.server import serve

_ROLES = ("system", "developer", "user", "assistant", "tool")
_DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|webp|gif);base64,(.+)$", re.DOTALL)
_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
IMAGE_TOKENS = 85  # what OpenAI bills a low-detail image; the fake uses it for every image part


@dataclass
class Reply:
    """One scripted answer: `content` with status 200, or an error `status` with OpenAI's error body."""

    content: str | None = None
    status: int = 200
    message: str = ""
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"
    refusal: str | None = None
    hang_s: float = 0.0  # wait this long before answering (stops early when the client hangs up)


def answer(content: str, **kwargs: Any) -> Reply:
    """A 200 answer carrying `content`."""
    return Reply(content=content, **kwargs)


def failure(status: int, message: str, **kwargs: Any) -> Reply:
    """An error answer in OpenAI's shape."""
    return Reply(status=status, message=message, **kwargs)


Responder = Callable[[dict[str, Any]], "Reply | str"]


class ChatScript:
    """What the fake answers: scripted replies first (in order), then `responder(request_body)`."""

    def __init__(
        self,
        replies: list[Reply | str] | None = None,
        *,
        responder: Responder | None = None,
        api_key: str | None = "sk-test",
        reject_json_schema: bool = False,
        reject_max_tokens: bool = False,
    ) -> None:
        self._queue: list[Reply | str] = list(replies or [])
        self._lock = threading.Lock()
        self.responder = responder
        self.api_key = api_key
        self.reject_json_schema = reject_json_schema
        self.reject_max_tokens = reject_max_tokens
        self.requests: list[dict[str, Any]] = []

    def push(self, *replies: Reply | str) -> None:
        """Queue more replies."""
        with self._lock:
            self._queue.extend(replies)

    def next(self, body: dict[str, Any]) -> Reply | None:
        """The reply for this request (None when nothing is scripted)."""
        with self._lock:
            item = self._queue.pop(0) if self._queue else None
        if item is None and self.responder is not None:
            item = self.responder(body)
        return Reply(content=item) if isinstance(item, str) else item

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of every request that reached the model (passed validation)."""
        return [r["body"] for r in self.requests if r.get("validated")]


def _text_of(messages: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(
                p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
            )
    return "\n".join(parts)


def _count_images(messages: list[dict[str, Any]]) -> int:
    return sum(
        1
        for m in messages
        if isinstance(m.get("content"), list)
        for p in m["content"]
        if isinstance(p, dict) and p.get("type") == "image_url"
    )


def _check_image_url(url: object) -> JSONResponse | None:
    if not isinstance(url, str):
        return error(
            400, "Invalid type for 'image_url.url': expected a string.", type_="invalid_request_error"
        )
    if url.startswith(("http://", "https://")):
        return None
    match = _DATA_URL.match(url)
    if not match:
        return error(
            400,
            "Invalid 'image_url.url'. Expected a base64-encoded data URL with an image MIME type "
            "(e.g. 'data:image/png;base64,...'), but got an invalid value.",
            type_="invalid_request_error",
            param="messages",
            code="invalid_value",
        )
    try:
        Image.open(io.BytesIO(base64.b64decode(match.group(2), validate=True))).verify()
    except (binascii.Error, UnidentifiedImageError, OSError, SyntaxError):
        return error(
            400,
            "You uploaded an unsupported image. Please make sure your image is valid.",
            type_="invalid_request_error",
            code="invalid_image_format",
        )
    return None


def _check_messages(messages: object) -> JSONResponse | None:
    if not isinstance(messages, list) or not messages:
        return error(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            type_="invalid_request_error",
            param="messages",
            code="empty_array",
        )
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _ROLES:
            return error(
                400,
                f"Invalid value: '{role}'. Supported values are: {', '.join(repr(r) for r in _ROLES)}.",
                type_="invalid_request_error",
                param=f"messages[{i}].role",
                code="invalid_value",
            )
        assert isinstance(message, dict)
        content = message.get("content")
        if content is None and role == "assistant":
            continue
        if isinstance(content, str):
            continue
        if not isinstance(content, list):
            return error(
                400,
                f"Invalid type for 'messages[{i}].content': expected a string or an array of content parts.",
                type_="invalid_request_error",
                param=f"messages[{i}].content",
            )
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                continue
            if kind == "image_url" and role == "user" and isinstance(part.get("image_url"), dict):
                problem = _check_image_url(part["image_url"].get("url"))
                if problem is not None:
                    return problem
                continue
            return error(
                400,
                f"Invalid content part in messages[{i}]: {str(part)[:80]}",
                type_="invalid_request_error",
                param=f"messages[{i}].content",
            )
    return None


def _check_format(script: ChatScript, body: dict[str, Any]) -> JSONResponse | None:
    fmt = body.get("response_format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "json_schema" and script.reject_json_schema:
        # What an older vLLM says (pydantic's literal error), wrapped the way Ollama wraps errors.
        return error(
            400,
            "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should "
            "be 'text' or 'json_object'\", 'input': 'json_schema'}]",
            type_="BadRequestError",
            param="response_format",
        )
    if kind not in ("text", "json_object", "json_schema"):
        return error(
            400,
            f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object' and 'json_schema'.",
            type_="invalid_request_error",
            param="response_format.type",
            code="invalid_value",
        )
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or not _SCHEMA_NAME.match(str(spec.get("name", ""))):
            return error(
                400,
                "Invalid 'response_format.json_schema.name': must match ^[a-zA-Z0-9_-]{1,64}$.",
                type_="invalid_request_error",
                param="response_format.json_schema.name",
            )
        if not isinstance(spec.get("schema"), dict):
            return error(
                400,
                "Invalid 'response_format.json_schema.schema': expected an object.",
                type_="invalid_request_error",
                param="response_format.json_schema.schema",
            )
    if kind == "json_object" and "json" not in _text_of(body["messages"]).lower():
        return error(
            400,
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
            "'json_object'.",
            type_="invalid_request_error",
            param="messages",
        )
    return None


def _validate(script: ChatScript, body: dict[str, Any]) -> JSONResponse | None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        return error(400, "you must provide a model parameter", type_="invalid_request_error")
    problem = _check_messages(body.get("messages"))
    if problem is not None:
        return problem
    temperature = body.get("temperature", 1)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        return error(
            400,
            f"Invalid 'temperature': decimal above maximum value or below 0: {temperature}.",
            type_="invalid_request_error",
            param="temperature",
        )
    if script.reject_max_tokens and "max_tokens" in body:
        return error(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead.",
            type_="invalid_request_error",
            param="max_tokens",
            code="unsupported_parameter",
        )
    return _check_format(script, body)


def _success(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    messages = body["messages"]
    prompt_tokens = math.ceil(len(_text_of(messages)) / 4) + IMAGE_TOKENS * _count_images(messages)
    completion_tokens = math.ceil(len(reply.content or reply.refusal or "") / 4)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal},
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def make_app(script: ChatScript) -> FastAPI:
    """The fake, answering as `script` says; `app.state.script` is the same object."""
    app = FastAPI()
    app.state.script = script

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> JSONResponse:
        record: dict[str, Any] = {"authorization": request.headers.get("authorization"), "status": None}
        script.requests.append(record)
        answer_ = await _respond(request, record)
        record["status"] = answer_.status_code
        answer_.headers["x-request-id"] = f"req_{uuid.uuid4().hex}"
        return answer_

    async def _respond(request: Request, record: dict[str, Any]) -> JSONResponse:
        if script.api_key is not None and record["authorization"] != f"Bearer {script.api_key}":
            return error(
                401,
                "Incorrect API key provided. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                type_="invalid_request_error",
                code="invalid_api_key",
            )
        try:
            body = await request.json()
        except ValueError:
            return error(
                400, "We could not parse the JSON body of your request.", type_="invalid_request_error"
            )
        record["body"] = body
        problem = _validate(script, body)
        if problem is not None:
            return problem
        record["validated"] = True
        reply = script.next(body)
        if reply is None:
            return error(500, "chat fake: no reply scripted for this request", type_="server_error")
        if reply.hang_s and not await sleep_unless_gone(request, reply.hang_s):
            record["abandoned"] = True
            return error(499, "client closed the request", type_="server_error")
        if reply.status != 200:
            return error(
                reply.status,
                reply.message,
                type_=reply.type,
                code=reply.code,
                param=reply.param,
                headers=reply.headers,
            )
        return JSONResponse(_success(body, reply), headers=reply.headers)

    return app


@contextmanager
def running(**kwargs: Any) -> Iterator[tuple[ChatScript, str]]:
    """A served fake for one test: yields its script and the SDK base URL (`.../v1`)."""
    script = ChatScript(**kwargs)
    with serve(make_app(script)) as url:
        yield script, f"{url}/v1"
