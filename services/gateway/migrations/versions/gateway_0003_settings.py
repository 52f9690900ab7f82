"""Platform settings: plain values and encrypted secrets.

Revision ID: gateway_0003
"""

import sqlalchemy as sa
from alembic import op

from services.kit.db import UtcDateTime

revision = "gateway_0003"
down_revision = "gateway_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_settings",
        sa.Column("group", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("last4", sa.String(length=8), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("group", "name", name=op.f("pk_gateway_settings")),
    )


def downgrade() -> None:
    op.drop_table("gateway_settings")
