"""Stage 15's joint posterior: an ordinal Bayesian logistic model over an image's features (Laplace).

The per-feature Beta posteriors (`preferences.Evidence`) count how often images carrying a feature pleased;
they are the success rates the analytics report. They cannot tell *why* an image pleased: every feature of
a standout silk dress in sky blue gets the same credit, so sky blue looks good because silk dresses are.
The joint model explains the designer's judgements together. A judgement is ordinal — a reject is below a
design seen and left unmarked, which is below a heart or a standout — so the model has two steps
(a continuation-ratio model), sharing one score η = Σ_f w_f · x_f per image:

    P(kept: not rejected)          = σ(c₁ + η)
    P(standout | not rejected)     = σ(c₂ + η)
    P(pleases) = P(standout)       = σ(c₁ + η) · σ(c₂ + η)

with x_f = 1 for each predictive feature of the image (spec values, their facets, prompt modifiers, route on
category) — a value's effect is its own weight plus its facets' (navy = navy + dark + its family), so what is
learned about dark colours carries to a charcoal never shown. A judgement's strength s (DESIGN §4) gives the
two soft labels (`labels`): a reject (0.1) says "not kept", a neutral reaction or a design seen and left
unmarked (0.5) "kept, not a standout", a standout (1.0) both; the second step counts only as far as the
first said "kept". Each judgement is weighted by its decay d = exp(−age/30 days).

Priors: w_f ~ N(μ_f, σ_f²), μ_f = 0 or, with global learning, all users' aggregate lift; c ~ N(0, 2²).
σ_f is the feature's *relevance* (`prior_sd`): what a design is, its colour, print and fabric — the headline
attributes and their families — have σ = 1; cut details, secondary colour, prompt modifiers σ = 0.35 and
routes σ = 0.5. With equal priors, the credit for a standout spreads evenly over its ~25 features and
80 judgements cannot tell the colour a designer loves from the neckline it happened to have; with these
scales a design's prior log-odds spread is ≈ 3 rather than ≈ 5, and details still learn when their evidence
is consistent. The posterior mode is found by Newton's method; its inverse Hessian is the posterior
covariance (Laplace), which gives each weight's uncertainty and each prediction's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

WEIGHT_SD = 1.0  # headline attributes and their facets
DETAIL_SD = 0.35  # other attributes, prompt modifiers
ROUTE_SD = 0.5  # provider route on a garment category
INTERCEPT_SD = 2.0
HEADLINE = frozenset(
    {
        "garment.type",
        "garment.group",
        "color.primary",
        "color.primary.family",
        "color.primary.tone",
        "color.pattern.type",
        "color.pattern.print",
        "fabric.type",
    }
)
STEPS = 2  # columns 0 and 1 are the intercepts c₁ (kept) and c₂ (standout | kept)
_NEWTON_STEPS = 25
_TOLERANCE = 1e-6


def prior_sd(feature: str) -> float:
    """σ_f, the prior scale (relevance) of a feature's weight."""
    kind, _, rest = feature.partition(":")
    if kind == "attribute":
        return WEIGHT_SD if rest.partition("=")[0] in HEADLINE else DETAIL_SD
    return ROUTE_SD if kind == "route" else DETAIL_SD


def labels(strength: float) -> tuple[float, float]:
    """(kept, standout) soft labels of a judgement of strength s: kept rises from reject (0.1) to neutral
    (0.5), standout from neutral to outlier (1.0) — a heart (0.9) is 0.8 of a standout."""
    return min(1.0, max(0.0, (strength - 0.1) / 0.4)), min(1.0, max(0.0, (strength - 0.5) / 0.5))


@dataclass(frozen=True)
class Observation:
    """One judgement (or design seen and left unmarked) as the joint model sees it."""

    features: Sequence[str]
    strength: float  # s ∈ [0, 1], DESIGN §4
    weight: float  # decay d ∈ (0, 1]


@dataclass(frozen=True)
class JointPosterior:
    """The Laplace posterior N(mean, cov) over the intercepts (columns 0, 1) and the weights of `index`."""

    index: Mapping[str, int]
    mean: NDArray[np.float64]
    cov: NDArray[np.float64]
    prior_means: Mapping[str, float] = field(default_factory=dict)
    base_rate: float = 0.0  # decayed share of the observed designs that were standouts

    def weight(self, feature: str) -> tuple[float, float]:
        """(mean, sd) of w_f; a feature never judged has its prior."""
        column = self.index.get(feature)
        if column is None:
            return self.prior_means.get(feature, 0.0), prior_sd(feature)
        return float(self.mean[column]), math.sqrt(max(0.0, float(self.cov[column, column])))

    def logit(self, features: Iterable[str], step: int = 1) -> tuple[float, float]:
        """(mean, variance) of an image's log-odds c + η at `step` (0: kept, 1: standout once kept)."""
        columns = [step]
        mean, variance = 0.0, 0.0
        for feature in set(features):
            column = self.index.get(feature)
            if column is None:
                mean += self.prior_means.get(feature, 0.0)
                variance += prior_sd(feature) ** 2
            else:
                columns.append(column)
        picked = np.array(columns)
        mean += float(self.mean[picked].sum())
        variance += float(self.cov[np.ix_(picked, picked)].sum())
        return mean, variance

    def probability(self, features: Iterable[str]) -> float:
        """P(standout): both steps' logistic, each averaged over its uncertainty (probit approximation)."""
        keys = list(features)
        return moderated(*self.logit(keys, 0)) * moderated(*self.logit(keys, 1))

    def explorer(
        self, explored: Callable[[str], bool], rng: np.random.Generator
    ) -> Callable[[Iterable[str]], float]:
        """P(standout) under one posterior draw of the weights `explored` selects (Thompson sampling on
        them), every other weight at its posterior mean; a selected feature never judged draws from its
        prior, once per explorer."""
        columns = [c for f, c in self.index.items() if explored(f)]
        sample = self.mean.copy()
        if columns:
            chol = np.linalg.cholesky(self.cov[np.ix_(columns, columns)] + 1e-9 * np.eye(len(columns)))
            sample[columns] = self.mean[columns] + chol @ rng.standard_normal(len(columns))
        unseen: dict[str, float] = {}

        def weight(feature: str) -> float:
            column = self.index.get(feature)
            if column is not None:
                return float(sample[column])
            prior = self.prior_means.get(feature, 0.0)
            if not explored(feature):
                return prior
            if feature not in unseen:
                unseen[feature] = prior + prior_sd(feature) * float(rng.standard_normal())
            return unseen[feature]

        def score(features: Iterable[str]) -> float:
            eta = sum(weight(f) for f in set(features))
            return sigmoid(float(sample[0]) + eta) * sigmoid(float(sample[1]) + eta)

        return score


def sigmoid(x: float) -> float:
    """The logistic function, without overflow for large |x|."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def moderated(mean: float, variance: float) -> float:
    """E σ(y) for y ~ N(mean, variance), by the probit approximation σ(mean / √(1 + π·variance / 8))."""
    return sigmoid(mean / math.sqrt(1.0 + math.pi * variance / 8.0))


def fit(
    observations: Sequence[Observation], *, prior_means: Mapping[str, float] | None = None
) -> JointPosterior:
    """The posterior after `observations`: each is one row for the first step and, as far as it was kept,
    one for the second, both over the same feature columns."""
    names = sorted({f for o in observations for f in o.features})
    index = {name: i + STEPS for i, name in enumerate(names)}
    priors = dict(prior_means or {})
    # Sparse design matrix: an image has ~25 of the model's hundreds of features.
    rows: list[int] = []
    columns: list[int] = []
    targets: list[float] = []
    weights: list[float] = []
    for o in observations:
        kept, standout = labels(o.strength)
        for step, target, weight in ((0, kept, o.weight), (1, standout, o.weight * kept)):
            if weight <= 0:
                continue
            for column in {step, *(index[f] for f in o.features)}:
                rows.append(len(targets))
                columns.append(column)
            targets.append(target)
            weights.append(weight)
    x = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(targets), len(names) + STEPS), dtype=np.float64
    )
    s = np.array(targets, dtype=np.float64)
    d = np.array(weights, dtype=np.float64)
    mu = np.array([0.0] * STEPS + [priors.get(n, 0.0) for n in names])
    precision = np.array([INTERCEPT_SD**-2] * STEPS + [prior_sd(n) ** -2 for n in names])

    w = mu.copy()
    for _ in range(_NEWTON_STEPS + 1):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        cov = _inverse_hessian(x, d * p * (1.0 - p), precision)
        step = cov @ (x.T @ (d * (s - p)) - precision * (w - mu))
        if float(np.max(np.abs(step))) < _TOLERANCE:
            break  # the mode: `cov` is the curvature there
        w = w + step
    total = sum(o.weight for o in observations)
    standouts = sum(o.weight * math.prod(labels(o.strength)) for o in observations)
    return JointPosterior(index, w, cov, priors, standouts / total if total > 0 else 0.0)


def _inverse_hessian(
    x: sparse.csr_matrix, curvature: NDArray[np.float64], precision: NDArray[np.float64]
) -> NDArray[np.float64]:
    """H⁻¹ for H = Λ + XᵀCX (Λ = diag(precision), C = diag(curvature)), inverted in the smaller space: the
    m × m features' when there are more rows, else n × n by Woodbury with B = C^½XΛ^-½,
    H⁻¹ = Λ^-½ (I − Bᵀ(I + BBᵀ)⁻¹B) Λ^-½."""
    n, m = x.shape
    if m <= n:
        hessian = (x.T @ sparse.diags(curvature) @ x).toarray() + np.diag(precision)
        return np.asarray(np.linalg.inv(hessian), dtype=np.float64)
    scale = 1.0 / np.sqrt(precision)
    b = (sparse.diags(np.sqrt(curvature)) @ x @ sparse.diags(scale)).toarray()
    inner = np.eye(m) - b.T @ np.linalg.solve(np.eye(n) + b @ b.T, b)
    return np.asarray(scale[:, None] * inner * scale[None, :], dtype=np.float64)
