"""Stage 7 (optimization): prompt modifiers per category, chosen by Thompson sampling on Beta posteriors.

Each modifier is a short fashion-photography phrase (a lighting set-up, a framing, a pose …) that the
prompt stage adds to a spec's prompt. Per user and modifier the feedback stage keeps a Beta(α, β)
posterior of "this modifier produces images the designer likes"; here one modifier per category is drawn
by sampling θ ~ Beta(α, β) for every option and taking the largest, which explores uncertain options and
exploits proven ones in proportion to the evidence (DESIGN §4: Beta(2, 2) priors).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from designer_bff.domain.spec import GarmentSpec

ModifierCategory = Literal["lighting", "composition", "style", "quality", "mood", "pose"]
CATEGORIES: tuple[ModifierCategory, ...] = ("lighting", "composition", "style", "quality", "mood", "pose")

PRIOR_ALPHA = 2.0
PRIOR_BETA = 2.0
# Reward per kind of feedback (DESIGN §4); the feedback stage multiplies it by the time-decay weight.
FEEDBACK_REWARD: dict[str, float] = {
    "outlier": 1.0,
    "heart": 0.9,
    "positive": 0.8,
    "neutral": 0.5,
    "negative": 0.2,
    "reject": 0.1,
}
DECAY_DAYS = 30.0
# Shots with nobody in them: a pose modifier means nothing there (and would teach the posterior noise).
MODEL_LESS_SHOTS = frozenset({"flat-lay", "ghost-mannequin", "technical-flat"})


@dataclass(frozen=True)
class Modifier:
    """One prompt modifier: a stable id ("lighting:soft-window"), its category and the phrase it adds."""

    id: str
    category: ModifierCategory
    text: str


def _m(category: ModifierCategory, slug: str, text: str) -> Modifier:
    return Modifier(f"{category}:{slug}", category, text)


# Phrases are written so the prompt stage can lead them with one fixed word per category
# ("lit by …", "with …", "in …", "posed in a …") and still read as English.
CATALOGUE: tuple[Modifier, ...] = (
    _m("lighting", "soft-window", "soft diffused window light"),
    _m("lighting", "studio-softbox", "crisp studio softbox lighting"),
    _m("lighting", "golden-rim", "golden hour rim light"),
    _m("lighting", "high-key", "bright high-key lighting with minimal shadows"),
    _m("lighting", "chiaroscuro", "dramatic low-key chiaroscuro lighting"),
    _m("lighting", "overcast", "even overcast daylight"),
    _m("lighting", "beauty-dish", "beauty dish key light with soft fill"),
    _m("composition", "centered-full", "centered full-length framing"),
    _m("composition", "thirds", "rule-of-thirds composition"),
    _m("composition", "negative-space", "generous negative space around the garment"),
    _m("composition", "low-angle", "low-angle hero framing"),
    _m("composition", "symmetry", "symmetrical editorial framing"),
    _m("composition", "detail-crop", "close framing on fabric and construction details"),
    _m("style", "editorial", "high-fashion editorial style"),
    _m("style", "lookbook", "clean e-commerce lookbook style"),
    _m("style", "campaign", "luxury campaign style"),
    _m("style", "film", "35mm film style with subtle grain"),
    _m("style", "street", "candid street-style photography"),
    _m("style", "runway", "runway photography style"),
    _m("style", "catalogue", "minimal catalogue style"),
    _m("quality", "sharp-fabric", "sharp focus on fabric texture"),
    _m("quality", "high-res", "high-resolution fine detail"),
    _m("quality", "medium-format", "medium-format camera clarity"),
    _m("quality", "true-colour", "accurate true-to-life color"),
    _m("quality", "crisp-seams", "crisp stitching and seam detail"),
    _m("quality", "shallow-dof", "shallow depth of field"),
    _m("mood", "serene", "serene, understated atmosphere"),
    _m("mood", "confident", "confident, powerful attitude"),
    _m("mood", "dreamy", "dreamy, romantic atmosphere"),
    _m("mood", "playful", "playful, energetic feel"),
    _m("mood", "cinematic", "moody, cinematic atmosphere"),
    _m("mood", "airy", "fresh, airy feel"),
    _m("pose", "contrapposto", "relaxed contrapposto stance"),
    _m("pose", "mid-stride", "natural mid-stride walk"),
    _m("pose", "hand-on-hip", "confident hand-on-hip pose"),
    _m("pose", "over-shoulder", "over-the-shoulder pose"),
    _m("pose", "seated", "graceful seated pose"),
    _m("pose", "twirl", "twirling pose with the hem in motion"),
    _m("pose", "straight-on", "straight-on standing pose with arms relaxed"),
)
_BY_ID: dict[str, Modifier] = {m.id: m for m in CATALOGUE}


def modifier_by_id(modifier_id: str) -> Modifier:
    """The catalogue entry with this id (KeyError for an id that is not in the catalogue)."""
    return _BY_ID[modifier_id]


def modifiers_in(category: ModifierCategory) -> tuple[Modifier, ...]:
    """The catalogue's options for one category, in catalogue order."""
    return tuple(m for m in CATALOGUE if m.category == category)


def categories_for_spec(spec: GarmentSpec) -> tuple[ModifierCategory, ...]:
    """The categories worth sampling for a spec: the spec's own choices win over a modifier.

    No pose for shots without a model (flat lay, ghost mannequin, tech flat) or when the spec names a pose;
    no lighting, style or mood for a technical flat (line art);
    no lighting when it names a lighting type; no mood when it names a mood. Sampling only what is applied
    keeps the posteriors learning from modifiers that were really in the prompt.
    """
    photo = spec.photography
    skip: set[str] = set()
    if photo.shot == "technical-flat":
        # Line art has no light, no photographic style and no mood: such words would turn it into a photo.
        skip |= {"lighting", "style", "mood"}
    if photo.shot in MODEL_LESS_SHOTS or (photo.pose and photo.pose != "none"):
        skip.add("pose")
    if photo.lighting_type:
        skip.add("lighting")
    if spec.style.mood:
        skip.add("mood")
    return tuple(c for c in CATEGORIES if c not in skip)


@dataclass(frozen=True)
class Posterior:
    """Beta(α, β) belief that a modifier pleases this user; α counts weighted likes, β dislikes."""

    alpha: float
    beta: float

    def __post_init__(self) -> None:
        if not (self.alpha > 0 and self.beta > 0 and math.isfinite(self.alpha) and math.isfinite(self.beta)):
            raise ValueError(f"Beta parameters must be finite and > 0, got α={self.alpha}, β={self.beta}")

    @property
    def mean(self) -> float:
        """Expected success probability α / (α + β)."""
        return self.alpha / (self.alpha + self.beta)


def prior_posterior() -> Posterior:
    """The Beta(2, 2) prior every modifier starts from (DESIGN §4)."""
    return Posterior(PRIOR_ALPHA, PRIOR_BETA)


def update_posterior(p: Posterior, reward: float, weight: float = 1.0) -> Posterior:
    """Add one piece of feedback: α += weight·reward, β += weight·(1 − reward); reward in [0, 1]."""
    if not 0.0 <= reward <= 1.0:
        raise ValueError(f"reward must be in [0, 1], got {reward}")
    if not (weight >= 0.0 and math.isfinite(weight)):
        raise ValueError(f"weight must be finite and >= 0, got {weight}")
    return Posterior(p.alpha + weight * reward, p.beta + weight * (1.0 - reward))


def decay(p: Posterior, factor: float) -> Posterior:
    """Shrink the evidence towards the prior: (α − 2, β − 2) scaled by `factor` in [0, 1]."""
    if not 0.0 <= factor <= 1.0:
        raise ValueError(f"decay factor must be in [0, 1], got {factor}")
    return Posterior(
        PRIOR_ALPHA + (p.alpha - PRIOR_ALPHA) * factor, PRIOR_BETA + (p.beta - PRIOR_BETA) * factor
    )


def decay_weight(age_days: float, tau_days: float = DECAY_DAYS) -> float:
    """Time-decay weight exp(−age_days / tau_days) of feedback that is `age_days` old (DESIGN §4)."""
    if age_days < 0 or tau_days <= 0:
        raise ValueError(f"need age_days >= 0 and tau_days > 0, got {age_days}, {tau_days}")
    return math.exp(-age_days / tau_days)


@dataclass(frozen=True)
class ChosenModifier:
    """A Thompson-sampling pick: the modifier, the θ it drew and its posterior mean at the time."""

    modifier: Modifier
    sampled: float
    mean: float


def choose_modifiers(
    posteriors: Mapping[str, Posterior],
    rng: random.Random,
    *,
    categories: Sequence[ModifierCategory] = CATEGORIES,
    prior: Posterior | None = None,
) -> list[ChosenModifier]:
    """One modifier per category: draw θ ~ Beta(α, β) per option (missing id → `prior`, by default
    Beta(2, 2)), keep the argmax."""
    prior = prior or prior_posterior()
    chosen: list[ChosenModifier] = []
    for category in categories:
        best: ChosenModifier | None = None
        # Draw for every option, in catalogue order, so a seed always consumes the same random numbers.
        for modifier in modifiers_in(category):
            p = posteriors.get(modifier.id, prior)
            theta = rng.betavariate(p.alpha, p.beta)
            if best is None or theta > best.sampled:
                best = ChosenModifier(modifier, theta, p.mean)
        if best is None:
            raise ValueError(f"no modifiers in category {category!r}")
        chosen.append(best)
    return chosen
