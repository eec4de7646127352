"""The one place errors become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from designer_bff.errors import DesignerBFFError, RateLimited

log = logging.getLogger(__name__)


def _validation_detail(err: dict[str, Any]) -> dict[str, Any]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
    detail: dict[str, Any] = {"field": ".".join(loc) or None, "message": err.get("msg")}
    ctx = err.get("ctx") or {}
    if "allowed" in ctx:
        detail["allowed"] = ctx["allowed"]
    if err.get("type") == "json_invalid":
        detail["message"] = f"malformed JSON: {ctx.get('error', 'cannot parse the body')}"
    return detail


def install_error_handlers(app: FastAPI) -> None:
    """Map studio errors, validation errors and HTTP errors to JSON bodies with a clear message."""

    @app.exception_handler(DesignerBFFError)
    async def studio_error(_: Request, exc: DesignerBFFError) -> JSONResponse:
        """Studio errors carry their own status and data."""
        headers = {"Retry-After": str(int(exc.retry_after) + 1)} if isinstance(exc, RateLimited) else None
        if exc.status_code >= 500:
            log.error("%s: %s", exc.code, exc.message)
        return JSONResponse(jsonable_encoder(exc.to_dict()), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        """Request validation: name the field, the problem and any allowed values."""
        details = [_validation_detail(dict(e)) for e in exc.errors()]
        first = details[0] if details else {"message": "invalid request"}
        where = f"{first['field']}: " if first.get("field") else ""
        body = {
            "error": "invalid_input",
            "message": f"{where}{first['message']}",
            "field": first.get("field"),
            "errors": details,
        }
        if "allowed" in first:
            body["allowed"] = first["allowed"]
        return JSONResponse(jsonable_encoder(body), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Framework HTTP errors (404 route, 405 method) in the same JSON shape."""
        return JSONResponse(
            {"error": "http_error", "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        """Anything else: log it, answer 500 without internals."""
        log.exception("unhandled error")
        return JSONResponse(
            {"error": "internal_error", "message": "internal error; see the server log"}, status_code=500
        )
