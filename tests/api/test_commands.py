"""Commands and personas through the API: intents, planned specs, started or scheduled generations."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from scipy import stats

from tests.api.test_portfolios import wait_ready
from tests.conftest import register, wait_for
from tests.learning_fixtures import teach
from tests.portfolio_fixtures import portfolio_pngs


@pytest.mark.parametrize(
    ("command", "garment", "count", "mode"),
    [
        ("make me 80 blue dresses", "dress", 80, "specific"),
        ("20 structured blazers", "blazer", 20, "specific"),
        ("create evening gowns", "gown", 10, "specific"),
        ("make me 100 outfits", None, 100, "exploratory"),
        ("surprise me with 50 pieces", None, 50, "exploratory"),
        ("make me 10 bohemian style dresses", "dress", 10, "specific"),
    ],
)
def test_command_examples_plan_what_a_person_expects(
    client: Any, command: str, garment: str | None, count: int, mode: str
) -> None:
    alice = register(client)
    r = client.post("/api/voice/process-text", json={"command": command, "dryRun": True}, headers=alice)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["intent"]["garment"] == garment and body["intent"]["mode"] == mode
    assert body["count"] == count and body["kept"] == count and body["candidates"] == -(-count * 12 // 10)
    assert body["generation"] is None  # a dry run starts nothing
    garments = {s["garment"]["type"] for s in body["specs"]}
    if garment:
        assert garments == {garment}
    if command == "make me 80 blue dresses":
        assert all(s["color"]["primary"] == "blue" for s in body["specs"])
    if command == "20 structured blazers":
        assert all(s["fabric"]["drape"] == "structured" for s in body["specs"])
    if "bohemian" in command:
        assert all(s["style"]["aesthetic"] == "bohemian" for s in body["specs"])
    assert body["prompts"][0]["prompt"] and body["stages"]["sampling"]["mode"] == mode


def test_a_command_starts_a_generation_that_makes_its_specs(client: Any) -> None:
    alice = register(client)
    r = client.post(
        "/api/voice/process-text",
        # A fixed seed: this is about command → generation, not about how often validation rejects a print.
        json={"command": "make me 3 bohemian style dresses", "settings": {"size": "128x160", "seed": 7}},
        headers=alice,
    )
    assert r.status_code == 202
    generation = wait_for(client, r.json()["generation"]["id"], alice)
    assert generation["status"] == "completed" and generation["mode"] == "command"
    kept = [a for a in generation["assets"] if a["selected"]]
    assert len(kept) == 3 and {a["spec"]["garment"]["type"] for a in kept} == {"dress"}
    history = client.get("/api/voice/history", headers=alice).json()["items"]
    assert history[0]["command"] == "make me 3 bohemian style dresses"
    assert history[0]["generationId"] == generation["id"]


def test_overnight_batch_is_scheduled_not_started(client: Any) -> None:
    alice = register(client)
    body = client.post(
        "/api/voice/process-text", json={"command": "generate overnight batch"}, headers=alice
    ).json()
    assert body["intent"]["schedule"] == "overnight" and body["count"] == 100
    assert body["generation"]["status"] == "scheduled" and body["generation"]["runAt"].endswith(
        "02:00:00+00:00"
    )
    stored = client.get(f"/api/generate/{body['generation']['id']}", headers=alice).json()
    assert stored["status"] == "scheduled"


def test_bad_commands_are_refused_clearly(client: Any) -> None:
    alice = register(client)
    zero = client.post("/api/voice/process-text", json={"command": "make me 0 dresses"}, headers=alice)
    assert zero.status_code == 422 and "count must be between 1 and 100, got 0" in zero.json()["message"]
    many = client.post("/api/voice/process-text", json={"command": "make me 500 dresses"}, headers=alice)
    assert many.status_code == 422 and "got 500" in many.json()["message"]
    blank = client.post("/api/voice/process-text", json={"command": "   "}, headers=alice)
    assert blank.status_code == 422
    assert client.get("/api/voice/history", headers=alice).json()["items"] == []
    assert client.get("/api/generate", headers=alice).json()["total"] == 0


def test_exploratory_batch_follows_the_profile_directions(client: Any) -> None:
    alice = register(client)
    r = client.post(
        "/api/portfolios", files=[("files", (n, d, "image/png")) for n, d in portfolio_pngs(9)], headers=alice
    )
    wait_ready(client, r.json()["id"], alice)
    profile = client.get("/api/profile", headers=alice).json()
    body = client.post(
        "/api/voice/process-text",
        json={"command": "surprise me with 100 pieces", "dryRun": True},
        headers=alice,
    ).json()
    drawn = Counter({int(k): v for k, v in body["stages"]["sampling"]["clusters"].items()})
    assert sum(drawn.values()) == 120
    expected = [c["weight"] / 100 * 120 for c in profile["clusters"]]
    observed = [drawn.get(c["id"], 0) for c in profile["clusters"]]
    # Stratified allocation: every direction within one image of its share.
    assert all(abs(o - e) <= 1 for o, e in zip(observed, expected, strict=True)), (observed, expected)
    assert stats.chisquare(observed, expected).pvalue > 0.05


def test_personas_list_create_match_activate(client: Any) -> None:
    alice = register(client)
    listing = client.get("/api/persona", headers=alice).json()
    defaults = [p for p in listing["items"] if p["source"] == "default"]
    assert [p["name"] for p in defaults] == [
        "Minimalist Tailoring",
        "Fluid Evening",
        "Avant-Garde Experimental",
        "Soft Romantic",
        "Urban Streetwear",
    ]
    bad = client.post(
        "/api/persona",
        json={"name": "Mine", "stylePreferences": {"fabric.type": ["unobtainium"]}},
        headers=alice,
    )
    assert bad.status_code == 422 and "unobtainium" in bad.json()["message"]
    mine = client.post(
        "/api/persona",
        json={
            "name": "Coastal Linen",
            "description": "Breezy resort linen in sand and white",
            "keywords": ["breezy", "resort", "sun-bleached"],
            "stylePreferences": {"fabric.type": ["linen"], "color.primary": ["sand", "white"]},
            "examplePrompts": ["breezy linen resort shirt dress"],
        },
        headers=alice,
    )
    assert mine.status_code == 201, mine.text
    persona = mine.json()
    assert persona["stylePreferences"]["color.primary"] == ["beige", "white"]  # synonyms canonicalised
    dup = client.post("/api/persona", json={"name": "coastal linen"}, headers=alice)
    assert dup.status_code == 409
    match = client.post(
        "/api/persona/match", json={"text": "breezy linen resort dress"}, headers=alice
    ).json()
    assert match["best"]["personaId"] == persona["id"]
    assert (
        client.put("/api/persona/default:fluid-evening", json={"name": "x"}, headers=alice).status_code == 403
    )
    assert client.put(f"/api/persona/{persona['id']}/activate", headers=alice).json() == {
        "active": persona["id"]
    }
    planned = client.post(
        "/api/voice/process-text", json={"command": "make me 4 dresses", "dryRun": True}, headers=alice
    ).json()
    assert planned["stages"]["persona"]["persona"] == "Coastal Linen"
    assert all(s["fabric"]["type"] == "linen" for s in planned["specs"])  # the persona fills what was open
    assert client.delete("/api/persona/active", headers=alice).json() == {"active": None}
    assert client.delete(f"/api/persona/{persona['id']}", headers=alice).json() == {"deleted": persona["id"]}
    assert client.get(f"/api/persona/{persona['id']}", headers=alice).status_code == 404


def test_learned_modifier_preferences_steer_the_next_batch(client: Any, container: Any) -> None:
    alice = register(client)
    me = client.get("/api/auth/me", headers=alice).json()["id"]
    command = {
        "command": "make me 20 red dresses, full body on model",
        "dryRun": True,
        "settings": {"seed": 3},
    }
    before = client.post("/api/voice/process-text", json=command, headers=alice).json()
    chosen = before["stages"]["optimization"]["chosen"]
    assert sum(n for m, n in chosen.items() if m.startswith("lighting:")) == 24  # one per candidate
    teach(container, me, ["modifier:lighting:golden-rim"], "outlier", 30)  # standouts lit by golden hour
    teach(container, me, [], "reject", 30)  # and as many rejects of designs lit otherwise
    learned = container.learning.model(me).get("modifier:lighting:golden-rim")
    assert learned.pos == pytest.approx(30.0, rel=1e-4) and learned.neg == 0
    after = client.post("/api/voice/process-text", json=command, headers=alice).json()
    assert after["stages"]["optimization"]["chosen"].get("lighting:golden-rim", 0) >= 20
