"""Real providers end to end: official SDKs against vendor fakes, faults injected, money counted.

A batch of 50 runs through the OpenAI SDK against a fake answering 500s, 429s with Retry-After,
hangs past the timeout, malformed bodies, content refusals and slow answers; refusals fall back to a
Stability fake. Every slot must be delivered exactly once, every paid image recorded exactly once, and
what the vendors served must equal what the ledger says was paid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from designer_bff.container import Container
from designer_bff.db.ledger import Calls
from designer_bff.db.repositories import Assets, Generations
from tests.conftest import register
from tests.fakes import openai_server, stability_server
from tests.fakes.faults import FaultPlan
from tests.fakes.server import serve


@pytest.fixture
def fakes() -> Iterator[dict[str, Any]]:
    openai_app = openai_server.make_app(
        # Each kind of fault at least once (the script), then 35 % random faults.
        faults=FaultPlan(
            ["timeout", "500", "429", "malformed", "refusal", "slow"],
            rate=0.35,
            seed=11,
            retry_after=0.05,
            hang_s=1.5,
            slow_s=0.2,
        )
    )
    stability_app = stability_server.make_app()
    with serve(openai_app) as openai_url, serve(stability_app) as stability_url:
        yield {
            "openai": openai_app,
            "stability": stability_app,
            "openai_url": openai_url,
            "stability_url": stability_url,
        }


def _settings(make_settings: Any, fakes: dict[str, Any], **extra: Any) -> Any:
    values: dict[str, Any] = dict(
        openai_api_key="sk-test",
        openai_base_url=fakes["openai_url"] + "/v1",
        openai_models="gpt-image-1.5",
        stability_api_key="sk-test",
        stability_base_url=fakes["stability_url"],
        stability_models="stable-image-ultra",
        routing_strategy="cost_optimized",
        provider_timeout_seconds=1.0,
        provider_max_attempts=6,
        provider_retry_max_seconds=0.2,
        circuit_failure_threshold=1000,
        overgeneration=0.0,
        provider_default_rpm=10_000,
        provider_default_concurrency=8,
    )
    return make_settings(**{**values, **extra})


def test_a_batch_of_50_under_faults_delivers_each_image_once_and_pays_once(
    make_settings: Any, fakes: dict[str, Any]
) -> None:
    container = Container(_settings(make_settings, fakes))
    container.db.migrate()
    user_id = container.auth.register("faults@example.com", "a long password 123", None).id
    generation = container.foreground_generations().from_prompt(
        user_id, prompt="structured wool coat", negative_prompt=None, count=50, settings=_gs(seed=3)
    )
    assert container.runner.run(generation.id) == "completed"

    openai_app, stability_app = fakes["openai"], fakes["stability"]
    served = Counter(r.get("fault") or "ok" for r in openai_app.state.requests)
    assert {"500", "429", "timeout", "malformed", "refusal", "slow"} <= set(served), served
    with container.db.session() as s:
        g = Generations(s).get(generation.id, user_id=user_id)
        assets = Assets(s).for_generation(generation.id)
        calls = Calls(s).for_generation(generation.id)
    assert sorted(a.slot for a in assets) == list(range(50))  # every slot, once
    paid = [c for c in calls if c.status == "succeeded"]
    assert sorted(c.slot for c in paid) == list(range(50))  # one paid call per slot
    # What the vendors actually served (an Idempotency-Key replay is not a new image) = what was paid.
    by_route = Counter(c.provider for c in paid)
    assert by_route["openai"] == openai_app.state.images_served
    assert by_route["stability"] == stability_app.state.images_served
    assert by_route["stability"] >= served["refusal"] > 0  # refusals fell back
    assert g.cost_usd == pytest.approx(sum(c.cost_usd or 0 for c in paid))
    assert g.cost_usd == pytest.approx(sum(a.cost_usd for a in assets))
    stage = g.pipeline_data["stages"]["generation"]["output"]
    assert stage["failed"] == [] and stage["routes"] == {
        f"{p}:{m}": n for (p, m), n in Counter((c.provider, c.model) for c in paid).items()
    }
    assert {f["kind"] for f in stage["fallbacks"]} >= {"refusal"}

    # Running the finished job again calls nobody and changes nothing.
    before = (
        openai_app.state.images_served,
        stability_app.state.images_served,
        len(openai_app.state.requests),
    )
    with container.db.session() as s:
        Generations(s).get(generation.id, user_id=user_id).status = "processing"
    container.runner.run(generation.id)
    assert (openai_app.state.images_served, stability_app.state.images_served) == before[:2]
    assert len(openai_app.state.requests) == before[2]


def _gs(**kw: Any) -> Any:
    from designer_bff.domain.generation import GenerationSettings

    return GenerationSettings(**kw)


def test_mixed_routing_decisions_and_budget_through_the_api(
    make_settings: Any, fakes: dict[str, Any], client_for: Any
) -> None:
    fakes["openai"].state.faults = None
    client = client_for(_settings(make_settings, fakes, routing_strategy="quality_first"))
    headers = register(client, "mixed@example.com")

    providers = client.get("/api/providers", headers=headers).json()
    routes = {p["route"]: p for p in providers["providers"]}
    assert routes["openai:gpt-image-1.5"]["configured"] and routes["openai:gpt-image-1.5"]["routable"]
    assert not routes["tech-flat:tech-flat-v1"]["routable"]  # real providers are configured
    assert routes["stability:stable-image-ultra"]["prices"]["asOf"]
    assert providers["unsupported"][0]["provider"] == "midjourney"

    estimate = client.post(
        "/api/generate/estimate", json={"prompt": "bias-cut slip dress", "count": 10}, headers=headers
    ).json()
    assert estimate["allowed"] and estimate["candidates"] == 10
    assert (
        estimate["estimate"]["lowUsd"]
        <= estimate["estimate"]["expectedUsd"]
        <= estimate["estimate"]["highUsd"]
    )

    # A budget below the estimate: refused up front with the numbers, and no provider is called.
    client.put("/api/budget", json={"monthlyBudgetUsd": 0.05}, headers=headers)
    calls_before = len(fakes["openai"].state.requests) + len(fakes["stability"].state.requests)
    refused = client.post(
        "/api/generate/from-prompt",
        json={"prompt": "bias-cut slip dress", "count": 10, "settings": {"seed": 1}},
        headers=headers,
    )
    assert refused.status_code == 402, refused.text
    body = refused.json()
    assert body["error"] == "budget_exceeded" and "$0.05" in body["message"]
    assert body["budget"]["monthlyBudgetUsd"] == 0.05 and body["budget"]["spentThisMonthUsd"] == 0
    assert len(fakes["openai"].state.requests) + len(fakes["stability"].state.requests) == calls_before
    assert client.get("/api/generate", headers=headers).json()["total"] == 0

    client.put("/api/budget", json={"monthlyBudgetUsd": None}, headers=headers)
    r = client.post(
        "/api/generate/from-prompt",
        json={"prompt": "bias-cut slip dress", "count": 12, "settings": {"seed": 2, "overgeneration": 0}},
        headers=headers,
    )
    from tests.conftest import wait_for

    done = wait_for(client, r.json()["id"], headers)
    assert done["status"] == "completed"
    decisions = client.get(
        "/api/routing/decisions", params={"generationId": done["id"]}, headers=headers
    ).json()
    assert decisions["total"] == 12
    chosen = Counter(d["chosen"] for d in decisions["items"])
    assert set(chosen) == {"openai:gpt-image-1.5", "stability:stable-image-ultra"}, chosen  # a mixed batch
    for d in decisions["items"]:
        assert d["strategy"] == "quality_first" and d["reason"].startswith("quality_first: " + d["chosen"])
        scored = {c["route"]: c for c in d["candidates"]}
        assert set(scored[d["chosen"]]["scores"]) == {"quality", "cost", "speed", "suitability", "history"}
    spent = client.get("/api/budget", headers=headers).json()["spentThisMonthUsd"]
    assert spent == pytest.approx(done["costUsd"]) and spent > 0
