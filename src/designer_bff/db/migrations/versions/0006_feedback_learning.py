"""feedback judgements, one preference model, learning log

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 12:00:00.000000

The per-route (provider_quality) and per-modifier (modifier_quality) Beta posteriors move into
`preference_stats`, the one per-user table of the preference model; their evidence is carried over.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_PRIOR = 2.0  # Beta(2, 2): the old tables stored prior + evidence, the new one evidence only


def _user_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("generation_feedback") as batch_op:
        batch_op.add_column(sa.Column("strength", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("sentiment", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_generation_feedback_user_created", "generation_feedback", ["user_id", "created_at"])
    with op.batch_alter_table("generation_assets") as batch_op:
        batch_op.add_column(sa.Column("features", _JSON, nullable=True))
    op.create_index("ix_generation_assets_user_created", "generation_assets", ["user_id", "created_at"])
    op.create_table(
        "asset_judgements",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("generation_id", sa.String(length=32), nullable=False),
        sa.Column("judgement", sa.String(length=16), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("feedback_id", sa.String(length=32), nullable=False),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["generation_assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"], ondelete="CASCADE"),
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id", "asset_id"),
    )
    op.create_index("ix_asset_judgements_user_judged", "asset_judgements", ["user_id", "judged_at"])
    op.create_table(
        "preference_stats",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("feature", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pos", sa.Float(), nullable=False),
        sa.Column("neg", sa.Float(), nullable=False),
        sa.Column("ref_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.Column("judged", sa.Integer(), nullable=False),
        sa.Column("outliers", sa.Integer(), nullable=False),
        sa.Column("hearts", sa.Integer(), nullable=False),
        sa.Column("saves", sa.Integer(), nullable=False),
        sa.Column("rejects", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id", "feature"),
    )
    op.create_index("ix_preference_stats_user_kind", "preference_stats", ["user_id", "kind"])
    op.create_table(
        "learning_updates",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("feedback_id", sa.String(length=32), nullable=True),
        sa.Column("asset_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("feature", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reward", sa.Float(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("before_mean", sa.Float(), nullable=False),
        sa.Column("after_mean", sa.Float(), nullable=False),
        sa.Column("before_evidence", sa.Float(), nullable=False),
        sa.Column("after_evidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_learning_updates_user_created", "learning_updates", ["user_id", "created_at"])
    op.create_index("ix_learning_updates_feedback", "learning_updates", ["feedback_id"])
    _carry_over_posteriors()
    op.drop_table("provider_quality")
    op.drop_table("modifier_quality")


def _carry_over_posteriors() -> None:
    """Old Beta posteriors → evidence rows of the new table (feature keys as services/learning names them)."""
    bind = op.get_bind()
    now = sa.func.now()
    stats = sa.table(
        "preference_stats",
        *(sa.column(c) for c in ("user_id", "feature", "kind", "pos", "neg", "ref_at", "updated_at")),
        *(sa.column(c) for c in ("shown", "judged", "outliers", "hearts", "saves", "rejects")),
    )
    rows = []
    for user_id, provider, model, category, alpha, beta in bind.execute(
        sa.text("SELECT user_id, provider, model, category, alpha, beta FROM provider_quality")
    ):
        rows.append((user_id, f"route:{provider}:{model}|{category}", "route", alpha, beta))
    for user_id, modifier, alpha, beta in bind.execute(
        sa.text("SELECT user_id, modifier, alpha, beta FROM modifier_quality")
    ):
        rows.append((user_id, f"modifier:{modifier}", "modifier", alpha, beta))
    if rows:
        zero = dict.fromkeys(("shown", "judged", "outliers", "hearts", "saves", "rejects"), 0)
        bind.execute(
            stats.insert().values(ref_at=now, updated_at=now),
            [
                {
                    "user_id": u,
                    "feature": f,
                    "kind": k,
                    "pos": max(0.0, a - _PRIOR),
                    "neg": max(0.0, b - _PRIOR),
                    **zero,
                }
                for u, f, k, a, b in rows
            ],
        )


def downgrade() -> None:
    """Revert this revision (learned route and modifier evidence goes back into the old tables)."""
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
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id", "provider", "model", "category"),
    )
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
    bind = op.get_bind()
    for user_id, feature, pos, neg, judged in bind.execute(
        sa.text(
            "SELECT user_id, feature, pos, neg, judged FROM preference_stats"
            " WHERE kind IN ('route', 'modifier')"
        )
    ):
        kind, _, key = feature.partition(":")
        if kind == "route":
            route, _, category = key.rpartition("|")
            provider, _, model = route.partition(":")
            bind.execute(
                sa.text(
                    "INSERT INTO provider_quality VALUES (:u, :p, :m, :c, :a, :b, :n, CURRENT_TIMESTAMP)"
                ),
                {
                    "u": user_id,
                    "p": provider,
                    "m": model,
                    "c": category,
                    "a": pos + _PRIOR,
                    "b": neg + _PRIOR,
                    "n": judged,
                },
            )
        else:
            bind.execute(
                sa.text("INSERT INTO modifier_quality VALUES (:u, :m, :a, :b, :n, CURRENT_TIMESTAMP)"),
                {"u": user_id, "m": key, "a": pos + _PRIOR, "b": neg + _PRIOR, "n": judged},
            )
    op.drop_index("ix_learning_updates_feedback", table_name="learning_updates")
    op.drop_index("ix_learning_updates_user_created", table_name="learning_updates")
    op.drop_table("learning_updates")
    op.drop_index("ix_preference_stats_user_kind", table_name="preference_stats")
    op.drop_table("preference_stats")
    op.drop_index("ix_asset_judgements_user_judged", table_name="asset_judgements")
    op.drop_table("asset_judgements")
    op.drop_index("ix_generation_assets_user_created", table_name="generation_assets")
    with op.batch_alter_table("generation_assets") as batch_op:
        batch_op.drop_column("features")
    op.drop_index("ix_generation_feedback_user_created", table_name="generation_feedback")
    with op.batch_alter_table("generation_feedback") as batch_op:
        batch_op.drop_column("undone_at")
        batch_op.drop_column("sentiment")
        batch_op.drop_column("strength")
