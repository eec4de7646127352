"""Forecast arithmetic, calendar buckets, feature labels and CSV flattening of the analytics service."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from designer_bff.services.analytics.costs import Forecast
from designer_bff.services.analytics.csv_export import flatten, to_csv
from designer_bff.services.analytics.sql import period_key, period_keys
from designer_bff.services.analytics.success import label, split

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def _forecast(mtd: float, rate: float, budget: float | None, days_left: float = 8.5) -> Forecast:
    return Forecast(NOW, mtd, rate, 7.0, days_left, budget)


def test_forecast_over_budget_names_the_day_it_runs_out() -> None:
    f = _forecast(17.0, 1.0, 20.0)
    assert f.projected_usd == pytest.approx(25.5)
    assert (f.status, f.runs_out_on) == ("over", date(2026, 11, 25))
    body = f.to_dict()
    assert body["projectedOverUsd"] == pytest.approx(5.5) and body["budgetRunsOutOn"] == "2026-11-25"


def test_forecast_under_budget_and_without_budget() -> None:
    under = _forecast(10.0, 1.0, 30.0)
    assert (under.status, under.runs_out_on) == ("under", None)
    assert under.to_dict()["projectedOverUsd"] == pytest.approx(-11.5)
    free = _forecast(10.0, 1.0, None)
    assert (free.status, free.runs_out_on, free.to_dict()["projectedOverUsd"]) == ("no-budget", None, None)


def test_forecast_with_the_budget_already_spent() -> None:
    spent = _forecast(21.0, 0.0, 20.0)
    assert (spent.status, spent.runs_out_on) == ("exhausted", NOW.date())
    assert _forecast(0.0, 0.0, 0.0).status == "exhausted"  # a zero budget allows nothing
    # Exactly on budget at month end is not over.
    assert _forecast(11.5, 1.0, 20.0).status == "under"


@pytest.mark.parametrize(
    ("day", "period", "key"),
    [
        (date(2026, 11, 22), "day", date(2026, 11, 22)),
        (date(2026, 11, 22), "week", date(2026, 11, 16)),  # Sunday → its Monday
        (date(2026, 11, 16), "week", date(2026, 11, 16)),
        (date(2027, 1, 1), "week", date(2026, 12, 28)),  # ISO weeks cross years
        (date(2026, 11, 22), "month", date(2026, 11, 1)),
    ],
)
def test_period_key(day: date, period: str, key: date) -> None:
    assert period_key(day, period) == key  # type: ignore[arg-type]


def test_period_keys_form_a_dense_axis() -> None:
    assert period_keys(date(2026, 11, 30), date(2027, 2, 3), "month") == [
        "2026-11-01",
        "2026-12-01",
        "2027-01-01",
        "2027-02-01",
    ]
    assert period_keys(date(2026, 11, 20), date(2026, 11, 30), "week") == [
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",
    ]
    assert len(period_keys(date(2026, 1, 1), date(2026, 12, 31), "day")) == 365


@pytest.mark.parametrize(
    ("feature", "parts", "text"),
    [
        ("attribute:color.primary=black", ("attribute", "color.primary", "black"), "color.primary = black"),
        (
            "route:openai:gpt-image-1|dress",
            ("route", "dress", "openai:gpt-image-1"),
            "openai:gpt-image-1 on dress",
        ),
        (
            "route:replicate:black-forest-labs/flux-schnell|t-shirt",
            ("route", "t-shirt", "replicate:black-forest-labs/flux-schnell"),
            "replicate:black-forest-labs/flux-schnell on t-shirt",
        ),
        (
            "modifier:lighting:soft-window",
            ("modifier", "lighting", "lighting:soft-window"),
            "lighting: soft diffused window light",
        ),
        (
            "modifier:lighting:no-such",
            ("modifier", "lighting", "lighting:no-such"),
            "modifier lighting:no-such",
        ),
        ("persona:Soft Romantic", ("persona", None, "Soft Romantic"), "Soft Romantic"),
        ("direction:Fluid Evening", ("direction", None, "Fluid Evening"), "Fluid Evening"),
    ],
)
def test_feature_labels(feature: str, parts: tuple[str, str | None, str], text: str) -> None:
    assert split(feature) == parts
    assert label(feature) == text


def test_csv_flattens_nested_values_and_parses_back() -> None:
    rows = [
        {
            "period": "2026-11-16",
            "kept": 3,
            "rate": {"rate": 0.5, "low": 0.1, "high": None},
            "tags": ["a", "b"],
        },
        {"period": "2026-11-23", "kept": 0, "rate": {"rate": None, "low": None, "high": None}, "ok": True},
    ]
    assert flatten(rows[0]) == {
        "period": "2026-11-16",
        "kept": 3,
        "rate.rate": 0.5,
        "rate.low": 0.1,
        "rate.high": None,
        "tags": "a; b",
    }
    text = to_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == ["period", "kept", "rate.rate", "rate.low", "rate.high", "tags", "ok"]
    assert parsed[0] == {
        "period": "2026-11-16",
        "kept": "3",
        "rate.rate": "0.5",
        "rate.low": "0.1",
        "rate.high": "",
        "tags": "a; b",
        "ok": "",
    }
    assert parsed[1]["ok"] == "true" and parsed[1]["rate.rate"] == ""
    assert to_csv([]) == "\r\n"  # no rows, no columns: an empty header line
