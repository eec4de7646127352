"""The `comfyui` provider: a self-hosted ComfyUI server runs a workflow template once per image.

ComfyUI has no official Python SDK, so this adapter speaks its HTTP API with httpx: `POST /prompt` queues
the filled-in graph, `GET /history/{prompt_id}` answers once the run has finished, and `GET /view` serves
the saved image. Progress is followed by polling /history with backoff; the `/ws` websocket would only
tell us sooner, at the cost of an extra dependency and a second connection to keep healthy.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError

from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import Capabilities, GeneratedImage, ImageRequest, Price, PriceTable

PLACEHOLDERS = ("prompt", "negative_prompt", "seed", "width", "height", "checkpoint")
REQUIRED_PLACEHOLDERS = ("prompt", "seed", "width", "height")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# The checkpoint of ComfyUI's own default workflow (Stable Diffusion 1.5), used by `{{checkpoint}}`.
DEFAULT_CHECKPOINT = "v1-5-pruned-emaonly.safetensors"
MIN_SIDE, MAX_SIDE = 256, 2048
PRICES = PriceTable(as_of="2026-11-21", source="self-hosted", rows=(Price(0.0),))


def packaged_workflow() -> Path:
    """The Stable Diffusion txt2img template that ships with the studio."""
    return Path(str(resources.files("designer_bff.providers") / "comfyui_workflow.json"))


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def _braced(names: Sequence[str]) -> str:
    return ", ".join("{{" + name + "}}" for name in names)


def load_workflow(path: Path) -> dict[str, Any]:
    """Read an API-format workflow and check its placeholders (ConfigurationError naming what is wrong)."""
    try:
        graph = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the ComfyUI workflow {path}: {exc}", path=str(path)) from exc
    if (
        not isinstance(graph, dict)
        or not graph
        or not all(isinstance(node, dict) and "class_type" in node for node in graph.values())
    ):
        raise ConfigurationError(
            f"{path} is not a ComfyUI API-format workflow (every top-level value must be a node with a "
            "class_type; export it with 'Export (API)' in ComfyUI)",
            path=str(path),
        )
    found = {name for text in _strings(graph) for name in _PLACEHOLDER.findall(text)}
    missing = [name for name in REQUIRED_PLACEHOLDERS if name not in found]
    unknown = sorted(found - set(PLACEHOLDERS))
    if missing or unknown:
        problems = [f"missing {_braced(missing)}"] if missing else []
        problems += [f"unknown {_braced(unknown)}"] if unknown else []
        raise ConfigurationError(
            f"ComfyUI workflow {path}: {'; '.join(problems)} (known placeholders: {_braced(PLACEHOLDERS)}; "
            f"required: {_braced(REQUIRED_PLACEHOLDERS)})",
            path=str(path),
            missing=missing or None,
        )
    return graph


def fill(node: Any, values: dict[str, str | int]) -> Any:
    """A copy of the graph with placeholders replaced in the parsed JSON, never in its text.

    A string that is exactly one placeholder takes the value's type (so seed/width/height become ints);
    inside a longer string a placeholder is replaced by its text. Values are never scanned again, so a
    prompt containing quotes, braces or even "{{seed}}" arrives verbatim.
    """
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(value, values) for value in node]
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole:
            return values[whole[1]]
        return _PLACEHOLDER.sub(lambda m: str(values[m[1]]), node)
    return node


def fit_size(width: int, height: int) -> tuple[int, int]:
    """The nearest size the SD graph takes: sides multiples of 8 (the latent is 1/8 scale) in 256..2048."""
    scale = 1.0
    if min(width, height) < MIN_SIDE:  # grow tiny requests, keeping the aspect ratio
        scale = MIN_SIDE / min(width, height)
    if max(width, height) * scale > MAX_SIDE:
        scale = MAX_SIDE / max(width, height)
    w, h = (min(MAX_SIDE, max(MIN_SIDE, int(side * scale / 8 + 0.5) * 8)) for side in (width, height))
    return w, h


class ComfyUIProvider:
    """Runs one workflow template (one model) on a self-hosted ComfyUI; images cost nothing per call."""

    provider_id = "comfyui"
    prices = PRICES

    def __init__(
        self,
        *,
        base_url: str | None,
        workflow_path: Path | None = None,
        timeout_s: float = 600.0,
        model: str | None = None,
        api_key: str | None = None,
        checkpoint: str = DEFAULT_CHECKPOINT,
        poll_interval_s: float = 0.25,
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.workflow_path = workflow_path or packaged_workflow()
        # Read and checked now: a broken template is a configuration error at start, not at the first image.
        self._workflow = load_workflow(self.workflow_path)
        self.model = model or self.workflow_path.stem
        self.timeout_s, self.checkpoint, self.poll_interval_s = timeout_s, checkpoint, poll_interval_s
        self._api_key = api_key
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        placeholders = {n for text in _strings(self._workflow) for n in _PLACEHOLDER.findall(text)}
        self.capabilities = Capabilities(
            negative_prompt="negative_prompt" in placeholders,
            aspect_ratios=("1:1", "3:4", "4:3", "2:3", "3:2", "9:16", "16:9", "4:5", "5:4", "1:2", "2:1"),
            # CLIPTextEncode splits long prompts into 77-token windows itself; this only stops runaways.
            max_prompt_length=10_000,
            seed=True,
            min_side=MIN_SIDE,
            max_side=MAX_SIDE,
            # Quality only changes the size the planner asks for; the graph's steps stay the template's.
            qualities=("standard", "hd"),
            prompt_family="sd",
            typical_latency_s=15.0,  # SD 1.5, 25 steps at 1024 px on a consumer GPU
        )

    def is_configured(self) -> bool:
        """True when a ComfyUI URL is set (the template was already checked when constructed)."""
        return bool(self.base_url)

    def price_usd(self, width: int, height: int, quality: str) -> float:
        """Self-hosted: no per-image price."""
        return self.prices.price(*fit_size(width, height), quality)

    def _http(self) -> httpx.Client:
        if not self.base_url:
            raise ConfigurationError("the comfyui provider needs comfyui_url (e.g. http://127.0.0.1:8188)")
        with self._client_lock:
            if self._client is None:
                headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
                self._client = httpx.Client(base_url=self.base_url, timeout=self.timeout_s, headers=headers)
            return self._client

    def _fail(self, message: str, kind: str = "transient", retry_after: float | None = None) -> ProviderError:
        return ProviderError(
            f"comfyui ({self.model}): {message}",
            provider=self.provider_id,
            kind=kind,
            retry_after=retry_after,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP call with every failure mapped onto a ProviderError kind."""
        try:
            response = self._http().request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise self._fail(f"{method} {path} timed out after {self.timeout_s:g}s", "timeout") from exc
        except httpx.TransportError as exc:
            raise self._fail(f"cannot reach {self.base_url}: {exc}") from exc
        if response.is_success:
            return response
        status, text = response.status_code, _error_text(response)
        if status in (401, 403):
            raise self._fail(f"HTTP {status} (check the proxy's api key): {text}", "auth")
        if status == 429:
            raise self._fail(f"HTTP 429: {text}", "rate_limit", _retry_after(response))
        raise self._fail(
            f"HTTP {status} on {method} {path}: {text}", "transient" if status >= 500 else "invalid"
        )

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if not isinstance(body, dict):
            raise self._fail(f"malformed answer from {response.request.url.path}: {body!r:.200}")
        return body

    def health(self) -> dict[str, Any]:
        """ComfyUI's /system_stats (versions, devices, memory); raises ProviderError when unreachable."""
        return self._json(self._call("GET", "/system_stats"))

    def _submit(self, request: ImageRequest, width: int, height: int) -> str:
        values: dict[str, str | int] = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or "",
            "seed": request.seed,
            "width": width,
            "height": height,
            "checkpoint": self.checkpoint,
        }
        graph = fill(self._workflow, values)
        body = self._json(
            self._call("POST", "/prompt", json={"prompt": graph, "client_id": uuid.uuid4().hex})
        )
        if body.get("node_errors"):
            raise self._fail(f"the workflow was rejected: {_node_errors(body['node_errors'])}", "invalid")
        prompt_id = body.get("prompt_id")
        if not isinstance(prompt_id, str) or not prompt_id:
            raise self._fail(f"malformed /prompt answer without a prompt_id: {body!r:.200}")
        if request.on_submitted is not None:
            request.on_submitted(prompt_id)
        return prompt_id

    def _known(self, prompt_id: str) -> bool:
        """Whether the server still has this prompt: finished (history) or waiting/running (queue)."""
        if self._history(prompt_id):
            return True
        queue = self._json(self._call("GET", "/queue"))
        items = [*queue.get("queue_running", []), *queue.get("queue_pending", [])]  # [number, id, ...]
        # History again after the queue: the run may have finished between the two calls.
        return any(item[1:2] == [prompt_id] for item in items if isinstance(item, list)) or bool(
            self._history(prompt_id)
        )

    def _history(self, prompt_id: str) -> dict[str, Any] | None:
        entry = self._json(self._call("GET", f"/history/{prompt_id}")).get(prompt_id)
        return entry if isinstance(entry, dict) else None

    def _wait(self, prompt_id: str, deadline: float) -> dict[str, Any]:
        """Poll the history with backoff until the run has finished (or the deadline passes)."""
        delay = self.poll_interval_s
        while (entry := self._history(prompt_id)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._fail(f"prompt {prompt_id} not finished after {self.timeout_s:g}s", "timeout")
            time.sleep(min(delay, remaining))
            delay = min(delay * 1.5, 2.0)
        status = entry.get("status") or {}
        if isinstance(status, dict) and status.get("status_str") == "error":
            raise self._fail(f"prompt {prompt_id} failed: {_execution_error(status)}")
        return entry

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """Queue the filled-in workflow (or resume `request.vendor_ref`), wait for it, fetch the image."""
        if len(request.prompt) > self.capabilities.max_prompt_length:
            raise self._fail(
                f"prompt of {len(request.prompt)} characters is over {self.capabilities.max_prompt_length}",
                "invalid",
            )
        deadline = time.monotonic() + self.timeout_s
        width, height = fit_size(request.width, request.height)
        prompt_id = request.vendor_ref
        # ComfyUI keeps its queue and history in memory: after a restart an earlier prompt id is simply
        # gone. Re-queue then; running it again on our own server costs nothing.
        if prompt_id and not self._known(prompt_id):
            prompt_id = None
        if not prompt_id:
            prompt_id = self._submit(request, width, height)
        entry = self._wait(prompt_id, deadline)
        image = _first_image(entry.get("outputs"))
        if image is None:
            raise self._fail(f"prompt {prompt_id} finished without an output image")
        response = self._call("GET", "/view", params=image)
        try:
            with Image.open(io.BytesIO(response.content)) as decoded:
                size, mime = decoded.size, Image.MIME.get(decoded.format or "", "image/png")
        except (UnidentifiedImageError, OSError) as exc:
            raise self._fail(f"image {image['filename']} of prompt {prompt_id} is not decodable") from exc
        return GeneratedImage(
            data=response.content,
            mime=mime,
            width=size[0],
            height=size[1],
            provider=self.provider_id,
            model=self.model,
            seed=request.seed,
            cost_usd=self.prices.price(size[0], size[1], request.quality),
            vendor_ref=prompt_id,
            extra={
                "cost_basis": "self-hosted",
                "workflow": self.workflow_path.name,
                "filename": image["filename"],
            },
        )


def _first_image(outputs: Any) -> dict[str, str] | None:
    """The first saved image (type "output") of the run, as /view query parameters."""
    found = []
    for node_id in sorted(outputs or {}, key=lambda n: (len(n), n)):
        for image in (outputs[node_id] or {}).get("images") or []:
            if isinstance(image, dict) and isinstance(image.get("filename"), str):
                found.append({k: str(image.get(k) or "") for k in ("filename", "subfolder", "type")})
    saved = [image for image in found if image["type"] == "output"]
    return (saved or found)[0] if found else None


def _execution_error(status: dict[str, Any]) -> str:
    """The exception ComfyUI recorded for a failed run, from status.messages."""
    for event, data in reversed(
        [m for m in status.get("messages") or [] if isinstance(m, list) and len(m) == 2]
    ):
        if event == "execution_error" and isinstance(data, dict):
            node = f"{data.get('node_type', '?')} (node {data.get('node_id', '?')})"
            return (
                f"{node}: {data.get('exception_type', 'error')}: {data.get('exception_message', '')}".strip()
            )
        if event == "execution_interrupted":
            return "the run was interrupted on the server"
    return "status error without an execution_error message"


def _node_errors(node_errors: Any) -> str:
    if not isinstance(node_errors, dict):
        return str(node_errors)[:300]
    parts = []
    for node_id, info in node_errors.items():
        info = info if isinstance(info, dict) else {}
        errors = [_message(e) for e in info.get("errors") or [] if isinstance(e, dict)]
        parts.append(f"node {node_id} ({info.get('class_type', '?')}): {'; '.join(errors)}")
    return " | ".join(parts)[:500]


def _message(error: dict[str, Any]) -> str:
    """ComfyUI's error object: `{"type", "message", "details", "extra_info"}`."""
    return f"{error.get('message', '')} {error.get('details', '')}".strip()


def _error_text(response: httpx.Response) -> str:
    """ComfyUI's error text: `{"error": {"message", "details"} | str, "node_errors": {...}}` or plain text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:300]
    error = body.get("error")
    text = _message(error) if isinstance(error, dict) else str(error)
    if body.get("node_errors"):
        text += f" [{_node_errors(body['node_errors'])}]"
    return text


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds); a proxy in front of ComfyUI may send them."""
    for header, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return max(0.0, float(response.headers[header]) / scale)
        except (KeyError, ValueError):
            continue
    return None
