"""Embeddings in a pgvector column where the server has the extension, float32 blobs everywhere else."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest.mock import ANY

import numpy as np
import psycopg
import pytest
from sqlalchemy import inspect, select, text

from designer_bff.api.routes.health import health
from designer_bff.config import Settings
from designer_bff.container import Container
from designer_bff.db.engine import Database
from designer_bff.db.repositories import Assets, Generations, Users
from designer_bff.db.tables import Generation, GenerationAsset
from designer_bff.pipeline.embedding import stack_blobs, to_blob


def _fresh_database(server_url: str, owner: str = "postgres") -> str:
    """A new empty database on the server at `server_url` (postgresql+psycopg://…/postgres?host=…)."""
    name = f"dbff_vec_{uuid.uuid4().hex[:10]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    return server_url.replace("/postgres?", f"/{name}?", 1)


@pytest.fixture
def vector_db(pgvector_url: str) -> Iterator[Database]:
    """A Database on a fresh, unmigrated database of the pgvector server."""
    db = Database(_fresh_database(pgvector_url))
    yield db
    db.dispose()


def _embedding_udt(db: Database) -> str:
    with db.engine.connect() as conn:
        return str(
            conn.execute(
                text(
                    "SELECT udt_name FROM information_schema.columns"
                    " WHERE table_name = 'generation_assets' AND column_name = 'embedding'"
                )
            ).scalar()
        )


def _vectors(seed: int = 7) -> list[bytes]:
    """Unit vectors as the pipeline stores them, plus float32 edge values that must survive exactly."""
    rng = np.random.default_rng(seed)
    unit = rng.normal(size=(3, 64)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    edges = np.array([0.1, -0.0, 1e-30, 3.4e38, -1.17549435e-38, 1 / 3, 16777217.0], dtype=np.float32)
    random_bits = rng.integers(0, 2**32, size=512, dtype=np.uint64).astype(np.uint32).view(np.float32)
    finite_bits = random_bits[np.isfinite(random_bits)]
    return [to_blob(v) for v in unit] + [to_blob(edges), to_blob(finite_bits)]


def _store(
    db: Database, blobs: list[bytes | None], user_id: str | None = None, model: str = "test-space"
) -> tuple[str, list[str]]:
    """One generation with one asset per blob (of a new user by default), through the repositories."""
    with db.session() as s:
        user_id = user_id or Users(s).add(f"{uuid.uuid4().hex[:8]}@example.com", "h").id
        generation = Generations(s).add(
            Generation(user_id=user_id, mode="prompt", requested_count=len(blobs))
        )
        ids = []
        for slot, blob in enumerate(blobs):
            asset = GenerationAsset(
                id=uuid.uuid4().hex,
                generation_id=generation.id,
                user_id=user_id,
                slot=slot,
                storage_key="k",
                thumbnail_key="t",
                width=1,
                height=1,
                bytes=1,
                mime="image/png",
                provider="p",
                model="m",
                prompt="p",
                embedding=blob,
                embedding_model=model,
            )
            ids.append(Assets(s).add(asset).id)
    return user_id, ids


def _assert_round_trip(db: Database) -> None:
    blobs: list[bytes | None] = [*_vectors(), None]
    user_id, ids = _store(db, blobs)
    with db.session() as s:
        assert [Assets(s).get(i, user_id=user_id).embedding for i in ids] == blobs
    replacement = to_blob(np.arange(1, 9, dtype=np.float32) / 10)
    with db.session() as s:  # the UPDATE path binds through the same type
        Assets(s).get(ids[0], user_id=user_id).embedding = replacement
    with db.session() as s:
        stored = [Assets(s).get(i, user_id=user_id).embedding for i in ids[:3]]
    assert stored[0] == replacement
    assert stack_blobs([b for b in stored[1:] if b]).shape == (2, 64)


def _v(*values: float) -> bytes:
    return to_blob(np.array(values, dtype=np.float32))


def _assert_nearest(db: Database) -> None:
    """`Assets.nearest` ranks by cosine distance within one user's feature space of one dimension."""
    user_id, ids = _store(
        db, [_v(0, 0, 1), _v(1, 0, 0), _v(-1, 0, 0), _v(0.6, 0.8, 0), _v(0, 0, 0), _v(1, 0), None]
    )
    _store(db, [_v(1, 0, 0)], user_id=user_id, model="other-space")
    _store(db, [_v(1, 0, 0)])  # another user's
    with db.session() as s:
        found = Assets(s).nearest(user_id, _v(2, 0, 0), "test-space", limit=3)
        assert [a.id for a, _ in found] == [ids[1], ids[3], ids[0]]
        assert [d for _, d in found] == pytest.approx([0.0, 0.4, 1.0], abs=1e-6)
        everything = Assets(s).nearest(user_id, _v(2, 0, 0), "test-space", limit=10)
        assert [a.id for a, _ in everything] == [ids[1], ids[3], ids[0], ids[2]]  # no zero, 2-d or None
        assert Assets(s).nearest(user_id, _v(0, 0, 0), "test-space") == []


def test_fresh_database_on_a_pgvector_server_gets_a_vector_column(vector_db: Database) -> None:
    vector_db.migrate()
    assert _embedding_udt(vector_db) == "vector"
    assert vector_db.uses_pgvector
    _assert_round_trip(vector_db)
    _assert_nearest(vector_db)

    # Another process (no migrate call) learns the column type on its first connection.
    other = Database(vector_db.url)
    assert not other.uses_pgvector
    _assert_round_trip(other)
    assert other.uses_pgvector
    other.dispose()


def _raw_insert(db: Database, blobs: list[bytes | None]) -> list[str]:
    """Rows written at revision 0002 with plain SQL (today's ORM mapping may have newer columns)."""
    user_id, generation_id = uuid.uuid4().hex, uuid.uuid4().hex
    ids = [f"{i:02d}{uuid.uuid4().hex[:30]}" for i in range(len(blobs))]
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (id, email, password_hash, created_at) VALUES (:id, :e, 'h', now())"),
            {"id": user_id, "e": f"{user_id[:8]}@example.com"},
        )
        conn.execute(
            text(
                "INSERT INTO generations (id, user_id, status, mode, request, settings, pipeline_data,"
                " requested_count, cost_usd, attempts, created_at, updated_at)"
                " VALUES (:id, :u, 'completed', 'prompt', '{}', '{}', '{}', 1, 0, 0, now(), now())"
            ),
            {"id": generation_id, "u": user_id},
        )
        conn.execute(
            text(
                "INSERT INTO generation_assets (id, generation_id, user_id, slot, storage_key, thumbnail_key,"
                " width, height, bytes, mime, provider, model, spec, prompt, cost_usd, created_at, embedding)"
                " VALUES (:id, :g, :u, :slot, 'k', 't', 1, 1, 1, 'image/png', 'p', 'm', '{}', 'p', 0, now(),"
                " :embedding)"
            ),
            [
                {"id": i, "g": generation_id, "u": user_id, "slot": n, "embedding": b}
                for n, (i, b) in enumerate(zip(ids, blobs, strict=True))
            ],
        )
    return ids


_SELECT_STORED = text("SELECT id, embedding FROM generation_assets WHERE id = ANY(:ids)")
_SELECT_SENT = text("SELECT id, vector_send(embedding) FROM generation_assets WHERE id = ANY(:ids)")


def _raw_embeddings(db: Database, ids: list[str], *, vector_send: bool = False) -> list[bytes | None]:
    """The stored bytes of each asset, bypassing the ORM (pgvector's binary form with `vector_send`)."""
    sql = _SELECT_SENT if vector_send else _SELECT_STORED
    with db.engine.connect() as conn:
        rows: dict[str, bytes | None] = {i: value for i, value in conn.execute(sql, {"ids": ids})}
    return [None if (value := rows[i]) is None else bytes(value) for i in ids]


def test_upgrade_converts_stored_blobs_and_downgrade_restores_them(vector_db: Database) -> None:
    assert vector_db.migrate("0002") == "0002"
    assert _embedding_udt(vector_db) == "bytea"
    blobs: list[bytes | None] = [*_vectors(seed=11), None, b""]
    ids = _raw_insert(vector_db, blobs)

    assert vector_db.migrate("0003") == "0003"
    assert _embedding_udt(vector_db) == "vector" and vector_db.uses_pgvector
    # A vector needs a dimension: the empty blob (which no embedder writes) becomes NULL.
    expected = [*blobs[:-1], None]
    with vector_db.session() as s:
        # Only this column: later revisions add columns the ORM model already knows about.
        column = select(GenerationAsset.embedding)
        assert [s.scalar(column.where(GenerationAsset.id == i)) for i in ids] == expected
    big_endian = _raw_embeddings(vector_db, ids, vector_send=True)
    assert [b and np.frombuffer(b, ">f4", offset=4).astype("<f4").tobytes() for b in big_endian] == expected

    assert vector_db.downgrade("0002") == "0002"
    assert _embedding_udt(vector_db) == "bytea" and not vector_db.uses_pgvector
    assert _raw_embeddings(vector_db, ids) == expected


def test_unconvertible_blob_keeps_the_blob_column(
    vector_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    vector_db.migrate("0002")
    good = _vectors()[0]
    ids = _raw_insert(vector_db, [good, b"\x00" * 5])
    with caplog.at_level(logging.WARNING, logger="designer_bff.db.migrations"):
        vector_db.migrate("0003")
    assert f"asset {ids[1]}" in caplog.text
    assert _embedding_udt(vector_db) == "bytea" and not vector_db.uses_pgvector
    assert _raw_embeddings(vector_db, ids) == [good, b"\x00" * 5]


def test_role_that_cannot_create_the_extension_keeps_the_blob(pgvector_url: str) -> None:
    role = f"app_{uuid.uuid4().hex[:8]}"
    plain = pgvector_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')  # not a superuser: pgvector is not a trusted extension
    url = _fresh_database(pgvector_url, owner=role).replace("postgres:@", f"{role}:@", 1)
    db = Database(url)
    db.migrate()
    assert _embedding_udt(db) == "bytea" and not db.uses_pgvector
    _assert_round_trip(db)
    db.dispose()


def test_postgres_without_pgvector_keeps_the_blob(postgres_url: str) -> None:
    db = Database(postgres_url)
    db.migrate()
    with db.engine.connect() as conn:
        available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first()
    if available:
        pytest.skip("this PostgreSQL offers pgvector; the fallback needs one without it")
    assert _embedding_udt(db) == "bytea" and not db.uses_pgvector
    _assert_round_trip(db)
    _assert_nearest(db)
    db.dispose()


def test_sqlite_keeps_the_blob(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    db.migrate()
    column = next(c for c in inspect(db.engine).get_columns("generation_assets") if c["name"] == "embedding")
    assert str(column["type"]) == "BLOB" and not db.uses_pgvector
    _assert_round_trip(db)
    _assert_nearest(db)
    db.dispose()


def test_health_names_the_vector_storage(vector_db: Database, make_settings: Callable[..., Settings]) -> None:
    container = Container(make_settings(database_url=vector_db.url))
    container.db.migrate()
    body = json.loads(bytes(health(container).body))
    assert body["checks"]["database"] == {"status": "ok", "ms": ANY, "vectors": "pgvector"}
    container.close()
