"""Feedback through the API: judgements with history and undo, bulk all-or-nothing, and the preference
model moving with them — logged, explained, and steering the next batch."""

from __future__ import annotations

from typing import Any

import pytest

from designer_bff.db.preferences import Judgements
from tests.conftest import register, wait_for


def _batch(client: Any, headers: dict[str, str], count: int = 4, seed: int = 5) -> list[dict[str, Any]]:
    r = client.post(
        "/api/generate/from-prompt",
        json={"prompt": "dress", "count": count, "settings": {"size": "128x160", "seed": seed}},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    return [a for a in wait_for(client, r.json()["id"], headers)["assets"] if a["selected"]]


def _react(client: Any, headers: dict[str, str], items: list[dict[str, Any]]) -> Any:
    return client.post("/api/feedback", json={"items": items}, headers=headers)


def test_latest_reaction_is_the_judgement_and_undo_falls_back(client: Any) -> None:
    alice = register(client)
    asset = _batch(client, alice, 1)[0]["id"]
    heart = _react(client, alice, [{"assetId": asset, "type": "heart"}]).json()["items"][0]
    outlier = _react(client, alice, [{"assetId": asset, "type": "outlier"}]).json()["items"][0]
    comment = _react(client, alice, [{"assetId": asset, "type": "comment", "comment": "too busy"}])
    assert comment.json()["items"][0]["feedback"]["sentiment"] == "negative"
    # A comment does not overrule a standout; the standout is the current judgement.
    history = client.get("/api/feedback", params={"assetId": asset}, headers=alice).json()
    assert history["total"] == 3 and history["judgement"]["judgement"] == "outlier"

    undone = client.post(f"/api/feedback/{outlier['feedback']['id']}/undo", headers=alice).json()
    assert undone["judgement"] == "heart" and undone["feedback"]["undoneAt"] is not None
    again = client.post(f"/api/feedback/{outlier['feedback']['id']}/undo", headers=alice)
    assert again.status_code == 422 and "already undone" in again.json()["message"]
    client.post(f"/api/feedback/{heart['feedback']['id']}/undo", headers=alice)
    # Only the comment is left standing: it judges by its sentiment (negative, 0.2).
    history = client.get("/api/feedback", params={"assetId": asset}, headers=alice).json()
    assert history["judgement"]["judgement"] == "comment" and history["judgement"]["strength"] == 0.2
    assert history["total"] == 3  # nothing is deleted: undone reactions stay in the history
    generation = client.get(
        f"/api/generate/{client.get('/api/generate', headers=alice).json()['items'][0]['id']}", headers=alice
    ).json()
    assert generation["assets"][0]["judgement"] == "comment"


def test_bulk_is_all_or_nothing_and_names_the_bad_item(client: Any) -> None:
    alice = register(client)
    assets = [a["id"] for a in _batch(client, alice, 3)]
    bad = _react(
        client,
        alice,
        [{"assetId": assets[0], "type": "outlier"}, {"assetId": assets[1], "type": "rating", "rating": 9}],
    )
    assert bad.status_code == 422 and bad.json()["field"] == "items[1].rating"
    assert client.get("/api/feedback", headers=alice).json()["total"] == 0
    bob = register(client)
    foreign = _react(client, bob, [{"assetId": assets[0], "type": "heart"}])
    assert foreign.status_code == 404
    ok = _react(
        client,
        alice,
        [
            {"assetId": assets[0], "type": "outlier"},
            {"assetId": assets[1], "type": "rating", "rating": 4},
            {"assetId": assets[2], "type": "save"},
        ],
    )
    assert ok.status_code == 201
    assert [i["judgement"] for i in ok.json()["items"]] == ["outlier", "rating", "save"]
    assert [i["feedback"]["strength"] for i in ok.json()["items"]] == [1.0, pytest.approx(0.7), 0.7]
    assert ok.json()["learned"] > 3 * 10  # every feature of every judged design moved


def test_the_log_explains_each_move_and_rebuild_agrees(client: Any) -> None:
    alice = register(client)
    assets = _batch(client, alice, 4)
    reaction = _react(client, alice, [{"assetId": assets[0]["id"], "type": "outlier"}]).json()["items"][0]
    _react(client, alice, [{"assetId": a["id"], "type": "reject"} for a in assets[1:]])
    log = client.get(
        "/api/learning/updates", params={"feedbackId": reaction["feedback"]["id"]}, headers=alice
    ).json()
    assert log["total"] == reaction["learned"] == len(assets[0]["features"]) + 1  # + the baseline
    garment = f"attribute:garment.type={assets[0]['spec']['garment']['type']}"
    move = next(u for u in log["items"] if u["feature"] == garment)
    assert move["after"] > move["before"] and move["reward"] == 1.0
    assert "marked a standout" in move["reason"]

    model = client.get("/api/learning/model", params={"limit": 1000}, headers=alice).json()
    assert model["judged"] == pytest.approx(4.0, abs=1e-3)
    means = {f["feature"]: f["mean"] for f in model["features"]}
    assert all(f["weight"] is not None and f["weightSd"] > 0 for f in model["features"])
    explained = client.get(f"/api/learning/explain/{assets[0]['id']}", headers=alice).json()
    assert explained["judgement"] == "outlier" and explained["predicted"] > explained["typical"]
    assert "logistic" in explained["method"]
    rejected = client.get(f"/api/learning/explain/{assets[1]['id']}", headers=alice).json()
    assert rejected["predicted"] < explained["predicted"]

    assert client.post("/api/learning/rebuild", headers=alice).json() == {"images": 4, "judgements": 4}
    rebuilt = client.get("/api/learning/model", params={"limit": 1000}, headers=alice).json()
    assert {f["feature"]: f["mean"] for f in rebuilt["features"]} == pytest.approx(means, abs=1e-3)
    bad = client.get("/api/learning/model", params={"kind": "vibes"}, headers=alice)
    assert bad.status_code == 422 and bad.json()["field"] == "kind"


def test_the_joint_model_is_refitted_when_a_judgement_changes(client: Any) -> None:
    alice = register(client)
    assets = _batch(client, alice, 3)
    _react(client, alice, [{"assetId": a["id"], "type": "reject"} for a in assets[1:]])
    first = _react(client, alice, [{"assetId": assets[0]["id"], "type": "outlier"}]).json()["items"][0]
    liked = client.get(f"/api/learning/explain/{assets[0]['id']}", headers=alice).json()
    assert client.get(f"/api/learning/explain/{assets[0]['id']}", headers=alice).json() == liked  # cached
    _react(client, alice, [{"assetId": assets[0]["id"], "type": "reject"}])
    disliked = client.get(f"/api/learning/explain/{assets[0]['id']}", headers=alice).json()
    assert disliked["predicted"] < liked["predicted"]
    client.post(f"/api/feedback/{first['feedback']['id']}/undo", headers=alice)  # the reject stays
    assert client.get(f"/api/learning/explain/{assets[0]['id']}", headers=alice).json() == disliked


def test_deleting_a_generation_takes_its_lessons_with_it(client: Any) -> None:
    alice = register(client)
    assets = _batch(client, alice, 2)
    _react(client, alice, [{"assetId": a["id"], "type": "outlier"} for a in assets])
    assert client.get("/api/learning/model", headers=alice).json()["judged"] > 1.99
    generation = client.get("/api/generate", headers=alice).json()["items"][0]["id"]
    assert client.delete(f"/api/generate/{generation}", headers=alice).status_code == 204
    model = client.get("/api/learning/model", headers=alice).json()
    assert model["judged"] == pytest.approx(0.0, abs=1e-9) and model["baseline"] == 0.5
    assert client.get("/api/analytics/success", headers=alice).json()["rows"] == [] or all(
        r["shown"] == 0 for r in client.get("/api/analytics/success", headers=alice).json()["rows"]
    )


def test_feedback_on_one_batch_changes_the_next(client: Any) -> None:
    """Sampling, modifiers, routing and selection of the next batch all read what was learned."""
    alice = register(client)
    command: dict[str, Any] = {
        "command": "surprise me with 12 pieces",
        "settings": {"seed": 11, "size": "128x160"},
    }
    first = client.post("/api/voice/process-text", json=command, headers=alice).json()
    shown = [a for a in wait_for(client, first["generation"]["id"], alice)["assets"] if a["selected"]]
    liked = shown[0]["spec"]["garment"]["type"]
    _react(
        client,
        alice,
        [
            {"assetId": a["id"], "type": "outlier" if a["spec"]["garment"]["type"] == liked else "reject"}
            for a in shown
        ],
    )
    command["settings"]["seed"] = 12
    nxt = client.post("/api/voice/process-text", json={**command, "dryRun": True}, headers=alice).json()
    stages = nxt["stages"]
    assert stages["sampling"]["learned"], "sampling reads learned factors"
    # The first batch left coverage gaps; now that it was judged, only a tenth of the next fills them.
    assert client.get("/api/coverage/gaps", headers=alice).json()["nextBoosts"]
    assert 0 < stages["sampling"]["coverageSlots"] <= len(nxt["specs"]) // 10 + 1
    modifiers = client.get("/api/learning/model", params={"kind": "modifier"}, headers=alice).json()
    assert modifiers["total"] > 0  # the optimization stage samples modifiers from these posteriors
    assert sum(s["garment"]["type"] == liked for s in nxt["specs"]) > sum(
        s["spec"]["garment"]["type"] == liked for s in shown
    ) * len(nxt["specs"]) / len(shown)
    run = client.post("/api/voice/process-text", json=command, headers=alice).json()
    selection = wait_for(client, run["generation"]["id"], alice)["stages"]["selection"]["output"]
    assert selection["learned"] is True and selection["predicted"]["max"] > selection["predicted"]["min"]
    route = f"route:tech-flat:tech-flat-v1|{liked}"
    model = client.get("/api/learning/model", params={"kind": "route", "limit": 100}, headers=alice).json()
    assert any(f["feature"] == route and f["mean"] > model["baseline"] for f in model["features"])


def test_designs_left_unmarked_in_a_reviewed_batch_count_as_seen(client: Any, container: Any) -> None:
    alice = register(client)
    reviewed = _batch(client, alice, 3, seed=1)
    untouched = _batch(client, alice, 2, seed=2)
    me = client.get("/api/auth/me", headers=alice).json()["id"]
    assert container.learning.model(me).joint is None  # nothing judged: no joint fit, nothing seen
    _react(client, alice, [{"assetId": reviewed[0]["id"], "type": "outlier"}])
    with container.db.session() as s:
        seen = {a.id for a in Judgements(s).unmarked(me)}
    # The batch she judged: its other designs were seen and passed over; the batch she did not open is not.
    assert seen == {a["id"] for a in reviewed[1:]}
    assert not seen & {a["id"] for a in untouched}
    # Passed over is a milder signal than a reject: it lowers a design's chance less.
    passed = client.get(f"/api/learning/explain/{reviewed[1]['id']}", headers=alice).json()["predicted"]
    _react(client, alice, [{"assetId": reviewed[1]["id"], "type": "reject"}])
    rejected = client.get(f"/api/learning/explain/{reviewed[1]['id']}", headers=alice).json()["predicted"]
    assert rejected < passed
