"""A fake ComfyUI server: `POST /prompt`, `GET /history/{id}`, `GET /queue`, `GET /view`, `GET /system_stats`.

It speaks the shapes of ComfyUI's `server.py`: `/prompt` answers `{"prompt_id", "number", "node_errors"}` or
400 `{"error": {"type", "message", "details", "extra_info"}, "node_errors": {...}}`; a prompt stays "running"
(listed in `/queue`, absent from `/history/{id}`, which answers `{}`) for `pending_polls` history polls, then
its history entry holds the SaveImage node's `images` and a `status` with `status_str` and `messages`.
`/view` serves a real PNG of the EmptyLatentImage size, coloured by the prompt text and seed.

A `FaultPlan` decides each `/prompt`: "500"; "429" with Retry-After (as a proxy in front would send);
"timeout"/"slow" sleep first; "malformed" answers 200 with HTML; "refusal" — ComfyUI has no content policy,
so it is acted out as a run that fails in a safety-checker node. Every request is recorded in
`app.state.requests`, every accepted graph in `app.state.prompts` (`app.state.created` counts them).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from PIL import Image

from tests.fakes.faults import FaultPlan

REQUIRED_NODES = (
    "CheckpointLoaderSimple",
    "CLIPTextEncode",
    "EmptyLatentImage",
    "KSampler",
    "VAEDecode",
    "SaveImage",
)


def gradient_png(key: str, width: int, height: int) -> bytes:
    """A real PNG of this size: a gradient between two colours derived from `key`."""
    digest = hashlib.sha256(key.encode()).digest()
    start = Image.new("RGB", (width, height), tuple(digest[:3]))
    end = Image.new("RGB", (width, height), tuple(digest[3:6]))
    mask = Image.linear_gradient("L").resize((width, height))
    buffer = io.BytesIO()
    Image.composite(start, end, mask).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _invalid(node_errors: dict[str, Any], details: str = "") -> JSONResponse:
    error = {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation"}
    body = {"error": {**error, "details": details, "extra_info": {}}, "node_errors": node_errors}
    return JSONResponse(body, status_code=400)


def _node_error(class_type: str, message: str, details: str) -> dict[str, Any]:
    error = {"type": "value_not_valid", "message": message, "details": details, "extra_info": {}}
    return {"errors": [error], "dependent_outputs": [], "class_type": class_type}


def _validate(graph: Any) -> JSONResponse | None:
    """ComfyUI-like validation of the few things the adapter controls: node classes and typed inputs."""
    if not isinstance(graph, dict) or not all(
        isinstance(n, dict) and "class_type" in n for n in graph.values()
    ):
        return _invalid({}, "prompt is not an API-format graph")
    classes = {node["class_type"] for node in graph.values()}
    missing = [c for c in REQUIRED_NODES if c not in classes]
    if missing:
        return _invalid({}, f"missing node classes: {', '.join(missing)}")
    errors: dict[str, Any] = {}
    for node_id, node in graph.items():
        inputs = node.get("inputs", {})
        names = {"EmptyLatentImage": ("width", "height"), "KSampler": ("seed",)}.get(node["class_type"], ())
        for name in names:
            value = inputs.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors[node_id] = _node_error(
                    node["class_type"],
                    "Failed to convert an input value to a INT value",
                    f"{name}, {value!r}",
                )
        if node["class_type"] == "CLIPTextEncode" and not isinstance(inputs.get("text"), str):
            errors[node_id] = _node_error("CLIPTextEncode", "Required input is missing", "text")
    return _invalid(errors) if errors else None


def make_app(
    *,
    faults: FaultPlan | None = None,
    latency_s: float = 0.0,
    pending_polls: int = 1,
    execution_error: str | None = None,
    api_key: str | None = None,
) -> FastAPI:
    """The fake. `execution_error` makes every run fail with that exception message; `api_key`, when set,
    is required as a Bearer token (as an authenticating reverse proxy in front of ComfyUI would)."""
    app = FastAPI()
    app.state.requests = []
    app.state.prompts = {}
    app.state.created = 0
    app.state.faults = faults
    app.state.pending_polls = pending_polls  # tests may change it while a prompt "runs"
    polls: dict[str, int] = {}
    history: dict[str, dict[str, Any]] = {}
    files: dict[str, bytes] = {}

    @app.middleware("http")
    async def record_and_authorise(request: Request, call_next: Any) -> Response:
        body = await request.body()
        app.state.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "authorization": request.headers.get("authorization"),
                "body": body.decode(errors="replace"),
            }
        )
        if latency_s:
            await asyncio.sleep(latency_s)
        if api_key and request.headers.get("authorization") != f"Bearer {api_key}":
            return PlainTextResponse("401: Unauthorized", status_code=401)
        response: Response = await call_next(request)
        return response

    def finish(prompt_id: str, fail: str | None) -> None:
        number, graph = app.state.prompts[prompt_id]["number"], app.state.prompts[prompt_id]["prompt"]
        start = ["execution_start", {"prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}]
        save_ids = [i for i, n in graph.items() if n["class_type"] == "SaveImage"]
        entry: dict[str, Any] = {"prompt": [number, prompt_id, graph, {}, save_ids], "meta": {}}
        if fail:
            error = {"prompt_id": prompt_id, "node_id": "3", "node_type": "KSampler", "executed": ["4"]}
            error |= {"exception_message": fail, "exception_type": "RuntimeError", "traceback": []}
            entry |= {"outputs": {}, "status": {"status_str": "error", "completed": False}}
            entry["status"]["messages"] = [start, ["execution_error", error]]
        else:
            latent = next(n["inputs"] for n in graph.values() if n["class_type"] == "EmptyLatentImage")
            seed = next(n["inputs"]["seed"] for n in graph.values() if n["class_type"] == "KSampler")
            text = next(n["inputs"]["text"] for n in graph.values() if n["class_type"] == "CLIPTextEncode")
            outputs = {}
            for save_id in save_ids:
                name = (
                    f"{graph[save_id]['inputs'].get('filename_prefix', 'ComfyUI')}_{len(files) + 1:05}_.png"
                )
                files[name] = gradient_png(f"{text}|{seed}", latent["width"], latent["height"])
                outputs[save_id] = {"images": [{"filename": name, "subfolder": "", "type": "output"}]}
            success = ["execution_success", {"prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}]
            entry |= {"outputs": outputs, "status": {"status_str": "success", "completed": True}}
            entry["status"]["messages"] = [
                start,
                ["execution_cached", {"nodes": [], "prompt_id": prompt_id}],
                success,
            ]
        history[prompt_id] = entry

    @app.post("/prompt")
    async def post_prompt(request: Request) -> Response:
        fault = faults.next() if faults else None
        if fault in ("timeout", "slow") and faults:
            await asyncio.sleep(faults.hang_s if fault == "timeout" else faults.slow_s)
        if fault == "500":
            return PlainTextResponse(
                "500 Internal Server Error\n\nServer got itself in trouble", status_code=500
            )
        if fault == "429" and faults:
            headers = {"Retry-After": f"{faults.retry_after:g}"}
            return PlainTextResponse("429 Too Many Requests", status_code=429, headers=headers)
        if fault == "malformed":
            return HTMLResponse("<html><body>502 Bad Gateway</body></html>")
        data = await request.json()
        if "prompt" not in data:
            return JSONResponse(
                {"error": {"type": "no_prompt", "message": "No prompt provided"}}, status_code=400
            )
        invalid = _validate(data["prompt"])
        if invalid is not None:
            return invalid
        prompt_id = str(uuid.uuid4())
        app.state.created += 1
        app.state.prompts[prompt_id] = {
            "prompt": data["prompt"],
            "client_id": data.get("client_id"),
            "number": app.state.created,
            "fail": "NSFW content detected by the safety checker" if fault == "refusal" else execution_error,
        }
        polls[prompt_id] = 0
        return JSONResponse({"prompt_id": prompt_id, "number": app.state.created, "node_errors": {}})

    @app.get("/history/{prompt_id}")
    async def get_history(prompt_id: str) -> JSONResponse:
        if prompt_id in app.state.prompts and prompt_id not in history:
            polls[prompt_id] += 1
            if polls[prompt_id] > app.state.pending_polls:
                finish(prompt_id, app.state.prompts[prompt_id]["fail"])
        return JSONResponse({prompt_id: history[prompt_id]} if prompt_id in history else {})

    @app.get("/queue")
    async def get_queue() -> JSONResponse:
        running = [
            [p["number"], pid, p["prompt"], {"client_id": p["client_id"]}, []]
            for pid, p in app.state.prompts.items()
            if pid not in history
        ]
        return JSONResponse({"queue_running": running[:1], "queue_pending": running[1:]})

    @app.get("/view")
    async def view(filename: str, type: str = "output", subfolder: str = "") -> Response:
        if type != "output" or subfolder or filename not in files:
            return Response(status_code=404)
        return Response(files[filename], media_type="image/png")

    @app.get("/system_stats")
    async def system_stats() -> JSONResponse:
        system = {
            "os": "posix",
            "comfyui_version": "0.3.40",
            "python_version": "3.11.9",
            "pytorch_version": "2.7.0",
        }
        device = {"name": "cpu", "type": "cpu", "index": None, "vram_total": 0, "vram_free": 0}
        return JSONResponse({"system": system, "devices": [device]})

    return app
