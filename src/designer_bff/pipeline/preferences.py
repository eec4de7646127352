"""Stage 15: one per-user preference model over image features — Bayesian, time-decayed, explainable.

Every kept image carries *features*: each attribute value of its spec (`attribute:color.primary=black`)
and the families those values belong to (`attribute:color.primary.tone=dark`, see `facets`),
each prompt modifier it was made with (`modifier:lighting.golden-rim`), its route on its garment category
(`route:openai:gpt-image-1|dress`), and — tracked for analytics, not used for prediction — its persona
and style-profile direction. Each feature f has a Beta posterior over "an image with f pleases this
designer":

    α_f = α0 + Σ_j w_j·s_j      β_f = β0 + Σ_j w_j·(1 − s_j)      w_j = exp(−age_j / 30 days)

over the current judgements j of images carrying f, with s_j the judgement's strength (DESIGN §4). One
extra feature, `overall`, collects every judgement under the Beta(2, 2) prior of DESIGN §4: its mean b is
the designer's baseline. Every other feature's prior has the same weight (4 judgements) centred on the
baseline, (α0, β0) = (4b, 4(1 − b)) — a feature nobody judged is expected to do as well as this
designer's average, so evidence moves it up or down from there — or, with global learning, centred on
all users' aggregate for that feature. A judgement that is changed or undone takes its contribution back
out, so the model is always a function of the current judgements.

Those per-feature posteriors are the success tracking (rates with intervals, the learning log). The
decisions come from the joint posterior fitted on the same current, decayed judgements and on the designs
left unmarked in batches the designer reviewed (`joint`): an ordinal Bayesian logistic model (kept, then
standout) that apportions credit among an image's features, so a colour is not credited for the silk
dresses it happened to be shown on. It drives:
- spec sampling (stage 4): factor exp(κ·(w_v + Σ w of v's facets)) per attribute value, κ = 0.5, and each
  slot keeps the best of several whole drafts by `predict`, a tenth of them exploring one headline
  attribute by Thompson draws (`completion`);
- prompt modifiers (stage 7): Thompson sampling on each modifier's `quality`;
- routing (stage 8): the route × category `quality`;
- selection (stage 13): q_i adds `predict`, the probability that image i pleases.
Before the first judgement (no joint fit yet) the Beta posteriors — priors only, or global aggregates —
stand in: `predict` is then a naive-Bayes sum of their log-odds lifts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.facets import FACETS, facets_of, parents_of
from designer_bff.pipeline.joint import JointPosterior, moderated, sigmoid
from designer_bff.pipeline.profile_state import flatten_spec
from designer_bff.pipeline.sampling import sampler_values

Judgement = Literal["outlier", "heart", "save", "rating", "comment", "reject"]
Sentiment = Literal["positive", "neutral", "negative"]

PRIOR = (2.0, 2.0)  # Beta(2, 2): DESIGN §4
DECAY_DAYS = 30.0
STRENGTHS: dict[str, float] = {"outlier": 1.0, "heart": 0.9, "save": 0.7, "reject": 0.1}
COMMENT_STRENGTHS: dict[str, float] = {"positive": 0.8, "neutral": 0.5, "negative": 0.2}
# A kept design left unmarked in a batch the designer reviewed: seen and passed over, a neutral reaction.
# The joint model reads it as "not rejected, not a standout"; success tracking does not count it.
UNMARKED = COMMENT_STRENGTHS["neutral"]
OVERALL = "overall:all"
# Kinds whose evidence predicts how an image will be received; persona and direction are functions of
# the attributes, so counting them too would count the same evidence twice.
PREDICTIVE: frozenset[str] = frozenset({"attribute", "modifier", "route"})
# Exploitation strength of spec sampling: a value whose draw is twice the baseline is 2^κ times as likely.
SAMPLING_POWER = 4.0
# The same for the joint model: a value whose weight is w is exp(κ·w) times as likely. In the learning
# simulation κ = 1 locked onto the first colour that pleased; 0.5 keeps trying the family's others.
JOINT_POWER = 0.5
# Weight (in judgements) of every feature's prior: that of Beta(2, 2).
PRIOR_STRENGTH = PRIOR[0] + PRIOR[1]


def strength(judgement: str, *, rating: int | None = None, sentiment: str | None = None) -> float:
    """DESIGN §4 strength of a judgement; ratings map 1..5 onto 0.1..0.9 (3 is neutral, 0.5)."""
    if judgement == "rating":
        if rating is None or not 1 <= rating <= 5:
            raise InvalidInput(f"rating must be 1..5, got {rating}", field="rating")
        return round(0.1 + 0.2 * (rating - 1), 10)
    if judgement == "comment":
        return COMMENT_STRENGTHS[sentiment or "neutral"]
    if judgement not in STRENGTHS:
        raise InvalidInput(f"unknown judgement {judgement!r}", field="type", allowed=sorted(STRENGTHS))
    return STRENGTHS[judgement]


def decay_factor(age_days: float) -> float:
    """exp(−age/30 days); a judgement from the future (clock skew) counts fully."""
    return math.exp(-max(0.0, age_days) / DECAY_DAYS)


def days_between(earlier: datetime, later: datetime) -> float:
    """Signed days from `earlier` to `later`."""
    return (later - earlier).total_seconds() / 86_400.0


def kind_of(feature: str) -> str:
    """The kind prefix of a feature key."""
    return feature.partition(":")[0]


def attribute_feature(path: str, value: str) -> str:
    """`attribute:{path}={value}`."""
    return f"attribute:{path}={value}"


def is_facet(feature: str) -> bool:
    """Whether a feature is a facet (`attribute:color.primary.tone=dark`), not a spec value."""
    return kind_of(feature) == "attribute" and feature[10:].partition("=")[0] in FACETS


def route_feature(provider: str, model: str, category: str) -> str:
    """`route:{provider}:{model}|{garment category}`."""
    return f"route:{provider}:{model}|{category}"


def features_of(
    spec: GarmentSpec | Mapping[str, Any],
    *,
    modifiers: Sequence[str] = (),
    route: str | None = None,
    persona: str | None = None,
    direction: str | None = None,
) -> list[str]:
    """The feature keys of one image (sorted, unique)."""
    tree = spec.model_dump(mode="json") if isinstance(spec, GarmentSpec) else dict(spec)
    try:
        flat = flatten_spec(tree)
    except InvalidInput:  # an image stored under an older taxonomy: learn from what still maps
        flat = {}
    flat.update(facets_of(flat))
    keys = {attribute_feature(path, v) for path, values in flat.items() for v in values}
    keys |= {f"modifier:{m}" for m in modifiers}
    garment = flat.get("garment.type", ["?"])[0]
    if route:
        provider, _, model = route.partition(":")
        keys.add(route_feature(provider, model, garment))
    if persona:
        keys.add(f"persona:{persona}")
    if direction:
        keys.add(f"direction:{direction}")
    return sorted(keys)


@dataclass(frozen=True)
class Evidence:
    """Decayed evidence of one feature: Σ w·s and Σ w·(1 − s), and the prior it adds to."""

    pos: float = 0.0
    neg: float = 0.0
    prior: tuple[float, float] = PRIOR

    @property
    def alpha(self) -> float:
        """Posterior α."""
        return self.prior[0] + self.pos

    @property
    def beta(self) -> float:
        """Posterior β."""
        return self.prior[1] + self.neg

    @property
    def mean(self) -> float:
        """Posterior mean α / (α + β)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def amount(self) -> float:
        """How many (decayed) judgements stand behind it."""
        return self.pos + self.neg

    @property
    def sd(self) -> float:
        """Posterior standard deviation."""
        a, b = self.alpha, self.beta
        return math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval (normal approximation on the logit scale, kept in (0, 1))."""
        z = 1.959963984540054 if level == 0.95 else _z(level)
        m, a, b = self.mean, self.alpha, self.beta
        # Var(logit θ) ≈ 1/α + 1/β for a Beta(α, β): the interval stays inside (0, 1) and is asymmetric
        # near the edges, as the Beta is.
        spread = z * math.sqrt(1 / a + 1 / b)
        centre = math.log(m / (1 - m))
        return sigmoid(centre - spread), sigmoid(centre + spread)


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class Contribution:
    """How one feature moves a prediction: its posterior and the log-odds it adds to the baseline."""

    feature: str
    mean: float
    amount: float
    log_odds: float


def centred_prior(mean: float) -> tuple[float, float]:
    """A Beta prior with mean `mean` and the weight of Beta(2, 2)."""
    return (PRIOR_STRENGTH * mean, PRIOR_STRENGTH * (1.0 - mean))


@dataclass(frozen=True)
class PreferenceModel:
    """A designer's learned preferences at one moment: decayed evidence per feature (`Evidence.pos` and
    `neg`; the model supplies each feature's prior), and global priors when global learning is on."""

    evidence: Mapping[str, Evidence] = field(default_factory=dict)
    priors: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    joint: JointPosterior | None = None

    def prior_for(self, feature: str) -> tuple[float, float]:
        """Beta(2, 2) for the baseline; a global prior; one centred on the value's facets (a colour on its
        family's and tone's posterior means, learned from the family's other values); else one centred on
        the baseline."""
        if feature == OVERALL:
            return PRIOR
        found = self.priors.get(feature)
        if found:
            return found
        parents = parents_of(feature)
        if parents:
            return centred_prior(sum(self._sibling_mean(p, feature) for p in parents) / len(parents))
        return centred_prior(self.baseline)

    def _sibling_mean(self, facet: str, feature: str) -> float:
        """The facet's posterior mean without `feature`'s own evidence: the value's prior must come from its
        siblings, or its own judgements would count twice (a facet with one judged value is that value)."""
        total, own = self.evidence.get(facet), self.evidence.get(feature)
        pos = (total.pos if total else 0.0) - (own.pos if own else 0.0)
        neg = (total.neg if total else 0.0) - (own.neg if own else 0.0)
        return Evidence(max(0.0, pos), max(0.0, neg), self.prior_for(facet)).mean

    def get(self, feature: str) -> Evidence:
        """The feature's posterior (the prior alone when nothing was judged)."""
        found = self.evidence.get(feature)
        pos, neg = (found.pos, found.neg) if found else (0.0, 0.0)
        return Evidence(pos, neg, self.prior_for(feature))

    @property
    def baseline(self) -> float:
        """Mean strength of this designer's judgements under Beta(2, 2) (0.5 before the first)."""
        found = self.evidence.get(OVERALL)
        return Evidence(found.pos, found.neg).mean if found else 0.5

    @property
    def typical(self) -> float:
        """What `predict` is compared with: the decayed share of this designer's designs that were standouts
        once there is a joint fit (`predict` is then P(standout)), else the baseline."""
        return self.joint.base_rate if self.joint is not None else self.baseline

    @property
    def judged(self) -> float:
        """Decayed number of judgements behind the model."""
        return self.get(OVERALL).amount

    def features(self, kind: str) -> dict[str, Evidence]:
        """Every feature of `kind` with evidence or a global prior."""
        keys = {*self.evidence, *self.priors}
        return {k: self.get(k) for k in sorted(keys) if kind_of(k) == kind}

    def sampling_weights(self, power: float = SAMPLING_POWER) -> dict[str, dict[str, float]]:
        """Stage 4 factors: path → value → factor; from the joint model once there is one
        (`_joint_weights`), else (θ / b)^κ with θ the value's Beta posterior mean, as follows.

        Values never judged keep factor 1, i.e. the baseline: sampling explores them at their base rate —
        unless a facet of theirs was judged: then their prior is centred on the facet (`prior_for`), so
        an unseen dark colour is tried when dark colours please. Facets themselves get no factor: their
        evidence reaches sampling through the values' priors, and counting it twice would overshoot.
        Posterior means, not Thompson draws: see `completion`.
        """
        if self.joint is not None:
            return _joint_weights(self.joint)
        if self.judged <= 0 and not self.priors:
            return {}
        b = self.baseline
        keys = {k for k in self.features("attribute") if not is_facet(k)}
        # Values of a path with judged facets: every value the sampler offers is moved by its facets.
        for facet in {k for k in self.features("attribute") if is_facet(k)}:
            source = FACETS[facet.removeprefix("attribute:").partition("=")[0]][0]
            keys |= {attribute_feature(source, v) for v in sampler_values(source)}
        weights: dict[str, dict[str, float]] = {}
        for key in sorted(keys):
            path, _, value = key.removeprefix("attribute:").partition("=")
            weights.setdefault(path, {})[value] = (self.get(key).mean / b) ** power
        return weights

    def informative(self, features: Iterable[str]) -> list[str]:
        """The predictive features the model knows something about: judged ones, ones with a global prior,
        and values never judged whose facets were (an unseen charcoal when dark colours were judged)."""
        out = []
        for key in features:
            if kind_of(key) not in PREDICTIVE or is_facet(key):
                continue
            found = self.evidence.get(key)
            if (
                (found is not None and found.amount > 0)
                or key in self.priors
                or any(
                    (p := self.evidence.get(parent)) is not None and p.amount > 0
                    for parent in parents_of(key)
                )
            ):
                out.append(key)
        return out

    def quality(self, feature: str) -> tuple[float, float]:
        """(α, β) of "an image with this feature pleases", for the bandits of stages 7 and 8.

        From the joint model: the designer's baseline log-odds plus the feature's weight, N(m, v) on the
        log-odds scale, as the Beta with the same mean and variance — a modifier or route is credited
        with what it adds, not with the garments it happened to be used on. Without judgements yet, the
        feature's Beta posterior (its prior)."""
        if self.joint is None:
            ev = self.get(feature)
            return ev.alpha, ev.beta
        mean, sd = self.joint.weight(feature)
        return beta_matching(_logit(self.baseline) + mean, sd**2)

    def modifier_posteriors(self) -> dict[str, tuple[float, float]]:
        """Stage 7: (α, β) per modifier id, for every modifier the model knows."""
        known = {
            *self.features("modifier"),
            *(k for k in (self.joint.index if self.joint else {}) if kind_of(k) == "modifier"),
        }
        return {k.removeprefix("modifier:"): self.quality(k) for k in sorted(known)}

    def explain(self, features: Iterable[str]) -> list[Contribution]:
        """The predictive features of an image the model knows something about, strongest effect first."""
        b = _logit(self.baseline)
        rows = []
        if self.joint is not None:
            for key in {f for f in features if kind_of(f) in PREDICTIVE}:
                if key in self.joint.index or key in self.joint.prior_means:
                    weight = self.joint.weight(key)[0]
                    rows.append(Contribution(key, sigmoid(b + weight), self.get(key).amount, weight))
            return sorted(rows, key=lambda c: (-abs(c.log_odds), c.feature))
        for key in self.informative(features):
            ev = self.get(key)
            rows.append(Contribution(key, ev.mean, ev.amount, _logit(ev.mean) - b))
        return sorted(rows, key=lambda c: (-abs(c.log_odds), c.feature))

    def predict(self, features: Iterable[str]) -> float:
        """Probability that an image with these features pleases: the joint model's, averaged over its
        uncertainty, once there is one. Before: the baseline's log-odds plus the
        features' log-odds lifts over it, summed and divided by √k for k features with evidence.
        Facets count through their values' priors, not again on their own.

        Plain naive Bayes (the sum) treats an image's ~30 features as independent evidence; they are
        not (a scoop neckline comes with the dress), and the sum is overconfident. √k is the usual
        tempering for k equally correlated pieces of evidence."""
        if self.joint is not None:
            return self.joint.probability(f for f in features if kind_of(f) in PREDICTIVE)
        lifts = [c.log_odds for c in self.explain(features)]
        if not lifts:
            return self.baseline
        return sigmoid(_logit(self.baseline) + sum(lifts) / math.sqrt(len(lifts)))


def _joint_weights(joint: JointPosterior) -> dict[str, dict[str, float]]:
    """Stage 4 factors from the joint model: exp(κ·(w_v + Σ w of v's facets)) for every value the sampler
    offers on a path the designer's judgements touched (directly or through a facet); values never judged
    move with their facets, a charcoal with dark colours."""
    paths: set[str] = set()
    for key in joint.index:
        if kind_of(key) == "attribute":
            path = key[10:].partition("=")[0]
            paths.add(FACETS[path][0] if path in FACETS else path)
    weights: dict[str, dict[str, float]] = {}
    for path in sorted(paths):
        judged = {k[10:].partition("=")[2] for k in joint.index if k.startswith(f"attribute:{path}=")}
        for value in sorted(set(sampler_values(path)) | judged):
            key = attribute_feature(path, value)
            lift = sum(joint.weight(f)[0] for f in (key, *parents_of(key)))
            weights.setdefault(path, {})[value] = math.exp(JOINT_POWER * lift)
    return weights


def beta_matching(mean: float, variance: float) -> tuple[float, float]:
    """The Beta(α, β) with the mean and variance of σ(y), y ~ N(mean, variance) (probit approximation for
    the mean, the delta method for the variance): a log-odds belief as a success rate a bandit can draw."""
    p = moderated(mean, variance)
    size = min(max(1.0 / (p * (1.0 - p) * max(variance, 1e-9)) - 1.0, 1.0), 1e4)
    return p * size, (1.0 - p) * size


def lifts(priors: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """Global priors as log-odds lifts over all users' baseline (the joint model's prior means)."""
    base = priors.get(OVERALL)
    if base is None:
        return {}
    return {
        f: _logit(a / (a + b)) - _logit(base[0] / sum(base)) for f, (a, b) in priors.items() if f != OVERALL
    }


def global_prior(pos: float, neg: float) -> tuple[float, float]:
    """A prior centred on all other users' aggregate mean for a feature (itself under Beta(2, 2))."""
    return centred_prior(Evidence(pos, neg).mean)


def label(feature: str) -> str:
    """A readable name: 'color.primary = black', 'openai:gpt-image-1 on dress', 'modifier golden-rim'."""
    kind, _, rest = feature.partition(":")
    if kind == "attribute":
        path, _, value = rest.partition("=")
        return f"{path} = {value}"
    if kind == "route":
        route, _, category = rest.rpartition("|")
        return f"{route} on {category}"
    return rest if kind in ("persona", "direction") else f"{kind} {rest}"
