"""Analytics history written straight into the database: realistic, deterministic by seed, bulk-inserted.

`Seeder` writes exactly what a test asks for (hand-checkable rates); `seed_history` builds a designer's
months of batches with it: kept images and over-generated candidates with canonical specs and features,
a provider call per image (some failing first), reactions with history, and the preference counts
(`preference_stats`) consistent with the current judgements, as the learning stage keeps them.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import insert

from designer_bff.db.engine import Database
from designer_bff.db.tables import (
    AssetJudgement,
    Generation,
    GenerationAsset,
    GenerationFeedback,
    PreferenceStat,
    ProviderCall,
)
from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.profile_state import flatten_spec

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # a Sunday; the fixed "now" of the analytics tests
OVERALL = "overall:all"
STRENGTH = {"outlier": 1.0, "heart": 0.9, "save": 0.7, "reject": 0.1}
SENTIMENT = {"positive": 0.8, "neutral": 0.5, "negative": 0.2}
COUNTER = {"outlier": "outliers", "heart": "hearts", "save": "saves", "reject": "rejects"}
# (provider, model, $ per image, typical latency in ms, effect on the standout log-odds)
ROUTES = (
    ("openai", "gpt-image-1", 0.04, 9000.0, 0.5),
    ("google", "imagen-4.0-generate-001", 0.04, 6000.0, 0.0),
    ("replicate", "black-forest-labs/flux-schnell", 0.003, 2500.0, -0.4),
    ("stability", "sd3.5-large", 0.065, 7000.0, 0.0),
)
DIRECTIONS = {"Fluid Evening": 1.0, "Minimalist Tailoring": 0.0, "Experimental Edge": -0.6}
PERSONAS = (
    "Minimalist Tailoring",
    "Fluid Evening",
    "Avant-Garde Experimental",
    "Soft Romantic",
    "Urban Streetwear",
)
MODIFIERS = (
    ("lighting:soft-window", 0.3),
    ("lighting:chiaroscuro", -0.2),
    ("composition:thirds", 0.0),
    ("composition:negative-space", 0.1),
    ("style:editorial", 0.2),
    ("style:catalogue", -0.2),
)


def strength(judgement: str, rating: int | None = None, sentiment: str | None = None) -> float:
    """DESIGN §4 strength of a reaction (ratings 1..5 → 0.1..0.9)."""
    if judgement == "rating":
        return round(0.1 + 0.2 * ((rating or 3) - 1), 10)
    if judgement == "comment":
        return SENTIMENT[sentiment or "neutral"]
    return STRENGTH[judgement]


def attribute_features(spec: dict[str, Any]) -> list[str]:
    """`attribute:{path}={value}` keys of a canonical spec tree (as the learning stage names them)."""
    return sorted({f"attribute:{p}={v}" for p, values in flatten_spec(spec).items() for v in values})


def make_spec(garment: str = "dress", **attributes: str) -> dict[str, Any]:
    """A canonical spec tree as the runner stores it, e.g. make_spec('dress', color='black')."""
    tree: dict[str, Any] = {"garment": {"type": garment}, "color": {}, "fabric": {}, "style": {}}
    if "silhouette" in attributes:
        tree["garment"]["silhouette"] = attributes["silhouette"]
    if "color" in attributes:
        tree["color"]["primary"] = attributes["color"]
    if "pattern" in attributes:
        tree["color"]["pattern"] = {"type": attributes["pattern"]}
    if "fabric" in attributes:
        tree["fabric"]["type"] = attributes["fabric"]
    if "aesthetic" in attributes:
        tree["style"]["aesthetic"] = attributes["aesthetic"]
    return GarmentSpec.model_validate(tree).model_dump(mode="json", by_alias=True, exclude_none=True)


@dataclass
class _Asset:
    id: str
    generation_id: str
    features: list[str] | None
    selected: bool


@dataclass
class Seeder:
    """Collects rows for one user and writes them in a few bulk inserts (`write`)."""

    db: Database
    user_id: str
    now: datetime = NOW
    generations: list[dict[str, Any]] = field(default_factory=list)
    assets: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    _slots: dict[str, int] = field(default_factory=dict)
    _generation_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    _index: dict[str, _Asset] = field(default_factory=dict)
    _counter: int = 0

    def _id(self, kind: str) -> str:
        self._counter += 1
        return hashlib.md5(f"{self.user_id}:{kind}:{self._counter}".encode()).hexdigest()  # noqa: S324

    def generation(self, at: datetime, *, status: str = "completed", count: int = 10) -> str:
        """A generation (batch) created at `at`."""
        gid = self._id("generation")
        self.generations.append(
            {
                "id": gid,
                "user_id": self.user_id,
                "status": status,
                "mode": "exploratory",
                "requested_count": count,
                "cost_usd": 0.0,
                "created_at": at,
                "updated_at": at,
                "completed_at": at + timedelta(minutes=3),
            }
        )
        self._slots[gid] = 0
        self._generation_rows[gid] = self.generations[-1]
        return gid

    def call(
        self,
        generation_id: str,
        at: datetime,
        *,
        provider: str = "openai",
        model: str = "gpt-image-1",
        category: str = "dress",
        status: str = "succeeded",
        cost: float | None = 0.04,
        latency_ms: float | None = 1000.0,
        slot: int = 0,
    ) -> str:
        """One provider call; a failed one costs nothing unless `cost` says otherwise."""
        cid = self._id("call")
        self.calls.append(
            {
                "id": cid,
                "generation_id": generation_id,
                "user_id": self.user_id,
                "slot": slot,
                "provider": provider,
                "model": model,
                "category": category,
                "status": status,
                "attempts": 1,
                "failures": 1 if status == "failed" else 0,
                "error_kind": "transient" if status == "failed" else None,
                "cost_usd": cost if status == "succeeded" else None,
                "latency_ms": latency_ms,
                "created_at": at,
                "finished_at": at + timedelta(milliseconds=latency_ms or 0),
            }
        )
        if cost is not None and status == "succeeded":
            generation = self._generation_rows[generation_id]
            generation["cost_usd"] = round(generation["cost_usd"] + cost, 6)
        return cid

    def asset(
        self,
        generation_id: str,
        at: datetime,
        *,
        spec: dict[str, Any] | None = None,
        provider: str = "openai",
        model: str = "gpt-image-1",
        cost: float = 0.04,
        latency_ms: float = 1000.0,
        selected: bool = True,
        modifiers: Sequence[str] = (),
        persona: str | None = None,
        direction: str | None = None,
        attributes: Sequence[str] | None = None,
    ) -> str:
        """A stored image with the provider call that made it; kept images get their feature keys."""
        spec = spec if spec is not None else make_spec()
        slot = self._slots[generation_id]
        self._slots[generation_id] = slot + 1
        garment = spec["garment"]["type"]
        features = None
        if selected:
            keys = list(attributes if attributes is not None else attribute_features(spec))
            keys += [f"modifier:{m}" for m in modifiers]
            keys.append(f"route:{provider}:{model}|{garment}")
            keys += [f"persona:{persona}"] if persona else []
            keys += [f"direction:{direction}"] if direction else []
            features = sorted(keys)
        aid = self._id("asset")
        self.assets.append(
            {
                "id": aid,
                "generation_id": generation_id,
                "user_id": self.user_id,
                "slot": slot,
                "storage_key": f"generations/{generation_id}/{slot}.png",
                "thumbnail_key": f"generations/{generation_id}/{slot}.thumb.webp",
                "width": 1024,
                "height": 1024,
                "bytes": 200_000,
                "mime": "image/png",
                "provider": provider,
                "model": model,
                "spec": spec,
                "prompt": f"a {garment}",
                "cost_usd": cost,
                "created_at": at,
                "selected": selected,
                "features": features,
            }
        )
        self._index[aid] = _Asset(aid, generation_id, features, selected)
        self.call(
            generation_id,
            at,
            provider=provider,
            model=model,
            category=garment,
            cost=cost,
            latency_ms=latency_ms,
            slot=slot,
        )
        return aid

    def react(
        self,
        asset_id: str,
        judgement: str,
        at: datetime,
        *,
        rating: int | None = None,
        sentiment: str | None = None,
        undone: bool = False,
    ) -> str:
        """A reaction to an image; the latest one not undone is the image's current judgement."""
        fid = self._id("feedback")
        self.feedback.append(
            {
                "id": fid,
                "generation_id": self._index[asset_id].generation_id,
                "asset_id": asset_id,
                "user_id": self.user_id,
                "type": judgement,
                "rating": rating,
                "comment": f"{sentiment} comment" if judgement == "comment" else None,
                "strength": strength(judgement, rating, sentiment),
                "sentiment": sentiment,
                "undone_at": at + timedelta(minutes=1) if undone else None,
                "created_at": at,
            }
        )
        return fid

    def judgements(self) -> list[dict[str, Any]]:
        """Current judgement per image: its latest reaction that was not undone."""
        current: dict[str, dict[str, Any]] = {}
        for event in sorted(self.feedback, key=lambda e: e["created_at"]):
            if event["undone_at"] is None:
                current[event["asset_id"]] = event
        return [
            {
                "user_id": self.user_id,
                "asset_id": e["asset_id"],
                "generation_id": e["generation_id"],
                "judgement": e["type"],
                "strength": e["strength"],
                "rating": e["rating"],
                "feedback_id": e["id"],
                "judged_at": e["created_at"],
            }
            for e in current.values()
        ]

    def preference_stats(self, judgements: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Per feature: kept images (shown), judgement counts and decayed evidence, as learning keeps them."""
        stats: dict[str, dict[str, Any]] = {}

        def row(feature: str) -> dict[str, Any]:
            if feature not in stats:
                stats[feature] = {
                    "user_id": self.user_id,
                    "feature": feature,
                    "kind": feature.partition(":")[0],
                    "pos": 0.0,
                    "neg": 0.0,
                    "ref_at": self.now,
                    "updated_at": self.now,
                    **dict.fromkeys(("shown", "judged", "outliers", "hearts", "saves", "rejects"), 0),
                }
            return stats[feature]

        for asset in self._index.values():
            if asset.selected and asset.features is not None:
                for feature in (*asset.features, OVERALL):
                    row(feature)["shown"] += 1
        for j in judgements:
            asset = self._index[j["asset_id"]]
            if asset.features is None:
                continue
            weight = math.exp(-max(0.0, (self.now - j["judged_at"]).total_seconds()) / 86_400 / 30)
            for feature in (*asset.features, OVERALL):
                r = row(feature)
                r["judged"] += 1
                r["pos"] += weight * j["strength"]
                r["neg"] += weight * (1 - j["strength"])
                if j["judgement"] in COUNTER:
                    r[COUNTER[j["judgement"]]] += 1
        return list(stats.values())

    def write(self) -> None:
        """Insert everything collected (the user must exist and have no preference counts yet)."""
        judgements = self.judgements()
        with self.db.session() as s:
            for table, rows in (
                (Generation, self.generations),
                (GenerationAsset, self.assets),
                (ProviderCall, self.calls),
                (GenerationFeedback, self.feedback),
                (AssetJudgement, judgements),
                (PreferenceStat, self.preference_stats(judgements)),
            ):
                for start in range(0, len(rows), 2000):
                    s.execute(insert(table), rows[start : start + 2000])


@dataclass(frozen=True)
class History:
    """What `seed_history` wrote."""

    generations: int
    kept: int
    candidates: int
    calls: int
    feedback: int
    judged: int
    standouts: int


@cache
def _spec_pool(seed: int, size: int = 240) -> tuple[tuple[dict[str, Any], list[str]], ...]:
    rng = random.Random(seed)
    garments = ("dress", "gown", "blouse", "skirt", "coat", "blazer", "pants", "jumpsuit")
    silhouettes = ("fitted", "relaxed", "a-line", "wrap", "sheath", "straight")
    colors = ("black", "ivory", "navy", "rust", "sage", "burgundy", "camel", "blush")
    fabrics = ("silk", "satin", "linen", "wool", "crepe", "cotton", "velvet")
    patterns = ("solid", "solid", "solid", "stripe", "floral", "check")
    aesthetics = ("minimalist", "bohemian", "romantic", "classic", "edgy", "glamorous")
    pool = []
    for _ in range(size):
        spec = make_spec(
            rng.choice(garments),
            silhouette=rng.choice(silhouettes),
            color=rng.choice(colors),
            pattern=rng.choice(patterns),
            fabric=rng.choice(fabrics),
            aesthetic=rng.choice(aesthetics),
        )
        pool.append((spec, attribute_features(spec)))
    return tuple(pool)


def _appeal(
    spec: dict[str, Any], route: int, direction: str, modifiers: Sequence[int], progress: float
) -> float:
    """Hidden taste: probability that the designer marks this image a standout when they judge it."""
    logit = -1.0 + ROUTES[route][4] + DIRECTIONS[direction] + sum(MODIFIERS[m][1] for m in modifiers)
    logit += 0.7 if spec["color"].get("primary") in ("black", "ivory") else 0.0
    # The designer's taste moves towards minimalism over the months.
    logit += (2.0 * progress - 1.0) if spec["style"].get("aesthetic") == "minimalist" else 0.0
    return 1.0 / (1.0 + math.exp(-logit))


def seed_history(
    db: Database,
    user_id: str,
    *,
    assets: int = 400,
    feedback: int = 80,
    seed: int = 0,
    now: datetime = NOW,
    days: int = 120,
    per_generation: int = 10,
) -> History:
    """`assets` kept images (+20 % over-generated candidates) in batches of `per_generation` over `days`,
    a provider call per image (4 % fail first), and `feedback` reactions (about 8 % re-reactions, 4 %
    undone) drawn from a hidden taste, with consistent judgements and preference counts."""
    rng = random.Random(seed)
    pool = _spec_pool(seed)
    seeder = Seeder(db, user_id, now=now)
    n_generations = max(1, math.ceil(assets / per_generation))
    kept: list[tuple[str, datetime, float]] = []
    start = now - timedelta(days=days)
    for g in range(n_generations):
        at = start + timedelta(days=days * (g + rng.random() * 0.5) / n_generations)
        gid = seeder.generation(at, count=per_generation)
        direction = rng.choice(list(DIRECTIONS))
        persona = rng.choice(PERSONAS)
        size = min(per_generation, assets - g * per_generation)
        for slot in range(size + math.ceil(size * 0.2)):
            spec, attributes = pool[rng.randrange(len(pool))]
            route = rng.randrange(len(ROUTES))
            provider, model, price, latency, _ = ROUTES[route]
            moment = at + timedelta(seconds=20 * slot)
            if rng.random() < 0.04:
                seeder.call(gid, moment, provider=provider, model=model, category=spec["garment"]["type"],
                            status="failed", cost=None, latency_ms=latency * 3, slot=slot)  # fmt: skip
            mods = sorted(rng.sample(range(len(MODIFIERS)), 2))
            aid = seeder.asset(
                gid,
                moment,
                spec=spec,
                provider=provider,
                model=model,
                cost=price,
                latency_ms=latency * rng.uniform(0.6, 1.8),
                selected=slot < size,
                modifiers=[MODIFIERS[m][0] for m in mods],
                persona=persona,
                direction=direction,
                attributes=attributes,
            )
            if slot < size:
                appeal = _appeal(spec, route, direction, mods, (at - start) / (now - start))
                kept.append((aid, moment, appeal))
    order = rng.sample(range(len(kept)), min(feedback, len(kept)))
    events = 0
    for index in order:
        if events >= feedback:
            break
        aid, moment, appeal = kept[index]
        at = min(moment + timedelta(hours=rng.uniform(2, 36)), now - timedelta(minutes=5))
        events += _react(seeder, rng, aid, at, appeal)
        if events < feedback and rng.random() < 0.12:
            events += _react(seeder, rng, aid, at + timedelta(minutes=30), appeal, undone=rng.random() < 0.35)
    seeder.write()
    judgements = seeder.judgements()
    return History(
        generations=len(seeder.generations),
        kept=len(kept),
        candidates=len(seeder.assets),
        calls=len(seeder.calls),
        feedback=len(seeder.feedback),
        judged=len(judgements),
        standouts=sum(j["judgement"] == "outlier" for j in judgements),
    )


def _react(
    seeder: Seeder, rng: random.Random, aid: str, at: datetime, appeal: float, undone: bool = False
) -> int:
    """One reaction drawn from the image's appeal: standout, heart, save, rating, comment or reject."""
    u = rng.random()
    if u < appeal * 0.8:
        seeder.react(aid, "outlier", at, undone=undone)
    elif u < appeal:
        seeder.react(aid, "heart", at, undone=undone)
    else:
        kind = rng.choices(("reject", "save", "rating", "comment"), weights=(60, 15, 15, 10))[0]
        rating = rng.randint(1, 3) if kind == "rating" else None
        sentiment = rng.choice(("neutral", "negative")) if kind == "comment" else None
        seeder.react(aid, kind, at, rating=rating, sentiment=sentiment, undone=undone)
    return 1
