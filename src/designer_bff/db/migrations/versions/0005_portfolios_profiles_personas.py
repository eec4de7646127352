"""portfolios, style profiles, personas, prompt modifiers, prompt cache, commands

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from designer_bff.db.vector import embedding_is_vector

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _user_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("active_persona", sa.String(length=64), nullable=True))
    op.create_table(
        "portfolios",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portfolios_user_created", "portfolios", ["user_id", "created_at"])
    op.create_table(
        "portfolio_images",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("portfolio_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duplicate_of", sa.String(length=32), nullable=True),
        sa.Column("storage_key", sa.String(length=255), nullable=True),
        sa.Column("mime", sa.String(length=32), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.Column("phash", sa.String(length=16), nullable=True),
        sa.Column("analyser", sa.String(length=120), nullable=True),
        sa.Column("spec", _JSON, nullable=True),
        sa.Column("confidence", _JSON, nullable=True),
        sa.Column("analysis", _JSON, nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("embedding_model", sa.String(length=160), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolios.id"], ondelete="CASCADE"),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portfolio_images_portfolio", "portfolio_images", ["portfolio_id", "position"])
    op.create_index("ix_portfolio_images_user_phash", "portfolio_images", ["user_id", "phash"])
    bind = op.get_bind()
    if embedding_is_vector(bind):
        # Every embedding column shares one type per database (FeatureVector decides per dialect).
        bind.execute(text("ALTER TABLE portfolio_images ALTER COLUMN embedding TYPE vector USING NULL"))
    op.create_table(
        "style_profiles",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("profile", _JSON, nullable=False),
        sa.Column("state", _JSON, nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "personas",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", _JSON, nullable=False),
        sa.Column("style_preferences", _JSON, nullable=False),
        sa.Column("example_prompts", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name", name="uq_personas_user_name"),
    )
    op.create_index("ix_personas_user_id", "personas", ["user_id"])
    op.create_table(
        "modifier_quality",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("modifier", sa.String(length=64), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("beta", sa.Float(), nullable=False),
        sa.Column("updates", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id", "modifier"),
    )
    op.create_table(
        "prompt_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=160), nullable=False),
        sa.Column("family", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "commands",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", _JSON, nullable=False),
        sa.Column("generation_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"], ondelete="SET NULL"),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_commands_user_created", "commands", ["user_id", "created_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_commands_user_created", table_name="commands")
    op.drop_table("commands")
    op.drop_table("prompt_cache")
    op.drop_table("modifier_quality")
    op.drop_index("ix_personas_user_id", table_name="personas")
    op.drop_table("personas")
    op.drop_table("style_profiles")
    op.drop_index("ix_portfolio_images_user_phash", table_name="portfolio_images")
    op.drop_index("ix_portfolio_images_portfolio", table_name="portfolio_images")
    op.drop_table("portfolio_images")
    op.drop_index("ix_portfolios_user_created", table_name="portfolios")
    op.drop_table("portfolios")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("active_persona")
