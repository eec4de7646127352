"""Stage 4 (spec sampling, exploratory mode): partial spec trees drawn from the designer's style profile.

`sample_exploratory` stratifies a batch over the profile's directions by weight, then draws each attribute a
cluster states from that cluster's distribution, loosened by a temperature T in [0, 1]:

    flat(p)  ∝ p ** (1 / (1 + 2T))                 T = 0: the distribution itself; T = 1: its cube root
    m        = T / 2                               mutation probability per attribute
    mix(v)   = (1 - m)·flat(cluster)(v) + m·(½·flat(portfolio)(v) + ½·uniform(taxonomy)(v))
    P(v)     ∝ mix(v) · preference[path][v] · boost[path][v]

Mixing is the same as "with probability m draw from the portfolio or the taxonomy instead" (the controlled
mutation), written as one distribution so preferences and boosts multiply the whole of it. Mutation stays
controlled: cut attributes are kept to values that suit the drawn garment type (the table `complete_spec`
uses), and values with zero mass are never drawn. Attributes the command fixed always win. The trees are
partial: `sampling.complete_spec(tree, rng, boosts)` fills the rest.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from designer_bff.domain.profile import ProfileCluster, StyleProfile, ValueShare
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.profile_state import MULTI_PATHS, NONE, PROFILE_PATHS, flatten_spec, path_values

# The cut table complete_spec draws from (private there; see the report for a public accessor).
from designer_bff.pipeline.sampling import _CUT

Factors = Mapping[str, Mapping[str, float]]  # spec path → value → multiplicative factor
Distribution = dict[str, float]

# Attributes whose plausible values depend on the garment type, and their key in the cut table.
_CUT_KEYS = {
    "garment.silhouette": "silhouette",
    "garment.neckline": "neckline",
    "garment.length": "length",
    "garment.sleeve.length": "sleeve_length",
}
# A cluster whose garment type is this uniform is taken to state its cut for that type (joint ≈ marginal).
_DOMINANT_GARMENT = 0.8
# Order of drawing: the garment type first, because it decides which cut values are plausible.
_ORDER = ("garment.type", *(p for p in PROFILE_PATHS if p != "garment.type"))


@dataclass(frozen=True)
class Sample:
    """One exploratory draw: the direction it came from (None without clusters) and a partial spec tree."""

    cluster_id: int | None
    spec_tree: dict[str, Any]


def allocate(weights: Sequence[float], count: int) -> list[int]:
    """Largest-remainder split of `count` by `weights`: each gets floor or ceil of its exact quota."""
    total = sum(weights)
    if total <= 0:
        return [0 for _ in weights]
    exact = [w / total * count for w in weights]
    counts = [math.floor(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))[: count - sum(counts)]:
        counts[i] += 1
    return counts


def flatten(shares: Mapping[str, float], temperature: float) -> Distribution:
    """p ** (1 / (1 + 2T)), renormalised: T = 0 keeps the distribution, T = 1 takes its cube root."""
    powered = {v: s ** (1.0 / (1.0 + 2.0 * temperature)) for v, s in shares.items() if s > 0}
    total = sum(powered.values())
    return {v: s / total for v, s in powered.items()} if total > 0 else {}


def _shares(rows: Sequence[ValueShare]) -> Distribution:
    total = sum(r.share for r in rows)
    return {r.value: r.share / total for r in rows if r.share > 0} if total > 0 else {}


def attribute_distribution(
    path: str,
    cluster: Sequence[ValueShare],
    portfolio: Sequence[ValueShare],
    temperature: float,
    preference: Mapping[str, float] | None = None,
    boost: Mapping[str, float] | None = None,
) -> Distribution:
    """The distribution one attribute is drawn from (module docstring), before the garment-type filter."""
    m = temperature / 2
    own, wide = flatten(_shares(cluster), temperature), flatten(_shares(portfolio), temperature)
    values = path_values(path)
    mix: Distribution = {}
    for v in sorted(set(own) | set(wide) | (set(values) if m > 0 else set())):
        p = (1 - m) * own.get(v, 0.0)
        if m > 0:
            p += m * (0.5 * (wide.get(v, 0.0) if wide else 1 / len(values)) + 0.5 / len(values))
        p *= (preference or {}).get(v, 1.0) * (boost or {}).get(v, 1.0)
        if p > 0:
            mix[v] = p
    total = sum(mix.values())
    return {v: p / total for v, p in mix.items()} if total > 0 else {}


def _check_factors(factors: Factors | None, name: str) -> None:
    for path, table in (factors or {}).items():
        for value, factor in table.items():
            if not (isinstance(factor, int | float) and math.isfinite(factor) and factor >= 0):
                raise InvalidInput(
                    f"{name}[{path}][{value}] must be a finite number ≥ 0, got {factor!r}", field=name
                )


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = tree
    for key in parents:
        child = node.get(key)
        node[key] = child = dict(child) if isinstance(child, Mapping) else {}
        node = child
    node[leaf] = value


def _get(tree: Mapping[str, Any], path: str) -> Any:
    node: Any = tree
    for key in path.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _fixed_tree(fixed: Mapping[str, Any] | None) -> dict[str, Any]:
    """`fixed` as a nested tree; dotted keys ('garment.type') are accepted beside nested sections."""
    tree: dict[str, Any] = {}
    for key, value in (fixed or {}).items():
        if "." in key:
            _set(tree, key, copy.deepcopy(value))
        elif isinstance(value, Mapping) and isinstance(tree.get(key), Mapping):
            tree[key] = {**tree[key], **copy.deepcopy(dict(value))}
        else:
            tree[key] = copy.deepcopy(value)
    return tree


def _is_fixed(tree: Mapping[str, Any], path: str) -> bool:
    value = _get(tree, path)
    return value is not None and value != ""


def _compatible(
    path: str, dist: Distribution, garment: str | None, cluster_cut: Mapping[str, Distribution]
) -> Distribution:
    """Keep cut values that suit the garment type; an empty result leaves the attribute to complete_spec."""
    if path == "fabric.type" and garment == "jeans":
        return {"denim": 1.0}  # jeans are denim by definition (complete_spec agrees)
    if path not in _CUT_KEYS or garment is None or garment not in _CUT:
        return dist
    allowed = set(_CUT[garment].get(_CUT_KEYS[path], ())) | set(cluster_cut.get(path, {}))
    kept = {v: p for v, p in dist.items() if v in allowed}
    total = sum(kept.values())
    return {v: p / total for v, p in kept.items()} if total > 0 else {}


@dataclass(frozen=True)
class _Plan:
    """Everything about one direction that does not change between samples (computed once per batch)."""

    inclusion: dict[str, float]  # path → probability that a sample states it
    tables: dict[str, Distribution]  # path → the distribution of `attribute_distribution`
    dominant: str | None  # the direction's garment type when it makes up >= _DOMINANT_GARMENT of it
    own_cut: dict[str, Distribution]  # the direction's cut values, plausible for its dominant garment
    # (path, garment) → values and cumulative weights after the garment filter, filled as samples need them.
    draws: dict[tuple[str, str | None], tuple[list[str], list[float]]] = field(default_factory=dict)

    def choices(self, path: str, garment: str | None) -> tuple[list[str], list[float]]:
        """Values and cumulative weights for drawing `path` on a garment of type `garment`."""
        key = (path, garment)
        if key not in self.draws:
            own_cut = self.own_cut if garment == self.dominant else {}
            dist = _compatible(path, self.tables[path], garment, own_cut)
            values = sorted(dist)
            self.draws[key] = (values, list(accumulate(dist[v] for v in values)))
        return self.draws[key]


def _plan(
    cluster: ProfileCluster | None,
    profile: StyleProfile,
    temperature: float,
    preference: Factors | None,
    boosts: Factors | None,
) -> _Plan:
    attributes = cluster.attributes if cluster is not None else profile.attributes
    stated = {p: sum(r.count for r in rows) for p, rows in attributes.items()}
    most = max(stated.values(), default=0.0)
    # Include an attribute as often as the direction's images state it (e.g. embellishments on 30 %).
    inclusion = {p: min(1.0, n / most) for p, n in stated.items()} if most > 0 else {}
    tables = {
        path: attribute_distribution(
            path,
            rows,
            profile.attributes.get(path, []),
            temperature,
            (preference or {}).get(path),
            (boosts or {}).get(path),
        )
        for path, rows in attributes.items()
    }
    garments = _shares(attributes.get("garment.type", []))
    dominant = max(garments, key=lambda v: (garments[v], v)) if garments else None
    if dominant is None or garments[dominant] < _DOMINANT_GARMENT:
        return _Plan(inclusion, tables, None, {})
    return _Plan(inclusion, tables, dominant, {p: _shares(attributes.get(p, [])) for p in _CUT_KEYS})


def _draw_tree(plan: _Plan, rng: random.Random, fixed: Mapping[str, Any]) -> dict[str, Any]:
    tree = copy.deepcopy(dict(fixed))
    for path in _ORDER:
        if path not in plan.tables or _is_fixed(tree, path):
            continue
        if rng.random() >= plan.inclusion.get(path, 0.0):
            continue
        garment = _get(tree, "garment.type")
        values, cumulative = plan.choices(path, garment if isinstance(garment, str) else None)
        if not values:
            continue
        value = rng.choices(values, cum_weights=cumulative)[0]
        if path in MULTI_PATHS:
            _set(tree, path, [] if value == NONE else [value])
        else:
            _set(tree, path, value)
    _make_coherent(tree, fixed)
    return tree


def _drop(tree: dict[str, Any], path: str, fixed: Mapping[str, Any]) -> None:
    *parents, leaf = path.split(".")
    node = _get(tree, ".".join(parents))
    if isinstance(node, dict) and leaf in node and not _is_fixed(fixed, path):
        del node[leaf]


def _make_coherent(tree: dict[str, Any], fixed: Mapping[str, Any]) -> None:
    """Resolve combinations that independent draws can produce but a garment cannot have."""
    garment = _get(tree, "garment.type")
    cut = _CUT.get(garment, {}) if isinstance(garment, str) else {}
    if isinstance(garment, str):
        for path, key in _CUT_KEYS.items():
            if key not in cut:
                _drop(tree, path, fixed)  # trousers have no neckline or sleeves
        if "sleeve_length" not in cut:
            _drop(tree, "garment.sleeve.type", fixed)
    if _get(tree, "garment.sleeve.length") == "sleeveless" and _get(tree, "garment.sleeve.type") not in (
        None,
        "none",
    ):
        _drop(tree, "garment.sleeve.type", fixed)
    if (
        _get(tree, "garment.sleeve.length") not in (None, "sleeveless")
        and _get(tree, "garment.sleeve.type") == "none"
    ):
        _drop(tree, "garment.sleeve.type", fixed)
    if _get(tree, "color.pattern.type") == "solid":
        _drop(tree, "color.pattern.scale", fixed)
    if _get(tree, "color.secondary") is not None and _get(tree, "color.secondary") == _get(
        tree, "color.primary"
    ):
        _drop(tree, "color.secondary", fixed)  # complete_spec picks a contrasting one if a pattern needs it
    for section in ("garment.sleeve", "color.pattern", "garment", "fabric", "color", "construction", "style"):
        if _get(tree, section) == {}:
            _drop(tree, section, fixed)


def _check(count: int, temperature: float) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise InvalidInput(f"count must be a non-negative integer, got {count!r}", field="count")
    if not (isinstance(temperature, int | float) and 0 <= temperature <= 1):
        raise InvalidInput(f"temperature must be within 0..1, got {temperature!r}", field="temperature")


def sample_exploratory(
    profile: StyleProfile,
    count: int,
    *,
    seed: int,
    temperature: float = 0.3,
    preference_weights: Factors | None = None,
    boosts: Factors | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> list[Sample]:
    """`count` partial spec trees stratified over the profile's directions (largest remainder by weight).

    Slot order is a seeded shuffle of the allocation; sample i's attributes depend only on (seed, i, its
    direction, profile), so the same seed gives the same batch. Complete each tree with `complete_spec`.
    """
    _check(count, temperature)
    _check_factors(preference_weights, "preference_weights")
    _check_factors(boosts, "boosts")
    fixed_tree = _fixed_tree(fixed)
    clusters = [c for c in profile.clusters if c.weight > 0]
    slots: list[ProfileCluster | None] = [None] * count
    if clusters:
        allocation = allocate([c.weight for c in clusters], count)
        slots = [c for c, n in zip(clusters, allocation, strict=True) for _ in range(n)]
        random.Random(f"explore-order:{seed}:{count}").shuffle(slots)
    plans: dict[int | None, _Plan] = {}
    samples = []
    for i, cluster in enumerate(slots):
        key = cluster.id if cluster is not None else None
        if key not in plans:
            plans[key] = _plan(cluster, profile, temperature, preference_weights, boosts)
        tree = _draw_tree(plans[key], random.Random(f"explore:{seed}:{i}"), fixed_tree)
        samples.append(Sample(key, tree))
    return samples


def nearest_cluster(profile: StyleProfile, tree: Mapping[str, Any]) -> ProfileCluster | None:
    """The direction most likely to have produced the attributes `tree` states (weight × Π shares)."""
    stated = flatten_spec(tree, "base")
    best: tuple[float, int, ProfileCluster | None] = (-math.inf, 0, None)
    for cluster in profile.clusters:
        if cluster.weight <= 0:
            continue
        score = math.log(cluster.weight)
        for path, values in stated.items():
            shares = _shares(cluster.attributes.get(path, []))
            if shares:  # a path the cluster never states says nothing either way
                score += sum(math.log(shares.get(v, 0.0) + 0.01) for v in values)
        if score > best[0] or (score == best[0] and cluster.id < best[1]):
            best = (score, cluster.id, cluster)
    return best[2]


def variations(
    base_tree: Mapping[str, Any],
    count: int,
    *,
    seed: int,
    temperature: float = 0.2,
    profile: StyleProfile | None = None,
) -> list[dict[str, Any]]:
    """`count` trees that keep everything `base_tree` states and vary only what it leaves open.

    With a profile, open attributes are drawn from the direction nearest the base (`nearest_cluster`) at
    `temperature`; without one they stay open and `complete_spec` varies them with each tree's own rng.
    """
    _check(count, temperature)
    base = _fixed_tree(base_tree)
    if profile is None:
        return [copy.deepcopy(base) for _ in range(count)]
    plan = _plan(nearest_cluster(profile, base), profile, temperature, None, None)
    return [_draw_tree(plan, random.Random(f"vary:{seed}:{i}"), base) for i in range(count)]
