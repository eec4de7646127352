"""A fake of the original system's visual-descriptor ("VLT") API: `GET /healthz`, `POST /v1/jobs`.

Jobs are multipart: a `file` part that must be a real image, a `passes` field (comma-separated pass
letters A–C) and a `model` field. The key is accepted as `Authorization: Bearer …` or `X-API-Key`.
The answer is the batch envelope `{jobId, records: [record], summary}` (or the bare record with
`envelope=False`); records come from a script queue, then from `default_record`. Faults are scripted
as `VltFault`s (status + body + headers, or a hang). Every job request is recorded in `state.requests`.
"""

from __future__ import annotations

import io
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError

from tests.fakes.openai_server import sleep_unless_gone
from tests.fakes.server import serve

MODELS = ("gemini", "gpt-4o", "claude")
_PASSES = re.compile(r"^[ABC](,[ABC])*$")


@dataclass
class VltFault:
    """One scripted failure: an HTTP status with a JSON body and headers, or a hang before answering."""

    status: int = 500
    body: dict[str, Any] = field(default_factory=lambda: {"error": "internal error"})
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0


def default_record() -> dict[str, Any]:
    """A flat VLT record as the original service produced it."""
    return {
        "garmentType": "Midi Dress",
        "silhouette": "A-line",
        "fabric": {"type": "Silk", "texture": "smooth", "weight": "light", "finish": "sheen"},
        "colors": {"primary": "burgundy", "secondary": "blush", "pattern": "floral"},
        "construction": {"seams": "french", "closure": "zipper", "details": ["hand embroidery at the hem"]},
        "style": {"aesthetic": "romantic", "formality": "cocktail", "season": "spring"},
        "promptText": "burgundy silk a-line midi dress with floral print",
        "confidence": 0.84,
    }


@dataclass
class VltState:
    """What the fake answers and what it saw."""

    api_key: str | None = "vlt-key"
    envelope: bool = True
    script: list[dict[str, Any] | VltFault] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> dict[str, Any] | VltFault:
        """The next scripted record or fault, else the default record."""
        with self.lock:
            return self.script.pop(0) if self.script else default_record()


def _authorised(state: VltState, request: Request) -> bool:
    if state.api_key is None:
        return True
    bearer = request.headers.get("authorization") == f"Bearer {state.api_key}"
    return bearer or request.headers.get("x-api-key") == state.api_key


def make_app(state: VltState) -> FastAPI:
    """The fake, answering as `state` says."""
    app = FastAPI()
    app.state.vlt = state

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "models": list(MODELS), "version": "fake-1"}

    @app.post("/v1/jobs")
    async def jobs(request: Request) -> JSONResponse:
        record: dict[str, Any] = {
            "authorization": request.headers.get("authorization"),
            "x_api_key": request.headers.get("x-api-key"),
        }
        state.requests.append(record)
        if not _authorised(state, request):
            return JSONResponse({"error": "invalid or missing API key"}, status_code=401)
        form = await request.form()
        upload = form.get("file")
        passes, model = form.get("passes"), form.get("model")
        record.update(passes=passes, model=model)
        if upload is None or isinstance(upload, str):
            return JSONResponse({"error": "multipart field 'file' (the image) is required"}, status_code=400)
        content = await upload.read()
        record.update(filename=upload.filename, content_type=upload.content_type, size=len(content))
        try:
            Image.open(io.BytesIO(content)).verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            return JSONResponse({"error": "file is not a readable image"}, status_code=400)
        if not isinstance(passes, str) or not _PASSES.match(passes):
            return JSONResponse(
                {"error": f"passes must be letters A-C separated by commas, got {passes!r}"}, 400
            )
        if model not in MODELS:
            return JSONResponse({"error": f"unknown model {model!r}; known: {', '.join(MODELS)}"}, 400)
        answer = state.next()
        if isinstance(answer, VltFault):
            if answer.hang_s and not await sleep_unless_gone(request, answer.hang_s):
                return JSONResponse({"error": "client closed the request"}, status_code=499)
            return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)
        record["answered"] = True
        if not state.envelope:
            return JSONResponse(answer)
        job = f"job_{uuid.uuid4().hex[:12]}"
        summary = {"total": 1, "succeeded": 1, "failed": 0, "passes": passes.split(","), "model": model}
        return JSONResponse({"jobId": job, "records": [answer], "summary": summary})

    return app


@contextmanager
def running(**kwargs: Any) -> Iterator[tuple[VltState, str]]:
    """A served fake for one test: yields its state and base URL."""
    state = VltState(**kwargs)
    with serve(make_app(state)) as url:
        yield state, url
