"""Selection-stage benchmark: a batch of 120 candidates → 100 kept, from stored features.

Times what `BatchSelector` does after generation — parse the stored float32 feature blobs, cluster with
K chosen by cosine silhouette over 3..8, DPP-select 100 with cluster quotas, and measure coverage — on
real features of 120 tech-flat renders (attribute vector + offline image descriptors, computed once
beforehand, as the runner does when it stores each candidate). Target: ≤ 1 s. The baseline measured in
the same run is the naive alternative, keeping the top 100 by quality (a sort), so the ratio says what
diversity and coverage cost on top of it. Also reports the offline image-feature throughput against the
PNG decode it needs.

Run: `.venv/bin/python benchmarks/bench_selection.py`
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics
import time

import numpy as np

from designer_bff.imaging import load_rgb
from designer_bff.pipeline import coverage
from designer_bff.pipeline.clustering import cluster
from designer_bff.pipeline.diversity import select
from designer_bff.pipeline.embedding import (
    AttributeEmbedder,
    CombinedEmbedder,
    EmbeddingInput,
    from_blob,
    to_blob,
)
from designer_bff.pipeline.image_features import OfflineImageEmbedder
from designer_bff.pipeline.sampling import sample_specs
from designer_bff.techflat import render_png


def _median_ms(fn: object, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    specs = sample_specs({}, 120, seed=7)
    pngs = [render_png(s, seed=i, width=384, height=512) for i, s in enumerate(specs)]
    images = [load_rgb(p, max_pixels=10**8) for p in pngs]
    embedder = CombinedEmbedder([(AttributeEmbedder(), 1.0), (OfflineImageEmbedder(), 1.0)])
    blobs = [
        to_blob(v)
        for v in embedder.embed(
            [EmbeddingInput(spec=s, image=im) for s, im in zip(specs, images, strict=True)]
        )
    ]
    quality = np.random.default_rng(0).uniform(0.6, 1.0, len(specs))
    attributes = [s.attributes() for s in specs]

    def selection_stage() -> None:
        features = np.stack([from_blob(b, len(b) // 4) for b in blobs])
        clusters = cluster(features, k_range=(3, 8), seed=0, attributes=attributes)
        picks = select(features, quality, 100, tradeoff=0.7, clusters=clusters.labels)
        coverage.report([attributes[i] for i in picks.indices])

    def top_quality() -> None:
        np.stack([from_blob(b, len(b) // 4) for b in blobs])  # the same parsing work as the stage
        picked = np.argsort(-quality, kind="stable")[:100]
        coverage.report([attributes[i] for i in picked])

    stage = _median_ms(selection_stage)
    baseline = _median_ms(top_quality)
    print(
        f"selection 120 → 100 (dim {embedder.dim}): {stage:7.1f} ms | top-quality baseline "
        f"{baseline:6.1f} ms | ratio {stage / baseline:5.1f} | "
        f"1 s budget {'met' if stage <= 1000 else 'MISSED'}"
    )

    image_embedder = OfflineImageEmbedder()
    decode = _median_ms(lambda: [load_rgb(p, max_pixels=10**8) for p in pngs[:40]], 3) / 40
    features = (
        _median_ms(lambda: image_embedder.embed([EmbeddingInput(image=im) for im in images[:40]]), 3) / 40
    )
    print(
        f"offline image features (384×512): {1000 / features:6.1f} images/s | "
        f"PNG decode {1000 / decode:6.1f}/s "
        f"| ratio {decode / features:4.2f}"
    )


if __name__ == "__main__":
    main()
