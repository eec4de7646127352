"""Success tracking: standout and heart rates per feature of the preference model, with counts and CIs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from designer_bff.db.tables import PreferenceStat
from designer_bff.pipeline.modifiers import CATALOGUE
from designer_bff.services.analytics.stats import WILSON, wilson

Kind = Literal["attribute", "modifier", "route", "persona", "direction"]
KINDS: tuple[Kind, ...] = ("attribute", "modifier", "route", "persona", "direction")
SUCCESS_METHOD = (
    "Counts over kept images carrying the feature (preference_stats): shown = kept images, the others = "
    f"how many of them currently have that judgement. Rates divide by shown, {WILSON}. pos/neg are the "
    "preference model's time-decayed evidence, shown as stored."
)


@cache
def _modifier_texts() -> dict[str, str]:
    return {m.id: f"{m.category}: {m.text}" for m in CATALOGUE}


def split(feature: str) -> tuple[str, str | None, str]:
    """(kind, group, value) of a feature key: the attribute path, modifier family or garment category
    a value competes within ('attribute:color.primary=black' → ('attribute', 'color.primary', 'black'))."""
    kind, _, rest = feature.partition(":")
    if kind == "attribute":
        path, _, value = rest.partition("=")
        return kind, path, value
    if kind == "route":
        route, _, category = rest.rpartition("|")
        return kind, category, route
    if kind == "modifier":
        family, sep, _ = rest.replace(".", ":", 1).partition(":")
        return kind, family if sep else None, rest
    return kind, None, rest


def label(feature: str) -> str:
    """A readable name: 'color.primary = black', 'openai:gpt-image-1 on dress', 'lighting: golden …'."""
    kind, group, value = split(feature)
    if kind == "attribute":
        return f"{group} = {value}"
    if kind == "route":
        return f"{value} on {group}"
    if kind == "modifier":
        return _modifier_texts().get(value, f"modifier {value}")
    return value


def success_row(stat: Any) -> dict[str, Any]:
    """One feature's counts and rates (works on ORM rows and on result rows with the same names)."""
    kind, group, value = split(stat.feature)
    return {
        "feature": stat.feature,
        "kind": kind,
        "label": label(stat.feature),
        "group": group,
        "value": value,
        "shown": stat.shown,
        "judged": stat.judged,
        "outliers": stat.outliers,
        "hearts": stat.hearts,
        "saves": stat.saves,
        "rejects": stat.rejects,
        "standoutRate": wilson(stat.outliers, stat.shown).to_dict(),
        "heartRate": wilson(stat.hearts, stat.shown).to_dict(),
        "rejectRate": wilson(stat.rejects, stat.shown).to_dict(),
        "standoutRateOfJudged": wilson(stat.outliers, stat.judged).to_dict(),
        "evidencePos": round(stat.pos, 4),
        "evidenceNeg": round(stat.neg, 4),
    }


def success_rows(s: Session, user_id: str, kinds: Sequence[str], min_shown: int) -> list[dict[str, Any]]:
    """Rows of the given kinds with at least `min_shown` kept images, best standout rate first per kind."""
    stats = s.execute(
        select(
            PreferenceStat.feature,
            PreferenceStat.shown,
            PreferenceStat.judged,
            PreferenceStat.outliers,
            PreferenceStat.hearts,
            PreferenceStat.saves,
            PreferenceStat.rejects,
            PreferenceStat.pos,
            PreferenceStat.neg,
        ).where(
            PreferenceStat.user_id == user_id,
            PreferenceStat.kind.in_(list(kinds)),
            PreferenceStat.shown >= min_shown,
        )
    ).all()
    rows = [success_row(stat) for stat in stats]
    order = {k: i for i, k in enumerate(KINDS)}
    rows.sort(
        key=lambda r: (
            order.get(r["kind"], 99),
            -(r["standoutRate"]["rate"] or 0.0),
            -r["shown"],
            r["feature"],
        )
    )
    return rows
