"""Personas (stage 5): list, create, edit, delete, match a text, activate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import Field

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.domain.spec import CamelModel
from designer_bff.services.personas import PersonaInput

router = APIRouter(prefix="/api/persona", tags=["persona"])


class PersonaBody(CamelModel):
    """A user-defined persona."""

    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=2000)
    keywords: list[str] = Field(default_factory=list, max_length=40)
    style_preferences: dict[str, list[str]] = Field(
        default_factory=dict, description="Spec path → preferred values, e.g. {'fabric.type': ['wool']}."
    )
    example_prompts: list[str] = Field(default_factory=list, max_length=20)

    def to_input(self) -> PersonaInput:
        """The service's input."""
        return PersonaInput(
            self.name, self.description, self.keywords, self.style_preferences, self.example_prompts
        )


class MatchBody(CamelModel):
    """Text to match against the personas."""

    text: str = Field(min_length=1, max_length=4000)


def _out(persona: Any) -> dict[str, Any]:
    out: dict[str, Any] = persona.model_dump(mode="json", by_alias=True)
    return out


@router.get("", summary="List personas")
def list_personas(user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """The five defaults, those derived from your style profile, and your own; which one is active."""
    return container.personas.listing(user.id)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a persona")
def create_persona(body: PersonaBody, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Store your own persona (preferences must be taxonomy values)."""
    return _out(container.personas.create(user.id, body.to_input()))


@router.post("/match", summary="Match a text to the personas")
def match_persona(body: MatchBody, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Every persona scored against the text (embedding similarity blended with keyword overlap)."""
    matches = container.personas.match(user.id, body.text)
    threshold = container.settings.persona_threshold
    best = matches[0] if matches else None
    return {
        "best": _out(best) if best else None,
        "injectKeywords": bool(best and best.score < threshold),
        "threshold": threshold,
        "matches": [_out(m) for m in matches],
        "embedder": container.personas.embedder.name,
    }


@router.delete("/active", summary="Stop using an active persona")
def deactivate_persona(user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Requests are matched to the best persona each time again."""
    return container.personas.activate(user.id, None)


@router.get("/{persona_id}", summary="One persona")
def get_persona(persona_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """A persona you can use."""
    return _out(container.personas.get(user.id, persona_id))


@router.put("/{persona_id}", summary="Replace your persona")
def update_persona(
    persona_id: str, body: PersonaBody, user: CurrentUser, container: ContainerDep
) -> dict[str, Any]:
    """Replace one of your own personas (built-in ones are read-only: 403)."""
    return _out(container.personas.update(user.id, persona_id, body.to_input()))


@router.delete("/{persona_id}", summary="Delete your persona")
def delete_persona(persona_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Delete one of your own personas."""
    container.personas.delete(user.id, persona_id)
    return {"deleted": persona_id}


@router.put("/{persona_id}/activate", summary="Use this persona for every request")
def activate_persona(persona_id: str, user: CurrentUser, container: ContainerDep) -> dict[str, Any]:
    """Requests are matched to this persona until another is activated or `DELETE /api/persona/active`."""
    return container.personas.activate(user.id, persona_id)
