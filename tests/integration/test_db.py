"""Schema and repositories on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from designer_bff.config import Settings
from designer_bff.container import Container
from designer_bff.db.repositories import Assets, Feedback, Generations, Users
from designer_bff.db.tables import Generation, GenerationAsset, GenerationFeedback
from designer_bff.errors import Conflict, NotFound

MIGRATIONS = Path(__file__).parents[2] / "src/designer_bff/db/migrations/versions"


def _asset(generation: Generation, slot: int) -> GenerationAsset:
    return GenerationAsset(
        id=f"{generation.id[:24]}{slot:08d}",
        generation_id=generation.id,
        user_id=generation.user_id,
        slot=slot,
        storage_key="k",
        thumbnail_key="t",
        width=1,
        height=1,
        bytes=1,
        mime="image/png",
        provider="p",
        model="m",
        seed=1,
        spec={"garment": {"type": "dress"}},
        prompt="p",
    )


def test_schema_migrates_idempotently(database_url: str, make_settings: Callable[..., Settings]) -> None:
    container = Container(make_settings(database_url=database_url))
    head = container.db.migrate()
    assert head == sorted(p.stem.split("_")[0] for p in MIGRATIONS.glob("0*.py"))[-1]
    assert container.db.migrate() == head  # second start is a no-op
    tables = set(inspect(container.db.engine).get_table_names())
    assert {"users", "api_keys", "generations", "generation_assets", "generation_feedback"} <= tables
    container.close()


def test_repositories_scope_by_owner_and_cascade(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    container = Container(make_settings(database_url=database_url))
    container.db.migrate()
    db = container.db
    with db.session() as s:
        ana = Users(s).add("ana@example.com", "h")
        ben = Users(s).add("ben@example.com", "h")
        g = Generations(s).add(
            Generation(
                user_id=ana.id,
                mode="prompt",
                requested_count=2,
                request={"prompt": "dress"},
                pipeline_data={"stages": {"q": {"ms": 1.5}}},
            )
        )
        Assets(s).add(_asset(g, 0))
        Feedback(s).add(GenerationFeedback(generation_id=g.id, user_id=ana.id, type="heart"))
    with db.session() as s, pytest.raises(Conflict):
        Users(s).add("ANA@example.com", "h")
    with db.session() as s:
        assert Generations(s).get(g.id, user_id=ana.id).pipeline_data == {"stages": {"q": {"ms": 1.5}}}
        with pytest.raises(NotFound):
            Generations(s).get(g.id, user_id=ben.id)
        with pytest.raises(NotFound):
            Assets(s).get(_asset(g, 0).id, user_id=ben.id)
        rows, total = Generations(s).list(ben.id, status=None, since=None, until=None, limit=10, offset=0)
        assert (list(rows), total) == ([], 0)
    duplicate = _asset(g, 0)
    duplicate.id = "f" * 32
    with pytest.raises(IntegrityError), db.session() as s:  # one row per slot: re-runs cannot duplicate
        Assets(s).add(duplicate)
    with db.session() as s:
        Generations(s).delete(Generations(s).get(g.id, user_id=ana.id))
    with db.session() as s:
        assert Assets(s).for_generation(g.id) == []
        assert Feedback(s).for_generation(g.id) == []
    container.close()


def test_migrations_build_exactly_the_mapped_schema(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from designer_bff.db.tables import Base

    container = Container(make_settings(database_url=database_url))
    container.db.migrate()
    with container.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []
