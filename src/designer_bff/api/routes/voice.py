"""Commands (stage 3): typed (and later spoken) requests → intent, planned specs and a generation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import Field

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.domain.generation import GenerationSettings
from designer_bff.domain.spec import CamelModel

router = APIRouter(prefix="/api/voice", tags=["commands"])


class CommandBody(CamelModel):
    """A command such as "make me 10 bohemian style dresses"."""

    command: str = Field(min_length=1, max_length=2000)
    settings: GenerationSettings = Field(default_factory=GenerationSettings)
    dry_run: bool = Field(False, description="Parse and plan only; start nothing.")


@router.post("/process-text", status_code=status.HTTP_202_ACCEPTED, summary="Run a typed command")
def process_text(body: CommandBody, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Parse the command, plan its specs and start the generation (overnight batches are scheduled)."""
    return container.commands.process(user.id, body.command, body.settings, dry_run=body.dry_run)


@router.get("/history", summary="Your recent commands")
def history(
    user: CurrentUser, container: ContainerDep, limit: int = Query(50, ge=1, le=200)
) -> dict[str, Any]:
    """The latest commands with their parsed intents and the generations they started."""
    return {"items": container.commands.history(user.id, limit)}
