"""Settings of the workflow service (``MLOPS_*``)."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import Field

from services.kit.settings import ServiceSettings


class WorkflowSettings(ServiceSettings):
    """What the workflow service reads on top of every service's settings."""

    max_concurrent_runs: int = Field(
        default=1, ge=1, le=64, description="Trainers running at once on the local runtime; the rest queue."
    )
    cancel_grace_seconds: float = Field(
        default=3.0, ge=0, le=60, description="SIGTERM to SIGKILL delay when a run is cancelled."
    )
    watch_interval_seconds: float = Field(
        default=0.25, gt=0, le=10, description="How often a running trainer's output is read."
    )
    lease_seconds: float = Field(
        default=10.0, ge=1, description="A run whose watcher was silent this long is adopted by another."
    )
    trainer_python: str = Field(default=sys.executable, description="Python that runs `python -m ml.train`.")
    runs_dir: Path | None = Field(default=None, description="Run files (logs, events); MLOPS_HOME/runs.")

    def runs_path(self) -> Path:
        return (self.runs_dir or self.home / "runs").resolve()

    def artifacts_path(self) -> Path:
        return (self.home / "artifacts").resolve()
