"""Every resource is private: another user gets 404 on read, list, change and delete of each route."""

from __future__ import annotations

from typing import Any

from tests.api.test_portfolios import wait_ready
from tests.conftest import register, wait_for
from tests.portfolio_fixtures import portfolio_pngs

PNG = portfolio_pngs(1, seed=99)[0][1]
PUBLIC = {("GET", "/health"), ("POST", "/api/auth/register"), ("POST", "/api/auth/login")}


def _owner_resources(client: Any, headers: dict[str, str]) -> dict[str, str]:
    r = client.post(
        "/api/generate/from-prompt",
        json={"prompt": "camel coat", "count": 1, "settings": {"size": "128x128"}},
        headers=headers,
    )
    body = wait_for(client, r.json()["id"], headers)
    key = client.post("/api/auth/api-keys", json={"name": "script"}, headers=headers).json()
    gaps = client.get("/api/coverage/gaps", headers=headers).json()["gaps"]
    files = [("files", (name, data, "image/png")) for name, data in portfolio_pngs(5)]
    portfolio = client.post("/api/portfolios", files=files, headers=headers).json()
    wait_ready(client, portfolio["id"], headers)
    persona = client.post("/api/persona", json={"name": "Private Muse"}, headers=headers).json()
    client.post("/api/voice/process-text", json={"command": "2 red skirts", "dryRun": True}, headers=headers)
    reaction = client.post(
        "/api/feedback",
        json={"items": [{"assetId": body["assets"][0]["id"], "type": "outlier"}]},
        headers=headers,
    ).json()["items"][0]["feedback"]
    return {
        "feedback_id": reaction["id"],
        "portfolio_id": portfolio["id"],
        "image_id": portfolio["items"][0]["id"],
        "persona_id": persona["id"],
        "generation_id": body["id"],
        "batch_id": body["id"],
        "asset_id": body["assets"][0]["id"],
        "key_id": key["id"],
        "gap_id": gaps[0]["id"],
        "kind": "file",
    }


def _fill(value: Any, ids: dict[str, str]) -> Any:
    """Put the owner's ids into a JSON body template."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_second_user_sees_nothing_of_the_first(client: Any) -> None:
    alice = register(client, "alice@example.com")
    bob = register(client, "bob@example.com")
    ids = _owner_resources(client, alice)
    calls: dict[tuple[str, str], dict[str, Any]] = {
        ("GET", "/api/generate/{generation_id}"): {},
        ("DELETE", "/api/generate/{generation_id}"): {},
        ("POST", "/api/generate/{generation_id}/feedback"): {"json": {"type": "heart"}},
        ("GET", "/api/assets/{asset_id}/{kind}"): {},
        ("DELETE", "/api/auth/api-keys/{key_id}"): {},
        ("GET", "/api/coverage/{batch_id}"): {},
        ("GET", "/api/clusters/{batch_id}"): {},
        ("POST", "/api/coverage/gaps/{gap_id}/apply-boost"): {},
        ("POST", "/api/diversity/select"): {"json": {"assetIds": ["{asset_id}"], "k": 1}},
        ("GET", "/api/portfolios/{portfolio_id}"): {},
        ("GET", "/api/portfolios/{portfolio_id}/progress"): {},
        ("POST", "/api/portfolios/{portfolio_id}/images"): {
            "files": [("files", ("x.png", PNG, "image/png"))]
        },
        ("GET", "/api/portfolios/{portfolio_id}/images/{image_id}"): {},
        ("DELETE", "/api/portfolios/{portfolio_id}"): {},
        ("GET", "/api/profile/drift"): {"params": {"generationId": "{generation_id}"}},
        ("GET", "/api/persona/{persona_id}"): {},
        ("PUT", "/api/persona/{persona_id}"): {"json": {"name": "Stolen"}},
        ("DELETE", "/api/persona/{persona_id}"): {},
        ("PUT", "/api/persona/{persona_id}/activate"): {},
        ("POST", "/api/feedback"): {"json": {"items": [{"assetId": "{asset_id}", "type": "heart"}]}},
        ("POST", "/api/feedback/{feedback_id}/undo"): {},
        ("GET", "/api/feedback"): {"params": {"assetId": "{asset_id}"}},
        ("GET", "/api/learning/explain/{asset_id}"): {},
    }
    listing: dict[tuple[str, str], dict[str, Any]] = {
        ("GET", "/api/generate"): {},
        ("GET", "/api/auth/api-keys"): {},
        ("GET", "/api/auth/me"): {},
        ("POST", "/api/auth/api-keys"): {"json": {"name": "bob's"}},
        ("POST", "/api/generate/from-prompt"): {"json": {"prompt": "x dress", "count": 1}},
        ("POST", "/api/generate/from-spec"): {"json": {"vltSpec": {"garment": {"type": "dress"}}}},
        ("POST", "/api/generate/from-image"): {},
        ("GET", "/api/coverage/gaps"): {},
        ("GET", "/api/coverage/history"): {},
        ("GET", "/api/coverage/config"): {},
        ("PUT", "/api/coverage/config"): {"json": {"autoBoost": False}},
        ("POST", "/api/generate/estimate"): {"json": {"prompt": "x dress", "count": 1}},
        ("GET", "/api/routing/decisions"): {},
        ("GET", "/api/providers"): {},
        ("GET", "/api/budget"): {},
        ("PUT", "/api/budget"): {"json": {"monthlyBudgetUsd": 5}},
        ("POST", "/api/portfolios"): {},
        ("GET", "/api/portfolios"): {},
        ("GET", "/api/profile"): {},
        ("POST", "/api/profile/rebuild"): {},
        ("GET", "/api/persona"): {},
        ("POST", "/api/persona"): {"json": {"name": "Bob's"}},
        ("POST", "/api/persona/match"): {"json": {"text": "red dress"}},
        ("DELETE", "/api/persona/active"): {},
        ("POST", "/api/voice/process-text"): {"json": {"command": "2 red skirts", "dryRun": True}},
        ("GET", "/api/voice/history"): {},
        ("GET", "/api/learning/model"): {},
        ("GET", "/api/learning/updates"): {},
        ("POST", "/api/learning/rebuild"): {},
        ("GET", "/api/analytics/overview"): {},
        ("GET", "/api/analytics/costs"): {},
        ("GET", "/api/analytics/quality"): {},
        ("GET", "/api/analytics/models"): {},
        ("GET", "/api/analytics/style-evolution"): {},
        ("GET", "/api/analytics/clusters"): {},
        ("GET", "/api/analytics/success"): {},
        ("GET", "/api/analytics/recommendations"): {},
    }
    # The walk must cover every route the app has: a new route without an isolation check fails here.
    paths = client.get("/openapi.json").json()["paths"]
    app_routes = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert app_routes - PUBLIC == set(calls) | set(listing)

    for (method, template), raw in calls.items():
        url = template.format(**ids)
        kwargs = {k: _fill(v, ids) for k, v in raw.items()}
        response = client.request(method, url, headers=bob, **kwargs)
        assert response.status_code == 404, (method, url, response.text)
        assert client.request(method, url, **kwargs).status_code == 401, (method, url)

    assert client.get("/api/generate", headers=bob).json()["total"] == 0
    assert client.get("/api/auth/api-keys", headers=bob).json() == []
    assert client.get("/api/auth/me", headers=bob).json()["email"] == "bob@example.com"
    assert client.get("/api/coverage/gaps", headers=bob).json() == {"gaps": [], "nextBoosts": {}}
    assert client.get("/api/coverage/history", headers=bob).json() == {"points": []}
    assert len(client.get("/api/coverage/history", headers=alice).json()["points"]) == 1
    assert client.get("/api/coverage/config", headers=alice).json()["autoBoost"] is True
    assert client.get("/api/routing/decisions", headers=bob).json()["total"] == 0
    decisions = client.get("/api/routing/decisions", headers=alice).json()
    assert decisions["total"] == 2 and {d["generationId"] for d in decisions["items"]} == {
        ids["generation_id"]
    }
    assert (
        client.get(
            "/api/routing/decisions", params={"generationId": ids["generation_id"]}, headers=bob
        ).json()["total"]
        == 0
    )
    assert client.get("/api/portfolios", headers=bob).json()["items"] == []
    assert client.get("/api/profile", headers=bob).status_code == 404
    assert client.post("/api/profile/rebuild", headers=bob).status_code == 404
    assert client.get("/api/voice/history", headers=bob).json()["items"] == []
    # Analytics answer for the caller only: Bob has no history; Alice's batch is counted for her alone.
    # Bob's learning is his own: nothing judged, no log, and alice's standout is still hers.
    assert client.get("/api/learning/model", headers=bob).json()["judged"] == 0
    assert client.get("/api/learning/updates", headers=bob).json() == {"items": [], "total": 0}
    assert client.get("/api/feedback", headers=bob).json()["total"] == 0
    assert client.get("/api/learning/model", headers=alice).json()["judged"] > 0.99
    assert (
        client.get("/api/feedback", params={"assetId": ids["asset_id"]}, headers=alice).json()["judgement"][
            "judgement"
        ]
        == "outlier"
    )
    assert set(client.get("/api/analytics/overview", headers=bob).json()["totals"].values()) == {0}
    assert client.get("/api/analytics/overview", headers=alice).json()["totals"]["imagesKept"] == 1
    for path, table in (("costs", "rows"), ("models", "rows"), ("clusters", "rows"), ("success", "rows")):
        assert client.get(f"/api/analytics/{path}", headers=bob).json()[table] == [], path
        assert client.get(f"/api/analytics/{path}?format=csv", headers=bob).text.strip() == "", path
    assert client.get("/api/analytics/models", headers=alice).json()["rows"][0]["kept"] == 1
    bob_personas = client.get("/api/persona", headers=bob).json()["items"]
    assert {p["source"] for p in bob_personas} == {"default"}  # none of Alice's own or profile personas
    bob_match = client.post("/api/persona/match", json={"text": "private muse"}, headers=bob).json()
    assert ids["persona_id"] not in {m["personaId"] for m in bob_match["matches"]}
    # Bob's budget is his own: Alice's limits and spending are untouched by his PUT.
    assert client.get("/api/budget", headers=alice).json()["monthlyBudgetUsd"] is None
    for (method, url), _ in listing.items():
        assert client.request(method, url).status_code == 401, (method, url)

    # Alice still has everything, untouched by Bob's attempts.
    body = client.get(f"/api/generate/{ids['generation_id']}", headers=alice).json()
    # Only alice's own standout: bob's heart and undo never reached her generation.
    assert body["status"] == "completed" and [f["type"] for f in body["feedback"]] == ["outlier"]
    assert body["feedback"][0]["undoneAt"] is None
    assert client.get(f"/api/assets/{ids['asset_id']}/file", headers=alice).status_code == 200
    assert [k["id"] for k in client.get("/api/auth/api-keys", headers=alice).json()] == [ids["key_id"]]
    assert (
        client.get(f"/api/portfolios/{ids['portfolio_id']}", headers=alice).json()["counts"]["analysed"] == 5
    )
    assert client.get(f"/api/persona/{ids['persona_id']}", headers=alice).json()["name"] == "Private Muse"
    assert client.get("/api/profile", headers=alice).json()["images"] == 6  # 5 uploaded + her standout
    assert len(client.get("/api/voice/history", headers=alice).json()["items"]) == 1


def test_signed_urls_cannot_be_forged_or_moved(client: Any) -> None:
    alice = register(client)
    ids = _owner_resources(client, alice)
    asset = client.get(f"/api/generate/{ids['generation_id']}", headers=alice).json()["assets"][0]
    assert client.get(asset["url"]).status_code == 200
    forged = asset["url"].replace("sig=", "sig=0")
    assert client.get(forged).status_code == 404
    moved = asset["url"].replace("/file?", "/thumbnail?")  # signature is bound to the kind
    assert client.get(moved).status_code == 404
    expired = asset["url"].split("?")[0] + "?exp=1&sig=" + asset["url"].split("sig=")[1]
    assert client.get(expired).status_code == 404


def test_api_key_authenticates_and_revocation_is_immediate(client: Any) -> None:
    alice = register(client)
    created = client.post("/api/auth/api-keys", json={"name": "batch script"}, headers=alice).json()
    assert created["key"].startswith("dbff_")
    for header in ({"X-API-Key": created["key"]}, {"Authorization": f"Bearer {created['key']}"}):
        assert client.get("/api/auth/me", headers=header).status_code == 200
    listed = client.get("/api/auth/api-keys", headers=alice).json()
    assert "key" not in listed[0] and listed[0]["lastUsedAt"] is not None
    assert client.delete(f"/api/auth/api-keys/{created['id']}", headers=alice).status_code == 204
    assert client.get("/api/auth/me", headers={"X-API-Key": created["key"]}).status_code == 401
