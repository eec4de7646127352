"""Persona use cases (stage 5): defaults, the user's own, profile-derived; matching and activation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.repositories import Users
from designer_bff.db.studio import Personas
from designer_bff.db.tables import PersonaRow
from designer_bff.domain.persona import Persona, PersonaMatch
from designer_bff.domain.profile import StyleProfile
from designer_bff.errors import Forbidden, InvalidInput, NotFound
from designer_bff.pipeline.persona import (
    DEFAULT_PERSONAS,
    TextEmbedder,
    best_embedder,
    match_personas,
    personas_from_profile,
)
from designer_bff.pipeline.preferences import PreferenceModel
from designer_bff.taxonomy import load_taxonomy

# Spec paths a persona may prefer values for, and the taxonomy category each is checked against.
PREFERENCE_PATHS: dict[str, str] = {
    "garment.type": "garment_type",
    "garment.silhouette": "silhouette",
    "garment.fit": "fit",
    "garment.neckline": "neckline",
    "garment.length": "length",
    "fabric.type": "fabric_type",
    "fabric.texture": "texture",
    "fabric.drape": "drape",
    "fabric.finish": "finish",
    "color.primary": "color",
    "color.secondary": "color",
    "color.pattern.type": "pattern",
    "construction.embellishments": "embellishment",
    "style.aesthetic": "aesthetic",
    "style.formality": "formality",
    "style.season": "season",
    "style.occasion": "occasion",
    "style.mood": "mood",
    "photography.lighting_type": "lighting_type",
    "photography.background": "background",
}


def canonical_preferences(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Preferences mapped onto canonical taxonomy values; InvalidInput naming any unknown path or value."""
    tax = load_taxonomy()
    clean: dict[str, list[str]] = {}
    for path, values in raw.items():
        key = path.replace("lightingType", "lighting_type")
        if key not in PREFERENCE_PATHS:
            raise InvalidInput(
                f"stylePreferences: unknown attribute {path!r}; allowed: {', '.join(PREFERENCE_PATHS)}",
                field="stylePreferences",
                allowed=tuple(PREFERENCE_PATHS),
            )
        category = PREFERENCE_PATHS[key]
        out = []
        for value in values:
            if category == "color":
                out.append(tax.canonical_color(value, field_name=f"stylePreferences.{path}"))
            else:
                out.append(tax.category(category).canonical(value, field_name=f"stylePreferences.{path}"))
        clean[key] = list(dict.fromkeys(out))
    return clean


@dataclass(frozen=True)
class PersonaInput:
    """What a user may set on their own persona."""

    name: str
    description: str
    keywords: list[str]
    style_preferences: dict[str, list[str]]
    example_prompts: list[str]


def _row_persona(row: PersonaRow) -> Persona:
    return Persona(
        id=row.id,
        name=row.name,
        description=row.description,
        keywords=list(row.keywords),
        style_preferences=dict(row.style_preferences),
        example_prompts=list(row.example_prompts),
        source="user",
    )


class PersonaService:
    """Lists, edits, matches and activates personas for one user at a time."""

    def __init__(
        self, settings: Settings, db: Database, profile_of: Callable[[str], StyleProfile | None]
    ) -> None:
        self.settings = settings
        self.db = db
        self.profile_of = profile_of

    @cached_property
    def embedder(self) -> TextEmbedder:
        """The text embedder for matching (MiniLM from the ml extra when chosen/available, else TF-IDF)."""
        return best_embedder(self.settings.persona_embedder)

    def all(self, user_id: str) -> list[Persona]:
        """Defaults, then personas derived from the user's profile, then the user's own."""
        profile = self.profile_of(user_id)
        derived = personas_from_profile(profile) if profile is not None else []
        with self.db.session() as s:
            own = [_row_persona(r) for r in Personas(s).list(user_id)]
        return [*DEFAULT_PERSONAS, *derived, *own]

    def active_id(self, user_id: str) -> str | None:
        """The id of the user's active persona (None when matching picks freely)."""
        with self.db.session() as s:
            return Users(s).get(user_id).active_persona

    def listing(self, user_id: str) -> dict[str, Any]:
        """Every persona the user can use, and which is active."""
        active = self.active_id(user_id)
        return {
            "active": active,
            "items": [p.model_dump(mode="json", by_alias=True) for p in self.all(user_id)],
            "embedder": self.embedder.name,
        }

    def get(self, user_id: str, persona_id: str) -> Persona:
        """One visible persona (NotFound otherwise)."""
        for persona in self.all(user_id):
            if persona.id == persona_id:
                return persona
        raise NotFound(f"persona {persona_id} not found")

    def create(self, user_id: str, data: PersonaInput) -> Persona:
        """Store a user-defined persona (preferences checked against the taxonomy)."""
        prefs = canonical_preferences(data.style_preferences)
        with self.db.session() as s:
            row = Personas(s).add(
                PersonaRow(
                    user_id=user_id,
                    name=data.name.strip(),
                    description=data.description,
                    keywords=[k.strip() for k in data.keywords if k.strip()],
                    style_preferences=prefs,
                    example_prompts=data.example_prompts,
                )
            )
            return _row_persona(row)

    def update(self, user_id: str, persona_id: str, data: PersonaInput) -> Persona:
        """Replace a user-defined persona's fields (defaults and derived ones are read-only)."""
        self._own(persona_id)
        prefs = canonical_preferences(data.style_preferences)
        with self.db.session() as s:
            repo = Personas(s)
            row = repo.get(persona_id, user_id=user_id)
            repo.rename_check(row, data.name.strip())
            row.name, row.description = data.name.strip(), data.description
            row.keywords = [k.strip() for k in data.keywords if k.strip()]
            row.style_preferences, row.example_prompts = prefs, data.example_prompts
            s.flush()
            return _row_persona(row)

    def delete(self, user_id: str, persona_id: str) -> None:
        """Delete a user-defined persona (deactivating it if it was active)."""
        self._own(persona_id)
        with self.db.session() as s:
            repo = Personas(s)
            repo.delete(repo.get(persona_id, user_id=user_id))
            user = Users(s).get(user_id)
            if user.active_persona == persona_id:
                user.active_persona = None

    def activate(self, user_id: str, persona_id: str | None) -> dict[str, Any]:
        """Make a persona the one requests use (None: match each request freely)."""
        if persona_id is not None:
            self.get(user_id, persona_id)
        with self.db.session() as s:
            Users(s).get(user_id).active_persona = persona_id
        return {"active": persona_id}

    def match(self, user_id: str, text: str) -> list[PersonaMatch]:
        """Every visible persona scored against `text`, best first."""
        if not text.strip():
            raise InvalidInput("text must not be empty", field="text")
        return match_personas(text, self.all(user_id), self.embedder)

    @staticmethod
    def _own(persona_id: str) -> None:
        if persona_id.startswith(("default:", "profile:")):
            raise Forbidden(
                f"persona {persona_id} is built in and read-only; create your own persona to change it"
            )


class Designer:
    """Everything planning needs to know about one designer, gathered per request."""

    def __init__(
        self,
        personas: PersonaService,
        profile_of: Callable[[str], StyleProfile | None],
        preferences_of: Callable[[str], PreferenceModel],
    ):
        self.personas = personas
        self.profile_of = profile_of
        self.preferences_of = preferences_of

    def for_user(self, user_id: str) -> dict[str, Any]:
        """PlanRequest fields for this user (see services.planning.DesignerContext)."""
        return {
            "profile": self.profile_of(user_id),
            "personas": tuple(self.personas.all(user_id)),
            "active_persona": self.personas.active_id(user_id),
            "persona_embedder": self.personas.embedder,
            "preferences": self.preferences_of(user_id),
        }
