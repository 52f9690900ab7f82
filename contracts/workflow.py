"""Messages of the workflow service: training runs, their steps, progress, logs and outcome.

Every run event is keyed by ``job_id``: it travels on ``evt.workflow.run.<verb>.<job_id>``, so a
WebSocket client watches one run with the topic ``workflow.run.*.<job_id>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.catalog import MessageSpec
from contracts.envelope import Payload
from contracts.workflow_params import WorkflowParams

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
StepName = Literal["train", "evaluate", "register", "deploy"]
StepStatus = Literal["pending", "running", "succeeded", "failed", "skipped", "cancelled"]

RUN_EXECUTE = "workflow.run.execute.v1"
RUN_CANCEL = "workflow.run.cancel.v1"
RUN_QUEUED = "workflow.run.queued.v1"
RUN_STARTED = "workflow.run.started.v1"
RUN_PROGRESSED = "workflow.run.progressed.v1"
RUN_EPOCH_COMPLETED = "workflow.run.epoch_completed.v1"
RUN_STEP_CHANGED = "workflow.run.step_changed.v1"
RUN_LOGGED = "workflow.run.logged.v1"
RUN_SUCCEEDED = "workflow.run.succeeded.v1"
RUN_FAILED = "workflow.run.failed.v1"
RUN_CANCELLED = "workflow.run.cancelled.v1"
RUN_LIST = "workflow.run.list.v1"
RUN_GET = "workflow.run.get.v1"
RUN_LOGS = "workflow.run.logs.v1"

JobId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Id of the run.")


# Commands ------------------------------------------------------------------------------------


class ExecuteWorkflow(Payload):
    """Start a training workflow now."""

    workflow_params: WorkflowParams = Field(description="What to train, on which data, and what then.")


class CancelRun(Payload):
    """Stop a run: a queued run never starts, a running trainer's whole process group is killed."""

    job_id: str = JobId
    reason: str | None = Field(default=None, max_length=500, description="Why, for the run's history.")


# Events --------------------------------------------------------------------------------------


class RunQueued(Payload):
    """A run was accepted and waits for a free training slot."""

    job_id: str = JobId
    model_type: str = Field(description="Model type trained.")
    model_name: str = Field(description="Name the model registers under.")
    position: int = Field(description="Place in the queue: 1 starts next.")
    workflow_params: dict[str, Any] = Field(description="The parameters, defaults filled in.")


class RunStarted(Payload):
    """The trainer process (or job) started."""

    job_id: str = JobId
    runtime: str = Field(description="Runtime running the trainer: local or kubernetes.")
    handle: str = Field(description="The runtime's id of the trainer (local: process group id).")
    threads: int = Field(description="CPU threads the trainer may use.")
    memory_limit_bytes: int | None = Field(description="Memory limit enforced, if any.")


class RunProgressed(Payload):
    """Progress within training (at most about once a second)."""

    job_id: str = JobId
    epoch: int = Field(description="Current epoch, from 1.")
    epochs: int = Field(description="Epochs in all.")
    fraction: float = Field(description="Fraction of the whole training done, 0..1.")
    loss: float | None = Field(default=None, description="Running training loss.")


class RunEpochCompleted(Payload):
    """One epoch finished, with its metrics."""

    job_id: str = JobId
    epoch: int = Field(description="Epoch that finished, from 1.")
    epochs: int = Field(description="Epochs in all.")
    metrics: dict[str, float] = Field(description="loss, accuracy, val_loss, val_accuracy, ...")
    seconds: float = Field(description="Duration of the epoch.")


class RunStepChanged(Payload):
    """A pipeline step changed status."""

    job_id: str = JobId
    step: StepName = Field(description="Pipeline step.")
    status: StepStatus = Field(description="New status of the step.")
    detail: str | None = Field(default=None, description="What happened, for people.")


class RunLogged(Payload):
    """New lines of the run's log (the log file stays the record; this is the live tail)."""

    job_id: str = JobId
    offset: int = Field(description="Byte offset of this text in the log file.")
    text: str = Field(description="The new text (whole lines).")


class RunSucceeded(Payload):
    """Every step the run asked for succeeded."""

    job_id: str = JobId
    metrics: dict[str, float] = Field(description="Final metrics (test_accuracy, ...).")
    artifact_uri: str = Field(description="Where the trained model and its files are.")
    model_id: str | None = Field(default=None, description="Registered version, when registered.")
    deployment_id: str | None = Field(default=None, description="Deployment, when deployed.")
    seconds: float = Field(description="From start to end.")


class RunFailed(Payload):
    """The run stopped on an error."""

    job_id: str = JobId
    step: StepName = Field(description="Step that failed.")
    code: str = Field(description="Stable error code, e.g. data_error, trainer_lost, gate_failed.")
    reason: str = Field(description="What went wrong, for people.")


class RunCancelled(Payload):
    """The run was cancelled; nothing of it runs any more."""

    job_id: str = JobId
    step: StepName | None = Field(description="Step it was in; null when it was still queued.")
    cancelled_by: str = Field(description="Who cancelled it.")
    reason: str | None = Field(default=None, description="Why, if given.")


# Queries -------------------------------------------------------------------------------------


class ListRuns(Payload):
    """Runs, newest first."""

    status: list[RunStatus] | None = Field(default=None, description="Only these statuses.")
    model_type: str | None = Field(default=None, description="Only this model type.")
    created_by: str | None = Field(default=None, description="Only runs started by this user.")
    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    offset: int = Field(default=0, ge=0, description="Runs to skip.")


class GetRun(Payload):
    """One run in full."""

    job_id: str = JobId


class GetLogs(Payload):
    """Part of a run's log: from a byte offset, or its last lines."""

    job_id: str = JobId
    offset: int | None = Field(default=None, ge=0, description="Start at this byte; the tail when omitted.")
    limit: int = Field(default=65536, ge=1, le=1048576, description="Most bytes to return.")
    tail_lines: int = Field(default=200, ge=1, le=10000, description="Lines of the tail, without offset.")


class StepView(BaseModel):
    """One pipeline step."""

    model_config = ConfigDict(extra="ignore")

    name: StepName = Field(description="Step.")
    status: StepStatus = Field(description="Status.")
    started_at: datetime | None = Field(description="When it started.")
    ended_at: datetime | None = Field(description="When it ended.")
    detail: str | None = Field(description="What happened.")


class EpochView(BaseModel):
    """Metrics of one epoch."""

    model_config = ConfigDict(extra="ignore")

    epoch: int = Field(description="Epoch, from 1.")
    metrics: dict[str, float] = Field(description="Its metrics.")
    seconds: float = Field(description="Its duration.")


class RunSummary(BaseModel):
    """A run as listed (the seed's table columns and a few more)."""

    model_config = ConfigDict(extra="ignore")

    job_id: str = Field(description="Id of the run.")
    model_type: str = Field(description="Model type.")
    model_name: str = Field(description="Name the model registers under.")
    status: RunStatus = Field(description="queued, running, succeeded, failed or cancelled.")
    step: StepName | None = Field(description="Current (or last) step.")
    progress: float = Field(description="Training progress 0..1.")
    created_at: datetime = Field(description="When it was asked for.")
    start_time: datetime | None = Field(description="When training started.")
    end_time: datetime | None = Field(description="When it ended.")
    duration_seconds: float | None = Field(description="start to end (or now, while running).")
    created_by: str = Field(description="Who started it.")
    queue_position: int | None = Field(description="Place in the queue while queued.")
    metrics: dict[str, float] = Field(description="Final metrics, or the last epoch's while running.")
    error: str | None = Field(description="Why it failed, when it did.")


class RunDetail(RunSummary):
    """A run in full."""

    workflow_params: dict[str, Any] = Field(description="The parameters, defaults filled in.")
    steps: list[StepView] = Field(description="Pipeline steps in order.")
    epochs: list[EpochView] = Field(description="Per-epoch metrics.")
    artifact_uri: str | None = Field(description="Where the trained model is.")
    dataset: dict[str, Any] | None = Field(description="Fingerprint of the data trained on.")
    model_id: str | None = Field(description="Registered version, when registered.")
    deployment_id: str | None = Field(description="Deployment, when deployed.")
    runtime: str = Field(description="local or kubernetes.")
    error_code: str | None = Field(description="Stable code of the failure.")
    cancelled_by: str | None = Field(description="Who cancelled it.")
    cancel_reason: str | None = Field(description="Why it was cancelled, if they said.")


class RunPage(BaseModel):
    """A page of runs."""

    model_config = ConfigDict(extra="ignore")

    items: list[RunSummary] = Field(description="Runs, newest first.")
    total: int = Field(description="Runs matching the filter.")


class LogChunk(BaseModel):
    """Part of a log file."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(description="The text (whole lines where possible).")
    offset: int = Field(description="Byte offset of ``text``.")
    next_offset: int = Field(description="Offset to ask for next.")
    size: int = Field(description="Size of the log file now.")
    complete: bool = Field(description="Whether the run ended, so the log will not grow.")


WORKFLOW_MESSAGES = [
    MessageSpec(
        "cmd", RUN_EXECUTE, ExecuteWorkflow, "Start a training workflow now (the seed's execute_workflow)."
    ),
    MessageSpec("cmd", RUN_CANCEL, CancelRun, "Cancel a queued or running workflow run."),
    MessageSpec("evt", RUN_QUEUED, RunQueued, "A run was accepted and queued.", key="job_id"),
    MessageSpec("evt", RUN_STARTED, RunStarted, "A run's trainer started.", key="job_id"),
    MessageSpec("evt", RUN_PROGRESSED, RunProgressed, "Training progress.", key="job_id"),
    MessageSpec("evt", RUN_EPOCH_COMPLETED, RunEpochCompleted, "An epoch finished.", key="job_id"),
    MessageSpec("evt", RUN_STEP_CHANGED, RunStepChanged, "A pipeline step changed status.", key="job_id"),
    MessageSpec("evt", RUN_LOGGED, RunLogged, "New lines of a run's log.", key="job_id"),
    MessageSpec("evt", RUN_SUCCEEDED, RunSucceeded, "A run succeeded.", key="job_id"),
    MessageSpec("evt", RUN_FAILED, RunFailed, "A run failed.", key="job_id"),
    MessageSpec("evt", RUN_CANCELLED, RunCancelled, "A run was cancelled.", key="job_id"),
    MessageSpec("qry", RUN_LIST, ListRuns, "Runs, filtered and paginated.", reply=RunPage, role="viewer"),
    MessageSpec("qry", RUN_GET, GetRun, "One run in full.", reply=RunDetail, role="viewer"),
    MessageSpec("qry", RUN_LOGS, GetLogs, "Part of a run's log.", reply=LogChunk, role="viewer"),
]
