"""Outbox and inbox of the registry service.

Revision ID: registry_0001
"""

from services.kit.migration_ops import create_kit_tables_v1, drop_kit_tables_v1

revision = "registry_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1("registry")


def downgrade() -> None:
    drop_kit_tables_v1("registry")
