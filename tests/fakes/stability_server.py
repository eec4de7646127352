"""A fake of Stability AI's REST v2beta `stable-image/generate/{ultra,core,sd3}` endpoints.

It speaks the documented wire format: multipart/form-data in (prompt, negative_prompt, aspect_ratio, seed,
output_format, model), a `Bearer` key, and with `Accept: image/*` the raw image bytes out with `seed`,
`finish-reason` and `x-request-id` headers (`Accept: application/json` gets `{"image", "finish_reason",
"seed"}`); errors are `{"id", "name", "errors": [...]}`. Images are real (a gradient coloured by the
prompt hash) at the size the real API renders for each aspect ratio. A `FaultPlan` decides each
generation's fault; prompts containing one of `filtered_terms` come back CONTENT_FILTERED (blurred, not
billed). Every request is recorded in `app.state.requests`; `app.state.images_served` counts billable
images actually delivered.
"""

from __future__ import annotations

import asyncio
import base64
import io
import random
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from PIL import ImageFilter

from tests.fakes.faults import FaultPlan
from tests.fakes.openai_server import gradient

# Output pixels per aspect ratio (~1 megapixel), as the SD3/Ultra models render them.
SIZES = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "21:9": (1536, 640),
    "2:3": (832, 1216),
    "3:2": (1216, 832),
    "4:5": (896, 1088),
    "5:4": (1088, 896),
    "9:16": (768, 1344),
    "9:21": (640, 1536),
}
SD3_MODELS = (
    "sd3.5-large",
    "sd3.5-large-turbo",
    "sd3.5-medium",
    "sd3-large",
    "sd3-large-turbo",
    "sd3-medium",
)
FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
MAX_SEED = 4_294_967_294


def gradient_image(prompt: str, size: tuple[int, int], fmt: str, *, blur: bool = False) -> bytes:
    """A real encoded image of this size: a gradient between two prompt-hash colours (blurred if asked)."""
    image = gradient(prompt, size)
    if blur or fmt != "png":
        image = image.convert("RGB")
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(24))
    buffer = io.BytesIO()
    image.save(buffer, format=FORMATS[fmt], **({"compress_level": 1} if fmt == "png" else {}))
    return buffer.getvalue()


def error(status: int, name: str, *errors: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An answer in Stability's error shape."""
    return JSONResponse({"id": uuid.uuid4().hex, "name": name, "errors": list(errors)}, status, headers)


def make_app(
    *,
    faults: FaultPlan | None = None,
    latency_s: float = 0.0,
    api_key: str = "sk-test",
    filtered_terms: tuple[str, ...] = (),
    seed: int = 0,
    send_retry_after: bool = True,
) -> FastAPI:
    """The fake; `seed` fixes the seeds it picks for seed 0 (= random); 429s carry Retry-After if asked."""
    app = FastAPI()
    app.state.requests = []
    app.state.images_served = 0
    app.state.faults = faults
    chooser = random.Random(seed)

    @app.post("/v2beta/stable-image/generate/{endpoint}")
    async def generate(endpoint: str, request: Request) -> Response:
        record: dict[str, Any] = {
            "endpoint": endpoint,
            "authorization": request.headers.get("authorization"),
            "accept": request.headers.get("accept"),
            "content_type": (request.headers.get("content-type") or "").split(";")[0],
            "idempotency_key": request.headers.get("idempotency-key"),
            "fault": None,
        }
        app.state.requests.append(record)
        answer = await respond(endpoint, request, record)
        record["status"] = answer.status_code
        answer.headers["x-request-id"] = uuid.uuid4().hex
        return answer

    async def respond(endpoint: str, request: Request, record: dict[str, Any]) -> Response:
        if endpoint not in ("ultra", "core", "sd3"):
            return error(404, "not_found", f"no route for /v2beta/stable-image/generate/{endpoint}")
        if request.headers.get("authorization") != f"Bearer {api_key}":
            return error(401, "unauthorized", "authorization: invalid or missing header value")
        if record["content_type"] != "multipart/form-data":
            return error(400, "bad_request", "content-type: must be multipart/form-data")
        form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
        record["form"] = form
        problem = validate(endpoint, form, record["accept"] or "")
        if problem:
            return error(400, "bad_request", problem)
        fault = app.state.faults.next() if app.state.faults else None
        record["fault"] = fault
        if latency_s:
            await asyncio.sleep(latency_s)
        if fault == "500":
            return error(
                500, "internal_error", "An unexpected server error has occurred, please try again later."
            )
        if fault == "429":
            wait = app.state.faults.retry_after
            return error(
                429,
                "rate_limit_exceeded",
                "You have exceeded the rate limit of 150 requests within a 10 second period, and have been "
                "timed out for 60 seconds.",
                headers={"retry-after": f"{wait:g}"} if send_retry_after else None,
            )
        if fault == "refusal":
            return error(
                403,
                "content_moderation",
                "Your request was flagged by our content moderation system, as a result your request was "
                "denied and you were not charged.",
            )
        if fault == "malformed":
            # Claims to be a PNG but is cut off after the signature: what a truncated upstream answer is.
            return Response(
                b"\x89PNG\r\n\x1a\n\x00\x00", media_type="image/png", headers={"finish-reason": "SUCCESS"}
            )
        plan = app.state.faults
        pause = plan.hang_s if fault == "timeout" else plan.slow_s if fault == "slow" else 0.0
        if pause and not await sleep_unless_gone(request, pause):
            record["abandoned"] = True
            return error(499, "client_closed_request", "the client hung up")
        return success(form, record)

    def validate(endpoint: str, form: dict[str, str], accept: str) -> str | None:
        if accept not in ("image/*", "application/json"):
            return "accept: must be image/* or application/json"
        prompt = form.get("prompt", "")
        if not 1 <= len(prompt) <= 10000:
            return "prompt: must be between 1 and 10000 characters"
        if len(form.get("negative_prompt", "")) > 10000:
            return "negative_prompt: must be at most 10000 characters"
        if form.get("aspect_ratio", "1:1") not in SIZES:
            return f"aspect_ratio: must be one of {', '.join(SIZES)}"
        seed = form.get("seed", "0")
        if not seed.isdigit() or int(seed) > MAX_SEED:
            return f"seed: must be an integer between 0 and {MAX_SEED}"
        formats = ("png", "jpeg") if endpoint == "sd3" else tuple(FORMATS)
        if form.get("output_format", "png") not in formats:
            return f"output_format: must be one of {', '.join(formats)}"
        if endpoint == "sd3" and form.get("model", "sd3.5-large") not in SD3_MODELS:
            return f"model: must be one of {', '.join(SD3_MODELS)}"
        return None

    def success(form: dict[str, str], record: dict[str, Any]) -> Response:
        seed = int(form.get("seed", "0")) or chooser.randint(1, MAX_SEED)
        fmt = form.get("output_format", "png")
        filtered = any(term in form["prompt"].lower() for term in filtered_terms)
        data = gradient_image(form["prompt"], SIZES[form.get("aspect_ratio", "1:1")], fmt, blur=filtered)
        finish = "CONTENT_FILTERED" if filtered else "SUCCESS"
        if not filtered:
            app.state.images_served += 1
        if record["accept"] == "application/json":
            return JSONResponse(
                {"image": base64.b64encode(data).decode(), "finish_reason": finish, "seed": seed}
            )
        headers = {"seed": str(seed), "finish-reason": finish}
        return Response(data, media_type=f"image/{fmt}", headers=headers)

    return app


async def sleep_unless_gone(request: Request, seconds: float) -> bool:
    """Sleep up to `seconds`; False as soon as the client has hung up (it will never read the answer)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        if await request.is_disconnected():
            return False
    return True
