"""pgvector embeddings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:00:00.000000

On PostgreSQL whose server offers the `vector` extension, generation_assets.embedding becomes a
dimensionless pgvector `vector` and existing float32 blobs are converted value for value. Everywhere
else (SQLite, PostgreSQL without pgvector, a role that may not create the extension) the column stays
the float32 blob: `designer_bff.db.vector.FeatureVector` reads whichever the database has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alembic import op
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from designer_bff.db.vector import blob_to_text, embedding_is_vector, send_to_blob

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

log = logging.getLogger("designer_bff.db.migrations")

# Rows are converted 500 at a time in id order (bounded memory on large tables) into `embedding_new`,
# which then replaces `embedding`.
_PAGE = " FROM generation_assets WHERE embedding IS NOT NULL AND id > :after ORDER BY id LIMIT 500"
_TO_VECTOR = (
    "ALTER TABLE generation_assets ADD COLUMN embedding_new vector",
    "SELECT id, embedding" + _PAGE,
    "UPDATE generation_assets SET embedding_new = CAST(:value AS vector) WHERE id = :id",
)
_TO_BLOB = (
    "ALTER TABLE generation_assets ADD COLUMN embedding_new bytea",
    "SELECT id, vector_send(embedding)" + _PAGE,
    "UPDATE generation_assets SET embedding_new = :value WHERE id = :id",
)


def upgrade() -> None:
    """Apply this revision."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or embedding_is_vector(bind) or not _vector_extension(bind):
        return
    try:
        # A savepoint, so a blob that cannot become a vector leaves the column exactly as it was.
        with bind.begin_nested():
            _swap_embedding(bind, _TO_VECTOR, blob_to_text)
    except ValueError as exc:
        log.warning("embeddings stay float32 blobs: %s", exc)


def downgrade() -> None:
    """Revert this revision."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and embedding_is_vector(bind):
        # The extension stays: other database objects may use it, and dropping it needs more rights.
        _swap_embedding(bind, _TO_BLOB, send_to_blob)


def _vector_extension(bind: Connection) -> bool:
    """Whether pgvector is installed in this database now, creating it when the server offers it."""
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first():
        return True
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first():
        log.info("the server has no pgvector: embeddings stay float32 blobs")
        return False
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    except DBAPIError as exc:
        # Typically a role without the right to create extensions: the blob column still works.
        log.warning("could not create the vector extension, embeddings stay float32 blobs: %s", exc.orig)
        return False
    return True


def _swap_embedding(
    bind: Connection, statements: tuple[str, str, str], convert: Callable[[bytes], str | bytes | None]
) -> None:
    """Replace the embedding column by a new one (add, read, write), converting each value in Python."""
    add, read, write = (text(sql) for sql in statements)
    bind.execute(add)
    after = ""
    while rows := bind.execute(read, {"after": after}).all():
        values = []
        for asset_id, value in rows:
            try:
                values.append({"id": asset_id, "value": convert(bytes(value))})
            except ValueError as exc:
                raise ValueError(f"asset {asset_id}: {exc}") from exc
        bind.execute(write, values)
        after = rows[-1][0]
    bind.execute(text("ALTER TABLE generation_assets DROP COLUMN embedding"))
    bind.execute(text("ALTER TABLE generation_assets RENAME COLUMN embedding_new TO embedding"))
