"""Portfolio use cases: upload (files or a ZIP), dedupe, analyse in the background, report progress."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from designer_bff.config import Settings
from designer_bff.db import leases
from designer_bff.db.engine import Database
from designer_bff.db.studio import Portfolios
from designer_bff.db.tables import Portfolio, PortfolioImage, new_id, utcnow
from designer_bff.errors import DesignerBFFError, InvalidInput, NotFound
from designer_bff.imaging import inspect_upload, load_rgb
from designer_bff.imaging.archive import is_zip, read_zip
from designer_bff.imaging.phash import hamming, perceptual_hash
from designer_bff.pipeline.embedding import Embedder, EmbeddingInput
from designer_bff.services.analysis import AnalysisService
from designer_bff.services.runner import worker_identity
from designer_bff.storage.base import BlobStore, delete_all, make_key

log = logging.getLogger(__name__)
_FINAL = ("analysed", "failed", "rejected", "duplicate")


@dataclass(frozen=True)
class Upload:
    """One uploaded part: a single image or a ZIP of images."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class _Candidate:
    filename: str
    data: bytes
    status: str = "pending"
    error: str | None = None
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    phash: str | None = None
    duplicate_of: str | None = None


class PortfolioService:
    """Uploads and analyses portfolios; the style profile is refreshed when an analysis finishes."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: BlobStore,
        analysis: AnalysisService,
        image_embedder: Embedder,
        on_analysed: Callable[[str], None],
        enqueue: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.analysis = analysis
        self.image_embedder = image_embedder
        self.on_analysed = on_analysed
        self.enqueue = enqueue
        self.lease = timedelta(seconds=settings.job_lease_seconds)

    # -- upload ------------------------------------------------------------------------------------

    def _expand(self, uploads: Sequence[Upload]) -> list[_Candidate]:
        """Every image candidate in the uploads; ZIPs are opened safely, their refusals kept per file."""
        s = self.settings
        candidates: list[_Candidate] = []
        for i, upload in enumerate(uploads):
            name = (upload.filename or f"file {i + 1}")[-255:]
            if is_zip(upload.data):
                contents = read_zip(
                    upload.data,
                    label=name,
                    max_entries=2 * s.portfolio_max_images,
                    max_member_bytes=s.max_upload_bytes,
                    max_total_bytes=s.portfolio_zip_max_bytes,
                )
                candidates += [_Candidate(f"{name}/{n}"[-255:], d) for n, d in contents.files]
                candidates += [
                    _Candidate(f"{name}/{n}"[-255:], b"", status="rejected", error=f"{n}: {why}")
                    for n, why in contents.refused
                ]
            else:
                candidates.append(_Candidate(name, upload.data))
        return candidates

    def _inspect(self, c: _Candidate) -> None:
        try:
            info = inspect_upload(
                c.data,
                filename=c.filename.rsplit("/", 1)[-1],
                declared_type=None,
                max_bytes=self.settings.max_upload_bytes,
                max_pixels=self.settings.max_image_pixels,
            )
            c.phash = perceptual_hash(load_rgb(c.data, max_pixels=self.settings.max_image_pixels))
        except InvalidInput as exc:
            c.status, c.error = "rejected", exc.message
            return
        c.mime, c.width, c.height = info.mime, info.width, info.height

    def _dedupe(self, candidates: list[_Candidate], known: list[tuple[str, str]], room: int) -> list[str]:
        """Mark duplicates (of stored images or earlier files of this upload); give ids to the rest."""
        limit = self.settings.portfolio_duplicate_distance
        ids: list[str] = []
        seen = list(known)
        for c in candidates:
            if c.status != "pending" or c.phash is None:
                ids.append("")
                continue
            twin = next((i for i, h in seen if hamming(h, c.phash) <= limit), None)
            if twin is not None:
                c.status, c.duplicate_of = "duplicate", twin
                c.error = "the same picture is already in your portfolio"
                ids.append("")
                continue
            if room <= 0:
                c.status = "rejected"
                c.error = f"the portfolio is full ({self.settings.portfolio_max_images} images)"
                ids.append("")
                continue
            image_id = new_id()
            seen.append((image_id, c.phash))
            ids.append(image_id)
            room -= 1
        return ids

    def create(self, user_id: str, name: str | None, uploads: Sequence[Upload]) -> dict[str, Any]:
        """A new portfolio from files and/or ZIPs; analysis runs in the background."""
        return self._ingest(user_id, None, name, uploads)

    def add(self, user_id: str, portfolio_id: str, uploads: Sequence[Upload]) -> dict[str, Any]:
        """Add images to an existing portfolio (it is analysed again for the new ones)."""
        return self._ingest(user_id, portfolio_id, None, uploads)

    def _ingest(
        self, user_id: str, portfolio_id: str | None, name: str | None, uploads: Sequence[Upload]
    ) -> dict[str, Any]:
        if not uploads:
            raise InvalidInput("upload at least one image or a ZIP of images", field="files")
        candidates = self._expand(uploads)
        for c in candidates:
            if c.status == "pending":
                self._inspect(c)
        with self.db.session() as s:
            repo = Portfolios(s)
            existing = repo.get(portfolio_id, user_id=user_id) if portfolio_id else None
            kept = ("pending", "analysed", "failed")  # what counts towards the portfolio's size
            held = sum(1 for i in repo.images(existing.id) if i.status in kept) if existing else 0
            ids = self._dedupe(
                candidates, repo.user_hashes(user_id), self.settings.portfolio_max_images - held
            )
            position = repo.next_position(existing.id) if existing else 0
        usable = sum(1 for c in candidates if c.status in ("pending", "duplicate"))
        minimum = self.settings.portfolio_min_images
        if existing is None and usable < minimum:
            problems = "; ".join(f"{c.filename}: {c.error}" for c in candidates if c.status == "rejected")
            raise InvalidInput(
                f"a portfolio needs at least {minimum} images; {usable} of the {len(candidates)} files "
                f"are usable" + (f" ({problems})" if problems else ""),
                field="files",
                files=[{"filename": c.filename, "error": c.error} for c in candidates if c.error],
            )
        pid = existing.id if existing else new_id()
        today = utcnow().date()
        stored: list[str] = []
        rows: list[PortfolioImage] = []
        try:
            for offset, (c, image_id) in enumerate(zip(candidates, ids, strict=True)):
                row = PortfolioImage(
                    id=image_id or new_id(),
                    portfolio_id=pid,
                    user_id=user_id,
                    position=position + offset,
                    filename=c.filename,
                    status=c.status,
                    error=c.error,
                    duplicate_of=c.duplicate_of,
                    mime=c.mime,
                    width=c.width,
                    height=c.height,
                    bytes=len(c.data) if c.data else None,
                    phash=c.phash if c.status == "pending" else None,
                    weight=1.0,
                )
                if c.status == "pending":
                    ext = (c.mime or "image/png").split("/")[1].replace("jpeg", "jpg")
                    row.storage_key = make_key(user_id, today, "portfolio", row.id, ext)
                    self.blobs.put(row.storage_key, c.data, c.mime or "application/octet-stream")
                    stored.append(row.storage_key)
                rows.append(row)
            with self.db.session() as s:
                repo = Portfolios(s)
                if existing is None:
                    portfolio = Portfolio(id=pid, user_id=user_id, name=(name or "Portfolio").strip()[:120])
                    repo.add(portfolio, rows)
                else:
                    portfolio = repo.get(pid, user_id=user_id)
                    s.add_all(rows)
                    if any(r.status == "pending" for r in rows):
                        portfolio.status, portfolio.completed_at = "pending", None
        except Exception:
            for key in stored:  # a failed commit must not leave blobs nobody can see
                self.blobs.delete(key)
            raise
        if any(r.status == "pending" for r in rows):
            self.enqueue(pid)
        return self.progress(user_id, pid)

    # -- reading -----------------------------------------------------------------------------------

    def progress(self, user_id: str, portfolio_id: str) -> dict[str, Any]:
        """Status, counts and per-file state of a portfolio (its owner only)."""
        with self.db.session() as s:
            repo = Portfolios(s)
            portfolio = repo.get(portfolio_id, user_id=user_id)
            images = repo.images(portfolio_id)
            counts = {k: sum(1 for i in images if i.status == k) for k in ("pending", *_FINAL)}
            to_analyse = counts["pending"] + counts["analysed"] + counts["failed"]
            done = counts["analysed"] + counts["failed"]
            return {
                "id": portfolio.id,
                "name": portfolio.name,
                "status": portfolio.status,
                "error": portfolio.error,
                "files": len(images),
                "counts": counts,
                "percent": round(100 * done / to_analyse, 1) if to_analyse else 100.0,
                "analyser": self.analysis.name,
                "createdAt": portfolio.created_at.isoformat(),
                "completedAt": portfolio.completed_at.isoformat() if portfolio.completed_at else None,
                "items": [_image_view(i) for i in images],
            }

    def list(self, user_id: str) -> list[dict[str, Any]]:
        """The user's portfolios with their counts."""
        with self.db.session() as s:
            repo = Portfolios(s)
            rows = repo.list(user_id)
            counts = repo.counts([p.id for p in rows])
            return [
                {
                    "id": p.id,
                    "name": p.name,
                    "status": p.status,
                    "counts": counts[p.id],
                    "createdAt": p.created_at.isoformat(),
                }
                for p in rows
            ]

    def image_bytes(self, user_id: str, portfolio_id: str, image_id: str) -> tuple[bytes, str]:
        """A stored portfolio image (its owner only)."""
        with self.db.session() as s:
            repo = Portfolios(s)
            repo.get(portfolio_id, user_id=user_id)
            row = s.get(PortfolioImage, image_id)
            if row is None or row.portfolio_id != portfolio_id or row.storage_key is None:
                raise NotFound(f"image {image_id} not found in portfolio {portfolio_id}")
            key, mime = row.storage_key, row.mime or "application/octet-stream"
        return self.blobs.get(key), mime

    def delete(self, user_id: str, portfolio_id: str) -> int:
        """Delete a portfolio's rows, then its blobs; the profile is rebuilt from what remains."""
        with self.db.session() as s:
            repo = Portfolios(s)
            portfolio = repo.get(portfolio_id, user_id=user_id)
            keys = [i.storage_key for i in repo.images(portfolio_id) if i.storage_key]
            repo.delete(portfolio)
        removed = delete_all(self.blobs, keys)
        self.on_analysed(user_id)
        return removed

    # -- the background job ------------------------------------------------------------------------

    def analyse(self, portfolio_id: str) -> str:
        """Analyse every pending image of a portfolio (the queue's job); resumable image by image."""
        owner = worker_identity()
        with self.db.session() as s:
            if not leases.claim(s, Portfolio, portfolio_id, owner, self.lease):
                return "skipped"
            user_id = Portfolios(s).get(portfolio_id, user_id=None).user_id
            pending = [
                (i.id, i.storage_key, i.mime, i.filename)
                for i in Portfolios(s).images(portfolio_id, status="pending")
            ]
        for image_id, key, mime, filename in pending:
            update = self._analyse_one(key, mime or "image/png", filename)
            with self.db.session() as s:
                row = s.get(PortfolioImage, image_id)
                if row is None:  # the portfolio was deleted meanwhile
                    return "deleted"
                for field_name, value in update.items():
                    setattr(row, field_name, value)
                if not leases.heartbeat(s, Portfolio, portfolio_id, owner):
                    return "skipped"  # taken over after our lease expired: the new owner finishes
        try:
            # The profile first, then "ready": whoever sees the portfolio ready sees its profile too.
            self.on_analysed(user_id)
        except Exception:  # the analyses are stored; a profile error must not fail the portfolio
            log.exception("profile update after portfolio %s failed", portfolio_id)
        with self.db.session() as s:
            portfolio = s.get(Portfolio, portfolio_id)
            if portfolio is None:
                return "deleted"
            portfolio.status, portfolio.completed_at, portfolio.lease_owner = "ready", utcnow(), None
        return "ready"

    def _analyse_one(self, key: str | None, mime: str, filename: str) -> dict[str, Any]:
        """The column values of one analysed (or failed) image."""
        try:
            if key is None:
                raise InvalidInput(f"{filename} has no stored image")
            data = self.blobs.get(key)
            result = self.analysis.analyse(data, mime=mime, filename=filename)
            vector = self.image_embedder.embed([EmbeddingInput(image=data)])[0]
        except DesignerBFFError as exc:
            return {"status": "failed", "error": exc.message, "analysed_at": utcnow()}
        except Exception as exc:  # one broken image must not stop the other 499
            log.exception("analysing %s failed", filename)
            return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "analysed_at": utcnow()}
        return {
            "status": "analysed",
            "analyser": result.analyser,
            "spec": result.spec,
            "confidence": result.confidence,
            "analysis": {k: v for k, v in asdict(result).items() if k not in ("spec", "confidence")},
            "embedding": vector.astype("<f4").tobytes(),
            "embedding_model": self.image_embedder.name,
            "analysed_at": utcnow(),
            "error": None,
        }

    def requeue_stalled(self) -> builtins.list[str]:
        """Ids of portfolio analyses to resume: crashed (lease expired) or never picked up."""
        with self.db.session() as s:
            return leases.requeue_stalled(s, Portfolio, self.lease)


def _image_view(row: PortfolioImage) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "filename": row.filename,
        "status": row.status,
        "error": row.error,
        "duplicateOf": row.duplicate_of,
        "width": row.width,
        "height": row.height,
        "analyser": row.analyser,
    }
    if row.status == "analysed":
        view["spec"] = row.spec
        view["confidence"] = row.confidence
        view["warnings"] = (row.analysis or {}).get("warnings", [])
    return view
