"""Outbox and inbox of the assistant service.

Revision ID: assistant_0001
"""

from services.kit.migration_ops import create_kit_tables_v1, drop_kit_tables_v1

revision = "assistant_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1("assistant")


def downgrade() -> None:
    drop_kit_tables_v1("assistant")
