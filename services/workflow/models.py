"""Tables of the workflow service (all prefixed ``workflow_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.db import UtcDateTime, new_metadata
from services.kit.tables import add_kit_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


KIT = add_kit_tables(Base.metadata, "workflow")


class Run(Base):
    """One execution of a training workflow (the seed's job)."""

    __tablename__ = "workflow_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_type: Mapped[str] = mapped_column(String(100), index=True)
    model_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    step: Mapped[str | None] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The workflow_params with every default filled in."""
    job: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the trainer is given (model type, epochs, data, artifact location, seed, threads)."""
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dataset: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    artifact_uri: Mapped[str | None] = mapped_column(Text)
    runtime: Mapped[str] = mapped_column(String(20))
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """How the runtime finds the trainer again (local: pid, process start time, files)."""
    owner: Mapped[str | None] = mapped_column(String(200))
    """Instance watching the trainer."""
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """The owner renews this; another instance adopts the run once it passed."""
    events_read: Mapped[int] = mapped_column(Integer, default=0)
    """Bytes of the trainer's event file already turned into events (resume point after a restart)."""
    log_read: Mapped[int] = mapped_column(Integer, default=0)
    """Bytes of the log already published live."""
    model_id: Mapped[str | None] = mapped_column(String(64))
    deployment_id: Mapped[str | None] = mapped_column(String(64))
    pending_command: Mapped[str | None] = mapped_column(String(64), index=True)
    """Id of the command sent to another service that the current step waits on."""
    error_code: Mapped[str | None] = mapped_column(String(50))
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), index=True)
    created_role: Mapped[str] = mapped_column(String(20))
    correlation_id: Mapped[str] = mapped_column(String(64))
    cancelled_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Step(Base):
    """One step of a run's pipeline."""

    __tablename__ = "workflow_steps"

    run_id: Mapped[str] = mapped_column(ForeignKey("workflow_runs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Epoch(Base):
    """Metrics of one finished epoch."""

    __tablename__ = "workflow_epochs"

    run_id: Mapped[str] = mapped_column(ForeignKey("workflow_runs.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
