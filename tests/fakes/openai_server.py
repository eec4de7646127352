"""A fake of OpenAI's Images API (`/v1/images/generations`, `/v1/images/edits`) for the official SDK.

It speaks the documented wire format: JSON in (multipart for edits), `{"created", "data": [{"b64_json",
"revised_prompt"}], "usage"}` out, errors as `{"error": {"message", "type", "param", "code"}}`, a
`Bearer` key and an `x-request-id` on every answer. Images are real PNGs (a gradient coloured by the
prompt hash) at the requested size. A `FaultPlan` decides each generation's fault. Every request is
recorded in `app.state.requests`; `app.state.images_served` counts images actually delivered (an
idempotent replay or a hang the client gave up on delivers nothing new).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import math
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError

from tests.fakes.faults import FaultPlan

SIZES = {
    "gpt-image-1": ("1024x1024", "1024x1536", "1536x1024"),
    "gpt-image-1.5": ("1024x1024", "1024x1536", "1536x1024"),
    "dall-e-3": ("1024x1024", "1024x1792", "1792x1024"),
}
_GPT_QUALITIES = ("low", "medium", "high", "auto")
QUALITIES = {"gpt-image-1": _GPT_QUALITIES, "gpt-image-1.5": _GPT_QUALITIES, "dall-e-3": ("standard", "hd")}
MAX_PROMPT = {"gpt-image-1": 32000, "gpt-image-1.5": 32000, "dall-e-3": 4000}
# Image output tokens per image as OpenAI's image-generation guide tabulates them (square / other sizes).
OUTPUT_TOKENS = {"low": (272, 408), "medium": (1056, 1584), "high": (4160, 6240)}
INPUT_IMAGE_TOKENS = 323  # per reference image at low input fidelity (approximate, for usage only)


def gradient_png(prompt: str, width: int, height: int) -> bytes:
    """A real PNG of this size: a top-to-bottom gradient between two colours derived from the prompt."""
    buffer = io.BytesIO()
    gradient(prompt, (width, height)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def gradient(prompt: str, size: tuple[int, int]) -> Image.Image:
    """A palette image (256 steps between two prompt-hash colours): encodes ~5x faster than RGB."""
    digest = hashlib.sha256(prompt.encode()).digest()
    top, bottom = digest[:3], digest[3:6]
    palette = [round(top[c] + (bottom[c] - top[c]) * step / 255) for step in range(256) for c in range(3)]
    image = Image.frombytes("P", size, Image.linear_gradient("L").resize(size).tobytes())
    image.putpalette(palette)
    return image


def error(
    status: int,
    message: str,
    *,
    type_: str,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An answer in OpenAI's error shape."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def make_app(
    *,
    faults: FaultPlan | None = None,
    latency_s: float = 0.0,
    api_key: str = "sk-test",
    unverified_models: tuple[str, ...] = (),
) -> FastAPI:
    """The fake; `unverified_models` answer 403 as for an organisation that has not been verified."""
    app = FastAPI()
    app.state.requests = []
    app.state.images_served = 0
    app.state.faults = faults
    replays: dict[str, dict[str, Any]] = {}

    async def handle(
        request: Request, params: dict[str, Any], images: list[bytes], endpoint: str
    ) -> JSONResponse:
        record: dict[str, Any] = {
            "endpoint": endpoint,
            **{k: v for k, v in params.items() if k != "image"},
            "reference_images": len(images),
            "authorization": request.headers.get("authorization"),
            "idempotency_key": request.headers.get("idempotency-key"),
            "fault": None,
            "status": None,
        }
        app.state.requests.append(record)
        answer = await respond(request, params, images, record)
        record["status"] = answer.status_code
        answer.headers["x-request-id"] = f"req_{uuid.uuid4().hex}"
        return answer

    async def respond(
        request: Request, params: dict[str, Any], images: list[bytes], record: dict[str, Any]
    ) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {api_key}":
            given = (request.headers.get("authorization") or "").removeprefix("Bearer ")
            return error(
                401,
                f"Incorrect API key provided: {given[:8]}***. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                type_="invalid_request_error",
                code="invalid_api_key",
            )
        invalid = validate(params, images)
        if invalid is not None:
            return invalid
        model = params["model"]
        if model in unverified_models:
            return error(
                403,
                f"Your organization must be verified to use the model `{model}`.",
                type_="invalid_request_error",
            )
        key = request.headers.get("idempotency-key")
        if key and key in replays:
            record["replayed"] = True
            return JSONResponse(replays[key])
        fault = app.state.faults.next() if app.state.faults else None
        record["fault"] = fault
        if latency_s:
            await asyncio.sleep(latency_s)
        if fault == "500":
            return error(
                500,
                "The server had an error while processing your request. Sorry about that!",
                type_="server_error",
            )
        if fault == "429":
            wait = app.state.faults.retry_after
            return error(
                429,
                f"Rate limit reached for {model} in organization org-fake on images per minute "
                "(ipm). Limit: 5, Used: 5, Requested: 1.",
                type_="requests",
                code="rate_limit_exceeded",
                headers={"retry-after": f"{wait:g}", "retry-after-ms": str(round(wait * 1000))},
            )
        if fault == "refusal":
            if model == "dall-e-3":
                return error(
                    400,
                    "Your request was rejected as a result of our safety system. Your prompt may "
                    "contain text that is not allowed by our safety system.",
                    type_="invalid_request_error",
                    code="content_policy_violation",
                )
            return error(
                400,
                "Your request was rejected by the safety system. If you believe this is an error, "
                "contact us at help.openai.com and include the request ID.",
                type_="image_generation_user_error",
                code="moderation_blocked",
            )
        if fault == "malformed":
            # A 200 the SDK parses but that carries no image: what a truncated upstream answer looks like.
            return JSONResponse({"created": int(time.time()), "data": [{"revised_prompt": None}]})
        plan = app.state.faults
        pause = plan.hang_s if fault == "timeout" else plan.slow_s if fault == "slow" else 0.0
        if pause and not await sleep_unless_gone(request, pause):
            record["abandoned"] = True
            return error(499, "client closed the request", type_="server_error")
        body = success(params, images)
        app.state.images_served += 1
        if key:
            replays[key] = body
        return JSONResponse(body)

    def validate(params: dict[str, Any], images: list[bytes]) -> JSONResponse | None:
        model = params.get("model")
        if model not in SIZES:
            return error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                type_="invalid_request_error",
                code="model_not_found",
            )
        prompt = params.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return error(
                400,
                "Missing required parameter: 'prompt'.",
                type_="invalid_request_error",
                param="prompt",
                code="missing_required_parameter",
            )
        if len(prompt) > MAX_PROMPT[model]:
            return error(
                400,
                f"Invalid 'prompt': string too long. Expected a string with maximum length "
                f"{MAX_PROMPT[model]}, but got a string with length {len(prompt)} instead.",
                type_="invalid_request_error",
                param="prompt",
                code="string_above_max_length",
            )
        checks = (("size", SIZES[model]), ("quality", QUALITIES[model]))
        for name, allowed in checks:
            if name in params and params[name] not in allowed:
                return error(
                    400,
                    f"Invalid value: '{params[name]}'. Supported values are: "
                    f"{', '.join(repr(a) for a in allowed)}.",
                    type_="invalid_request_error",
                    param=name,
                    code="invalid_value",
                )
        if model.startswith("gpt-image"):
            for unknown in ("response_format", "style"):
                if unknown in params:
                    return error(
                        400,
                        f"Unknown parameter: '{unknown}'.",
                        type_="invalid_request_error",
                        param=unknown,
                        code="unknown_parameter",
                    )
        else:
            if int(params.get("n", 1)) != 1:
                return error(
                    400, "You must provide n=1 for this model.", type_="invalid_request_error", param="n"
                )
            if params.get("response_format", "url") != "b64_json":
                return error(
                    400,
                    "This fake serves response_format='b64_json' only.",
                    type_="invalid_request_error",
                    param="response_format",
                )
            if params.get("style", "vivid") not in ("vivid", "natural"):
                return error(
                    400,
                    f"Invalid value: '{params['style']}'.",
                    type_="invalid_request_error",
                    param="style",
                    code="invalid_value",
                )
        for raw in images:
            try:
                Image.open(io.BytesIO(raw)).verify()
            except (UnidentifiedImageError, OSError, SyntaxError):
                return error(
                    400,
                    "Invalid image file or mode for image 1, please check your image file.",
                    type_="invalid_request_error",
                    param="image",
                    code="invalid_image_file",
                )
        return None

    def success(params: dict[str, Any], images: list[bytes]) -> dict[str, Any]:
        model, prompt = params["model"], params["prompt"]
        size = params.get("size", "1024x1024")
        width, height = (int(v) for v in size.split("x"))
        data: dict[str, Any] = {"b64_json": base64.b64encode(gradient_png(prompt, width, height)).decode()}
        body: dict[str, Any] = {"created": int(time.time()), "data": [data]}
        if model == "dall-e-3":
            data["revised_prompt"] = f"A photorealistic image: {prompt}"
            return body
        quality = params.get("quality", "auto")
        quality = "medium" if quality == "auto" else quality
        text_in = math.ceil(len(prompt) / 4)
        image_in = INPUT_IMAGE_TOKENS * len(images)
        image_out = OUTPUT_TOKENS[quality][0 if width == height else 1]
        body.update(
            background="opaque",
            output_format="png",
            quality=quality,
            size=size,
            usage={
                "input_tokens": text_in + image_in,
                "input_tokens_details": {"text_tokens": text_in, "image_tokens": image_in},
                "output_tokens": image_out,
                "output_tokens_details": {"image_tokens": image_out, "text_tokens": 0},
                "total_tokens": text_in + image_in + image_out,
            },
        )
        return body

    @app.post("/v1/images/generations")
    async def generations(request: Request) -> JSONResponse:
        try:
            params = await request.json()
        except ValueError:
            return error(
                400, "We could not parse the JSON body of your request.", type_="invalid_request_error"
            )
        return await handle(request, params, [], "generations")

    @app.post("/v1/images/edits")
    async def edits(request: Request) -> JSONResponse:
        form = await request.form()
        params: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        images = [
            await v.read()
            for k, v in form.multi_items()
            if k in ("image", "image[]") and not isinstance(v, str)
        ]
        if not images:
            return error(
                400, "Missing required parameter: 'image'.", type_="invalid_request_error", param="image"
            )
        return await handle(request, params, images, "edits")

    return app


async def sleep_unless_gone(request: Request, seconds: float) -> bool:
    """Sleep up to `seconds`; False as soon as the client has hung up (it will never read the answer)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        if await request.is_disconnected():
            return False
    return True
