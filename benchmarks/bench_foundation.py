"""Foundation benchmarks, each reported as a ratio against a baseline measured in the same process.

- tech-flat renders/second at 512² and 1024², against rasterising a trivial SVG of the same size
  (the floor any SVG renderer pays), so the ratio says what the garment drawing itself costs;
- `designer-bff --help` start time, against starting the bare interpreter (`python -c pass`).

Run: `.venv/bin/python benchmarks/bench_foundation.py`
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import resvg_py

from designer_bff.pipeline.sampling import sample_specs
from designer_bff.techflat import render_png


def _rate(fn: object, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        fn(i)  # type: ignore[operator]
    return n / (time.perf_counter() - started)


def bench_render(size: int, n: int) -> None:
    specs = sample_specs({}, n, seed=1)
    trivial = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">'
        f'<rect width="{size}" height="{size}" fill="#fafaf7"/>'
        '<circle cx="50%" cy="50%" r="30%" fill="#800020"/></svg>'
    )
    baseline = _rate(lambda i: resvg_py.svg_to_bytes(svg_string=trivial), n)
    renders = _rate(lambda i: render_png(specs[i], seed=i, width=size, height=size), n)
    print(
        f"tech-flat {size}x{size}: {renders:6.1f} renders/s | trivial-SVG baseline {baseline:6.1f}/s "
        f"| ratio {renders / baseline:.2f}"
    )


def _start_time(args: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)  # noqa: S603 - our own interpreter and module
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_help() -> None:
    bare = _start_time([sys.executable, "-c", "pass"])
    cli = _start_time([sys.executable, "-m", "designer_bff", "--help"])
    print(
        f"designer-bff --help: {cli * 1000:6.0f} ms | bare interpreter {bare * 1000:4.0f} ms "
        f"| ratio {cli / bare:.1f}"
    )


if __name__ == "__main__":
    bench_render(512, 60)
    bench_render(1024, 30)
    bench_help()
