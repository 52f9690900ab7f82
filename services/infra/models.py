"""Tables of the infra service (all prefixed ``infra_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.db import UtcDateTime, new_metadata
from services.kit.tables import add_kit_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


KIT = add_kit_tables(Base.metadata, "infra")


class Deployment(Base):
    """A model version served by replicas: the desired state, and where it stands."""

    __tablename__ = "infra_deployments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64), index=True)
    """The version it serves, or is rolling to."""
    model_name: Mapped[str] = mapped_column(String(100), index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    model_type: Mapped[str] = mapped_column(String(100))
    artifact_uri: Mapped[str] = mapped_column(Text)
    rolling_from: Mapped[str | None] = mapped_column(String(64))
    """The version being replaced while a rollout runs."""
    namespace: Mapped[str] = mapped_column(String(63))
    runtime: Mapped[str] = mapped_column(String(20))
    replicas: Mapped[int] = mapped_column(Integer)
    resource_requests: Mapped[dict[str, Any]] = mapped_column(JSON)
    resource_limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    follow_production: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    start_failures: Mapped[int] = mapped_column(Integer, default=0)
    """Replicas of the served version that failed to start in a row."""
    run_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    correlation_id: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(200))
    """Instance that runs its replicas."""
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Replica(Base):
    """One inference process of a deployment."""

    __tablename__ = "infra_replicas"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("infra_deployments.id", ondelete="CASCADE"), index=True
    )
    model_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    """starting, ready, standby, draining, stopped or dead."""
    pid: Mapped[int | None] = mapped_column(Integer)
    create_time: Mapped[float | None] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(String(200))
    directory: Mapped[str] = mapped_column(Text)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    scraped: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Counter values at the last collection (to turn them into increments)."""
    drain_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When a draining or standby replica stops."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class HistoryRow(Base):
    """One change of a deployment, for its history and its model versions'."""

    __tablename__ = "infra_deployment_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("infra_deployments.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    model_id: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    replicas_desired: Mapped[int] = mapped_column(Integer)
    replicas_ready: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class MetricPoint(Base):
    """Requests, errors, latency histogram and drift of one deployment in one 10-second bucket."""

    __tablename__ = "infra_metric_points"

    deployment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Unix seconds at the start of the bucket."""
    requests: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    latency: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    """Cumulative latency histogram increments: upper bound in seconds (``le``) to requests."""
    drift_score: Mapped[float | None] = mapped_column(Float)
    avg_confidence: Mapped[float | None] = mapped_column(Float)
    drifted: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (Index("ix_infra_metric_points_bucket", "bucket"),)


class Alert(Base):
    """A drift or health alert and its lifecycle: open → acknowledged → resolved."""

    __tablename__ = "infra_alerts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    alert_type: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    deployment_id: Mapped[str | None] = mapped_column(String(64), index=True)
    model_name: Mapped[str | None] = mapped_column(String(100), index=True)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledge_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolve_note: Mapped[str | None] = mapped_column(Text)
