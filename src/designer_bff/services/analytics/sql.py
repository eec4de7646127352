"""Portable SQL pieces of the analytics queries: calendar buckets in UTC and JSON attribute reads.

Date truncation differs between SQLite (strings in UTC, `date()`/`strftime()`) and PostgreSQL
(`timestamptz`, `date_trunc`), so each bucket is a small SQL construct compiled per dialect; both give
the ISO date of the period's first day ('2026-11-16'), so grouping happens in the database and Python
only sees one row per period.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, case, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from designer_bff.db.tables import GenerationAsset

Period = Literal["day", "week", "month"]


class _PeriodStart(FunctionElement[str]):
    """ISO date (text) of the first day of the UTC day / ISO week (Monday) / month holding a timestamp."""

    type = String()
    inherit_cache = True


class DayStart(_PeriodStart):
    """The UTC day of a timestamp."""

    inherit_cache = True


class WeekStart(_PeriodStart):
    """The Monday of a timestamp's ISO week (UTC)."""

    inherit_cache = True


class MonthStart(_PeriodStart):
    """The first day of a timestamp's month (UTC)."""

    inherit_cache = True


_SQLITE = {
    DayStart: "date({})",
    # 'weekday 0' moves to the next Sunday (or stays on one); six days back is that week's Monday.
    WeekStart: "date({}, 'weekday 0', '-6 days')",
    MonthStart: "strftime('%Y-%m-01', {})",
}
_POSTGRES = {
    DayStart: "to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    WeekStart: "to_char(date_trunc('week', ({}) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    MonthStart: "to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM-01')",
}


def _argument(element: _PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses.clauses
    return str(compiler.process(column, **kw))


@compiles(_PeriodStart, "sqlite")
def _period_sqlite(element: _PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    return _SQLITE[type(element)].format(_argument(element, compiler, **kw))


@compiles(_PeriodStart, "postgresql")
def _period_postgres(element: _PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    return _POSTGRES[type(element)].format(_argument(element, compiler, **kw))


def period_start(column: Any, period: Period) -> ColumnElement[str]:
    """SQL: the period key ('YYYY-MM-DD' of the period's first day) of a timestamp column."""
    construct = {"day": DayStart, "week": WeekStart, "month": MonthStart}[period]
    return construct(column)


def period_key(moment: date, period: Period) -> date:
    """Python twin of `period_start`: the first day of the period holding `moment`."""
    if period == "day":
        return moment
    if period == "week":
        return moment - timedelta(days=moment.weekday())
    return moment.replace(day=1)


def period_keys(first: date, last: date, period: Period) -> list[str]:
    """Every period key from the one holding `first` to the one holding `last` (a dense axis)."""
    keys: list[str] = []
    current = period_key(first, period)
    while current <= last:
        keys.append(current.isoformat())
        if period == "day":
            current += timedelta(days=1)
        elif period == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return keys


def day_start(day: date) -> datetime:
    """00:00 UTC of a calendar day."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def spec_text(*path: str) -> ColumnElement[str]:
    """SQL: a text attribute of an asset's spec tree, e.g. spec_text('garment', 'type') (NULL if unset)."""
    expression: ColumnElement[str] = GenerationAsset.spec[path].as_string()
    return expression


def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SQL: how many rows of the group meet `condition` (portable COUNT … FILTER)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
