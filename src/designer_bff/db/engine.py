"""Engine, sessions (unit of work) and migrations for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from designer_bff.db.vector import EMBEDDING_UDT_SQL, embedding_is_vector, set_pgvector, uses_pgvector

if TYPE_CHECKING:
    from alembic.config import Config


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while a job writes; busy_timeout waits for the writer instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _alembic_config(connection: Connection) -> Config:
    """Alembic settings that run our migrations on `connection` (see migrations/env.py)."""
    from alembic.config import Config

    config = Config()
    location = resources.files("designer_bff.db").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    return config


class Database:
    """Owns the engine and hands out unit-of-work sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if self.engine.dialect.name == "postgresql":
            # The embedding column's SQL type (pgvector or blob) is read on the first connection, so a
            # process that never migrates still binds embeddings right; migrations read it again.
            event.listen(self.engine, "first_connect", self._detect_vector_column)

    @property
    def uses_pgvector(self) -> bool:
        """Whether embeddings live in a pgvector `vector` column (known once a connection was made)."""
        return uses_pgvector(self.engine.dialect)

    def _detect_vector_column(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(EMBEDDING_UDT_SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
            dbapi_connection.rollback()  # hand the pooled connection back without an open transaction
        set_pgvector(self.engine, bool(row) and row[0] == "vector")

    def _refresh_vector_column(self) -> None:
        with self.engine.connect() as connection:
            set_pgvector(self.engine, embedding_is_vector(connection))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block succeeds, rolls back when it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self, revision: str = "head") -> str:
        """Bring the schema up to `revision` (default: the newest); returns the revision reached."""
        from alembic import command

        with self.engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
        self._refresh_vector_column()
        return self.current_revision() or ""

    def downgrade(self, revision: str) -> str:
        """Take the schema back down to `revision`; returns the revision reached."""
        from alembic import command

        with self.engine.begin() as connection:
            command.downgrade(_alembic_config(connection), revision)
        self._refresh_vector_column()
        return self.current_revision() or ""

    def current_revision(self) -> str | None:
        """The schema revision stored in the database, or None before the first migration."""
        with self.engine.connect() as connection:
            try:
                row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
            except Exception:
                return None
        return str(row[0]) if row else None

    def check(self) -> None:
        """Health probe: one round trip to the database."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
