"""The trainer side of runs: start queued runs when a slot is free, and watch running ones.

One loop per instance. Each tick it renews the lease of the runs it watches (adopting runs whose
watcher went silent: a restarted or crashed instance), starts queued runs up to the concurrency
limit, and for every run it watches turns what the trainer wrote since the last tick into events:
progress (at most once a second), finished epochs, log lines, and the end of training. What was
read is remembered by byte offset with the run, so an adopting instance continues where the last
one stopped, neither skipping nor repeating an epoch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import timedelta
from typing import Any

from contracts.envelope import utcnow
from contracts.workflow import (
    RUN_EPOCH_COMPLETED,
    RUN_LOGGED,
    RUN_PROGRESSED,
    RUN_STARTED,
    RunEpochCompleted,
    RunLogged,
    RunProgressed,
    RunStarted,
)
from services.kit.errors import TransientError
from services.workflow.models import Run
from services.workflow.pipeline import Pipeline
from services.workflow.repository import RunRepository
from services.workflow.runtime.base import JobSpec, JobStatus, Runtime
from services.workflow.settings import WorkflowSettings
from services.workflow.storage import job_storage

log = logging.getLogger(__name__)

LOG_CHUNK = 64 * 1024
PROGRESS_EVERY = 1.0
IDLE_SECONDS = 2.0
OUT_OF_MEMORY = (b"MemoryError", b"failed to map segment", b"Cannot allocate memory", b"std::bad_alloc")


class Trainers:
    """Starts and watches the trainer jobs of this instance."""

    def __init__(self, pipeline: Pipeline, runtime: Runtime, settings: WorkflowSettings) -> None:
        self.pipeline = pipeline
        self.service = pipeline.service
        self.runtime = runtime
        self.settings = settings
        self.owner = settings.instance_id
        self.lease = timedelta(seconds=settings.lease_seconds)
        self._wake = asyncio.Event()
        self._progress_at: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        pipeline.woken.append(self._wake.set)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="trainers")

    async def stop(self) -> None:
        """Stop watching; trainers keep running and are adopted after a restart."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        renewed = 0.0
        while True:
            try:
                if time.monotonic() - renewed > self.settings.lease_seconds / 3:
                    await self._renew()
                    renewed = time.monotonic()
                await self._schedule()
                owned = await self._owned()
                for run in owned:
                    await self._tick(run)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("watching trainers failed; retrying")
                owned = []
                await asyncio.sleep(1)
            # Idle, look less often: a new run wakes the loop at once.
            interval = self.settings.watch_interval_seconds if owned else IDLE_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()

    async def _renew(self) -> None:
        now = utcnow()
        async with self.service.unit_of_work() as uow:
            repository = RunRepository(uow.session)
            await repository.renew(self.owner, now + self.lease)
            adopted = await repository.adopt(self.owner, now, self.lease)
        for run_id in adopted:
            log.warning("adopted run %s: its watcher went silent", run_id)
            async with self.service.unit_of_work() as uow:
                run = await RunRepository(uow.session).get(run_id)
                if run is not None:
                    await self.pipeline.note(
                        run, f"watched by {self.owner} now (the previous watcher went silent)"
                    )

    async def _owned(self) -> list[Run]:
        async with self.service.unit_of_work() as uow:
            return await RunRepository(uow.session).owned(self.owner)

    # Starting --------------------------------------------------------------------------------

    async def _schedule(self) -> None:
        async with self.service.unit_of_work() as uow:
            repository = RunRepository(uow.session)
            free = self.settings.max_concurrent_runs - await repository.training_count()
            queued = await repository.queued(free) if free > 0 else []
        for run in queued:
            await self._launch(run)

    async def _launch(self, run: Run) -> None:
        assert self.service.bus is not None
        try:
            artifact_uri, env = await job_storage(self.service.bus, run.id, self.settings.artifacts_path())
        except TransientError as error:
            log.warning("run %s waits: %s", run.id, error)
            return
        async with self.service.unit_of_work() as uow:
            if not await RunRepository(uow.session).claim_queued(run.id, self.owner, utcnow(), self.lease):
                return
            run = await RunRepository(uow.session).get(run.id)  # type: ignore[assignment]
            run.artifact_uri = artifact_uri
            await self.pipeline.set_step(uow, run, "train", "running")
        job = {**run.job, "artifact_uri": artifact_uri}
        memory = job.pop("memory_limit_bytes", None)
        spec = JobSpec(run.id, job, threads=job["threads"], memory_limit_bytes=memory, env=env)
        try:
            handle = await self.runtime.start(spec, run.handle or self.runtime.prepare(run.id))
        except Exception as error:
            log.exception("could not start the trainer of run %s", run.id)
            async with self.service.unit_of_work() as uow:
                run = await RunRepository(uow.session).get(run.id)  # type: ignore[assignment]
                await self.pipeline.failed(
                    uow, run, "train", "start_failed", f"the trainer did not start: {error}"
                )
            return
        async with self.service.unit_of_work() as uow:
            run = await RunRepository(uow.session).get(run.id)  # type: ignore[assignment]
            run.handle = handle
            limit = f", memory limit {memory // 2**20} MiB" if memory else ""
            await self.pipeline.note(
                run,
                f"trainer started ({self.runtime.name} {handle.get('pid', '')}, {spec.threads} threads{limit})",
            )
            self.pipeline.emit(
                uow,
                run,
                RUN_STARTED,
                RunStarted(
                    job_id=run.id,
                    runtime=self.runtime.name,
                    handle=str(handle.get("pgid", handle.get("name", ""))),
                    threads=spec.threads,
                    memory_limit_bytes=memory,
                ),
            )

    # Watching --------------------------------------------------------------------------------

    async def _tick(self, run: Run) -> None:
        if run.handle is None:
            return
        if run.cancelled_by is not None:
            await self._cancel(run)
            return
        status = (
            await self.runtime.status(run.handle) if run.step == "train" and "pgid" in run.handle else None
        )
        events = await self.runtime.read_events(run.handle, run.events_read) if run.step == "train" else b""
        complete = events[: events.rfind(b"\n") + 1]
        text = await self.runtime.read_log(run.handle, run.log_read, LOG_CHUNK)
        lines = text[: text.rfind(b"\n") + 1] if len(text) < LOG_CHUNK else text
        ended = status is not None and status.state != "running"
        if not complete and not lines and not ended:
            return
        async with self.service.unit_of_work() as uow:
            current = await RunRepository(uow.session).get(run.id)
            if current is None or current.status != "running" or current.owner != self.owner:
                return
            if lines:
                self._log(uow, current, lines)
            for raw in complete.splitlines():
                await self._apply(uow, current, raw)
            current.events_read += len(complete)
            if ended and current.step == "train" and status is not None:
                await self._ended(uow, current, status)

    def _log(self, uow: Any, run: Run, data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        self.pipeline.emit(uow, run, RUN_LOGGED, RunLogged(job_id=run.id, offset=run.log_read, text=text))
        run.log_read += len(data)

    async def _apply(self, uow: Any, run: Run, raw: bytes) -> None:
        """One JSON line of the trainer."""
        try:
            event = json.loads(raw)
            kind = event["event"]
        except (ValueError, KeyError, TypeError):
            log.warning("run %s: trainer wrote a line that is not an event: %.200r", run.id, raw)
            return
        if kind == "data_loaded":
            run.dataset = event.get("dataset")
        elif kind == "progress":
            run.progress = float(event.get("fraction", run.progress))
            if time.monotonic() - self._progress_at.get(run.id, 0.0) >= PROGRESS_EVERY:
                self._progress_at[run.id] = time.monotonic()
                self.pipeline.emit(uow, run, RUN_PROGRESSED, _progressed(run, event))
        elif kind == "epoch":
            await self._epoch(uow, run, event)
        elif kind == "succeeded":
            run.metrics = event.get("metrics", {})
            run.artifact_uri = event.get("artifact_uri", run.artifact_uri)
            run.progress = 1.0
        elif kind == "failed":
            run.error_code = str(event.get("error", "trainer_failed"))
            run.error = str(event.get("reason", "the trainer failed"))

    async def _epoch(self, uow: Any, run: Run, event: dict[str, Any]) -> None:
        metrics = {k: float(v) for k, v in event.get("metrics", {}).items() if isinstance(v, int | float)}
        epoch, epochs = int(event["epoch"]), int(event["epochs"])
        if not await RunRepository(uow.session).add_epoch(
            run.id, epoch, metrics, float(event.get("seconds", 0))
        ):
            return
        run.metrics = metrics
        run.progress = max(run.progress, epoch / epochs)
        self.pipeline.emit(
            uow,
            run,
            RUN_EPOCH_COMPLETED,
            RunEpochCompleted(
                job_id=run.id,
                epoch=epoch,
                epochs=epochs,
                metrics=metrics,
                seconds=float(event.get("seconds", 0)),
            ),
        )

    async def _ended(self, uow: Any, run: Run, status: JobStatus) -> None:
        self._progress_at.pop(run.id, None)
        if status.state == "exited" and status.exit_code == 0 and run.error_code is None:
            await self.pipeline.set_step(uow, run, "train", "succeeded", _summary(run.metrics))
            await self.pipeline.trained(uow, run)
            return
        if status.state == "lost":
            code, reason = "trainer_lost", f"the trainer stopped without finishing: {status.detail}"
        elif await self._out_of_memory(run):
            limit = run.job.get("memory_limit_bytes") or 0
            code = "out_of_memory"
            reason = (
                f"the trainer ran out of memory (limit {limit // 2**20} MiB); "
                "raise training.resource_limits.memory or lower batch_size"
            )
        else:
            code = run.error_code or "trainer_failed"
            reason = run.error or f"the trainer exited with code {status.exit_code}; see the log"
        await self.pipeline.failed(uow, run, "train", code, reason)

    async def _out_of_memory(self, run: Run) -> bool:
        """Whether the trainer died of its memory limit (its log's last lines say so)."""
        if not run.job.get("memory_limit_bytes") or run.handle is None:
            return False
        size = await self.runtime.log_size(run.handle)
        tail = await self.runtime.read_log(run.handle, max(0, size - 8192), 8192)
        return any(sign in tail for sign in OUT_OF_MEMORY)

    async def _cancel(self, run: Run) -> None:
        assert run.handle is not None
        stopped = await self.runtime.cancel(run.handle, self.settings.cancel_grace_seconds)
        async with self.service.unit_of_work() as uow:
            current = await RunRepository(uow.session).get(run.id)
            if current is None or current.status != "running":
                return
            if not stopped:
                await self.pipeline.note(current, "the trainer did not stop yet; trying again")
                return
            await self.pipeline.note(current, f"cancelled by {current.cancelled_by}; the trainer is stopped")
            text = await self.runtime.read_log(current.handle or {}, current.log_read, LOG_CHUNK)
            if text:
                self._log(uow, current, text)
            await self.pipeline.cancelled(uow, current)


def _progressed(run: Run, event: dict[str, Any]) -> RunProgressed:
    loss = event.get("loss")
    return RunProgressed(
        job_id=run.id,
        epoch=int(event.get("epoch", 1)),
        epochs=int(event.get("epochs", 1)),
        fraction=float(event.get("fraction", 0.0)),
        loss=float(loss) if isinstance(loss, int | float) else None,
    )


def _summary(metrics: dict[str, Any]) -> str:
    shown = [
        f"{k} {v:.4f}" for k, v in metrics.items() if k.startswith("test_") and isinstance(v, int | float)
    ]
    return ", ".join(shown) or "done"
