"""Stage 15's joint model: Bayesian logistic regression over image features (Laplace posterior)."""

from __future__ import annotations

import math
import random
import statistics

import numpy as np
import pytest

from designer_bff.pipeline.joint import Observation, fit, labels, moderated, prior_sd
from designer_bff.pipeline.preferences import (
    OVERALL,
    Evidence,
    PreferenceModel,
    beta_matching,
    features_of,
    route_feature,
)

# Headline attributes (prior sd 1): what the designer's reaction is about.
A, C = "attribute:color.primary=a", "attribute:fabric.type=c"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _confounded(n: int = 300) -> list[Observation]:
    """`A` makes an image please (log-odds +3 over −2); `C` comes with `A` 80 % of the time, adds nothing."""
    rng = random.Random(3)
    out = []
    for _ in range(n):
        a = rng.random() < 0.5
        c = rng.random() < (0.8 if a else 0.2)
        noise = [f"attribute:garment.type=n{rng.randrange(5)}"]
        features = [*([A] if a else []), *([C] if c else []), *noise]
        liked = rng.random() < _sigmoid(-2 + 3 * a)
        out.append(Observation(features, 1.0 if liked else 0.0, 1.0))
    return out


def test_the_joint_model_explains_away_what_only_comes_along() -> None:
    observations = _confounded()
    joint = fit(observations)
    a, c = joint.weight(A)[0], joint.weight(C)[0]
    assert a > 2.0
    assert abs(c) < 0.5
    # Counted per feature, `c` looks almost as good as `a`: the confounding the joint model removes.
    rate = {f: statistics.fmean(o.strength for o in observations if f in o.features) for f in (A, C)}
    assert rate[C] > 0.5 * rate[A]


def test_the_posterior_is_the_same_whichever_space_it_is_solved_in() -> None:
    few = _confounded(6)  # fewer judgements than features: the Woodbury path
    many = [Observation(o.features, o.strength, o.weight / 4) for o in few for _ in range(4)]
    small, large = fit(few), fit(many)
    assert small.index == large.index
    assert small.mean == pytest.approx(large.mean, abs=1e-6)
    assert small.cov == pytest.approx(large.cov, abs=1e-6)


def test_a_fully_decayed_judgement_teaches_nothing() -> None:
    joint = fit([Observation([A], 1.0, 0.0)])
    mean, sd = joint.weight(A)
    assert mean == pytest.approx(0.0, abs=1e-9)
    assert sd == pytest.approx(prior_sd(A))


def test_unseen_features_keep_their_prior_and_add_uncertainty() -> None:
    joint = fit(_confounded(50), prior_means={"attribute:z=1": 0.7})
    assert joint.weight("attribute:z=1") == (0.7, prior_sd("attribute:z=1"))
    assert joint.weight("attribute:never=1") == (0.0, prior_sd("attribute:never=1"))
    known, unknown = joint.logit([A]), joint.logit([A, "attribute:z=1"])
    assert unknown[0] == pytest.approx(known[0] + 0.7)
    assert unknown[1] == pytest.approx(known[1] + prior_sd("attribute:z=1") ** 2)


def test_probability_grows_with_evidence_and_is_moderated_by_uncertainty() -> None:
    joint = fit(_confounded())
    liked, plain = joint.probability([A]), joint.probability([])
    assert liked > 0.6 > 0.3 > plain
    mean, variance = joint.logit([A])
    assert abs(liked - 0.5) < abs(_sigmoid(mean) - 0.5)  # uncertainty pulls towards 0.5
    assert variance > 0


@pytest.mark.parametrize(("mean", "variance"), [(-2.0, 1.0), (0.5, 0.2), (1.5, 0.05)])
def test_beta_matching_keeps_mean_and_variance(mean: float, variance: float) -> None:
    rng = random.Random(1)
    draws = [_sigmoid(rng.gauss(mean, math.sqrt(variance))) for _ in range(40_000)]
    a, b = beta_matching(mean, variance)
    assert a / (a + b) == pytest.approx(statistics.fmean(draws), abs=0.02)
    assert a * b / ((a + b) ** 2 * (a + b + 1)) == pytest.approx(statistics.pvariance(draws), rel=0.35)


def _judged(spec_tree: dict[str, object], route: str, liked: bool) -> Observation:
    return Observation(features_of(spec_tree, route=route), 1.0 if liked else 0.1, 1.0)


def test_routes_are_credited_net_of_the_designs_they_drew() -> None:
    """Route r1 drew mostly black dresses (liked), r2 mostly white ones (rejected); both are equally good."""
    rng = random.Random(5)
    observations = []
    for _ in range(200):
        route = "r1" if rng.random() < 0.5 else "r2"
        black = rng.random() < (0.8 if route == "r1" else 0.2)
        liked = rng.random() < (0.7 if black else 0.15)
        tree = {"garment": {"type": "dress"}, "color": {"primary": "black" if black else "white"}}
        observations.append(_judged(tree, f"p:{route}", liked))
    model = PreferenceModel({OVERALL: Evidence(40, 60)}, joint=fit(observations))
    rate, quality = {}, {}
    for route in ("r1", "r2"):
        feature = route_feature("p", route, "dress")
        rate[route] = statistics.fmean(o.strength for o in observations if feature in o.features)
        a, b = model.quality(feature)
        quality[route] = a / (a + b)
    assert rate["r1"] - rate["r2"] > 0.2  # what counting per feature would credit r1 with
    assert abs(quality["r1"] - quality["r2"]) < 0.1


def test_sampling_factors_follow_weights_and_carry_to_unseen_relatives() -> None:
    observations = [
        _judged({"garment": {"type": "dress"}, "color": {"primary": c}}, "p:r", liked)
        for c, liked in [
            ("black", True),
            ("navy", True),
            ("burgundy", True),
            ("ivory", False),
            ("white", False),
        ]
        for _ in range(4)
    ]
    model = PreferenceModel({OVERALL: Evidence(12, 8)}, joint=fit(observations))
    colours = model.sampling_weights()["color.primary"]
    assert colours["black"] > colours["camel"] > colours["ivory"]  # camel: never judged, mid tone
    assert colours["charcoal"] > colours["camel"]  # never judged either, but dark
    assert "garment.type" in model.sampling_weights()


def test_judgements_are_ordinal_steps() -> None:
    assert labels(0.1) == (0.0, 0.0)  # reject: not kept
    assert labels(0.5) == (1.0, 0.0)  # neutral, or seen and left unmarked: kept, not a standout
    assert labels(1.0) == (1.0, 1.0)  # standout
    assert labels(0.9) == pytest.approx((1.0, 0.8))  # heart
    assert labels(0.3) == pytest.approx((0.5, 0.0))  # rating 2


def test_passed_over_ranks_between_rejected_and_standout() -> None:
    """Three colours, each on 30 designs: always rejected, always left unmarked, always a standout."""
    observations = [
        Observation([f"attribute:color.primary={c}"], s, 1.0)
        for c, s in (("red", 0.1), ("grey", 0.5), ("black", 1.0))
        for _ in range(30)
    ]
    joint = fit(observations)
    p = {c: joint.probability([f"attribute:color.primary={c}"]) for c in ("red", "grey", "black")}
    assert p["red"] < p["grey"] < p["black"]
    kept = {c: moderated(*joint.logit([f"attribute:color.primary={c}"], 0)) for c in ("red", "grey")}
    assert kept["grey"] > 0.8 > 0.2 > kept["red"]  # grey designs were kept, red ones were not


def test_an_explorer_draws_only_the_weights_it_explores() -> None:
    joint = fit(_confounded())
    colour = [A, "attribute:color.primary=never-seen"]
    draws = [
        joint.explorer(lambda f: f.startswith("attribute:color"), np.random.default_rng(k)) for k in range(20)
    ]
    fixed = {round(d([C]), 12) for d in draws}
    assert len(fixed) == 1  # C is not explored: every draw scores it at its mean
    assert len({round(d(colour), 6) for d in draws}) == 20
    mean_draw = statistics.fmean(d([A]) for d in draws)
    assert abs(mean_draw - joint.probability([A])) < 0.15


def test_the_base_rate_is_the_decayed_share_of_standouts() -> None:
    observations = [
        Observation([A], 1.0, 1.0),  # a standout
        Observation([A], 0.9, 1.0),  # a heart: 0.8 of a standout
        Observation([C], 0.1, 1.0),  # a reject
        Observation([C], 0.5, 0.5),  # seen and passed over, half decayed
    ]
    assert fit(observations).base_rate == pytest.approx(1.8 / 3.5)
