"""The embedding column type: float32 bytes in Python, a pgvector `vector` in PostgreSQL where it is one.

Python always sees little-endian float32 bytes (`pipeline.embedding.to_blob`). Which SQL type the column
has is decided by migration 0003 (pgvector when the server offers the extension, else the blob it had),
so the type asks the database rather than guessing: `Database` inspects the column and records the
answer on the engine's dialect (`set_pgvector`), which `FeatureVector.load_dialect_impl` reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection, Dialect, Engine, LargeBinary, func, text
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

# Attribute set on the engine's dialect: True when generation_assets.embedding is a pgvector column.
PGVECTOR_FLAG = "designer_bff_pgvector"

# The SQL type name of generation_assets.embedding ('vector' or 'bytea'); no row before migration 0002.
EMBEDDING_UDT_SQL = (
    "SELECT udt_name FROM information_schema.columns WHERE table_schema = current_schema()"
    " AND table_name = 'generation_assets' AND column_name = 'embedding'"
)


def blob_to_text(blob: bytes) -> str | None:
    """float32 bytes as pgvector's text input '[1.5,-2,…]'; None for b"" (a vector needs a dimension)."""
    if len(blob) % 4:
        raise ValueError(f"an embedding blob holds float32 values; {len(blob)} bytes is not a multiple of 4")
    if not blob:
        return None
    values = np.frombuffer(blob, dtype="<f4")
    if not np.isfinite(values).all():
        raise ValueError("pgvector stores finite values only; this embedding has NaN or infinity")
    # repr of the float64 holding a float32 is within half a float64 ulp of it, so PostgreSQL's strtof
    # reads back exactly the stored float32.
    return "[" + ",".join(map(repr, values.astype(np.float64).tolist())) + "]"


def send_to_blob(data: bytes) -> bytes:
    """pgvector's binary form (`vector_send`: uint16 dim, uint16 unused, big-endian float4s) as our bytes."""
    dim = int.from_bytes(data[:2], "big")
    if len(data) != 4 + 4 * dim:
        raise ValueError(f"vector_send returned {len(data)} bytes for {dim} dimensions")
    return np.frombuffer(data, dtype=">f4", offset=4).astype("<f4").tobytes()


def uses_pgvector(dialect: Dialect) -> bool:
    """Whether the embedding column behind this dialect's engine is a pgvector column."""
    return dialect.name == "postgresql" and bool(getattr(dialect, PGVECTOR_FLAG, False))


def embedding_is_vector(connection: Connection) -> bool:
    """Whether generation_assets.embedding is a pgvector column in this database (False on SQLite)."""
    if connection.dialect.name != "postgresql":
        return False
    return connection.execute(text(EMBEDDING_UDT_SQL)).scalar() == "vector"


def set_pgvector(engine: Engine, enabled: bool) -> None:
    """Record the column's type on the engine's dialect; forget type choices made under the old answer."""
    if getattr(engine.dialect, PGVECTOR_FLAG, False) == enabled:
        return
    setattr(engine.dialect, PGVECTOR_FLAG, enabled)
    # Both caches hold what FeatureVector chose before (its dialect impl, SQL compiled with it).
    engine.dialect._type_memos.clear()
    engine.clear_compiled_cache()


class PgVectorBytes(UserDefinedType[bytes]):
    """A dimensionless pgvector `vector` that takes and returns float32 bytes."""

    cache_ok = True
    # Sends `%(p)s::vector`, so the text value is read as a vector in comparisons too, not only in INSERTs.
    render_bind_cast = True

    def get_col_spec(self, **kw: Any) -> str:
        """The SQL type name."""
        return "vector"

    def bind_processor(self, dialect: Dialect) -> Any:
        """bytes → vector text."""

        def process(value: bytes | None) -> str | None:
            return None if value is None else blob_to_text(value)

        return process

    def column_expression(self, colexpr: ColumnElement[Any]) -> ColumnElement[bytes]:
        """Select the binary form: exact float32 values, and no text parsing."""
        return func.vector_send(colexpr, type_=self)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """vector_send bytes → float32 bytes."""

        def process(value: bytes | None) -> bytes | None:
            return None if value is None else send_to_blob(bytes(value))

        return process


class FeatureVector(TypeDecorator[bytes]):
    """An embedding as float32 bytes: pgvector `vector` where the database column is one, else a blob."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """pgvector when the migrated column is a vector (see `set_pgvector`), else the blob."""
        if uses_pgvector(dialect):
            return dialect.type_descriptor(PgVectorBytes())
        return dialect.type_descriptor(LargeBinary())
