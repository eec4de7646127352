"""Portfolio ingestion through the API: files and ZIPs, bad files per file, duplicates, progress, limits."""

from __future__ import annotations

import time
import zipfile
from typing import Any

from tests.conftest import register, wait_for
from tests.portfolio_fixtures import portfolio_pngs, zip_bytes


def _files(entries: list[tuple[str, bytes]], mime: str = "image/png") -> list[tuple[str, Any]]:
    return [("files", (name, data, mime)) for name, data in entries]


def wait_ready(
    client: Any, portfolio_id: str, headers: dict[str, str], timeout: float = 60
) -> dict[str, Any]:
    """Poll a portfolio's progress until its analysis is done; every poll must be consistent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/portfolios/{portfolio_id}/progress", headers=headers).json()
        counts = body["counts"]
        assert sum(counts.values()) == body["files"] == len(body["items"])
        if body["status"] in ("ready", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"portfolio {portfolio_id} not analysed in {timeout}s")


def test_upload_reports_each_file_and_analyses_in_the_background(client: Any) -> None:
    alice = register(client)
    images = portfolio_pngs(9)
    upload = [
        *images,
        ("notes.txt", b"not an image"),
        ("copy-of-first.png", images[0][1]),  # the same picture again
        ("truncated.png", images[1][1][:400]),
    ]
    r = client.post("/api/portfolios", files=_files(upload), data={"name": "SS27"}, headers=alice)
    assert r.status_code == 202, r.text
    first = r.json()
    assert first["name"] == "SS27" and first["files"] == 12
    by_name = {i["filename"]: i for i in first["items"]}
    assert (
        by_name["notes.txt"]["status"] == "rejected"
        and "not a recognised image" in by_name["notes.txt"]["error"]
    )
    assert by_name["truncated.png"]["status"] == "rejected"
    assert by_name["copy-of-first.png"]["status"] == "duplicate"
    assert by_name["copy-of-first.png"]["duplicateOf"] == by_name["look-000.png"]["id"]

    done = wait_ready(client, first["id"], alice)
    assert done["status"] == "ready" and done["percent"] == 100.0
    assert done["counts"] == {"pending": 0, "analysed": 9, "failed": 0, "rejected": 2, "duplicate": 1}
    analysed = [i for i in done["items"] if i["status"] == "analysed"]
    assert all(i["analyser"] == "offline" and i["spec"]["color"]["primary"] for i in analysed)
    # The burgundy satin gown is measured as a burgundy-family colour on a white background.
    gown = next(i for i in analysed if i["filename"] == "look-000.png")
    assert gown["spec"]["color"]["primary"] in ("burgundy", "wine", "red", "plum")
    assert gown["spec"]["photography"]["background"] == "white-seamless"

    image = client.get(f"/api/portfolios/{first['id']}/images/{gown['id']}", headers=alice)
    assert image.status_code == 200 and image.content == images[0][1]
    listing = client.get("/api/portfolios", headers=alice).json()["items"]
    assert [p["id"] for p in listing] == [first["id"]] and listing[0]["counts"]["analysed"] == 9

    profile = client.get("/api/profile", headers=alice).json()
    assert profile["images"] == 9 and profile["version"] >= 1
    assert abs(sum(c["weight"] for c in profile["clusters"]) - 100) < 0.01
    assert profile["summary"].startswith("Your portfolio of 9 images")
    signature = {c["name"] for c in profile["signature"]["colors"]}
    assert signature & {"burgundy", "navy", "charcoal", "blush", "camel", "emerald", "black"}


def test_adding_images_updates_the_profile_and_deleting_removes_it(client: Any) -> None:
    alice = register(client)
    images = portfolio_pngs(9, seed=100)
    r = client.post("/api/portfolios", files=_files(images[:6]), headers=alice)
    pid = r.json()["id"]
    wait_ready(client, pid, alice)
    before = client.get("/api/profile", headers=alice).json()
    r = client.post(f"/api/portfolios/{pid}/images", files=_files(images[6:]), headers=alice)
    assert r.status_code == 202 and r.json()["counts"]["pending"] == 3
    wait_ready(client, pid, alice)
    after = client.get("/api/profile", headers=alice).json()
    assert after["images"] == 9 and after["version"] > before["version"]
    assert client.delete(f"/api/portfolios/{pid}", headers=alice).json()["blobsRemoved"] == 9
    assert client.get("/api/profile", headers=alice).status_code == 404
    assert client.get("/api/portfolios", headers=alice).json()["items"] == []


def test_zip_upload_is_read_safely_member_by_member(client: Any) -> None:
    alice = register(client)
    good = portfolio_pngs(6, seed=7)
    nested = zip_bytes(good[:1])
    archive = zip_bytes(
        [
            *[(f"looks/{name}", data) for name, data in good],
            ("../../etc/evil.png", good[0][1]),
            ("/abs/evil.png", good[1][1]),
            ("inner.zip", nested),
            ("renamed-archive.png", nested),
            ("bomb.png", b"\0" * 5_000_000),  # 5 MB of zeros compress ~1000:1
            ("__MACOSX/looks/._look-000.png", b"resource fork"),
            ("looks/.DS_Store", b"finder"),
        ]
    )
    r = client.post(
        "/api/portfolios", files=_files([("looks.zip", archive)], "application/zip"), headers=alice
    )
    assert r.status_code == 202, r.text
    items = {i["filename"].split("/", 1)[1]: i for i in r.json()["items"]}
    assert sum(1 for i in items.values() if i["status"] == "pending") == 6
    reasons = {name: i["error"] for name, i in items.items() if i["status"] == "rejected"}
    assert "path traversal" in reasons["../../etc/evil.png"]
    assert "absolute" in reasons["/abs/evil.png"]
    assert "nested archives" in reasons["inner.zip"] and "nested archives" in reasons["renamed-archive.png"]
    assert "zip bomb" in reasons["bomb.png"]
    assert not any("MACOSX" in n or "DS_Store" in n for n in items)  # system files are skipped silently
    assert wait_ready(client, r.json()["id"], alice)["counts"]["analysed"] == 6


def test_too_few_images_or_a_broken_zip_store_nothing(client: Any, container: Any) -> None:
    alice = register(client)
    r = client.post("/api/portfolios", files=_files([*portfolio_pngs(3), ("x.txt", b"hi")]), headers=alice)
    assert r.status_code == 422
    assert "at least 5 images; 3 of the 4 files are usable" in r.json()["message"]
    broken = client.post(
        "/api/portfolios",
        files=_files([("a.zip", b"PK\x03\x04 truncated")], "application/zip"),
        headers=alice,
    )
    assert broken.status_code == 422 and "not a readable ZIP" in broken.json()["message"]
    assert client.post("/api/portfolios", headers=alice).status_code == 422
    assert client.get("/api/portfolios", headers=alice).json()["items"] == []
    blobs = container.settings.data_dir / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))


def test_portfolio_size_limit_rejects_the_excess_per_file(client_for: Any, make_settings: Any) -> None:
    client = client_for(make_settings(portfolio_max_images=6, portfolio_min_images=2))
    alice = register(client)
    r = client.post("/api/portfolios", files=_files(portfolio_pngs(8, seed=3)), headers=alice)
    assert r.status_code == 202
    counts = r.json()["counts"]
    assert counts["pending"] == 6 and counts["rejected"] == 2
    assert all("full (6 images)" in i["error"] for i in r.json()["items"] if i["status"] == "rejected")


def test_zip_entry_count_is_limited(client_for: Any, make_settings: Any) -> None:
    client = client_for(make_settings(portfolio_max_images=5))
    alice = register(client)
    archive = zip_bytes([(f"{i}.png", b"x") for i in range(11)], compression=zipfile.ZIP_STORED)
    r = client.post(
        "/api/portfolios", files=_files([("many.zip", archive)], "application/zip"), headers=alice
    )
    assert r.status_code == 422 and "11 files; at most 10" in r.json()["message"]


def test_standouts_join_the_profile_and_a_reject_takes_them_out(client: Any) -> None:
    alice = register(client)
    files = [("files", (n, d, "image/png")) for n, d in portfolio_pngs(6, seed=200)]
    wait_ready(client, client.post("/api/portfolios", files=files, headers=alice).json()["id"], alice)
    before = client.get("/api/profile", headers=alice).json()
    r = client.post(
        "/api/generate/from-prompt",
        json={"prompt": "emerald velvet gown", "count": 1, "settings": {"size": "128x160"}},
        headers=alice,
    )
    generation = wait_for(client, r.json()["id"], alice)
    asset = generation["assets"][0]["id"]
    feedback = {"type": "outlier", "assetId": asset}
    assert (
        client.post(f"/api/generate/{generation['id']}/feedback", json=feedback, headers=alice).status_code
        == 201
    )
    after = client.get("/api/profile", headers=alice).json()
    assert after["images"] == before["images"] + 1 and after["version"] > before["version"]
    feedback = {"type": "reject", "assetId": asset}
    client.post(f"/api/generate/{generation['id']}/feedback", json=feedback, headers=alice)
    assert client.get("/api/profile", headers=alice).json()["images"] == before["images"]


def test_one_standout_without_a_portfolio_makes_no_profile(client: Any) -> None:
    """A profile of one lucky standout would pin every exploratory batch to that design."""
    alice = register(client)
    r = client.post(
        "/api/generate/from-prompt",
        json={"prompt": "emerald velvet gown", "count": 2, "settings": {"size": "128x160"}},
        headers=alice,
    )
    generation = wait_for(client, r.json()["id"], alice)
    for asset in generation["assets"]:
        feedback = {"type": "outlier", "assetId": asset["id"]}
        client.post(f"/api/generate/{generation['id']}/feedback", json=feedback, headers=alice)
    assert client.get("/api/profile", headers=alice).status_code == 404
