"""selection and coverage

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:46:35.183311
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "coverage_settings",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "coverage_gaps",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("attribute", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("boost", sa.Float(), nullable=False),
        sa.Column("gap_points", sa.Float(), nullable=False),
        sa.Column(
            "values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("opened_generation_id", sa.String(length=32), nullable=True),
        sa.Column("closed_generation_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["closed_generation_id"], ["generations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["opened_generation_id"], ["generations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("coverage_gaps", schema=None) as batch_op:
        batch_op.create_index("ix_coverage_gaps_user_status", ["user_id", "status"], unique=False)

    op.create_table(
        "coverage_reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("generation_id", sa.String(length=32), nullable=False),
        sa.Column("overall", sa.Float(), nullable=False),
        sa.Column(
            "report",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("generation_id"),
    )
    with op.batch_alter_table("coverage_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_reports_user_id"), ["user_id"], unique=False)

    op.create_table(
        "generation_clusters",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("generation_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "dominant",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "central_asset_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("generation_id", "label", name="uq_generation_clusters_label"),
    )
    with op.batch_alter_table("generation_clusters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_generation_clusters_generation_id"), ["generation_id"], unique=False
        )

    with op.batch_alter_table("generation_assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("selected", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("verdict", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("validation_score", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "validation",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("embedding", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("embedding_model", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("cluster", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pick_rank", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pick_gain", sa.Float(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("generation_assets", schema=None) as batch_op:
        batch_op.drop_column("pick_gain")
        batch_op.drop_column("pick_rank")
        batch_op.drop_column("cluster")
        batch_op.drop_column("embedding_model")
        batch_op.drop_column("embedding")
        batch_op.drop_column("validation")
        batch_op.drop_column("validation_score")
        batch_op.drop_column("verdict")
        batch_op.drop_column("selected")

    with op.batch_alter_table("generation_clusters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_generation_clusters_generation_id"))

    op.drop_table("generation_clusters")
    with op.batch_alter_table("coverage_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_reports_user_id"))

    op.drop_table("coverage_reports")
    with op.batch_alter_table("coverage_gaps", schema=None) as batch_op:
        batch_op.drop_index("ix_coverage_gaps_user_status")

    op.drop_table("coverage_gaps")
    op.drop_table("coverage_settings")
