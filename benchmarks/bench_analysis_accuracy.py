"""Offline analyser accuracy and throughput, rerunnable without pytest.

Builds the same fixtures as `tests/unit/analyzers/test_offline_accuracy.py` (tech-flat renders of a
colour × pattern grid, synthetic stripes / checks / prints / noisy solids), prints primary-colour and
pattern-cue accuracy with the confusion table, then the throughput of the whole analyser in images/s
against the colour-only stage (`dominant_colors`) measured in the same run. With `--photos DIR` it also
prints what it finds on every JPEG/PNG in DIR (e.g. ../shared/samples/portfolio) for a person to judge.

Run: `.venv/bin/python benchmarks/bench_analysis_accuracy.py [--photos DIR]`
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for `tests.…`

from tests.unit.analyzers.test_offline_accuracy import (
    Case,
    evaluate,
    format_report,
    synthetic_cases,
    techflat_cases,
)

from designer_bff.analyzers.offline import OfflineAnalyzer, analyse_rgb
from designer_bff.pipeline.analysis import dominant_colors


def _throughput(cases: list[Case]) -> tuple[float, float]:
    """Images per second of the full analyser and of the colour stage alone, on the same images."""
    started = time.perf_counter()
    for case in cases:
        analyse_rgb(case.rgb)
    full = len(cases) / (time.perf_counter() - started)
    started = time.perf_counter()
    for case in cases:
        dominant_colors(case.rgb, k=5, long_side=192)
    colour_only = len(cases) / (time.perf_counter() - started)
    return full, colour_only


def _photos(directory: Path) -> None:
    analyser = OfflineAnalyzer(max_pixels=60_000_000)
    for path in sorted(p for p in directory.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")):
        result = analyser.analyse(path.read_bytes(), mime="image/jpeg", filename=path.name)
        color = result.spec.get("color", {})
        palette = ", ".join(f"{p['name']} {p['hex']} {p['coverage']:.0f}%" for p in color.get("palette", []))
        print(f"  {path.name}: primary {color.get('primary')}, secondary {color.get('secondary')}, "
              f"pattern {color.get('pattern')}, photography {result.spec.get('photography')}")  # fmt: skip
        print(f"      palette: {palette}")


def main() -> None:
    """Print the accuracy report, throughput and (optionally) the photo findings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, help="a folder of photographs to analyse and print")
    args = parser.parse_args()
    flats, synthetic = techflat_cases(), synthetic_cases()
    print(format_report(evaluate(flats), "tech-flat renders"))
    print(format_report(evaluate(synthetic), "synthetic garments"))
    full, colour_only = _throughput(flats[:24])
    print(f"throughput: analyser {full:.1f} images/s, colour stage alone {colour_only:.1f} images/s "
          f"(the analyser costs {colour_only / full:.1f}× the colour stage)")  # fmt: skip
    scales = [analyse_rgb(c.rgb).spec["color"]["pattern"].get("scale") for c in flats if c.cue != "solid"]
    print(f"pattern scale reported on {np.mean([s is not None for s in scales]):.0%} of patterned flats")
    if args.photos is not None:
        print(f"photographs in {args.photos}:")
        _photos(args.photos)


if __name__ == "__main__":
    main()
