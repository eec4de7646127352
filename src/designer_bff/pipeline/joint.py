"""Stage 15's joint posterior: Bayesian logistic regression over an image's features (Laplace approximation).

The per-feature Beta posteriors (`preferences.Evidence`) count how often images carrying a feature pleased;
they are the success rates the analytics report. They cannot tell *why* an image pleased: every feature of
a standout silk dress in sky blue gets the same credit, so sky blue looks good because silk dresses are.
The joint model explains the designer's judgements together,

    logit P(image pleases) = w₀ + Σ_f w_f · x_f,

with x_f = 1 for each predictive feature of the image (spec values, their facets, prompt modifiers, route on
category) — a value's effect is its own weight plus its facets' (navy = navy + dark + its family), so what is
learned about dark colours carries to a charcoal never shown. Each judgement j is a soft label s_j (its
strength, DESIGN §4) weighted by its decay d_j = exp(−age/30 days). Priors: w_f ~ N(μ_f, 1), μ_f = 0 or,
with global learning, all users' aggregate lift; w₀ ~ N(0, 2²). The posterior mode is found by Newton's
method; its inverse Hessian is the posterior covariance (Laplace), which gives each weight's uncertainty and
each prediction's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

WEIGHT_SD = 1.0
INTERCEPT_SD = 2.0
_NEWTON_STEPS = 25
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Observation:
    """One current judgement as the joint model sees it."""

    features: Sequence[str]
    strength: float  # soft label s ∈ [0, 1]
    weight: float  # decay d ∈ (0, 1]


@dataclass(frozen=True)
class JointPosterior:
    """The Laplace posterior N(mean, cov) over the intercept (column 0) and the weights of `index`."""

    index: Mapping[str, int]
    mean: NDArray[np.float64]
    cov: NDArray[np.float64]
    prior_means: Mapping[str, float] = field(default_factory=dict)

    @property
    def intercept(self) -> float:
        """w₀: the log-odds of an image with no learned feature."""
        return float(self.mean[0])

    def weight(self, feature: str) -> tuple[float, float]:
        """(mean, sd) of w_f; a feature never judged has its prior."""
        column = self.index.get(feature)
        if column is None:
            return self.prior_means.get(feature, 0.0), WEIGHT_SD
        return float(self.mean[column]), math.sqrt(max(0.0, float(self.cov[column, column])))

    def logit(self, features: Iterable[str]) -> tuple[float, float]:
        """(mean, variance) of an image's log-odds w₀ + Σ w_f."""
        columns = [0]
        mean, variance = 0.0, 0.0
        for feature in set(features):
            column = self.index.get(feature)
            if column is None:
                mean += self.prior_means.get(feature, 0.0)
                variance += WEIGHT_SD**2
            else:
                columns.append(column)
        picked = np.array(columns)
        mean += float(self.mean[picked].sum())
        variance += float(self.cov[np.ix_(picked, picked)].sum())
        return mean, variance

    def probability(self, features: Iterable[str]) -> float:
        """P(pleases), the logistic of the log-odds averaged over their uncertainty (probit approximation)."""
        return moderated(*self.logit(features))


def sigmoid(x: float) -> float:
    """The logistic function, without overflow for large |x|."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def moderated(mean: float, variance: float) -> float:
    """E σ(y) for y ~ N(mean, variance), by the probit approximation σ(mean / √(1 + π·variance / 8))."""
    return sigmoid(mean / math.sqrt(1.0 + math.pi * variance / 8.0))


def fit(
    observations: Sequence[Observation], *, prior_means: Mapping[str, float] | None = None
) -> JointPosterior:
    """The posterior after `observations`."""
    names = sorted({f for o in observations for f in o.features})
    index = {name: i + 1 for i, name in enumerate(names)}
    priors = dict(prior_means or {})
    # Sparse design matrix: an image has ~30 of the model's hundreds of features.
    rows, columns = [], []
    for row, o in enumerate(observations):
        for column in {0, *(index[f] for f in o.features)}:
            rows.append(row)
            columns.append(column)
    x = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(observations), len(names) + 1), dtype=np.float64
    )
    s = np.array([o.strength for o in observations], dtype=np.float64)
    d = np.array([o.weight for o in observations], dtype=np.float64)
    mu = np.array([0.0, *(priors.get(n, 0.0) for n in names)])
    precision = np.array([INTERCEPT_SD**-2, *([WEIGHT_SD**-2] * len(names))])

    w = mu.copy()
    for _ in range(_NEWTON_STEPS + 1):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        cov = _inverse_hessian(x, d * p * (1.0 - p), precision)
        step = cov @ (x.T @ (d * (s - p)) - precision * (w - mu))
        if float(np.max(np.abs(step))) < _TOLERANCE:
            break  # the mode: `cov` is the curvature there
        w = w + step
    return JointPosterior(index, w, cov, priors)


def _inverse_hessian(
    x: sparse.csr_matrix, curvature: NDArray[np.float64], precision: NDArray[np.float64]
) -> NDArray[np.float64]:
    """H⁻¹ for H = Λ + XᵀCX (Λ = diag(precision), C = diag(curvature)), inverted in the smaller space: the
    m × m features' when there are more judgements, else n × n by Woodbury with B = C^½XΛ^-½,
    H⁻¹ = Λ^-½ (I − Bᵀ(I + BBᵀ)⁻¹B) Λ^-½."""
    n, m = x.shape
    if m <= n:
        hessian = (x.T @ sparse.diags(curvature) @ x).toarray() + np.diag(precision)
        return np.asarray(np.linalg.inv(hessian), dtype=np.float64)
    scale = 1.0 / np.sqrt(precision)
    b = (sparse.diags(np.sqrt(curvature)) @ x @ sparse.diags(scale)).toarray()
    inner = np.eye(m) - b.T @ np.linalg.solve(np.eye(n) + b @ b.T, b)
    return np.asarray(scale[:, None] * inner * scale[None, :], dtype=np.float64)
