"""Personas (stage 5): named design voices a request can be matched to."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from designer_bff.domain.spec import CamelModel

PersonaSource = Literal["default", "user", "profile"]


class Persona(CamelModel):
    """A design voice. `style_preferences` maps spec paths to preferred canonical values, e.g.
    {"style.aesthetic": ["minimalist"], "fabric.type": ["wool", "crepe"]}; `keywords` are the words the
    prompt stage injects when a request matches the persona only weakly."""

    id: str
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=2000)
    keywords: list[str] = Field(default_factory=list, max_length=40)
    style_preferences: dict[str, list[str]] = Field(default_factory=dict)
    example_prompts: list[str] = Field(default_factory=list, max_length=20)
    source: PersonaSource = "user"


class PersonaMatch(CamelModel):
    """How well a request matches one persona: the blend and its two parts, all 0..1."""

    persona_id: str
    name: str
    score: float
    similarity: float
    keyword_overlap: float
    matched_keywords: list[str] = Field(default_factory=list)
