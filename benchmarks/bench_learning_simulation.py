"""Does feedback raise a designer's standout rate? A simulated designer reacts through the HTTP API.

Each simulated designer has hidden preferences over spec attributes, a utility
z = bias + Σ weight[attribute][value]. Every round they ask the studio for "surprise me with 20 pieces" and
react to the 20 designs they are shown. Two ways of reacting (`--designer`):
- graded (default): the designer perceives z + ε, ε logistic noise; a standout (outlier) when that is
  above 0 (probability σ(z)), a reject when it is below −2.45 (clearly off their taste: about 70 % of
  designs at the base rate), nothing in between; then 5 % of marks are misclicks (flipped);
- uniform: a standout with probability σ(z), else a reject with probability 0.7 however close the design
  came, and 10 % of marks flipped — a harsher designer whose rejects say nothing about how far off a
  design was and a third of whose early standouts are flips.
Reactions go through `POST /api/feedback`, generations through `POST /api/voice/process-text`, all over
the public HTTP API of an offline studio (SQLite, tech-flat renderer, in-process ASGI server).

Measured in the same run, per round:
- studio   — the designer's standout rate when the studio learns from their reactions;
- baseline — the same requests for a second account that never reacts (the studio's sampling without
             learning: the base rate);
- oracle   — the best 20 of 3 000 designs from the same sampler, ranked by the hidden preferences.
The rate reported is the expected one (mean probability over the 20 designs shown; the realised count
of standouts, which adds binomial noise, is printed next to it). Target: by round 5 the studio reaches
≥ 80 % of the oracle rate while the baseline stays at the base rate.

Run: `.venv/bin/python benchmarks/bench_learning_simulation.py` (about two minutes);
`--rounds`, `--batch`, `--seeds`, `--profiles` and `--grid` (every profile with every seed) change the
experiment; `--jobs 2` runs two simulations at a time (each has its own studio), halving the wall time on
two cores.
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from designer_bff.api.app import create_app
from designer_bff.config import Settings
from designer_bff.container import Container
from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.sampling import sample_specs

Reaction = Callable[[float, random.Random], str | None]  # (utility z, rng) → mark or None
COMMAND = "surprise me with {n} pieces"
ORACLE_POOL = 3000


def _logistic(rng: random.Random) -> float:
    u = min(max(rng.random(), 1e-12), 1 - 1e-12)
    return math.log(u / (1 - u))


def _flip(mark: str | None, odds: float, rng: random.Random) -> str | None:
    if mark is not None and rng.random() < odds:
        return "reject" if mark == "outlier" else "outlier"
    return mark


def graded(z: float, rng: random.Random) -> str | None:
    """Standout when the perceived utility is above 0, reject when clearly off taste, 5 % misclicks."""
    perceived = z + _logistic(rng)
    return _flip("outlier" if perceived > 0 else "reject" if perceived < -2.45 else None, 0.05, rng)


def uniform(z: float, rng: random.Random) -> str | None:
    """Standout with probability σ(z), else a reject 70 % of the time; 10 % of marks flipped."""
    p = 1.0 / (1.0 + math.exp(-z))
    return _flip("outlier" if rng.random() < p else ("reject" if rng.random() < 0.7 else None), 0.1, rng)


DESIGNERS = {"graded": graded, "uniform": uniform}


@dataclass(frozen=True)
class HiddenTaste:
    """A designer's hidden preferences: log-odds weights per attribute value on top of a bias."""

    name: str
    bias: float
    weights: Mapping[str, Mapping[str, float]]

    def utility(self, attributes: Mapping[str, str]) -> float:
        """The designer's log-odds of finding a design with these attributes a standout."""
        return self.bias + sum(
            self.weights.get(path, {}).get(value, 0.0) for path, value in attributes.items()
        )

    def pleases(self, attributes: Mapping[str, str]) -> float:
        """Probability that a design with these attributes is a standout for this designer."""
        return 1.0 / (1.0 + math.exp(-self.utility(attributes)))


DARK = {c: 1.6 for c in ("black", "navy", "charcoal", "burgundy")}
EARTH = {c: 1.5 for c in ("camel", "rust", "olive", "khaki", "brown", "terracotta", "tan")}
PASTEL = {c: 1.2 for c in ("blush", "lavender", "sage", "lilac", "mint", "sky blue", "pink")}
TASTES = {
    "evening-noir": HiddenTaste(
        "evening-noir: dark dresses and jumpsuits in silk or satin",
        -3.2,
        {
            "garment.type": {"dress": 1.6, "jumpsuit": 1.2, "pants": -0.8},
            "color.primary": {**DARK, "yellow": -1.0, "orange": -1.0, "fuchsia": -1.0},
            "fabric.type": {"silk": 1.3, "satin": 1.3, "crepe": 0.8},
        },
    ),
    "earthy-outerwear": HiddenTaste(
        "earthy-outerwear: plain coats and blazers in earth tones",
        -3.4,
        {
            "garment.type": {"coat": 1.7, "blazer": 1.4, "skirt": -0.8},
            "color.primary": EARTH,
            "color.pattern.type": {"solid": 0.8, "polka-dot": -1.0, "floral": -0.6},
        },
    ),
    "print-romantic": HiddenTaste(
        "print-romantic: floral and polka-dot skirts and dresses in pastels",
        -3.3,
        {
            "color.pattern.type": {"floral": 1.9, "polka-dot": 1.4, "solid": -0.5},
            "garment.type": {"skirt": 1.1, "dress": 1.1, "blazer": -0.7},
            "color.primary": PASTEL,
        },
    ),
}


def _attributes(spec: Mapping[str, Any]) -> dict[str, str]:
    return GarmentSpec.model_validate(spec).attributes()


def _wait(client: TestClient, generation_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/generate/{generation_id}", headers=headers).json()
        if body["status"] in ("completed", "failed"):
            if body["status"] == "failed":
                raise RuntimeError(f"generation failed: {body['error']}")
            return body
        time.sleep(0.1)
    raise TimeoutError(generation_id)


def _account(client: TestClient, email: str) -> dict[str, str]:
    r = client.post("/api/auth/register", json={"email": email, "password": "simulated designer"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['accessToken']}"}


def _round(
    client: TestClient,
    headers: dict[str, str],
    taste: HiddenTaste,
    batch: int,
    seed: int,
    react: tuple[Reaction, str] | None,
) -> tuple[float, int]:
    """One batch: generate, look, and (when `react` is given) react. Returns (expected rate, standouts)."""
    r = client.post(
        "/api/voice/process-text",
        json={"command": COMMAND.format(n=batch), "settings": {"seed": seed, "size": "128x160"}},
        headers=headers,
    )
    r.raise_for_status()
    shown = [a for a in _wait(client, r.json()["generation"]["id"], headers)["assets"] if a["selected"]]
    utilities = [taste.utility(_attributes(a["spec"])) for a in shown]
    rate = statistics.fmean(1.0 / (1.0 + math.exp(-z)) for z in utilities)
    if react is None:
        return rate, 0
    designer, key = react
    # Each design gets its own draws (by round and slot): one design that differs between two runs must
    # not shift the designer's reactions to every design after it.
    marks = [
        (a["id"], designer(z, random.Random(f"{key}:{seed}:{a['slot']}")))
        for a, z in zip(shown, utilities, strict=True)
    ]
    items = [{"assetId": asset_id, "type": mark} for asset_id, mark in marks if mark]
    if items:
        client.post("/api/feedback", json={"items": items}, headers=headers).raise_for_status()
    return rate, sum(mark == "outlier" for _, mark in marks)


def oracle(taste: HiddenTaste, batch: int, seed: int) -> float:
    """Mean probability of the best `batch` designs of ORACLE_POOL drawn from the studio's sampler."""
    pool = sample_specs({}, ORACLE_POOL, seed=seed)
    scores = sorted((taste.pleases(s.attributes()) for s in pool), reverse=True)
    return statistics.fmean(scores[:batch])


def simulate(
    taste_key: str, seed: int, rounds: int, batch: int, workdir: Path, designer: str = "graded"
) -> dict[str, Any]:
    """Run one designer for `rounds` batches next to a never-reacting twin; per-round rates."""
    taste = TASTES[taste_key]
    settings = Settings(
        data_dir=workdir / f"{taste_key}-{seed}",
        secret_key="simulation-secret-key-0123456789abcdef",  # noqa: S106 - a throwaway local studio
        _env_file=None,
    )
    container = Container(settings)
    container.db.migrate()
    rows = []
    with TestClient(create_app(container, run_consumers=True)) as client:
        learner = _account(client, f"learner-{seed}@example.com")
        twin = _account(client, f"baseline-{seed}@example.com")
        for k in range(rounds):
            batch_seed = seed * 1000 + k
            studio, standouts = _round(
                client, learner, taste, batch, batch_seed, (DESIGNERS[designer], f"designer:{taste_key}")
            )
            baseline, _ = _round(client, twin, taste, batch, batch_seed, None)
            rows.append({"round": k + 1, "studio": studio, "standouts": standouts, "baseline": baseline})
    container.close()
    return {"taste": taste.name, "seed": seed, "oracle": oracle(taste, batch, seed), "rounds": rows}


def _timed(
    run: tuple[str, int], rounds: int, batch: int, workdir: Path, designer: str
) -> tuple[dict[str, Any], float]:
    """One `simulate` run of (taste, seed) and its wall time in seconds (a process pool's unit of work)."""
    started = time.perf_counter()
    return simulate(*run, rounds, batch, workdir, designer), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run every (taste, seed) and print a table per run and a verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--profiles", nargs="+", default=list(TASTES), choices=list(TASTES))
    parser.add_argument("--designer", default="graded", choices=list(DESIGNERS))
    parser.add_argument(
        "--grid", action="store_true", help="every profile with every seed (default: profile i, seed i)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel, one process each")
    args = parser.parse_args(argv)
    runs = (
        [(key, seed) for key in args.profiles for seed in args.seeds]
        if args.grid
        else [(key, args.seeds[i % len(args.seeds)]) for i, key in enumerate(args.profiles)]
    )
    met = True
    finals = []
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(max(1, args.jobs)) as pool:
        # Each run has its own studio (data directory, database, queue), so runs are independent.
        one = functools.partial(
            _timed, rounds=args.rounds, batch=args.batch, workdir=Path(tmp), designer=args.designer
        )
        for run, seconds in pool.map(one, runs):
            seed = run["seed"]
            last = run["rounds"][-1]
            base = statistics.fmean(r["baseline"] for r in run["rounds"])
            ok = last["studio"] >= 0.8 * run["oracle"]
            met &= ok
            finals.append(last["studio"] / run["oracle"])
            print(f"\n{run['taste']} (seed {seed}, {seconds:.0f} s)")
            print("| round | studio | standouts | baseline | oracle | studio / oracle |")
            print("|---|---|---|---|---|---|")
            for r in run["rounds"]:
                print(
                    f"| {r['round']} | {r['studio']:.1%} | {r['standouts']}/{args.batch} "
                    f"| {r['baseline']:.1%} | {run['oracle']:.1%} | {r['studio'] / run['oracle']:.0%} |"
                )
            print(
                f"round {args.rounds}: {last['studio'] / run['oracle']:.0%} of oracle "
                f"({'met' if ok else 'NOT met'}); baseline mean {base:.1%}"
            )
    reached = sum(f >= 0.8 for f in finals)
    print(
        f"\nround {args.rounds} ÷ oracle over {len(finals)} runs: mean {statistics.fmean(finals):.0%}, "
        f"median {statistics.median(finals):.0%}, ≥ 80 % in {reached} of {len(finals)}"
    )
    print("target met on every run" if met else "target NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
