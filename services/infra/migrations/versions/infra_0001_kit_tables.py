"""Outbox and inbox of the infra service.

Revision ID: infra_0001
"""

from services.kit.migration_ops import create_kit_tables_v1, drop_kit_tables_v1

revision = "infra_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1("infra")


def downgrade() -> None:
    drop_kit_tables_v1("infra")
