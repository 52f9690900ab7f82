"""Users, browser sessions, API tokens, login failures; audit columns on commands.

Revision ID: gateway_0002
"""

import sqlalchemy as sa
from alembic import op

from services.kit.db import UtcDateTime

revision = "gateway_0002"
down_revision = "gateway_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gateway_commands") as batch:
        batch.add_column(sa.Column("actor_role", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("target", sa.String(length=300), nullable=True))
        batch.create_index(batch.f("ix_gateway_commands_actor_id"), ["actor_id"])
        batch.create_index(batch.f("ix_gateway_commands_status"), ["status"])
    op.create_table(
        "gateway_users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_login_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_users")),
        sa.UniqueConstraint("username", name=op.f("uq_gateway_users_username")),
    )
    op.create_table(
        "gateway_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["gateway_users.id"],
            name=op.f("fk_gateway_sessions_user_id_gateway_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_gateway_sessions")),
    )
    op.create_index(op.f("ix_gateway_sessions_user_id"), "gateway_sessions", ["user_id"])
    op.create_table(
        "gateway_api_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["gateway_users.id"],
            name=op.f("fk_gateway_api_tokens_user_id_gateway_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_gateway_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_gateway_api_tokens_user_id"), "gateway_api_tokens", ["user_id"])
    op.create_table(
        "gateway_login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_login_failures")),
    )
    op.create_index(op.f("ix_gateway_login_failures_username"), "gateway_login_failures", ["username"])
    op.create_index(op.f("ix_gateway_login_failures_at"), "gateway_login_failures", ["at"])


def downgrade() -> None:
    op.drop_table("gateway_login_failures")
    op.drop_table("gateway_api_tokens")
    op.drop_table("gateway_sessions")
    op.drop_table("gateway_users")
    with op.batch_alter_table("gateway_commands") as batch:
        batch.drop_index(batch.f("ix_gateway_commands_status"))
        batch.drop_index(batch.f("ix_gateway_commands_actor_id"))
        batch.drop_column("target")
        batch.drop_column("actor_role")
