"""Settings of the infra service (``MLOPS_*``)."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import Field

from services.kit.settings import ServiceSettings


class InfraSettings(ServiceSettings):
    """What the infra service reads on top of every service's settings."""

    serve_python: str = Field(default=sys.executable, description="Python that runs `python -m ml.serve`.")
    deployments_dir: Path | None = Field(
        default=None, description="Replica files (logs, port files); MLOPS_HOME/deployments."
    )
    reconcile_interval_seconds: float = Field(
        default=0.5, gt=0, le=30, description="How often replicas are checked and started or stopped."
    )
    metrics_interval_seconds: float = Field(
        default=5.0, gt=0, le=300, description="How often replicas' /metrics are collected."
    )
    drift_interval_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="How often replicas check drift and infra reads it."
    )
    drain_seconds: float = Field(
        default=3.0, ge=0, le=300, description="A replaced replica keeps serving this long before it stops."
    )
    standby_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        description="After a rollout the previous version's replicas stay warm this long (out of the "
        "endpoints), so a rollback to it is instant; 0 stops them after the drain.",
    )
    startup_timeout_seconds: float = Field(
        default=120.0, gt=0, description="A replica not ready after this long is restarted."
    )
    max_start_failures: int = Field(
        default=3, ge=1, description="Replicas failing to start this many times in a row fail the deployment."
    )
    lease_seconds: float = Field(
        default=10.0, ge=1, description="A deployment whose owner was silent this long is adopted by another."
    )
    max_batch_size: int = Field(default=32, ge=1, le=4096, description="Adaptive batching: most instances.")
    max_batch_wait_ms: float = Field(
        default=2.0, ge=0, le=1000, description="Adaptive batching: longest wait."
    )
    drift_window: int = Field(default=10000, ge=100, description="Inputs kept for drift checks, per replica.")
    drift_min_window: int = Field(
        default=500, ge=1, description="Inputs needed before drift is judged (fewer give noisy PSI values)."
    )
    psi_threshold: float = Field(default=0.25, gt=0, description="A feature drifted at this PSI.")
    confidence_drop: float = Field(
        default=0.1, gt=0, le=1, description="Drift when mean confidence falls this far below training's."
    )
    metrics_retention_days: float = Field(default=14, gt=0, description="How long metric points are kept.")

    def deployments_path(self) -> Path:
        return (self.deployments_dir or self.home / "deployments").resolve()
