"""The analytics API on seeded histories whose numbers can be checked by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import pytest
from fastapi.testclient import TestClient

from designer_bff.api.app import create_app
from designer_bff.config import Settings
from designer_bff.container import Container
from designer_bff.services.analytics import AnalyticsService
from designer_bff.services.analytics.csv_export import cell, flatten
from tests.analytics_fixtures import NOW, Seeder, make_spec, seed_history
from tests.conftest import register


class FixedClockContainer(Container):
    """The composition root with analytics answering as of NOW (windows and forecasts are checkable)."""

    @cached_property
    def analytics(self) -> AnalyticsService:
        """Analytics on a fixed clock."""
        return AnalyticsService(self.settings, self.db, self.costs, now=lambda: NOW)


@pytest.fixture
def app(database_url: str, make_settings: Callable[..., Settings]) -> Iterator[tuple[TestClient, Container]]:
    """An API client (no job consumers: history is seeded) on SQLite and on PostgreSQL."""
    container = FixedClockContainer(make_settings(database_url=database_url))
    container.db.migrate()
    with TestClient(create_app(container, run_consumers=False)) as client:
        yield client, container


def _user(client: TestClient, email: str) -> tuple[dict[str, str], str]:
    headers = register(client, email)
    return headers, client.get("/api/auth/me", headers=headers).json()["id"]


def _get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/analytics/{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _tiny_history(container: Container, user_id: str) -> None:
    """Two batches a month apart: numbers small enough to check by hand.

    A (12 Nov, openai, dresses, Fluid Evening): 10 kept + 2 over-generated candidates at $0.04, one call
    failing first; 4 standouts, 2 hearts, 1 reject (a heart on the rejected one was undone first).
    B (13 Oct, google, skirts, Minimalist Tailoring): 10 kept at $0.02; 1 standout, 3 rejects.
    """
    seeder = Seeder(container.db, user_id)
    at = NOW - timedelta(days=10)
    a = seeder.generation(at)
    dress = make_spec("dress", color="black", aesthetic="minimalist")
    seeder.call(a, at, status="failed", cost=None, latency_ms=5000.0)
    kept_a = [
        seeder.asset(a, at, spec=dress, direction="Fluid Evening", latency_ms=100.0 * (i + 1))
        for i in range(10)
    ]
    for i in range(10, 12):
        seeder.asset(a, at, spec=dress, selected=False, latency_ms=100.0 * (i + 1))
    for asset in kept_a[:4]:
        seeder.react(asset, "outlier", at + timedelta(hours=5))
    for asset in kept_a[4:6]:
        seeder.react(asset, "heart", at + timedelta(hours=5))
    seeder.react(kept_a[6], "heart", at + timedelta(hours=4), undone=True)
    seeder.react(kept_a[6], "reject", at + timedelta(hours=5))
    at_b = NOW - timedelta(days=40)
    b = seeder.generation(at_b)
    skirt = make_spec("skirt", color="navy", aesthetic="classic")
    kept_b = [
        seeder.asset(
            b,
            at_b,
            spec=skirt,
            provider="google",
            model="imagen-4.0-generate-001",
            cost=0.02,
            latency_ms=100.0 * (i + 1),
            direction="Minimalist Tailoring",
        )
        for i in range(10)
    ]
    seeder.react(kept_b[0], "outlier", at_b + timedelta(hours=5))
    for asset in kept_b[1:4]:
        seeder.react(asset, "reject", at_b + timedelta(hours=5))
    seeder.write()


def test_overview_on_a_tiny_history(app: tuple[TestClient, Container]) -> None:
    client, container = app
    headers, user_id = _user(client, "tiny@example.com")
    _tiny_history(container, user_id)
    body = _get(client, "overview", headers)
    assert body["totals"] == {
        "generations": 2,
        "imagesKept": 20,
        "judged": 11,
        "standouts": 5,
        "hearts": 2,
        "saves": 0,
        "ratings": 0,
        "comments": 0,
        "rejects": 4,
    }
    assert body["standoutRate"] == {"rate": 0.25, "low": 0.1119, "high": 0.4687}  # Wilson 5 / 20
    assert body["last30Days"]["kept"] == 10 and body["last30Days"]["standouts"] == 4
    assert body["last30Days"]["standoutRate"] == {"rate": 0.4, "low": 0.1682, "high": 0.6873}
    assert body["previous30Days"]["standoutRate"] == {"rate": 0.1, "low": 0.0179, "high": 0.4042}
    assert body["change"]["significant"] is False  # 4/10 against 1/10: p = 0.12
    assert body["change"]["pValue"] == pytest.approx(0.121335, abs=1e-6)
    # This month: batch A's 12 images at $0.04 (the failed call cost nothing); batch B was in October.
    assert body["spend"]["monthToDateUsd"] == pytest.approx(0.48)
    assert body["forecast"]["status"] == "no-budget"
    # Neither direction reaches 20 kept images: no leader is named on 10 images.
    assert body["best"]["direction"] is None and body["best"]["provider"] is None
    assert "Wilson" in body["method"]


def test_models_quality_success_and_clusters_on_a_tiny_history(app: tuple[TestClient, Container]) -> None:
    client, container = app
    headers, user_id = _user(client, "tiny@example.com")
    _tiny_history(container, user_id)
    models = {r["route"]: r for r in _get(client, "models", headers)["rows"]}
    openai, google = models["openai:gpt-image-1"], models["google:imagen-4.0-generate-001"]
    assert list(models) == ["openai:gpt-image-1", "google:imagen-4.0-generate-001"]  # best first
    assert (openai["kept"], openai["standouts"], openai["judged"]) == (10, 4, 7)
    assert openai["standoutRate"] == {"rate": 0.4, "low": 0.1682, "high": 0.6873}
    assert (openai["calls"], openai["failedCalls"]) == (13, 1)
    assert openai["failureRate"] == {"rate": 0.0769, "low": 0.0137, "high": 0.3331}
    assert openai["meanLatencyMs"] == 650.0 and openai["p95LatencyMs"] == 1200.0  # 100..1200, ⌈0.95·12⌉ = 12
    assert openai["costUsd"] == pytest.approx(0.48) and openai["costPerKeptImageUsd"] == pytest.approx(0.048)
    assert google["meanLatencyMs"] == 550.0 and google["p95LatencyMs"] == 1000.0
    assert google["costPerKeptImageUsd"] == pytest.approx(0.02)
    by_category = _get(client, "models", headers, by="category")["rows"]
    assert {(r["route"], r["category"], r["kept"]) for r in by_category} == {
        ("openai:gpt-image-1", "dress", 10),
        ("google:imagen-4.0-generate-001", "skirt", 10),
    }

    quality = _get(client, "quality", headers, period="week", days=60)
    weeks = {r["period"]: r for r in quality["rows"]}
    assert quality["rows"][0]["period"] == "2026-09-21" and quality["rows"][-1]["period"] == "2026-11-16"
    assert weeks["2026-11-09"]["kept"] == 10 and weeks["2026-11-09"]["standouts"] == 4
    assert weeks["2026-11-09"]["standoutRateOfJudged"]["rate"] == pytest.approx(4 / 7, abs=1e-4)
    assert weeks["2026-10-12"]["rejects"] == 3
    assert weeks["2026-11-16"]["kept"] == 0 and weeks["2026-11-16"]["standoutRateOfKept"]["rate"] is None
    assert quality["totals"]["kept"] == 20 and quality["totals"]["judged"] == 11

    rows = {r["feature"]: r for r in _get(client, "success", headers, kind="direction")["rows"]}
    fluid = rows["direction:Fluid Evening"]
    assert (fluid["shown"], fluid["judged"], fluid["outliers"], fluid["hearts"], fluid["rejects"]) == (
        10,
        7,
        4,
        2,
        1,
    )
    assert fluid["label"] == "Fluid Evening" and fluid["heartRate"]["rate"] == 0.2
    routes = _get(client, "success", headers, kind="route")["rows"]
    assert [r["label"] for r in routes] == [
        "openai:gpt-image-1 on dress",
        "google:imagen-4.0-generate-001 on skirt",
    ]
    attributes = _get(client, "success", headers, kind="attribute", minShown=10)["rows"]
    assert {"color.primary = black", "color.primary = navy", "garment.type = dress"} <= {
        r["label"] for r in attributes
    }
    shared = _get(client, "success", headers, kind="attribute", minShown=11)["rows"]
    assert {(r["label"], r["shown"], r["outliers"]) for r in shared} >= {
        ("color.pattern.type = solid", 20, 5)
    }

    clusters = _get(client, "clusters", headers)
    assert [d["label"] for d in clusters["directions"]] == ["Fluid Evening", "Minimalist Tailoring"]
    assert clusters["personas"] == []


def test_costs_by_period_and_group(app: tuple[TestClient, Container]) -> None:
    client, container = app
    headers, user_id = _user(client, "tiny@example.com")
    _tiny_history(container, user_id)
    body = _get(client, "costs", headers, period="month", by="provider", **{"from": "2026-10-01"})
    assert body["periods"] == ["2026-10-01", "2026-11-01"]
    assert [(r["period"], r["group"], r["images"], r["calls"], r["failedCalls"]) for r in body["rows"]] == [
        ("2026-10-01", "google", 10, 10, 0),
        ("2026-11-01", "openai", 12, 13, 1),
    ]
    assert body["totals"]["costUsd"] == pytest.approx(0.68)
    assert [g["group"] for g in body["groups"]] == ["openai", "google"]
    days = _get(client, "costs", headers, by="category", **{"from": "2026-11-12", "to": "2026-11-12"})
    assert [(r["period"], r["group"]) for r in days["rows"]] == [("2026-11-12", "dress")]
    mine = _get(client, "costs", headers, by="user", period="week")
    assert {r["group"] for r in mine["rows"]} == {user_id}
    assert _get(client, "costs", headers, by="model", **{"to": "2026-10-31"})["rows"][0]["group"] == (
        "google:imagen-4.0-generate-001"
    )


def test_forecast_against_the_budget(app: tuple[TestClient, Container]) -> None:
    client, container = app
    headers, user_id = _user(client, "spender@example.com")
    assert client.put("/api/budget", json={"monthlyBudgetUsd": 20}, headers=headers).status_code == 200
    seeder = Seeder(container.db, user_id)
    for at, usd in (
        (datetime(2026, 10, 30, 9, tzinfo=NOW.tzinfo), 50.0),  # last month: not in this forecast
        (datetime(2026, 11, 2, 9, tzinfo=NOW.tzinfo), 10.0),  # this month, before the 7-day window
        (datetime(2026, 11, 16, 9, tzinfo=NOW.tzinfo), 3.5),
        (datetime(2026, 11, 20, 9, tzinfo=NOW.tzinfo), 3.5),
    ):
        seeder.call(seeder.generation(at), at, cost=usd)
    seeder.write()
    forecast = _get(client, "costs", headers)["forecast"]
    # Month to date 17; run rate 7 / 7 days = $1 a day; 8.5 days left → 25.5, 5.5 over a $20 budget,
    # which the run rate uses up 3 days after now (22 Nov 12:00 + 3 days).
    assert forecast["monthToDateUsd"] == pytest.approx(17.0)
    assert forecast["runRateUsdPerDay"] == pytest.approx(1.0)
    assert forecast["daysLeft"] == pytest.approx(8.5)
    assert forecast["projectedMonthEndUsd"] == pytest.approx(25.5)
    assert forecast["projectedOverUsd"] == pytest.approx(5.5)
    assert (forecast["status"], forecast["budgetRunsOutOn"]) == ("over", "2026-11-25")
    recommendations = _get(client, "recommendations", headers)["recommendations"]
    assert [r["kind"] for r in recommendations] == ["budget"]
    assert (
        "$25.50 this month, $5.50 over your $20.00 budget; it runs out on 2026-11-25"
        in recommendations[0]["text"]
    )
    assert _get(client, "overview", headers)["forecast"] == forecast


def _directions(container: Container, user_id: str, fluid: int, minimal: int, n: int = 50) -> None:
    """`n` kept images per direction (identical otherwise), `fluid` and `minimal` of them standouts."""
    seeder = Seeder(container.db, user_id)
    at = NOW - timedelta(days=3)
    for direction, standouts in (("Fluid Evening", fluid), ("Minimalist Tailoring", minimal)):
        gid = seeder.generation(at, count=n)
        for i in range(n):
            asset = seeder.asset(gid, at, direction=direction)
            if i < standouts:
                seeder.react(asset, "outlier", at + timedelta(hours=1))
    seeder.write()


def test_recommendations_only_with_significant_evidence(app: tuple[TestClient, Container]) -> None:
    client, container = app
    alice, alice_id = _user(client, "alice@example.com")
    bob, bob_id = _user(client, "bob@example.com")
    carol, carol_id = _user(client, "carol@example.com")
    _directions(container, alice_id, 30, 10)  # 60 % against 20 %: p = 4.5e-5
    _directions(container, bob_id, 20, 20)  # a tie
    _directions(container, carol_id, 4, 1, n=10)  # 40 % against 10 %, but p = 0.12
    body = _get(client, "recommendations", alice)
    assert body["note"] is None
    (item,) = body["recommendations"]
    assert item["text"] == (
        "Fluid Evening gives you 60 % standouts against 20 % for Minimalist Tailoring (n = 50 vs 50)."
    )
    assert item["kind"] == "direction"
    assert item["evidence"] == {
        "standouts": 30,
        "shown": 50,
        "rate": 0.6,
        "againstStandouts": 10,
        "againstShown": 50,
        "againstRate": 0.2,
    }
    assert item["strength"]["pValue"] == pytest.approx(4.46e-5, rel=1e-2)
    tie = _get(client, "recommendations", bob)
    assert tie["recommendations"] == [] and "No significant differences yet" in tie["note"]
    weak = _get(client, "recommendations", carol)
    assert weak["recommendations"] == [] and weak["note"].startswith("Not enough feedback yet")


def test_style_evolution_shares_and_trends(app: tuple[TestClient, Container]) -> None:
    client, container = app
    headers, user_id = _user(client, "mover@example.com")
    seeder = Seeder(container.db, user_id)
    # 60 days: 20 standouts early (15 bohemian, 5 minimalist), 20 late (3 bohemian, 17 minimalist).
    for days_ago, bohemian, minimalist in ((50, 15, 5), (5, 3, 17)):
        at = NOW - timedelta(days=days_ago)
        gid = seeder.generation(at, count=20)
        for aesthetic, count in (("bohemian", bohemian), ("minimalist", minimalist)):
            for _ in range(count):
                asset = seeder.asset(gid, at, spec=make_spec("dress", aesthetic=aesthetic))
                seeder.react(asset, "outlier", at + timedelta(hours=2))
        hearted = seeder.asset(gid, at, spec=make_spec("gown", aesthetic="edgy"))
        seeder.react(hearted, "heart", at + timedelta(hours=2))
    seeder.write()
    body = _get(client, "style-evolution", headers, days=60, period="month")
    assert body["images"] == 40 and body["periods"] == ["2026-09-01", "2026-10-01", "2026-11-01"]
    shares = {(s["attribute"], s["value"], s["period"]): s for s in body["shares"]}
    assert shares[("style.aesthetic", "bohemian", "2026-10-01")]["share"] == 0.75
    assert shares[("style.aesthetic", "minimalist", "2026-11-01")]["count"] == 17
    trends = {(t["attribute"], t["value"]): t for t in body["trends"]}
    minimal = trends[("style.aesthetic", "minimalist")]
    assert (minimal["earlierCount"], minimal["earlierN"], minimal["recentCount"], minimal["recentN"]) == (
        5,
        20,
        17,
        20,
    )
    assert (
        minimal["direction"] == "rising" and trends[("style.aesthetic", "bohemian")]["direction"] == "falling"
    )
    assert trends[("garment.type", "dress")]["direction"] == "steady"
    with_hearts = _get(client, "style-evolution", headers, days=60, include="heart")
    assert with_hearts["images"] == 42 and ("garment.type", "gown") in {
        (t["attribute"], t["value"]) for t in with_hearts["trends"]
    }
    moving = [r for r in _get(client, "recommendations", headers)["recommendations"] if r["kind"] == "style"]
    assert any(
        r["text"].startswith("Your standouts are moving towards minimalist (style.aesthetic)") for r in moving
    )


TABLES: list[tuple[str, dict[str, Any], str]] = [
    ("costs", {"period": "week", "by": "model", "from": "2026-07-01"}, "rows"),
    ("quality", {"period": "day", "days": 30}, "rows"),
    ("models", {}, "rows"),
    ("models", {"by": "category"}, "rows"),
    ("style-evolution", {}, "trends"),
    ("style-evolution", {"table": "shares"}, "shares"),
    ("clusters", {}, "rows"),
    ("success", {"minShown": 5}, "rows"),
    ("recommendations", {}, "recommendations"),
]


def test_every_table_exports_as_csv(app: tuple[TestClient, Container]) -> None:
    client, container = app
    headers, user_id = _user(client, "exporter@example.com")
    seed_history(container.db, user_id, assets=600, feedback=400, seed=3)
    for path, params, table in TABLES:
        rows = _get(client, path, headers, **params)[table]
        assert rows, (path, params)
        response = client.get(f"/api/analytics/{path}", params={**params, "format": "csv"}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment; filename=") and disposition.endswith('-2026-11-22.csv"')
        parsed = list(csv.DictReader(io.StringIO(response.text)))
        expected = [flatten(r) for r in rows]
        assert len(parsed) == len(expected), path
        for got, want in zip(parsed, expected, strict=True):
            assert got == {column: cell(want.get(column)) for column in got}, path
            assert set(got) >= set(want)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("costs", {"period": "year"}, "period"),
        ("costs", {"by": "team"}, "by"),
        ("costs", {"from": "2026-13-01"}, "from"),
        ("costs", {"from": "2026-11-10", "to": "2026-11-01"}, "from"),
        ("costs", {"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ("costs", {"to": "9999-12-31"}, "to"),
        ("costs", {"from": "0001-01-01"}, "from"),
        ("costs", {"format": "xml"}, "format"),
        ("quality", {"days": 0}, "days"),
        ("quality", {"period": "month"}, "period"),
        ("models", {"by": "vendor"}, "by"),
        ("style-evolution", {"days": 5}, "days"),
        ("style-evolution", {"include": "save"}, "include"),
        ("style-evolution", {"table": "everything"}, "table"),
        ("success", {"kind": "colour"}, "kind"),
        ("success", {"minShown": -1}, "minShown"),
        ("success", {"minShown": "many"}, "minShown"),
    ],
)
def test_bad_parameters_name_the_parameter(
    app: tuple[TestClient, Container], path: str, params: dict[str, Any], field: str
) -> None:
    client, _ = app
    headers, _ = _user(client, "picky@example.com")
    response = client.get(f"/api/analytics/{path}", params=params, headers=headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field and field in body["message"]


ENDPOINTS = [
    "overview",
    "costs",
    "quality",
    "models",
    "style-evolution",
    "clusters",
    "success",
    "recommendations",
]


def test_a_second_user_sees_only_their_own_zeros(app: tuple[TestClient, Container]) -> None:
    client, container = app
    alice, alice_id = _user(client, "alice@example.com")
    bob, _ = _user(client, "bob@example.com")
    seed_history(container.db, alice_id, assets=300, feedback=150, seed=5)
    assert _get(client, "overview", alice)["totals"]["imagesKept"] == 300
    overview = _get(client, "overview", bob)
    assert set(overview["totals"].values()) == {0}
    assert overview["standoutRate"]["rate"] is None and overview["spend"]["monthToDateUsd"] == 0
    assert _get(client, "costs", bob, **{"from": "2026-01-01"})["rows"] == []
    assert {r["kept"] for r in _get(client, "quality", bob)["rows"]} == {0}
    assert _get(client, "models", bob)["rows"] == []
    evolution = _get(client, "style-evolution", bob)
    assert evolution["shares"] == [] and evolution["trends"] == [] and evolution["images"] == 0
    assert _get(client, "clusters", bob)["rows"] == []
    assert _get(client, "success", bob, minShown=0)["rows"] == []
    recommendations = _get(client, "recommendations", bob)
    assert recommendations["recommendations"] == [] and recommendations["judged"] == 0
    for path in ENDPOINTS:
        assert client.get(f"/api/analytics/{path}").status_code == 401
