"""The studio web UI: the single page at `/` and its static files under `/static/` (kept out of OpenAPI)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from designer_bff.errors import NotFound

router = APIRouter(include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"
STATIC_DIR = WEB_DIR / "static"
PAGE = WEB_DIR / "templates" / "index.html"

# Only these kinds are served; anything else in the folder (editor backups, notes) stays private.
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}

# Images may come straight from an S3/CDN origin through presigned URLs, hence http(s): in img-src.
# Everything else is same-origin only: no inline script, no plugins, no framing (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob: https: http:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _etag(path: Path) -> str:
    """A validator from size and mtime: cheap, and changes whenever the file is edited."""
    stat = path.stat()
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def _conditional(request: Request, path: Path, media_type: str) -> Response:
    """The file's bytes, or 304 when the browser's copy is current."""
    etag = _etag(path)
    # no-cache = revalidate every time: module imports carry no version in their URLs, so a long
    # max-age would leave browsers running stale scripts after an upgrade.
    headers = {**SECURITY_HEADERS, "ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(path.read_bytes(), media_type=media_type, headers=headers)


@router.get("/", response_class=HTMLResponse)
def page(request: Request) -> Response:
    """The studio's single page; the scripts it loads talk to the JSON API with a bearer token."""
    return _conditional(request, PAGE, "text/html; charset=utf-8")


@router.get("/static/{file_path:path}")
def static_file(file_path: str, request: Request) -> Response:
    """A script, stylesheet or icon of the page (404 for anything outside the static folder)."""
    root = STATIC_DIR.resolve()
    candidate = (root / file_path).resolve()
    media_type = _MEDIA_TYPES.get(candidate.suffix.lower())
    # resolve() folds `..` and symlinks, so the containment check below stops path traversal.
    if media_type is None or not candidate.is_relative_to(root) or not candidate.is_file():
        raise NotFound(f"static file {file_path!r} not found")
    return _conditional(request, candidate, media_type)
