"""Provider orchestration benchmark: 100 images against a fake provider with 1 s latency, 10 at a time.

Each image goes through the real dispatcher — ledger row, circuit breaker, the per-provider concurrency
and rate limiter, the provider call, the image stored to blob storage, the ledger marked paid — from
16 slot workers, as the runner runs them, with the provider limited to 10 concurrent calls. The
physical floor is 100 × 1 s / 10 = 10 s; the target is ≤ 11 s. The baseline, measured in the same
run, is the same dispatcher called one image at a time (sequential calls). Orchestration overhead per
image = time inside `deliver` minus time inside the provider, averaged.

Run: `.venv/bin/python benchmarks/bench_providers.py [--images 100] [--sequential-images 100]`
(`--sequential-images 20` shortens the baseline; the ratio is then scaled per image and says so).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from designer_bff.config import ProviderLimit, Settings
from designer_bff.container import Container
from designer_bff.db.repositories import Users
from designer_bff.db.tables import Generation
from designer_bff.domain.spec import GarmentSpec
from designer_bff.providers.base import Capabilities, GeneratedImage, ImageRequest, Price, PriceTable
from designer_bff.providers.tech_flat import TechFlatProvider
from designer_bff.services.dispatch import Persist, SlotJob
from designer_bff.storage.base import make_key

LATENCY_S = 1.0
SPEC = GarmentSpec.model_validate({"garment": {"type": "dress"}})


class SlowFake:
    """A provider that takes exactly `LATENCY_S` per image and records time spent inside it."""

    provider_id, model = "slowfake", "v1"
    capabilities = Capabilities(negative_prompt=True, aspect_ratios=("1:1",), max_prompt_length=4000)
    prices = PriceTable("2026-11-21", "benchmark", (Price(0.04),))

    def __init__(self) -> None:
        self.png = (
            TechFlatProvider().generate(ImageRequest("", None, SPEC, 512, 512, 1, "standard", "k")).data
        )
        self.inside = 0.0
        self._lock = threading.Lock()

    def is_configured(self) -> bool:
        return True

    def price_usd(self, width: int, height: int, quality: str) -> float:
        return 0.04

    def generate(self, request: ImageRequest) -> GeneratedImage:
        started = time.perf_counter()
        time.sleep(LATENCY_S)
        with self._lock:
            self.inside += time.perf_counter() - started
        return GeneratedImage(
            self.png, "image/png", 512, 512, self.provider_id, self.model, request.seed, 0.04
        )


def run(
    container: Container, user_id: str, generation_id: str, images: int, workers: int
) -> tuple[float, float]:
    """Deliver `images` slots with `workers` threads; (wall seconds, seconds spent inside deliver)."""
    inside_deliver = 0.0
    lock = threading.Lock()

    def persist(slot: int) -> Persist:
        def store(image: GeneratedImage) -> tuple[str, bytes, str]:
            key = make_key(user_id, date(2026, 11, 21), "image", f"{generation_id[:20]}{slot:06d}", "png")
            container.blobs.put(key, image.data, image.mime)
            return key, image.data, image.mime

        return store

    def one(slot: int) -> None:
        nonlocal inside_deliver
        request = ImageRequest("a dress", "blurry", SPEC, 512, 512, slot, "standard", "")
        job = SlotJob(generation_id, user_id, slot, "dress", request, ("slowfake:v1",))
        started = time.perf_counter()
        container.dispatcher.deliver(job, persist(slot), lambda _usd: None)
        with lock:
            inside_deliver += time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(images)))
    return time.perf_counter() - started, inside_deliver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--sequential-images", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            secret_key="benchmark-secret-key-0123456789abcdef",  # noqa: S106 - a throwaway data dir
            provider_limits={"slowfake": ProviderLimit(rpm=100_000, concurrency=10)},
            _env_file=None,
        )
        results = {}
        for name, images, workers in (
            ("parallel", args.images, settings.generation_parallelism),
            ("sequential", args.sequential_images, 1),
        ):
            fake = SlowFake()
            container = Container(settings, providers_override=[fake])
            container.db.migrate()
            with container.db.session() as s:
                user_id = Users(s).add(f"{name}@example.com", "x").id
                generation = Generation(user_id=user_id, mode="prompt", requested_count=images)
                s.add(generation)
                s.flush()
                generation_id = generation.id
            wall, inside = run(container, user_id, generation_id, images, workers)
            overhead_ms = (inside - fake.inside) / images * 1000
            results[name] = (images, wall, overhead_ms)
            container.close()
    p_images, p_wall, _ = results["parallel"]
    s_images, s_wall, s_over = results["sequential"]
    floor = p_images * LATENCY_S / 10
    print(
        f"parallel   : {p_images} images in {p_wall:.2f} s "
        f"(floor {floor:.1f} s, target <= {floor * 1.1:.1f} s)"
    )
    print(f"sequential : {s_images} images in {s_wall:.2f} s")
    ratio = (s_wall / s_images) / (p_wall / p_images)
    note = "" if s_images == p_images else " (per image: the baseline ran fewer images)"
    print(f"speed-up   : {ratio:.2f}x vs sequential calls{note}")
    # Parallel time inside `deliver` includes waiting for one of the 10 slots, so the orchestration cost
    # is read from the sequential run; the parallel run's cost shows as its time above the floor.
    print(f"overhead   : {s_over:.1f} ms per image (deliver - provider, sequential)")
    print(f"above floor: {(p_wall - floor) / p_images * 1000:.1f} ms per image (parallel)")
    print("target met" if p_wall <= floor * 1.1 else "TARGET MISSED")


if __name__ == "__main__":
    main()
