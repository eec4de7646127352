"""Stage 1 through the original system's visual-descriptor ("VLT") API: translation only.

`POST {base}/v1/jobs` takes the image as multipart `file` with form fields `passes` and `model` (Bearer
key, also sent as `X-API-Key`) and answers a batch envelope `{jobId, records: [flat VLT record],
summary}` or a single record. The record is mapped by the legacy importer (`importers.vlt`), so VLT
analysis and imported VLT files give the same canonical spec; the record's `confidence` (one number,
or an object per field) becomes per-attribute confidence.
"""

from __future__ import annotations

from typing import Any

import httpx

from designer_bff.analyzers.base import AnalysisResult
from designer_bff.errors import InvalidInput, ProviderError, UnsupportedMedia
from designer_bff.imaging.sniff import ACCEPTED, ACCEPTED_TEXT, FORMAT_NAMES, detect_format
from designer_bff.importers.vlt import import_legacy, is_legacy_envelope, is_legacy_record
from designer_bff.llm.errors import from_status
from designer_bff.llm.schema import field_by_path
from designer_bff.llm.spec_answer import DEFAULT_CONFIDENCE, assign_confidence, stated_confidence

_EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}
# Legacy record names (snake_cased) → canonical spec paths, where they differ.
_LEGACY_PATHS = {
    "garment_type": "garment.type",
    "silhouette": "garment.silhouette",
    "colors": "color",
    "colors.pattern": "color.pattern.type",
    "construction.closure": "garment.closures",
}


def _canonical_path(key: str) -> str:
    if key in _LEGACY_PATHS:
        return _LEGACY_PATHS[key]
    head, _, rest = key.partition(".")
    return f"color.{rest}" if head == "colors" and rest else key


def _leaves(prefix: str, node: dict[str, Any]) -> list[str]:
    paths: list[str] = []
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        paths.extend(_leaves(path, value) if isinstance(value, dict) else [path])
    return paths


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            inner = inner.get("message")
        return str(inner or body.get("message") or body.get("detail") or body)[:300]
    return str(body)[:300]


class VltAnalyzer:
    """Analyser backed by the VLT visual-descriptor API; `name` is "vlt:<model>"."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        *,
        model: str = "gemini",
        passes: str = "A,B,C",
        timeout_s: float = 60,
    ) -> None:
        self._base_url = (base_url or "").rstrip("/")
        self._api_key = api_key
        self.model = model
        self.passes = passes
        self._timeout_s = timeout_s
        self.name = f"vlt:{model}"

    def is_configured(self) -> bool:
        """True when the service URL is set (the key is optional: self-hosted services may run open)."""
        return bool(self._base_url)

    def health(self) -> dict[str, Any]:
        """The service's `/healthz` answer (ProviderError when it is down or refuses us)."""
        response = self._send("GET", "/healthz")
        try:
            body = response.json()
        except ValueError:
            return {"status": response.text.strip()[:200]}
        return body if isinstance(body, dict) else {"status": body}

    def analyse(self, data: bytes, *, mime: str, filename: str | None = None) -> AnalysisResult:
        """Send one image as a VLT job and map its record onto the canonical spec."""
        fmt = detect_format(data)
        if fmt not in ACCEPTED:
            found = FORMAT_NAMES.get(fmt or "", "not an image")
            raise UnsupportedMedia(
                f"the image is {found}; the VLT analyser takes {ACCEPTED_TEXT}", field="file"
            )
        upload = (filename or f"image.{_EXTENSIONS[fmt]}", data, mime)
        response = self._send(
            "POST", "/v1/jobs", files={"file": upload}, data={"passes": self.passes, "model": self.model}
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise self._fail(f"the answer is not JSON ({response.text[:120]!r})", "transient") from exc
        return self._result(body)

    def _result(self, body: object) -> AnalysisResult:
        warnings: list[str] = []
        if is_legacy_envelope(body):
            assert isinstance(body, dict)
            records, job_id, summary = body["records"], body.get("jobId"), body.get("summary")
        elif is_legacy_record(body):
            assert isinstance(body, dict)
            records, job_id, summary = [body], None, None
        else:
            raise self._fail(
                f"the answer is neither a VLT record nor an envelope: {str(body)[:160]}", "transient"
            )
        if not records or not isinstance(records[0], dict):
            raise self._fail(f"job {job_id} returned no record (summary: {summary})", "transient")
        if len(records) > 1:
            warnings.append(f"VLT returned {len(records)} records for one image; used the first")
        record: dict[str, Any] = records[0]
        try:
            # As a one-record envelope, so the importer's messages name the field ("records[0].garmentType").
            imported = import_legacy({"jobId": job_id, "records": [record]})
        except InvalidInput as exc:
            raise self._fail(f"the record is unusable: {exc.message}", "invalid") from exc
        warnings.extend(imported.warnings)
        spec = imported.specs[0]
        # Only what the record set: defaults (pattern "solid", sleeve "long") are not measurements.
        tree = spec.model_dump(exclude_unset=True, exclude={"confidence", "unmapped", "notes"})
        known = field_by_path()
        measured = tuple(p for p in _leaves("", tree) if p in known)
        stated, overall = stated_confidence(record.get("confidence"), warnings)
        stated = {_canonical_path(k): v for k, v in stated.items()}
        confidence, defaulted = assign_confidence(measured, stated, overall, DEFAULT_CONFIDENCE)
        if defaulted:
            warnings.append(
                f"VLT stated no confidence for {', '.join(defaulted)}; used {DEFAULT_CONFIDENCE:g}"
            )
        if spec.unmapped:
            tree["unmapped"] = dict(spec.unmapped)
        if spec.notes:
            tree["notes"] = spec.notes
        return AnalysisResult(
            analyser=self.name,
            spec=tree,
            confidence=confidence,
            measured=measured,
            details={
                "job_id": job_id,
                "summary": summary,
                "prompt_text": imported.prompts[0],
                "model": self.model,
                "passes": self.passes,
            },
            warnings=tuple(warnings),
        )

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self._base_url:
            raise self._fail("no VLT API URL is configured", "auth")
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers |= {"Authorization": f"Bearer {self._api_key}", "X-API-Key": self._api_key}
        try:
            with httpx.Client(timeout=self._timeout_s) as client:
                response = client.request(method, f"{self._base_url}{path}", headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise self._fail(f"no answer within {self._timeout_s:g} s", "timeout") from exc
        except httpx.TransportError as exc:
            raise self._fail(f"connection failed: {exc}", "transient") from exc
        if response.status_code >= 400:
            message = f"vlt {self.model}: {_error_text(response)} (HTTP {response.status_code})"
            raise from_status(response.status_code, message, provider=self.name, headers=response.headers)
        return response

    def _fail(self, message: str, kind: str) -> ProviderError:
        return ProviderError(f"vlt {self.model}: {message}", provider=self.name, kind=kind)
