"""Style profile use cases (stage 2): build, update incrementally, read, and measure a batch's drift."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

import numpy as np
from sqlalchemy import select

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.preferences import Judgements
from designer_bff.db.repositories import Assets, Generations
from designer_bff.db.studio import Portfolios, StyleProfiles
from designer_bff.db.tables import GenerationAsset, PortfolioImage
from designer_bff.domain.profile import StyleProfile
from designer_bff.errors import NotFound
from designer_bff.pipeline.profile import build_profile_state, drift_score, update_profile
from designer_bff.pipeline.profile_state import ProfileItem, ProfileState

log = logging.getLogger(__name__)
LIKED = {"outlier": 1.0, "heart": 0.9}  # feedback strengths (DESIGN §4) of reactions the profile learns from
MIN_LIKED_WITHOUT_PORTFOLIO = 10


def _palette(spec: dict[str, Any]) -> list[tuple[str, str, float]]:
    rows = (spec.get("color") or {}).get("palette") or []
    return [
        (r["name"], r["hex"], float(r.get("coverage", 0))) for r in rows if r.get("name") and r.get("hex")
    ]


class ProfileService:
    """Keeps each user's style profile in step with their analysed portfolio images."""

    def __init__(self, settings: Settings, db: Database, feature_space: str) -> None:
        self.settings = settings
        self.db = db
        self.feature_space = feature_space  # only vectors of this image embedder are comparable

    def _item(self, row: PortfolioImage) -> ProfileItem:
        features = None
        if row.embedding and row.embedding_model == self.feature_space:
            features = np.frombuffer(row.embedding, dtype="<f4").astype(np.float64)
        spec = row.spec or {}
        return ProfileItem(
            id=row.id,
            spec=spec,
            confidence=row.confidence or {},
            features=features,
            weight=row.weight,
            palette=_palette(spec),
        )

    def _items(self, user_id: str) -> list[ProfileItem]:
        """Analysed portfolio images, plus generated designs the designer currently judges a standout or
        a heart (weighted by the feedback strengths of DESIGN §4): the profile learns from both.

        Without a portfolio, liked designs make a profile only from MIN_LIKED_WITHOUT_PORTFOLIO on: a
        profile of one lucky standout would pin every exploratory batch to that one design, where the
        preference model (stage 15) still weighs it as the single judgement it is.
        """
        with self.db.session() as s:
            items = [self._item(r) for r in Portfolios(s).analysed_images(user_id)]
            liked = {
                j.asset_id: LIKED[j.judgement]
                for j in Judgements(s).for_user(user_id)
                if j.judgement in LIKED
            }
            if not items and len(liked) < MIN_LIKED_WITHOUT_PORTFOLIO:
                return []
            for asset in s.scalars(select(GenerationAsset).where(GenerationAsset.id.in_(liked))):
                spec = asset.spec or {}
                items.append(
                    ProfileItem(
                        id=f"asset:{asset.id}", spec=spec, weight=liked[asset.id], palette=_palette(spec)
                    )
                )
            return items

    def rebuild(self, user_id: str) -> dict[str, Any]:
        """Cluster every analysed image again and store the new profile (NotFound without images)."""
        items = self._items(user_id)
        if not items:
            raise NotFound("no analysed portfolio images or standouts yet: upload a portfolio first")
        state, profile = build_profile_state(
            items, seed=0, k_range=(self.settings.cluster_k_min, self.settings.cluster_k_max)
        )
        return self._save(user_id, state, profile, rebuilt=True)

    def refresh(self, user_id: str) -> None:
        """Bring the profile up to date after images were analysed or removed (incremental when it can)."""
        items = self._items(user_id)
        with self.db.session() as s:
            row = StyleProfiles(s).get(user_id)
            stored = ProfileState.from_dict(row.state) if row is not None and row.state else None
        if not items:
            if row is not None:
                with self.db.session() as s:
                    s.delete(s.get(type(row), user_id))
            return
        ids = {i.id for i in items}
        if stored is None or set(stored.items) - ids:  # first profile, or images were deleted
            self.rebuild(user_id)
            return
        new = [i for i in items if i.id not in stored.items]
        if not new:
            return
        state, profile = update_profile(stored, new)
        if state.needs_rebuild:
            self.rebuild(user_id)
        else:
            self._save(user_id, state, profile, rebuilt=False)

    def _save(
        self, user_id: str, state: ProfileState, profile: StyleProfile, *, rebuilt: bool
    ) -> dict[str, Any]:
        with self.db.session() as s:
            StyleProfiles(s).save(
                user_id,
                profile=profile.model_dump(mode="json", by_alias=True),
                state=state.to_dict(),
                rebuilt=rebuilt,
            )
        return self.get(user_id)

    def current(self, user_id: str) -> StyleProfile | None:
        """The user's profile, or None before any portfolio was analysed."""
        with self.db.session() as s:
            row = StyleProfiles(s).get(user_id)
            return StyleProfile.model_validate(row.profile) if row is not None and row.profile else None

    def get(self, user_id: str) -> dict[str, Any]:
        """The stored profile with its version and dates (NotFound before the first portfolio)."""
        with self.db.session() as s:
            row = StyleProfiles(s).get(user_id)
            if row is None:
                raise NotFound("no style profile yet: upload a portfolio (POST /api/portfolios)")
            return {
                "version": row.version,
                "images": row.images,
                "builtAt": row.built_at.isoformat(),
                "updatedAt": row.updated_at.isoformat(),
                **row.profile,
            }

    def drift(self, user_id: str, generation_id: str) -> dict[str, Any]:
        """How far a generation's designs sit from the profile (0 = on-profile, 1 = a different style)."""
        with self.db.session() as s:
            row = StyleProfiles(s).get(user_id)
            Generations(s).get(generation_id, user_id=user_id)
            assets = Assets(s).for_generation(generation_id)
            if row is None or not row.state:
                raise NotFound("no style profile yet: upload a portfolio (POST /api/portfolios)")
            state = ProfileState.from_dict(row.state)
            items = [
                ProfileItem(id=a.id, spec=a.spec, palette=_palette(a.spec)) for a in assets if a.selected
            ]
        if not items:
            raise NotFound(f"generation {generation_id} has no kept designs yet")
        result = asdict(drift_score(state, items))
        return {"generationId": generation_id, "images": len(items), **result}
