"""A fake of Replicate's HTTP API (predictions) for the official `replicate` Python SDK.

Endpoints: `POST /v1/models/{owner}/{name}/predictions` (official models), `POST /v1/predictions`
(`{"version", "input"}`), `GET /v1/predictions/{id}` and the output files under `/files/{id}.{ext}`. A
prediction answers `starting`, then `processing`, then `succeeded` (or `failed` with an `error`) after
`polls_until_done` reads, with `output` (one URL, or a list for FLUX dev/schnell and version runs),
`metrics` (`predict_time`, and `image_count` for official models) and `urls`. Errors are RFC 7807 problem
details `{"title", "detail", "status"}`; a missing or wrong `Authorization: Bearer` token is a 401, input
validation a 422, throttling a 429 with `Retry-After`. `faults` act on creation ("refusal" makes the
prediction fail with Replicate's NSFW error), `poll_faults` on reads. `app.state.created` counts
predictions created; `app.state.requests` records every API request.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image

from tests.fakes.faults import FaultPlan

NSFW_ERROR = "NSFW content detected. Try running it again, or try a different prompt."
# ~1 megapixel sizes per aspect ratio as SD 3.5 / FLUX produce them; Imagen 4 at its 1K tier.
SIZES = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "9:16": (768, 1344),
    "21:9": (1536, 640),
    "9:21": (640, 1536),
    "3:2": (1216, 832),
    "2:3": (832, 1216),
    "4:5": (896, 1088),
    "5:4": (1088, 896),
    "3:4": (896, 1152),
    "4:3": (1152, 896),
}
IMAGEN_SIZES = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}
FORMATS = {"png": ("PNG", "image/png"), "jpg": ("JPEG", "image/jpeg"), "webp": ("WEBP", "image/webp")}


def gradient(prompt: str, width: int, height: int, fmt: str) -> bytes:
    """A real image of this size and format: a gradient between two colours derived from the prompt."""
    digest = hashlib.sha256(prompt.encode()).digest()
    start = Image.new("RGB", (width, height), tuple(digest[:3]))
    end = Image.new("RGB", (width, height), tuple(digest[3:6]))
    buffer = io.BytesIO()
    Image.composite(start, end, Image.linear_gradient("L").resize((width, height))).save(buffer, format=fmt)
    return buffer.getvalue()


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An answer in Replicate's problem-details error shape."""
    return JSONResponse(
        {"title": title, "detail": detail, "status": status}, status_code=status, headers=headers
    )


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def make_app(
    *,
    faults: FaultPlan | None = None,
    poll_faults: FaultPlan | None = None,
    latency_s: float = 0.0,
    token: str = "r8_test",
    polls_until_done: int = 2,
    fail_error: str | None = None,
) -> FastAPI:
    """The fake; `fail_error` makes every prediction fail with that error text."""
    app = FastAPI()
    app.state.requests = []
    app.state.created = 0
    app.state.predictions = {}
    files: dict[str, tuple[bytes, str]] = {}

    async def act(request: Request, plan: FaultPlan | None, record: dict[str, Any]) -> Response | None:
        """Auth, latency and the fault plan; a Response when the request ends here."""
        app.state.requests.append(record)
        if latency_s:
            await asyncio.sleep(latency_s)
        if request.headers.get("authorization") != f"Bearer {token}":
            return problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        fault = plan.next() if plan else None
        record["fault"] = fault
        if fault == "500":
            return problem(500, "Internal Server Error", "Something went wrong on our end.")
        if fault == "429" and plan:
            return problem(
                429,
                "Request was throttled",
                "Request was throttled. Expected available in 1 second.",
                headers={"Retry-After": f"{plan.retry_after:g}"},
            )
        if fault in ("timeout", "slow") and plan:
            await asyncio.sleep(plan.hang_s if fault == "timeout" else plan.slow_s)
        if fault == "malformed":
            return Response(
                b'{"id": "',
                status_code=201 if request.method == "POST" else 200,
                media_type="application/json",
            )
        return None

    def create(
        request: Request, model: str, version: str, body: dict[str, Any], fault: str | None
    ) -> Response:
        inputs = body.get("input") or {}
        prompt = inputs.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return problem(
                422, "Input validation failed", "- input.prompt: String should have at least 1 character"
            )
        table = IMAGEN_SIZES if model.startswith("google/imagen") else SIZES
        if "aspect_ratio" in inputs and inputs["aspect_ratio"] not in table:
            return problem(
                422,
                "Input validation failed",
                f"- input.aspect_ratio: aspect_ratio must be one of the following: {', '.join(table)}",
            )
        app.state.created += 1
        pid = uuid.uuid4().hex[:26]
        base = str(request.base_url).rstrip("/")
        app.state.predictions[pid] = {
            "id": pid,
            "model": model,
            "version": version,
            "input": inputs,
            "logs": "",
            "output": None,
            "data_removed": False,
            "error": None,
            "status": "starting",
            "created_at": _now(),
            "started_at": None,
            "completed_at": None,
            "metrics": {},
            "urls": {
                "get": f"{base}/v1/predictions/{pid}",
                "cancel": f"{base}/v1/predictions/{pid}/cancel",
                "web": f"https://replicate.com/p/{pid}",
            },
        }
        app.state.predictions[pid]["_fail"] = NSFW_ERROR if fault == "refusal" else fail_error
        app.state.predictions[pid]["_polls"] = 0
        return JSONResponse(public(pid), status_code=201)

    def public(pid: str) -> dict[str, Any]:
        return {k: v for k, v in app.state.predictions[pid].items() if not k.startswith("_")}

    def finish(request: Request, prediction: dict[str, Any]) -> None:
        prediction["completed_at"] = _now()
        if prediction["_fail"]:
            prediction.update(status="failed", error=prediction["_fail"], metrics={"predict_time": 0.8})
            return
        inputs, model = prediction["input"], prediction["model"]
        table = IMAGEN_SIZES if model.startswith("google/imagen") else SIZES
        if "aspect_ratio" in inputs:
            width, height = table[inputs["aspect_ratio"]]
        else:
            width, height = int(inputs.get("width", 512)), int(inputs.get("height", 512))
        fmt, mime = FORMATS[inputs.get("output_format", "png")]
        ext = "jpg" if fmt == "JPEG" else fmt.lower()
        files[f"{prediction['id']}.{ext}"] = (gradient(inputs["prompt"], width, height, fmt), mime)
        url = f"{str(request.base_url).rstrip('/')}/files/{prediction['id']}.{ext}"
        as_list = prediction["version"] != "hidden" or any(
            model.endswith(name) for name in ("/flux-dev", "/flux-schnell")
        )
        official = prediction["version"] == "hidden"
        metrics = {"predict_time": 1.5, "image_count": 1} if official else {"predict_time": 7.25}
        prediction.update(status="succeeded", output=[url] if as_list else url, metrics=metrics)

    @app.post("/v1/models/{owner}/{name}/predictions")
    async def create_official(owner: str, name: str, request: Request) -> Response:
        body = await request.json()
        record = {"method": "POST", "path": request.url.path, "json": body, "headers": dict(request.headers)}
        answer = await act(request, faults, record)
        return answer or create(request, f"{owner}/{name}", "hidden", body, record.get("fault"))

    @app.post("/v1/predictions")
    async def create_version(request: Request) -> Response:
        body = await request.json()
        record = {"method": "POST", "path": request.url.path, "json": body, "headers": dict(request.headers)}
        answer = await act(request, faults, record)
        version = body.get("version", "")
        return answer or create(request, "community/model", version, body, record.get("fault"))

    @app.get("/v1/predictions/{pid}")
    async def get_prediction(pid: str, request: Request) -> Response:
        record = {"method": "GET", "path": request.url.path, "headers": dict(request.headers)}
        answer = await act(request, poll_faults, record)
        if answer:
            return answer
        prediction = app.state.predictions.get(pid)
        if prediction is None:
            return problem(404, "Not found", "The requested resource could not be found.")
        if prediction["status"] in ("starting", "processing"):
            prediction["_polls"] += 1
            if prediction["_polls"] >= polls_until_done:
                finish(request, prediction)
            else:
                prediction.update(status="processing", started_at=prediction["started_at"] or _now())
        return JSONResponse(public(pid))

    @app.get("/files/{name}")
    async def get_file(name: str) -> Response:
        if name not in files:
            return problem(404, "Not found", "No such file.")
        data, mime = files[name]
        return Response(data, media_type=mime)

    return app
