"""The model-backed paths through the API, against the OpenAI-compatible fake: vision analysis of a
portfolio, LLM command parsing and cached prompt enhancement — and the offline fallbacks when they fail."""

from __future__ import annotations

import json
from typing import Any

from tests.api.test_portfolios import wait_ready
from tests.conftest import register, wait_for
from tests.fakes import openai_server
from tests.fakes.chat_server import failure, running
from tests.fakes.server import serve
from tests.portfolio_fixtures import portfolio_pngs

GOWN = {
    "garment": {"type": "gown", "silhouette": "mermaid", "length": "floor"},
    "fabric": {"type": "satin", "finish": "glossy"},
    "color": {"primary": "burgundy", "pattern": {"type": "solid"}},
    "style": {"aesthetic": "glamorous", "occasion": "evening"},
    "confidence": {
        "garment.type": 0.95,
        "garment.silhouette": 0.9,
        "fabric.type": 0.85,
        "color.primary": 0.9,
    },
}


def _model_settings(make_settings: Any, url: str, **extra: Any) -> Any:
    return make_settings(
        text_model="gpt-4.1-mini",
        text_model_base_url=url,
        text_model_api_key="sk-test",
        vision_model="gpt-4.1",
        llm_timeout_seconds=5,
        **extra,
    )


def test_vision_model_analyses_the_portfolio_and_offline_measures_colour(
    client_for: Any, make_settings: Any
) -> None:
    with running(responder=lambda body: json.dumps(GOWN)) as (script, url):
        client = client_for(_model_settings(make_settings, url))
        alice = register(client)
        files = [("files", (n, d, "image/png")) for n, d in portfolio_pngs(5)]
        r = client.post("/api/portfolios", files=files, headers=alice)
        assert r.json()["analyser"] == "vision:gpt-4.1"
        done = wait_ready(client, r.json()["id"], alice)
        item = done["items"][0]
        assert item["analyser"] == "vision:gpt-4.1" and item["spec"]["garment"]["type"] == "gown"
        assert item["spec"]["fabric"]["type"] == "satin"
        # The offline measurement fills what the model did not say (background) without overriding it.
        assert item["spec"]["photography"]["background"] == "white-seamless"
        assert item["confidence"]["garment.type"] == 0.95
        assert len(script.requests) >= 5 and all(b["model"] == "gpt-4.1" for b in script.bodies())
        profile = client.get("/api/profile", headers=alice).json()
        assert any("gown" in json.dumps(c["attributes"]) for c in profile["clusters"])


def test_a_failing_vision_model_falls_back_to_the_offline_analysis(
    client_for: Any, make_settings: Any
) -> None:
    with running(responder=lambda body: failure(401, "Incorrect API key provided")) as (_, url):
        client = client_for(_model_settings(make_settings, url))
        alice = register(client)
        files = [("files", (n, d, "image/png")) for n, d in portfolio_pngs(5, seed=40)]
        done = wait_ready(
            client, client.post("/api/portfolios", files=files, headers=alice).json()["id"], alice
        )
        assert done["counts"]["analysed"] == 5  # nothing lost
        item = done["items"][0]
        assert item["analyser"] == "offline" and item["spec"]["color"]["primary"]
        assert any("vision:gpt-4.1 failed (auth" in w for w in item["warnings"])


def test_llm_parses_commands_and_enhances_prompts_once_per_input(client_for: Any, make_settings: Any) -> None:
    intent = {
        "count": 2,
        "garment": "blazer",
        "colors": ["camel"],
        "fabrics": ["wool"],
        "mode": "specific",
        "schedule": "now",
        "attributes": {},
        "modifiers": [],
        "unplaced": [],
    }

    def respond(body: dict[str, Any]) -> str:
        system = body["messages"][0]["content"]
        if "intent" in json.dumps(body.get("response_format", {})) or "surprise me" in system:
            return json.dumps(intent)
        prompt = body["messages"][-1]["content"]
        return "Editorial rewrite: a camel wool blazer, sharply tailored. " + prompt[:200]

    images = openai_server.make_app()
    with running(responder=respond) as (script, url), serve(images) as images_url:
        # A real image route (gpt-image, a prose family) so there is a prompt worth rewriting.
        settings = _model_settings(
            make_settings,
            url,
            prompt_enhancement=True,
            openai_api_key="sk-test",
            openai_base_url=images_url + "/v1",
            openai_models="gpt-image-1.5",
        )
        client = client_for(settings)
        alice = register(client)
        command = {"command": "two camel wool blazers please", "settings": {"size": "1024x1024", "seed": 5}}
        body = client.post("/api/voice/process-text", json=command, headers=alice).json()
        assert body["intent"]["parser"] == "llm:gpt-4.1-mini" and body["count"] == 2
        generation = wait_for(client, body["generation"]["id"], alice)
        assert generation["status"] == "completed"
        stage = generation["stages"]["enhancement"]["output"]
        assert stage["enhanced"] == 3  # ⌈2 × 1.2⌉ candidates, each rewritten once
        assert all(a["prompt"].startswith("Editorial rewrite") for a in generation["assets"])
        calls = len(script.requests)
        again = client.post("/api/voice/process-text", json=command, headers=alice).json()
        repeat = wait_for(client, again["generation"]["id"], alice)
        assert repeat["stages"]["enhancement"]["output"]["cached"] == 3
        assert len(script.requests) == calls + 1  # only the command was parsed again


def test_a_failing_text_model_falls_back_to_the_offline_parser(client_for: Any, make_settings: Any) -> None:
    with running(responder=lambda body: failure(500, "overloaded", type="server_error")) as (_, url):
        client = client_for(_model_settings(make_settings, url))
        alice = register(client)
        body = client.post(
            "/api/voice/process-text", json={"command": "make me 3 red skirts", "dryRun": True}, headers=alice
        ).json()
        assert body["intent"]["parser"] == "offline" and body["intent"]["garment"] == "skirt"
        assert any("text model failed" in w for w in body["warnings"]), body["warnings"]
