"""Feedback use cases: react to designs (one or in bulk), undo, read the history and current judgements.

Every reaction is kept as history (`generation_feedback`). Reactions to an image also set its *current
judgement* (`asset_judgements`, one per user and image): the latest reaction that was not undone, where
a comment judges (by its sentiment) only an image nobody judged otherwise — "love the drape" on a
standout stays a standout. Each change of a current judgement moves the preference model in the same
transaction (services.learning), so the model never disagrees with what the designer said.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from designer_bff.db.engine import Database
from designer_bff.db.preferences import Judgements
from designer_bff.db.repositories import Assets, Feedback, Generations
from designer_bff.db.tables import AssetJudgement, GenerationAsset, GenerationFeedback, utcnow
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.preferences import strength
from designer_bff.pipeline.sentiment import sentiment
from designer_bff.services.learning import Change, LearningService, Verdict, asset_features

log = logging.getLogger(__name__)
FeedbackType = Literal["outlier", "heart", "save", "rating", "comment", "reject"]
FEEDBACK_TYPES: tuple[str, ...] = ("outlier", "heart", "save", "rating", "comment", "reject")
MAX_BULK = 500


@dataclass(frozen=True)
class Reaction:
    """One reaction as the designer sent it."""

    type: str
    asset_id: str | None = None
    generation_id: str | None = None
    rating: int | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Recorded:
    """A stored reaction, the image's judgement after it, and how many model features it moved."""

    feedback: GenerationFeedback
    judgement: AssetJudgement | None
    learned: int


def _check(reaction: Reaction, where: str) -> None:
    if reaction.type not in FEEDBACK_TYPES:
        raise InvalidInput(
            f"{where}type must be one of {', '.join(FEEDBACK_TYPES)}, got {reaction.type!r}",
            field=f"{where}type",
            allowed=list(FEEDBACK_TYPES),
        )
    if reaction.type == "rating" and reaction.rating is None:
        raise InvalidInput(f"{where}rating feedback needs `rating` (1..5)", field=f"{where}rating")
    if reaction.rating is not None and not 1 <= reaction.rating <= 5:
        raise InvalidInput(f"{where}rating must be 1..5, got {reaction.rating}", field=f"{where}rating")
    if reaction.type == "comment" and not (reaction.comment and reaction.comment.strip()):
        raise InvalidInput(f"{where}comment feedback needs a non-empty `comment`", field=f"{where}comment")
    if reaction.asset_id is None and reaction.generation_id is None:
        raise InvalidInput(f"{where}assetId is required", field=f"{where}assetId")


def _verdict(event: GenerationFeedback) -> Verdict:
    assert event.strength is not None
    return Verdict(event.type, event.strength, event.created_at)


def current_from(events: Sequence[GenerationFeedback]) -> GenerationFeedback | None:
    """The event that is an image's current judgement, from its live (not undone) events, oldest first."""
    judging = [e for e in events if e.type != "comment"]
    if judging:
        return judging[-1]
    return events[-1] if events else None


class FeedbackService:
    """Records reactions, keeps current judgements and moves the preference model with them."""

    def __init__(
        self, db: Database, learning: LearningService, on_change: Callable[[str], None] | None = None
    ) -> None:
        self.db = db
        self.learning = learning
        self.on_change = on_change

    def react(self, user_id: str, reactions: Sequence[Reaction]) -> list[Recorded]:
        """Store reactions (all or none: any invalid one is a 422 naming its index) and learn from them."""
        if not reactions:
            raise InvalidInput("items must not be empty", field="items")
        if len(reactions) > MAX_BULK:
            raise InvalidInput(
                f"at most {MAX_BULK} reactions per request, got {len(reactions)}", field="items"
            )
        bulk = len(reactions) > 1
        for i, reaction in enumerate(reactions):
            _check(reaction, f"items[{i}]." if bulk else "")
        recorded: list[Recorded] = []
        with self.db.session() as s:
            for i, reaction in enumerate(reactions):
                recorded.append(self._record(s, user_id, reaction, f"items[{i}]." if bulk else ""))
        if any(r.feedback.asset_id for r in recorded):
            self._changed(user_id)
        return recorded

    def _record(self, s: Session, user_id: str, reaction: Reaction, where: str) -> Recorded:
        asset: GenerationAsset | None = None
        generation_id = reaction.generation_id
        if reaction.asset_id is not None:
            asset = Assets(s).get(reaction.asset_id, user_id=user_id)
            if generation_id is not None and asset.generation_id != generation_id:
                raise InvalidInput(
                    f"{where}asset {reaction.asset_id} is not part of generation {generation_id}",
                    field=f"{where}assetId",
                )
            generation_id = asset.generation_id
        assert generation_id is not None
        Generations(s).get(generation_id, user_id=user_id)
        mood = sentiment(reaction.comment) if reaction.type == "comment" and reaction.comment else None
        event = Feedback(s).add(
            GenerationFeedback(
                generation_id=generation_id,
                asset_id=reaction.asset_id,
                user_id=user_id,
                type=reaction.type,
                rating=reaction.rating,
                comment=reaction.comment,
                sentiment=mood,
                strength=strength(reaction.type, rating=reaction.rating, sentiment=mood),
                created_at=utcnow(),
            )
        )
        if asset is None:  # a reaction to the whole batch is history; it says nothing about one image
            return Recorded(event, None, 0)
        judgement, learned = self._rejudge(s, user_id, asset, event.id, "feedback")
        return Recorded(event, judgement, learned)

    def _rejudge(
        self, s: Session, user_id: str, asset: GenerationAsset, feedback_id: str, action: str
    ) -> tuple[AssetJudgement | None, int]:
        """Recompute an image's current judgement from its live events; move the model by the change."""
        repo = Judgements(s)
        row = repo.get(user_id, asset.id)
        before = Verdict(row.judgement, row.strength, row.judged_at) if row else None
        current = current_from(repo.live_events(user_id, asset.id))
        after = _verdict(current) if current else None
        if current is None:
            if row is not None:
                s.delete(row)
            row = None
        else:
            assert current.strength is not None
            if row is None:
                row = AssetJudgement(user_id=user_id, asset_id=asset.id, generation_id=asset.generation_id)
                s.add(row)
            row.judgement, row.strength, row.rating = current.type, current.strength, current.rating
            row.feedback_id, row.judged_at = current.id, current.created_at
        s.flush()
        change = Change(asset.id, asset_features(asset), before, after, feedback_id, action)
        return row, len(self.learning.apply(s, user_id, [change]))

    def undo(self, user_id: str, feedback_id: str) -> Recorded:
        """Undo one reaction: it stays in the history marked undone; the image's judgement falls back to
        the latest reaction still standing, and the model with it."""
        with self.db.session() as s:
            event = Judgements(s).feedback(user_id, feedback_id)
            if event.undone_at is not None:
                raise InvalidInput(f"feedback {feedback_id} was already undone", field="feedbackId")
            event.undone_at = utcnow()
            s.flush()
            if event.asset_id is None:
                return Recorded(event, None, 0)
            asset = Assets(s).get(event.asset_id, user_id=user_id)
            judgement, learned = self._rejudge(s, user_id, asset, event.id, "undo")
        self._changed(user_id)
        return Recorded(event, judgement, learned)

    def judgements(self, user_id: str, asset_ids: Sequence[str]) -> dict[str, AssetJudgement]:
        """Current judgements of the given assets."""
        with self.db.session() as s:
            return Judgements(s).for_assets(user_id, asset_ids)

    def history(
        self,
        user_id: str,
        *,
        asset_id: str | None,
        generation_id: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[GenerationFeedback], int, AssetJudgement | None]:
        """Reactions (newest first) with their total, and the asset's current judgement when one is named."""
        with self.db.session() as s:
            if asset_id is not None:
                Assets(s).get(asset_id, user_id=user_id)
            if generation_id is not None:
                Generations(s).get(generation_id, user_id=user_id)
            rows, total = Judgements(s).history(
                user_id, asset_id=asset_id, generation_id=generation_id, limit=limit, offset=offset
            )
            current = Judgements(s).get(user_id, asset_id) if asset_id else None
        return rows, total, current

    def _changed(self, user_id: str) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change(user_id)  # standouts and hearts join the style profile
        except Exception:  # the reactions are stored and learned; a profile hiccup must not lose them
            log.exception("profile update after feedback for %s failed", user_id)
