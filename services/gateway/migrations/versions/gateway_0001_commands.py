"""Outbox, inbox and issued commands of the gateway.

Revision ID: gateway_0001
"""

import sqlalchemy as sa
from alembic import op

from services.kit.migration_ops import create_kit_tables_v1, drop_kit_tables_v1

revision = "gateway_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1("gateway")
    op.create_table(
        "gateway_commands",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=50), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_commands")),
    )
    op.create_index(op.f("ix_gateway_commands_correlation_id"), "gateway_commands", ["correlation_id"])
    op.create_index(op.f("ix_gateway_commands_created_at"), "gateway_commands", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_gateway_commands_created_at"), table_name="gateway_commands")
    op.drop_index(op.f("ix_gateway_commands_correlation_id"), table_name="gateway_commands")
    op.drop_table("gateway_commands")
    drop_kit_tables_v1("gateway")
