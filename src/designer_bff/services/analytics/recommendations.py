"""Recommendations in plain sentences, each backed by counts and a significance test.

Comparisons made (each needs at least ten kept images on both sides to be made at all): the best against
the worst style direction (and persona); within one attribute, its best and worst value against the other
values pooled; within one modifier family, likewise; per garment category, the best route against the
worst (with the cost per kept image of each); attribute values whose share among standouts moved. A
sentence is written only where its two-proportion z-test gives p < 0.05; every item also carries the
Benjamini–Hochberg q-value over all comparisons made, for a reader who wants to allow for how many were
tried. Budget advice follows the month-end forecast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from designer_bff.services.analytics.costs import Forecast
from designer_bff.services.analytics.stats import Z_TEST, Comparison, percent, two_proportion

ALPHA = 0.05
MIN_N = 10
RECOMMENDATIONS_METHOD = (
    f"{Z_TEST} on standouts ÷ kept images; a recommendation needs p < {ALPHA} and at least {MIN_N} kept "
    "images on each side. qValue = Benjamini–Hochberg adjusted p over every comparison made (the "
    "recommendations are not filtered by it). Budget advice follows the month-end forecast."
)


@dataclass(frozen=True)
class Counts:
    """Kept images (n) and standouts (k) of one side of a comparison."""

    name: str
    k: int
    n: int

    @property
    def rate(self) -> float:
        """k / n."""
        return self.k / self.n if self.n else 0.0


@dataclass(frozen=True)
class Candidate:
    """A comparison that was made, and the sentence it earns if it is significant."""

    text: str
    kind: str
    test: Comparison
    subject: str
    against: str
    evidence: dict[str, Any]

    def to_dict(self, q_value: float) -> dict[str, Any]:
        """JSON form with the counts, the test and the adjusted q-value."""
        a, b = self.test.a, self.test.b
        return {
            "text": self.text[:1].upper() + self.text[1:],  # sentences may open with a value: 'ivory (…)'
            "kind": self.kind,
            "subject": self.subject,
            "against": self.against,
            "evidence": {
                "standouts": a.k,
                "shown": a.n,
                "rate": round(a.k / a.n, 4),
                "againstStandouts": b.k,
                "againstShown": b.n,
                "againstRate": round(b.k / b.n, 4),
                **self.evidence,
            },
            "strength": {
                "pValue": _figures(self.test.p_value),
                "qValue": _figures(q_value),
                "effect": round(self.test.difference, 4),
                "z": round(self.test.z, 3),
            },
        }


def _figures(value: float) -> float:
    """Three significant figures (p-values span many orders of magnitude)."""
    return float(f"{value:.3g}")


def _n(a: Counts, b: Counts) -> str:
    return f"(n = {a.n} vs {b.n})"


def _compare(a: Counts, b: Counts) -> Comparison | None:
    """The test of a against b, or None when either side has fewer than MIN_N images."""
    return two_proportion(a.k, a.n, b.k, b.n) if min(a.n, b.n) >= MIN_N else None


def _ranked(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with enough kept images, best standout rate first."""
    return sorted(
        (r for r in rows if r["shown"] >= MIN_N),
        key=lambda r: (-r["outliers"] / r["shown"], -r["shown"], r["feature"]),
    )


def best_vs_worst(rows: Sequence[dict[str, Any]], kind: str) -> list[Candidate]:
    """'X gives you 65 % standouts against 45 % for Y (n = 140 vs 210).' for the extremes of a kind."""
    ranked = _ranked(rows)
    if len(ranked) < 2:
        return []
    best = Counts(ranked[0]["label"], ranked[0]["outliers"], ranked[0]["shown"])
    worst = Counts(ranked[-1]["label"], ranked[-1]["outliers"], ranked[-1]["shown"])
    test = _compare(best, worst)
    if test is None:
        return []
    text = (
        f"{best.name} gives you {percent(best.rate)} standouts against {percent(worst.rate)} for "
        f"{worst.name} {_n(best, worst)}."
    )
    return [Candidate(text, kind, test, ranked[0]["feature"], ranked[-1]["feature"], {})]


def within_groups(rows: Sequence[dict[str, Any]], kind: str, what: str) -> list[Candidate]:
    """Per group (attribute path, modifier family): its best and worst value against the others pooled."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["group"] is not None:
            groups.setdefault(row["group"], []).append(row)
    out: list[Candidate] = []
    for group, members in sorted(groups.items()):
        ranked = _ranked(members)
        k_all = sum(r["outliers"] for r in members)
        n_all = sum(r["shown"] for r in members)
        for row in {r["feature"]: r for r in (ranked[:1] + ranked[-1:])}.values():
            side = Counts(_name(row, kind), row["outliers"], row["shown"])
            rest = Counts(f"the other {group} {what}", k_all - side.k, n_all - side.n)
            test = _compare(side, rest)
            if test is None or test.difference == 0:
                continue
            advice = "use it more" if test.difference > 0 else "consider using it less"
            text = (
                f"{side.name} gives you {percent(side.rate)} standouts against {percent(rest.rate)} for "
                f"{rest.name} {_n(side, rest)}; {advice}."
            )
            out.append(Candidate(text, kind, test, row["feature"], rest.name, {}))
    return out


def _name(row: dict[str, Any], kind: str) -> str:
    if kind == "attribute":
        return f"{row['value']} ({row['group']})"
    return f"the modifier “{row['label']}”"


def routes_per_category(rows: Sequence[dict[str, Any]], costs: dict[str, float]) -> list[Candidate]:
    """Per garment category: the best route against the worst, with what a kept image costs on each."""
    by_category: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_category.setdefault(row["group"] or "?", []).append(row)
    out = []
    for category, members in sorted(by_category.items()):
        ranked = _ranked(members)
        if len(ranked) < 2:
            continue
        best, worst = ranked[0], ranked[-1]
        a = Counts(best["value"], best["outliers"], best["shown"])
        b = Counts(worst["value"], worst["outliers"], worst["shown"])
        test = _compare(a, b)
        if test is None:
            continue
        cost_a, cost_b = costs.get(best["feature"], 0.0) / a.n, costs.get(worst["feature"], 0.0) / b.n
        text = (
            f"For {category}, {a.name} gives you {percent(a.rate)} standouts against {percent(b.rate)} for "
            f"{b.name} {_n(a, b)}, at ${cost_a:.3f} vs ${cost_b:.3f} per kept image."
        )
        evidence = {"costPerKeptImageUsd": round(cost_a, 6), "againstCostPerKeptImageUsd": round(cost_b, 6)}
        out.append(Candidate(text, "route", test, best["feature"], worst["feature"], evidence))
    return out


def style_movement(trends: Iterable[dict[str, Any]], days: int) -> list[Candidate]:
    """Attribute values whose share among standouts changed between the halves of the window."""
    out = []
    for row in trends:
        recent = Counts("recent", row["recentCount"], row["recentN"])
        earlier = Counts("earlier", row["earlierCount"], row["earlierN"])
        test = _compare(recent, earlier)
        if test is None or test.difference == 0:
            continue
        towards = "towards" if test.difference > 0 else "away from"
        text = (
            f"Your standouts are moving {towards} {row['value']} ({row['attribute']}): "
            f"{percent(recent.rate)} of them in the last {days // 2} days against "
            f"{percent(earlier.rate)} before (n = {recent.n} vs {earlier.n})."
        )
        subject = f"{row['attribute']}={row['value']}"
        out.append(Candidate(text, "style", test, subject, "earlier half of the window", {}))
    return out


def q_values(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        adjusted[index] = min(1.0, running)
    return adjusted


def budget_advice(forecast: Forecast) -> list[dict[str, Any]]:
    """A warning when the month-end forecast exceeds the monthly budget, or the budget is used up."""
    budget = forecast.monthly_budget_usd
    if budget is None or forecast.status not in ("over", "exhausted"):
        return []
    if forecast.status == "exhausted":
        text = (
            f"You have spent ${forecast.month_to_date_usd:.2f} of your ${budget:.2f} monthly budget; "
            "new paid generations are refused until next month or until you raise the budget."
        )
    else:
        runs_out = forecast.runs_out_on
        text = (
            f"At your current pace (${forecast.run_rate_usd_per_day:.2f} a day over the last "
            f"{forecast.run_rate_days:g} days) you will spend ${forecast.projected_usd:.2f} this month, "
            f"${forecast.projected_usd - budget:.2f} over your ${budget:.2f} budget; it runs out on "
            f"{runs_out.isoformat() if runs_out else 'n/a'}."
        )
    effect = forecast.projected_usd / budget if budget else None
    return [
        {
            "text": text,
            "kind": "budget",
            "subject": "monthly budget",
            "against": "month-end forecast",
            "evidence": {
                "monthToDateUsd": round(forecast.month_to_date_usd, 6),
                "runRateUsdPerDay": round(forecast.run_rate_usd_per_day, 6),
                "projectedMonthEndUsd": round(forecast.projected_usd, 6),
                "monthlyBudgetUsd": budget,
            },
            "strength": {
                "pValue": None,
                "qValue": None,
                "effect": None if effect is None else round(effect, 4),
                "z": None,
            },
        }
    ]


def recommend(
    success: Sequence[dict[str, Any]],
    route_costs: dict[str, float],
    trends: Sequence[dict[str, Any]],
    trend_days: int,
    forecast: Forecast,
    judged: int,
) -> dict[str, Any]:
    """Every recommendation the evidence supports, budget first, then the firmest (smallest p) first."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in success:
        by_kind.setdefault(row["kind"], []).append(row)
    candidates = [
        *best_vs_worst(by_kind.get("direction", []), "direction"),
        *best_vs_worst(by_kind.get("persona", []), "persona"),
        *within_groups(by_kind.get("attribute", []), "attribute", "values"),
        *within_groups(by_kind.get("modifier", []), "modifier", "modifiers"),
        *routes_per_category(by_kind.get("route", []), route_costs),
        *style_movement(trends, trend_days),
    ]
    adjusted = q_values([c.test.p_value for c in candidates])
    kept = sorted(
        (c.to_dict(q) for c, q in zip(candidates, adjusted, strict=True) if c.test.p_value < ALPHA),
        key=lambda i: (i["strength"]["pValue"], i["text"]),
    )
    items = [*budget_advice(forecast), *kept]
    note = None
    if not items:
        note = (
            f"Not enough feedback yet: you have judged {judged} kept images. A recommendation needs at "
            f"least {MIN_N} kept images on each side of a comparison and a difference with p < {ALPHA}; "
            "keep marking standouts and rejects."
            if judged < 2 * MIN_N
            else f"No significant differences yet among your {judged} judged images (p < {ALPHA} with at "
            f"least {MIN_N} images on each side); the numbers are in /api/analytics/success."
        )
    return {
        "recommendations": items,
        "note": note,
        "judged": judged,
        "comparisons": len(candidates),
        "thresholds": {"pValue": ALPHA, "minN": MIN_N},
        "method": RECOMMENDATIONS_METHOD,
    }
