"""Frozen migration steps shared by every service's first revision. Never edit a ``_v1``
function: add a ``_v2`` and a new revision instead."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_kit_tables_v1(prefix: str) -> None:
    op.create_table(
        f"{prefix}_outbox",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f(f"pk_{prefix}_outbox")),
        sa.UniqueConstraint("message_id", name=op.f(f"uq_{prefix}_outbox_message_id")),
    )
    op.create_table(
        f"{prefix}_inbox",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f(f"pk_{prefix}_inbox")),
    )
    op.create_index(op.f(f"ix_{prefix}_inbox_processed_at"), f"{prefix}_inbox", ["processed_at"])


def drop_kit_tables_v1(prefix: str) -> None:
    op.drop_index(op.f(f"ix_{prefix}_inbox_processed_at"), table_name=f"{prefix}_inbox")
    op.drop_table(f"{prefix}_inbox")
    op.drop_table(f"{prefix}_outbox")
