"""Deployments, their replicas and history, metric points and alerts.

Revision ID: infra_0002
"""

import sqlalchemy as sa
from alembic import op

from services.kit.db import UtcDateTime

revision = "infra_0002"
down_revision = "infra_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "infra_deployments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("model_type", sa.String(length=100), nullable=False),
        sa.Column("artifact_uri", sa.Text(), nullable=False),
        sa.Column("rolling_from", sa.String(length=64), nullable=True),
        sa.Column("namespace", sa.String(length=63), nullable=False),
        sa.Column("runtime", sa.String(length=20), nullable=False),
        sa.Column("replicas", sa.Integer(), nullable=False),
        sa.Column("resource_requests", sa.JSON(), nullable=False),
        sa.Column("resource_limits", sa.JSON(), nullable=False),
        sa.Column("follow_production", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("start_failures", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infra_deployments")),
    )
    for column in ("model_id", "model_name", "status", "created_at"):
        op.create_index(op.f(f"ix_infra_deployments_{column}"), "infra_deployments", [column])
    op.create_table(
        "infra_replicas",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("create_time", sa.Float(), nullable=True),
        sa.Column("url", sa.String(length=200), nullable=True),
        sa.Column("directory", sa.Text(), nullable=False),
        sa.Column("restarts", sa.Integer(), nullable=False),
        sa.Column("scraped", sa.JSON(), nullable=False),
        sa.Column("drain_until", UtcDateTime(), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ready_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["infra_deployments.id"],
            name=op.f("fk_infra_replicas_deployment_id_infra_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infra_replicas")),
    )
    op.create_index(op.f("ix_infra_replicas_deployment_id"), "infra_replicas", ["deployment_id"])
    op.create_table(
        "infra_deployment_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("replicas_desired", sa.Integer(), nullable=False),
        sa.Column("replicas_ready", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["infra_deployments.id"],
            name=op.f("fk_infra_deployment_history_deployment_id_infra_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infra_deployment_history")),
    )
    for column in ("deployment_id", "model_id"):
        op.create_index(op.f(f"ix_infra_deployment_history_{column}"), "infra_deployment_history", [column])
    op.create_table(
        "infra_metric_points",
        sa.Column("deployment_id", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("latency", sa.JSON(), nullable=False),
        sa.Column("drift_score", sa.Float(), nullable=True),
        sa.Column("avg_confidence", sa.Float(), nullable=True),
        sa.Column("drifted", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("deployment_id", "bucket", name=op.f("pk_infra_metric_points")),
    )
    op.create_index("ix_infra_metric_points_bucket", "infra_metric_points", ["bucket"])
    op.create_table(
        "infra_alerts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("alert_type", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=True),
        sa.Column("model_name", sa.String(length=100), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("acknowledge_note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolve_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infra_alerts")),
    )
    for column in ("alert_type", "status", "deployment_id", "model_name", "raised_at"):
        op.create_index(op.f(f"ix_infra_alerts_{column}"), "infra_alerts", [column])


def downgrade() -> None:
    for table in (
        "infra_alerts",
        "infra_metric_points",
        "infra_deployment_history",
        "infra_replicas",
        "infra_deployments",
    ):
        op.drop_table(table)
