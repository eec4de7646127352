"""providers, routing and costs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 23:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("monthly_budget_usd", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("request_max_usd", sa.Float(), nullable=True))
    op.create_table(
        "provider_calls",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("generation_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("vendor_ref", sa.String(length=255), nullable=True),
        sa.Column("error_kind", sa.String(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("cost_basis", sa.String(length=64), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("storage_key", sa.String(length=255), nullable=True),
        sa.Column("mime", sa.String(length=32), nullable=True),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("fallback_from", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_provider_calls_generation_id", "provider_calls", ["generation_id"])
    op.create_index("ix_provider_calls_user_created", "provider_calls", ["user_id", "created_at"])
    op.create_index("ix_provider_calls_route_created", "provider_calls", ["provider", "model", "created_at"])
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("generation_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=32), nullable=False),
        sa.Column("chosen", sa.String(length=200), nullable=False),
        sa.Column("fallbacks", _JSON, nullable=False),
        sa.Column("candidates", _JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_routing_decisions_generation_id", "routing_decisions", ["generation_id"])
    op.create_index("ix_routing_decisions_user_created", "routing_decisions", ["user_id", "created_at"])
    op.create_table(
        "provider_quality",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("beta", sa.Float(), nullable=False),
        sa.Column("updates", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "provider", "model", "category"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("provider_quality")
    op.drop_index("ix_routing_decisions_user_created", table_name="routing_decisions")
    op.drop_index("ix_routing_decisions_generation_id", table_name="routing_decisions")
    op.drop_table("routing_decisions")
    op.drop_index("ix_provider_calls_route_created", table_name="provider_calls")
    op.drop_index("ix_provider_calls_user_created", table_name="provider_calls")
    op.drop_index("ix_provider_calls_generation_id", table_name="provider_calls")
    op.drop_table("provider_calls")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("request_max_usd")
        batch_op.drop_column("monthly_budget_usd")
