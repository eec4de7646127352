"""Alembic environment: runs on the connection the studio hands over (`Database.migrate`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from designer_bff.db.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the studio always passes its connection
    raise RuntimeError("run migrations through `designer-bff migrate`")

if connection.dialect.name == "postgresql":
    # Several API/worker processes may start together; only one migrates at a time.
    connection.execute(text("SELECT pg_advisory_xact_lock(727274)"))

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
