"""A fake of the Gemini API's image generation (`POST /{v1,v1beta}/models/{model}:generateContent`).

It speaks the documented REST shape the official `google-genai` SDK sends and parses: an
`x-goog-api-key` header, `{"contents": [{"parts": [{"text"} | {"inlineData"}]}], "generationConfig":
{"responseModalities", "imageConfig": {"aspectRatio", "imageSize"}}}` in, and `{"candidates": [{"content":
{"parts": [{"inlineData": {"mimeType", "data"}}]}, "finishReason"}], "usageMetadata", "modelVersion",
"responseId"}` out. Errors use Google's `{"error": {"code", "message", "status", "details"}}`: a wrong
key is a 400 `API_KEY_INVALID` (as the real API answers), a missing key a 403, quota a 429
`RESOURCE_EXHAUSTED` with a `RetryInfo.retryDelay`. A refusal is a 200 whose `promptFeedback.blockReason`
is set (or, with `refusal_style="image"`, a candidate that finished with `IMAGE_SAFETY` and no image).
Images are real PNGs at the size the vendor documents for the aspect ratio and size tier.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image

from tests.fakes.faults import FaultPlan

# Output sizes at the 1K tier per aspect ratio, from Google's image-generation guide; 2K and 4K double
# and quadruple them. Gemini 2.5 Flash Image only has the 1K tier.
SIZES_3X = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
}
SIZES_25 = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}
TIERS = {"1K": 1, "2K": 2, "4K": 4}
# Image output tokens per tier (Gemini API pricing page): what `usageMetadata` reports.
IMAGE_TOKENS = {
    "gemini-2.5-flash-image": {"1K": 1290},
    "gemini-3.1-flash-image": {"1K": 1120, "2K": 1680, "4K": 2520},
    "gemini-3-pro-image": {"1K": 1120, "2K": 1120, "4K": 2000},
}
INPUT_IMAGE_TOKENS = 258


def gradient_png(prompt: str, width: int, height: int) -> bytes:
    """A real PNG of this size: a diagonal gradient between two colours derived from the prompt."""
    digest = hashlib.sha256(prompt.encode()).digest()
    start = Image.new("RGB", (width, height), tuple(digest[:3]))
    end = Image.new("RGB", (width, height), tuple(digest[3:6]))
    mask = Image.linear_gradient("L").resize((width, height))
    buffer = io.BytesIO()
    Image.composite(start, end, mask).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def google_error(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    """An answer in Google's error shape."""
    body: dict[str, Any] = {"error": {"code": code, "message": message, "status": status}}
    if details:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=code)


def _family(model: str) -> str | None:
    return next((family for family in IMAGE_TOKENS if model.startswith(family)), None)


def make_app(
    *,
    faults: FaultPlan | None = None,
    latency_s: float = 0.0,
    api_key: str = "gk-test",
    refusal_style: str = "prompt",
) -> FastAPI:
    """The fake; every request is recorded in `app.state.requests` (path, headers, JSON body, fault)."""
    app = FastAPI()
    app.state.requests = []
    app.state.faults = faults

    @app.post("/{version}/models/{model}:generateContent")
    async def generate_content(version: str, model: str, request: Request) -> Response:
        body = await request.json()
        record: dict[str, Any] = {
            "version": version,
            "model": model,
            "headers": dict(request.headers),
            "body": body,
            "fault": None,
        }
        app.state.requests.append(record)
        if version not in ("v1", "v1beta"):
            return google_error(404, "NOT_FOUND", f"API version {version} is not served.")
        if latency_s:
            await asyncio.sleep(latency_s)
        key = request.headers.get("x-goog-api-key")
        if not key:
            return google_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.")
        if key != api_key:
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            )
        family = _family(model)
        if family is None:
            return google_error(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1beta, or "
                "is not supported for generateContent.",
            )
        fault = faults.next() if faults else None
        record["fault"] = fault
        if fault == "500":
            return google_error(500, "INTERNAL", "An internal error has occurred. Please retry.")
        if fault == "429":
            delay = faults.retry_after if faults else 1.0
            return google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "You exceeded your current quota.",
                [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{delay:g}s"}],
            )
        if fault in ("timeout", "slow") and faults:
            await asyncio.sleep(faults.hang_s if fault == "timeout" else faults.slow_s)
        if fault == "malformed":
            return Response(b'{"candidates": [{"content": ', media_type="application/json")
        parts = body.get("contents", [{}])[-1].get("parts", [])
        prompt = " ".join(p.get("text", "") for p in parts).strip()
        images = [p for p in parts if "inlineData" in p]
        if not prompt:
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "* GenerateContentRequest.contents: contents is not specified or the text part is empty",
            )
        image_config = body.get("generationConfig", {}).get("imageConfig", {})
        table = SIZES_25 if family == "gemini-2.5-flash-image" else SIZES_3X
        ratio = image_config.get("aspectRatio", "1:1")
        tier = image_config.get("imageSize", "1K")
        if ratio not in table or tier not in IMAGE_TOKENS[family]:
            return google_error(
                400,
                "INVALID_ARGUMENT",
                f"Unsupported image config: aspectRatio={ratio!r}, imageSize={tier!r} for {model}.",
            )
        usage = {
            "promptTokenCount": max(1, len(prompt) // 4) + INPUT_IMAGE_TOKENS * len(images),
            "candidatesTokenCount": IMAGE_TOKENS[family][tier],
        }
        usage["totalTokenCount"] = usage["promptTokenCount"] + usage["candidatesTokenCount"]
        usage["candidatesTokensDetails"] = [{"modality": "IMAGE", "tokenCount": IMAGE_TOKENS[family][tier]}]
        answer: dict[str, Any] = {"modelVersion": model, "responseId": uuid.uuid4().hex[:22]}
        record["response_id"] = answer["responseId"]
        if fault == "refusal" and refusal_style == "prompt":
            answer["promptFeedback"] = {"blockReason": "PROHIBITED_CONTENT"}
            answer["usageMetadata"] = {
                "promptTokenCount": usage["promptTokenCount"],
                "totalTokenCount": usage["promptTokenCount"],
            }
            return JSONResponse(answer)
        if fault == "refusal":
            answer["candidates"] = [{"content": {"role": "model"}, "finishReason": "IMAGE_SAFETY"}]
            return JSONResponse(answer)
        width, height = (side * TIERS[tier] for side in table[ratio])
        data = base64.b64encode(gradient_png(prompt, width, height)).decode()
        answer["candidates"] = [
            {
                "content": {
                    "role": "model",
                    "parts": [{"inlineData": {"mimeType": "image/png", "data": data}}],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ]
        answer["usageMetadata"] = usage
        return JSONResponse(answer)

    return app
