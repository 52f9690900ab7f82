"""Registered models, their versions, aliases and the versions' timelines.

Revision ID: registry_0002
"""

import sqlalchemy as sa
from alembic import op

from services.kit.db import UtcDateTime

revision = "registry_0002"
down_revision = "registry_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_models",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("model_type", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_models")),
        sa.UniqueConstraint("name", name=op.f("uq_registry_models_name")),
    )
    op.create_index(op.f("ix_registry_models_model_type"), "registry_models", ["model_type"])
    op.create_table(
        "registry_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("registered_model_id", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("model_type", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("artifact_uri", sa.Text(), nullable=False),
        sa.Column("input_signature", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("metric_history", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("dataset", sa.JSON(), nullable=False),
        sa.Column("dataset_fingerprint", sa.String(length=128), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registered_model_id"],
            ["registry_models.id"],
            name=op.f("fk_registry_versions_registered_model_id_registry_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_versions")),
        sa.UniqueConstraint(
            "registered_model_id", "version", name=op.f("uq_registry_versions_registered_model_id")
        ),
        sa.UniqueConstraint("run_id", name=op.f("uq_registry_versions_run_id")),
    )
    for column in ("status", "model_type", "dataset_fingerprint", "created_at"):
        op.create_index(op.f(f"ix_registry_versions_{column}"), "registry_versions", [column])
    op.create_index(
        "ix_registry_versions_model_name_created_at", "registry_versions", ["model_name", "created_at"]
    )
    op.create_index(
        "uq_registry_versions_one_production",
        "registry_versions",
        ["registered_model_id"],
        unique=True,
        postgresql_where=sa.text("status = 'production'"),
        sqlite_where=sa.text("status = 'production'"),
    )
    op.create_table(
        "registry_aliases",
        sa.Column("registered_model_id", sa.String(length=64), nullable=False),
        sa.Column("alias", sa.String(length=63), nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registered_model_id"],
            ["registry_models.id"],
            name=op.f("fk_registry_aliases_registered_model_id_registry_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["registry_versions.id"],
            name=op.f("fk_registry_aliases_version_id_registry_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("registered_model_id", "alias", name=op.f("pk_registry_aliases")),
    )
    op.create_index(op.f("ix_registry_aliases_version_id"), "registry_aliases", ["version_id"])
    op.create_table(
        "registry_version_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["registry_versions.id"],
            name=op.f("fk_registry_version_changes_version_id_registry_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_version_changes")),
    )
    op.create_index(
        op.f("ix_registry_version_changes_version_id"), "registry_version_changes", ["version_id"]
    )


def downgrade() -> None:
    op.drop_table("registry_version_changes")
    op.drop_table("registry_aliases")
    op.drop_table("registry_versions")
    op.drop_table("registry_models")
