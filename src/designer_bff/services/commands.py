"""Commands (stage 3): text → intent → the planned specs and a started (or scheduled) generation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.studio import Commands
from designer_bff.db.tables import CommandRow
from designer_bff.domain.generation import GenerationSettings
from designer_bff.domain.intent import Intent
from designer_bff.errors import InvalidInput, ProviderError
from designer_bff.pipeline.commands import parse_command
from designer_bff.services.generations import GenerationService

log = logging.getLogger(__name__)


class IntentParser(Protocol):
    """A text model that parses commands onto the same `Intent` schema."""

    def parse(self, command: str) -> Intent:
        """The intent of one command (ProviderError when the model fails)."""
        ...


def next_nightly(now: datetime, hour: int) -> datetime:
    """The next time the nightly batch runs (today at `hour` UTC if still ahead, else tomorrow)."""
    today = datetime.combine(now.date(), time(hour), tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


class CommandService:
    """Parses commands (text model when configured, offline otherwise) and starts their generations."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        generations: GenerationService,
        llm_parser: IntentParser | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.generations = generations
        self.llm_parser = llm_parser

    def parse(self, text: str) -> tuple[Intent, list[str]]:
        """The command's intent and any warnings (a failed text model falls back to the offline parser)."""
        if not text.strip():
            raise InvalidInput("command must not be empty", field="command")
        warnings: list[str] = []
        if self.llm_parser is not None:
            try:
                return self.llm_parser.parse(text), warnings
            except ProviderError as exc:
                log.warning("LLM command parser failed: %s", exc.message)
                warnings.append(f"text model failed ({exc.kind}); parsed offline instead")
        return parse_command(text), warnings

    def count_for(self, intent: Intent) -> int:
        """How many designs the command asks for (its number, or the default for its kind)."""
        if intent.count is not None:
            return intent.count
        if intent.schedule == "overnight":
            return self.settings.nightly_batch_size
        return self.settings.command_default_count

    def process(
        self, user_id: str, text: str, settings: GenerationSettings, *, dry_run: bool = False
    ) -> dict[str, Any]:
        """Parse, plan and start (or, for overnight batches, schedule) the generation a command asks for."""
        intent, warnings = self.parse(text)
        count = self.count_for(intent)
        if intent.unplaced:
            warnings.append("words not understood: " + ", ".join(intent.unplaced))
        run_at = None
        if intent.schedule == "overnight":
            run_at = next_nightly(datetime.now(UTC), self.settings.nightly_hour)
        request = {"command": text, "intent": intent.model_dump(mode="json", by_alias=True)}
        preview = self.generations.preview(user_id, request, count, settings)
        generation_id = None
        if not dry_run:
            generation = self.generations.from_command(
                user_id, request=request, count=count, settings=settings, run_at=run_at
            )
            generation_id = generation.id
        with self.db.session() as s:
            Commands(s).add(
                CommandRow(
                    user_id=user_id,
                    text=text,
                    intent=request["intent"],
                    generation_id=generation_id,
                )
            )
        return {
            "command": text,
            "intent": request["intent"],
            "count": count,
            **preview,
            "warnings": [*warnings, *preview["warnings"]],
            "generation": None
            if generation_id is None
            else {
                "id": generation_id,
                "status": "scheduled" if run_at else "pending",
                "runAt": run_at.isoformat() if run_at else None,
                "statusUrl": f"/api/generate/{generation_id}",
            },
        }

    def history(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The user's latest commands with their intents and generations."""
        with self.db.session() as s:
            return [
                {
                    "id": r.id,
                    "command": r.text,
                    "intent": r.intent,
                    "generationId": r.generation_id,
                    "createdAt": r.created_at.isoformat(),
                }
                for r in Commands(s).list(user_id, limit)
            ]
