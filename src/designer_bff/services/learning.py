"""Stage 15 around the database: keeps each user's preference model equal to their current judgements.

A judgement that appears, changes or is undone is a `Change` (before → after); `apply` moves every
feature of the judged image by exactly that difference, in the same transaction as the judgement, and
logs each feature's move in `learning_updates`. Evidence is stored decayed to `ref_at` and decays
further on read (exp(−Δt/30 days) is multiplicative), so no background job is needed. `rebuild`
recomputes a user's model from scratch and is the reference the incremental path is tested against.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.preferences import Judgements, LearningLog, PreferenceStats
from designer_bff.db.repositories import Assets
from designer_bff.db.tables import GenerationAsset, LearningUpdate, PreferenceStat, utcnow
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.joint import JointPosterior, Observation, fit
from designer_bff.pipeline.preferences import (
    DECAY_DAYS,
    OVERALL,
    PREDICTIVE,
    UNMARKED,
    Evidence,
    PreferenceModel,
    days_between,
    decay_factor,
    features_of,
    global_prior,
    kind_of,
    label,
    lifts,
)

# Success-count column of each judgement (ratings and comments count as judged only).
_COUNTER = {"outlier": "outliers", "heart": "hearts", "save": "saves", "reject": "rejects"}
_VERBS = {
    "outlier": "marked a standout",
    "heart": "hearted",
    "save": "saved",
    "reject": "rejected",
    "rating": "rated",
    "comment": "commented on",
}
_GLOBAL_CACHE_SECONDS = 300.0
_FITS_KEPT = 64


@dataclass(frozen=True)
class Verdict:
    """A current judgement as the model sees it: what, how strong, and when (for the decay)."""

    judgement: str
    strength: float
    judged_at: datetime


@dataclass(frozen=True)
class Change:
    """One image's judgement moving from `before` to `after` (None = no judgement)."""

    asset_id: str
    features: Sequence[str]
    before: Verdict | None
    after: Verdict | None
    feedback_id: str | None
    action: str  # feedback | undo | delete

    def describe(self) -> str:
        """Why the model moved, in words."""
        if self.after is None:
            what = self.before.judgement if self.before else "?"
            if self.action == "delete":
                return f"deleted image {self.asset_id} (was '{what}')"
            return f"undid '{what}' on image {self.asset_id}"
        verb = _VERBS.get(self.after.judgement, self.after.judgement)
        text = f"{verb} image {self.asset_id} (strength {self.after.strength:g})"
        if self.before is not None:
            text += f", replacing '{self.before.judgement}'"
        return text


def asset_features(asset: GenerationAsset) -> list[str]:
    """The features stored with an asset at selection time, or what its spec and route give."""
    if asset.features is not None:
        return list(asset.features)
    return features_of(asset.spec, route=f"{asset.provider}:{asset.model}")


def _tally(feature_lists: Iterable[Sequence[str]]) -> dict[str, int]:
    """How many of the images carry each feature (and `overall`: how many images)."""
    counts: dict[str, int] = {}
    for features in feature_lists:
        for feature in (*features, OVERALL):
            counts[feature] = counts.get(feature, 0) + 1
    return counts


def _bring_to(row: PreferenceStat, now: datetime) -> None:
    factor = decay_factor(days_between(row.ref_at, now))
    row.pos, row.neg, row.ref_at = row.pos * factor, row.neg * factor, now


def _evidence(row: PreferenceStat | None, now: datetime) -> Evidence:
    if row is None:
        return Evidence()
    factor = decay_factor(days_between(row.ref_at, now))
    return Evidence(row.pos * factor, row.neg * factor)


def _posterior(model: PreferenceModel, feature: str, row: PreferenceStat, now: datetime) -> Evidence:
    ev = _evidence(row, now)
    return Evidence(ev.pos, ev.neg, model.prior_for(feature))


def _move(row: PreferenceStat, change: Change, now: datetime) -> None:
    """Take the judgement's old contribution out of the row and put its new one in."""
    _bring_to(row, now)
    if change.before is not None:
        _add(row, change.before, -1, now)
    if change.after is not None:
        _add(row, change.after, +1, now)


def _add(row: PreferenceStat, verdict: Verdict, sign: int, now: datetime) -> None:
    weight = decay_factor(days_between(verdict.judged_at, now))
    # Clamped: taking back a contribution must not leave float dust below zero.
    row.pos = max(0.0, row.pos + sign * weight * verdict.strength)
    row.neg = max(0.0, row.neg + sign * weight * (1.0 - verdict.strength))
    row.judged += sign
    column = _COUNTER.get(verdict.judgement)
    if column is not None:
        setattr(row, column, getattr(row, column) + sign)


class LearningService:
    """Reads and updates the per-user preference model."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._global: dict[str, tuple[float, dict[str, tuple[float, float]]]] = {}
        # user → (judgement signature and hour, fit); the most recently used _FITS_KEPT users only
        # (a covariance over 600 features is about 3 MB).
        self._fits: OrderedDict[str, tuple[tuple[Any, ...], JointPosterior | None]] = OrderedDict()
        self._lock = Lock()

    def apply(
        self, s: Session, user_id: str, changes: Iterable[Change], now: datetime | None = None
    ) -> list[LearningUpdate]:
        """Move the model by each change (inside the caller's transaction) and log every feature's move."""
        now = now or utcnow()
        stats = PreferenceStats(s)
        priors = self._global_priors(s, user_id) if self.settings.global_learning else {}
        log: list[LearningUpdate] = []
        for change in changes:
            if change.before == change.after:
                continue
            rows = stats.rows(user_id, [*change.features, OVERALL])
            reason = change.describe()
            # The baseline and the image's facets move too, and with them the priors of its features:
            # the log shows each feature's posterior as the model reads it, before and after.
            model = PreferenceModel({f: _evidence(r, now) for f, r in rows.items()}, priors)
            befores = {f: _posterior(model, f, r, now) for f, r in rows.items()}
            for row in rows.values():
                _move(row, change, now)
            model = PreferenceModel({f: _evidence(r, now) for f, r in rows.items()}, priors)
            for feature, row in sorted(rows.items()):
                before, after = befores[feature], _posterior(model, feature, row, now)
                log.append(
                    LearningUpdate(
                        user_id=user_id,
                        feedback_id=change.feedback_id,
                        asset_id=change.asset_id,
                        action=change.action,
                        feature=feature,
                        kind=row.kind,
                        reward=change.after.strength if change.after else None,
                        weight=decay_factor(days_between(change.after.judged_at, now))
                        if change.after
                        else None,
                        before_mean=before.mean,
                        after_mean=after.mean,
                        before_evidence=before.amount,
                        after_evidence=after.amount,
                        reason=f"{reason}: {label(feature)} {before.mean:.3f} → {after.mean:.3f}",
                        created_at=now,
                    )
                )
        s.add_all(log)
        s.flush()
        return log

    def count_shown(self, s: Session, user_id: str, kept: Iterable[Sequence[str]]) -> None:
        """Count images the designer was shown, per feature (success rates divide by these)."""
        per_feature = _tally(kept)
        if not per_feature:
            return
        for feature, row in PreferenceStats(s).rows(user_id, per_feature).items():
            row.shown += per_feature[feature]

    def forget(self, s: Session, user_id: str, assets: Sequence[GenerationAsset]) -> None:
        """Take images that are being deleted out of the model: their judgements and their shown counts."""
        judged = Judgements(s).for_assets(user_id, [a.id for a in assets])
        changes = [
            Change(
                a.id,
                asset_features(a),
                Verdict(judged[a.id].judgement, judged[a.id].strength, judged[a.id].judged_at),
                None,
                judged[a.id].feedback_id,
                "delete",
            )
            for a in assets
            if a.id in judged
        ]
        self.apply(s, user_id, changes)
        per_feature = _tally(a.features for a in assets if a.selected and a.features is not None)
        for feature, row in PreferenceStats(s).rows(user_id, per_feature).items():
            row.shown = max(0, row.shown - per_feature[feature])

    def model(self, user_id: str, now: datetime | None = None) -> PreferenceModel:
        """The user's model now: decayed evidence of the predictive features, the baseline, and the joint
        posterior over their current judgements."""
        now = now or utcnow()
        with self.db.session() as s:
            rows = PreferenceStats(s).for_user(user_id, kinds=[*PREDICTIVE, "overall"])
            evidence = {r.feature: _evidence(r, now) for r in rows if r.pos + r.neg > 0}
            priors = self._global_priors(s, user_id) if self.settings.global_learning else {}
            joint = self._joint(s, user_id, priors, now)
        if priors:
            evidence = {k: Evidence(e.pos, e.neg, priors.get(k, e.prior)) for k, e in evidence.items()}
        return PreferenceModel(evidence=evidence, priors=priors, joint=joint)

    def _joint(
        self, s: Session, user_id: str, priors: dict[str, tuple[float, float]], now: datetime
    ) -> JointPosterior | None:
        """The joint posterior over the user's current judgements and the designs they left unmarked in the
        batches they reviewed, refitted when the judgements (which decide what was reviewed) or the global
        priors changed, and every hour (decay moves it 0.14 % an hour); one fit serves a whole generation."""
        hour = now.replace(minute=0, second=0, microsecond=0)
        key = (*Judgements(s).signature(user_id), hash(frozenset(priors.items())), hour)
        with self._lock:
            cached = self._fits.get(user_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        judged = Judgements(s).with_assets(user_id)
        # A design left unmarked in a batch the designer reviewed was seen and not chosen: neutral.
        seen = [(a, UNMARKED, a.created_at) for a in Judgements(s).unmarked(user_id)] if judged else []
        observations = [
            Observation(
                [f for f in asset_features(asset) if kind_of(f) in PREDICTIVE],
                strength,
                decay_factor(days_between(at, now)),
            )
            for asset, strength, at in judged + seen
        ]
        joint = fit(observations, prior_means=lifts(priors)) if observations else None
        with self._lock:
            self._fits[user_id] = (key, joint)
            self._fits.move_to_end(user_id)
            while len(self._fits) > _FITS_KEPT:
                self._fits.popitem(last=False)
        return joint

    def _global_priors(self, s: Session, user_id: str) -> dict[str, tuple[float, float]]:
        """Priors from other users' summed evidence per feature (aggregates only), cached for minutes."""
        with self._lock:
            cached = self._global.get(user_id)
            if cached is not None and time.monotonic() - cached[0] < _GLOBAL_CACHE_SECONDS:
                return cached[1]
        features = s.scalars(
            select(PreferenceStat.feature).where(PreferenceStat.kind.in_(list(PREDICTIVE))).distinct()
        ).all()
        sums = PreferenceStats(s).others(user_id, [*features, OVERALL])
        priors = {f: global_prior(p, n) for f, (p, n) in sums.items() if p + n > 0}
        with self._lock:
            self._global[user_id] = (time.monotonic(), priors)
        return priors

    def rebuild(self, user_id: str, now: datetime | None = None) -> dict[str, int]:
        """Recompute the user's statistics from their kept images and current judgements."""
        now = now or utcnow()
        with self.db.session() as s:
            PreferenceStats(s).clear(user_id)
            kept = s.scalars(
                select(GenerationAsset).where(
                    GenerationAsset.user_id == user_id,
                    GenerationAsset.selected.is_(True),
                    GenerationAsset.features.is_not(None),
                )
            ).all()
            self.count_shown(s, user_id, [a.features or [] for a in kept])
            judgements = Judgements(s).for_user(user_id)
            assets = {
                a.id: a
                for a in s.scalars(
                    select(GenerationAsset).where(GenerationAsset.id.in_([j.asset_id for j in judgements]))
                )
            }
            stats = PreferenceStats(s)
            for j in judgements:
                change = Change(
                    j.asset_id, [], None, Verdict(j.judgement, j.strength, j.judged_at), None, "rebuild"
                )
                for row in stats.rows(user_id, [*asset_features(assets[j.asset_id]), OVERALL]).values():
                    _move(row, change, now)
        return {"images": len(kept), "judgements": len(judgements)}


def _feature_row(feature: str, ev: Evidence, baseline: float, joint: JointPosterior | None) -> dict[str, Any]:
    low, high = ev.interval()
    weight, sd = joint.weight(feature) if joint is not None else (None, None)
    return {
        "feature": feature,
        "kind": kind_of(feature),
        "label": label(feature),
        "mean": round(ev.mean, 4),
        "low": round(low, 4),
        "high": round(high, 4),
        "evidence": round(ev.amount, 3),
        "alpha": round(ev.alpha, 4),
        "beta": round(ev.beta, 4),
        "lift": round(ev.mean / baseline, 4) if baseline > 0 else None,
        # Its weight in the joint model: the log-odds it adds once the image's other features are counted.
        "weight": round(weight, 4) if weight is not None else None,
        "weightSd": round(sd, 4) if sd is not None else None,
    }


class LearningReader:
    """The model, its log and per-image explanations as the API shows them."""

    def __init__(self, learning: LearningService) -> None:
        self.learning = learning
        self.db = learning.db

    def describe(self, user_id: str, kind: str | None, limit: int) -> dict[str, Any]:
        """Baseline and the features that move predictions most (evidence-weighted), per kind."""
        if kind is not None and kind not in PREDICTIVE:
            raise InvalidInput(
                f"kind must be one of {', '.join(sorted(PREDICTIVE))}",
                field="kind",
                allowed=sorted(PREDICTIVE),
            )
        model = self.learning.model(user_id)
        b = model.baseline
        rows = [
            _feature_row(f, ev, b, model.joint)
            for k in sorted(PREDICTIVE)
            if kind in (None, k)
            for f, ev in model.features(k).items()
        ]
        # Strongest first: how far from the baseline, times how sure (evidence behind it).
        rows.sort(key=lambda r: (-abs(r["mean"] - b) * min(1.0, r["evidence"] / 5), r["feature"]))
        return {
            "baseline": round(b, 4),
            "judged": round(model.judged, 3),
            "prior": "global aggregates" if self.learning.settings.global_learning else "Beta(2, 2)",
            "decayDays": DECAY_DAYS,
            "features": rows[:limit],
            "total": len(rows),
        }

    def updates(
        self, user_id: str, *, feedback_id: str | None, feature: str | None, limit: int, offset: int
    ) -> dict[str, Any]:
        """The learning log, newest first."""
        with self.db.session() as s:
            rows, total = LearningLog(s).list(
                user_id, feedback_id=feedback_id, feature=feature, limit=limit, offset=offset
            )
            items = [
                {
                    "id": r.id,
                    "feedbackId": r.feedback_id,
                    "assetId": r.asset_id,
                    "action": r.action,
                    "feature": r.feature,
                    "kind": r.kind,
                    "label": label(r.feature),
                    "reward": r.reward,
                    "weight": r.weight,
                    "before": round(r.before_mean, 4),
                    "after": round(r.after_mean, 4),
                    "change": round(r.after_mean - r.before_mean, 4),
                    "evidenceBefore": round(r.before_evidence, 3),
                    "evidenceAfter": round(r.after_evidence, 3),
                    "reason": r.reason,
                    "createdAt": r.created_at.isoformat(),
                }
                for r in rows
            ]
        return {"items": items, "total": total}

    def explain(self, user_id: str, asset_id: str) -> dict[str, Any]:
        """Why the model expects what it does of one image: each feature's posterior and pull."""
        with self.db.session() as s:
            asset = Assets(s).get(asset_id, user_id=user_id)
            features = asset_features(asset)
            judged = Judgements(s).get(user_id, asset_id)
        model = self.learning.model(user_id)
        contributions = model.explain(features)
        return {
            "assetId": asset_id,
            "judgement": judged.judgement if judged else None,
            "baseline": round(model.baseline, 4),
            "predicted": round(model.predict(features), 4),
            "typical": round(model.typical, 4),
            "method": "ordinal Bayesian logistic regression over the image's features (Laplace posterior)"
            if model.joint is not None
            else "baseline log-odds + Σ feature log-odds lift (naive Bayes over Beta posteriors)",
            "contributions": [
                {
                    "feature": c.feature,
                    "label": label(c.feature),
                    "mean": round(c.mean, 4),
                    "evidence": round(c.amount, 3),
                    "logOdds": round(c.log_odds, 4),
                }
                for c in contributions
            ],
            "features": features,
        }
