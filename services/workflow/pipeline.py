"""The rules of a run: accept, queue, cancel, and the steps after training.

train → evaluate (the optional quality gate) → register (a command to the registry) → deploy (a
command to infra, when asked). Each transition is persisted with its event in one unit of work;
the answer of another service arrives as its command's outcome event and moves the run on.
"""

from __future__ import annotations

import logging
from typing import Any

from contracts.envelope import Actor, Envelope, new_id, utcnow
from contracts.infra import DEPLOYMENT_CREATE, CreateDeployment
from contracts.messages import spec
from contracts.registry import MODEL_REGISTER, RegisterModelVersion
from contracts.system import CommandRejected, CommandSucceeded
from contracts.workflow import (
    RUN_CANCELLED,
    RUN_FAILED,
    RUN_QUEUED,
    RUN_STEP_CHANGED,
    RUN_SUCCEEDED,
    CancelRun,
    ExecuteWorkflow,
    RunCancelled,
    RunFailed,
    RunQueued,
    RunStepChanged,
    RunSucceeded,
)
from ml import catalog
from services.kit.errors import Conflict, NotFound
from services.kit.runtime import Service
from services.kit.uow import UnitOfWork
from services.workflow import jobs
from services.workflow.models import Run
from services.workflow.repository import RunRepository
from services.workflow.runtime.base import Runtime

log = logging.getLogger(__name__)

STEPS = ("train", "evaluate", "register", "deploy")
TERMINAL = ("succeeded", "failed", "cancelled")


class Pipeline:
    """Transitions of runs. The trainer side (launch, watch) lives in :mod:`services.workflow.trainers`."""

    def __init__(self, service: Service, runtime: Runtime) -> None:
        self.service = service
        self.runtime = runtime
        self.home = service.settings.home
        self.woken: list[Any] = []
        """Callbacks run when a run was queued (the scheduler's wake-up)."""

    # Events ----------------------------------------------------------------------------------

    def emit(self, uow: UnitOfWork, run: Run, message_type: str, data: Any) -> None:
        """Record an event of ``run``, in the name of whoever started it."""
        uow.record(
            spec(message_type).envelope(
                source=self.service.source,
                correlation_id=run.correlation_id,
                actor=_actor(run),
                data=data,
            )
        )

    async def note(self, run: Run, line: str) -> None:
        """A platform line in the run's log."""
        if run.handle:
            await self.runtime.append_log(run.handle, line)

    async def set_step(
        self, uow: UnitOfWork, run: Run, name: str, status: str, detail: str | None = None
    ) -> None:
        step = await RunRepository(uow.session).step(run.id, name)
        now = utcnow()
        step.status = status
        step.detail = detail if detail is not None else step.detail
        if status == "running":
            step.started_at = now
            run.step = name
        elif status in ("succeeded", "failed", "cancelled") and step.started_at is not None:
            step.ended_at = now
        changed = RunStepChanged.model_validate(
            {"job_id": run.id, "step": name, "status": status, "detail": detail}
        )
        self.emit(uow, run, RUN_STEP_CHANGED, changed)
        await self.note(run, f"step {name}: {status}" + (f" ({detail})" if detail else ""))

    # Commands --------------------------------------------------------------------------------

    async def execute(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, ExecuteWorkflow)
        job_id = new_id()
        plan = jobs.plan(request.workflow_params, job_id, self.home)
        deploy = plan.params["deployment"]["deploy_if_trained_success"]
        run = Run(
            id=job_id,
            model_type=plan.job["model_type"],
            model_name=plan.params["model_name"],
            status="queued",
            params=plan.params,
            job={**plan.job, "memory_limit_bytes": plan.memory_limit_bytes},
            progress=0.0,
            metrics={},
            runtime=self.runtime.name,
            handle=self.runtime.prepare(job_id),
            events_read=0,
            log_read=0,
            created_by=command.actor.id,
            created_role=command.actor.role,
            correlation_id=command.correlation_id,
            created_at=utcnow(),
        )
        repository = RunRepository(uow.session)
        repository.add(run, STEPS, set() if deploy else {"deploy"})
        await uow.session.flush()
        position = await repository.queue_position(run)
        self.emit(
            uow,
            run,
            RUN_QUEUED,
            RunQueued(
                job_id=job_id,
                model_type=run.model_type,
                model_name=run.model_name,
                position=position,
                workflow_params=plan.params,
            ),
        )
        await self.note(run, f"{run.model_type} queued by {run.created_by} (position {position})")
        for wake in self.woken:
            wake()
        return {"job_id": job_id, "status": "queued", "queue_position": position}

    async def cancel(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, CancelRun)
        run = await RunRepository(uow.session).get(request.job_id, lock=True)
        if run is None:
            raise NotFound(f"no run {request.job_id}", field="job_id")
        if run.status in TERMINAL:
            raise Conflict(f"run {run.id} already {run.status}; nothing to cancel", field="job_id")
        if run.cancelled_by is not None:
            return {"job_id": run.id, "status": "cancelling"}
        run.cancelled_by = command.actor.id
        run.error = request.reason
        if run.status == "queued":
            await self.note(run, f"cancelled by {command.actor.id} before it started")
            await self.cancelled(uow, run)
            return {"job_id": run.id, "status": "cancelled"}
        # The watcher of the run stops the trainer (seconds, outside this transaction).
        await self.note(
            run, f"cancel asked by {command.actor.id}" + (f": {request.reason}" if request.reason else "")
        )
        return {"job_id": run.id, "status": "cancelling"}

    # Endings ---------------------------------------------------------------------------------

    async def cancelled(self, uow: UnitOfWork, run: Run) -> None:
        step = run.step
        for item in await RunRepository(uow.session).steps(run.id):
            if item.status in ("pending", "running"):
                await self.set_step(uow, run, item.name, "cancelled")
        self._end(run, "cancelled")
        self.emit(
            uow,
            run,
            RUN_CANCELLED,
            RunCancelled(job_id=run.id, step=step, cancelled_by=run.cancelled_by or "?", reason=run.error),  # type: ignore[arg-type]
        )

    async def failed(self, uow: UnitOfWork, run: Run, step: str, code: str, reason: str) -> None:
        await self.set_step(uow, run, step, "failed", reason)
        for item in await RunRepository(uow.session).steps(run.id):
            if item.status == "pending":
                await self.set_step(uow, run, item.name, "skipped")
        run.step = step
        run.error_code = code
        run.error = reason
        self._end(run, "failed")
        self.emit(uow, run, RUN_FAILED, RunFailed(job_id=run.id, step=step, code=code, reason=reason))  # type: ignore[arg-type]

    async def succeeded(self, uow: UnitOfWork, run: Run) -> None:
        self._end(run, "succeeded")
        seconds = (run.ended_at - run.started_at).total_seconds() if run.started_at and run.ended_at else 0.0
        self.emit(
            uow,
            run,
            RUN_SUCCEEDED,
            RunSucceeded(
                job_id=run.id,
                metrics=_numbers(run.metrics),
                artifact_uri=run.artifact_uri or "",
                model_id=run.model_id,
                deployment_id=run.deployment_id,
                seconds=round(seconds, 3),
            ),
        )
        await self.note(run, f"run succeeded in {seconds:.1f} s")

    def _end(self, run: Run, status: str) -> None:
        run.status = status
        run.ended_at = utcnow()
        run.owner = None
        run.pending_command = None

    # After training --------------------------------------------------------------------------

    async def trained(self, uow: UnitOfWork, run: Run) -> None:
        """Training succeeded: check the gate, then register."""
        metric = run.params["evaluation"]["metric"]
        minimum = run.params["evaluation"]["minimum"]
        value = run.metrics.get(metric)
        await self.set_step(uow, run, "evaluate", "running")
        if not isinstance(value, int | float):
            await self.failed(uow, run, "evaluate", "metric_missing", f"the trainer reported no {metric}")
            return
        if minimum is not None and value < minimum:
            reason = f"{metric} {value:.4f} is below the minimum {minimum}"
            await self.failed(uow, run, "evaluate", "gate_failed", reason)
            return
        gate = f"{metric} {value:.4f}" + (f" ≥ {minimum}" if minimum is not None else "")
        await self.set_step(uow, run, "evaluate", "succeeded", gate)
        await self.register(uow, run)

    async def register(self, uow: UnitOfWork, run: Run) -> None:
        epochs = await RunRepository(uow.session).epochs(run.id)
        model_type = catalog.get(run.model_type)
        command = self._command(
            run,
            MODEL_REGISTER,
            RegisterModelVersion(
                model_name=run.model_name,
                model_type=run.model_type,
                run_id=run.id,
                artifact_uri=run.artifact_uri or "",
                metrics=_numbers(run.metrics),
                metric_history=[
                    {"epoch": e.epoch, "metrics": e.metrics, "seconds": e.seconds} for e in epochs
                ],
                params=run.params["training"],
                input_signature=model_type.input_signature,
                dataset=run.dataset or {},
                description=f"Trained by run {run.id}",
            ),
        )
        uow.record(command)
        run.pending_command = command.id
        await self.set_step(uow, run, "register", "running", f"registering as {run.model_name}")

    async def on_outcome(self, event: Envelope, uow: UnitOfWork) -> None:
        """A command this service sent (register, deploy) was answered."""
        outcome = event.data
        assert isinstance(outcome, CommandSucceeded | CommandRejected)
        run = await RunRepository(uow.session).waiting_on(outcome.command_id)
        if run is None or run.cancelled_by is not None:
            return
        step = run.step or "register"
        run.pending_command = None
        if isinstance(outcome, CommandRejected):
            reason = outcome.reason
            if outcome.code == "unsupported":
                service = outcome.command_type.split(".", 1)[0]
                reason = f"the {service} service of this platform version cannot {step} models yet ({reason})"
            await self.failed(uow, run, step, f"{step}_rejected", reason)
            return
        if step == "register":
            run.model_id = str(outcome.result.get("model_id"))
            version = outcome.result.get("version")
            await self.set_step(uow, run, "register", "succeeded", f"{run.model_name} version {version}")
            if run.params["deployment"]["deploy_if_trained_success"]:
                await self.deploy(uow, run)
                return
        else:
            run.deployment_id = str(outcome.result.get("deployment_id"))
            await self.set_step(uow, run, "deploy", "succeeded", f"deployment {run.deployment_id}")
        await self.succeeded(uow, run)

    async def deploy(self, uow: UnitOfWork, run: Run) -> None:
        deployment = run.params["deployment"]
        command = self._command(
            run,
            DEPLOYMENT_CREATE,
            CreateDeployment(
                model_id=run.model_id or "",
                namespace=deployment["namespace"],
                replicas=deployment["replicas"],
                resource_requests=deployment["resource_requests"],
                resource_limits=deployment["resource_limits"],
                run_id=run.id,
            ),
        )
        uow.record(command)
        run.pending_command = command.id
        await self.set_step(uow, run, "deploy", "running", f"{deployment['replicas']} replica(s)")

    def _command(self, run: Run, message_type: str, data: Any) -> Envelope:
        return spec(message_type).envelope(
            source=self.service.source,
            correlation_id=run.correlation_id,
            actor=_actor(run),
            data=data,
        )


def _actor(run: Run) -> Actor:
    return Actor.model_validate({"id": run.created_by, "role": run.created_role})


def _numbers(values: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)}
