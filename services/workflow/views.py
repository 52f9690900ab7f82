"""Answers to the workflow queries: runs, one run, and its log."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope, utcnow
from contracts.workflow import (
    EpochView,
    GetLogs,
    GetRun,
    ListRuns,
    LogChunk,
    RunDetail,
    RunPage,
    RunSummary,
    StepView,
)
from services.kit.errors import NotFound
from services.kit.runtime import Service
from services.workflow.models import Run
from services.workflow.repository import RunRepository
from services.workflow.runtime.base import Runtime


class RunViews:
    """Read side of runs."""

    def __init__(self, service: Service, runtime: Runtime) -> None:
        self.service = service
        self.runtime = runtime

    async def list(self, query: Envelope) -> RunPage:
        request = query.data
        assert isinstance(request, ListRuns)
        async with self.service.unit_of_work() as uow:
            repository = RunRepository(uow.session)
            runs, total = await repository.page(
                list(request.status or []),
                request.model_type,
                request.created_by,
                request.limit,
                request.offset,
            )
            positions = await repository.queue_positions() if any(r.status == "queued" for r in runs) else {}
        return RunPage(items=[RunSummary(**_summary(run, positions)) for run in runs], total=total)

    async def get(self, query: Envelope) -> RunDetail:
        request = query.data
        assert isinstance(request, GetRun)
        async with self.service.unit_of_work() as uow:
            repository = RunRepository(uow.session)
            run = await _run(repository, request.job_id)
            steps = await repository.steps(run.id)
            epochs = await repository.epochs(run.id)
            positions = await repository.queue_positions() if run.status == "queued" else {}
        return RunDetail(
            **_summary(run, positions),
            workflow_params=run.params,
            steps=[StepView.model_validate(step, from_attributes=True) for step in steps],
            epochs=[EpochView.model_validate(epoch, from_attributes=True) for epoch in epochs],
            artifact_uri=run.artifact_uri,
            dataset=run.dataset,
            model_id=run.model_id,
            deployment_id=run.deployment_id,
            runtime=run.runtime,
            error_code=run.error_code,
            cancelled_by=run.cancelled_by,
            cancel_reason=run.error if run.cancelled_by else None,
        )

    async def logs(self, query: Envelope) -> LogChunk:
        request = query.data
        assert isinstance(request, GetLogs)
        async with self.service.unit_of_work() as uow:
            run = await _run(RunRepository(uow.session), request.job_id)
        handle = run.handle or self.runtime.prepare(run.id)
        size = await self.runtime.log_size(handle)
        if request.offset is None:
            start = await self._tail_start(handle, size, request.tail_lines)
        else:
            start = min(request.offset, size)
        data = await self.runtime.read_log(handle, start, request.limit)
        if len(data) == request.limit and b"\n" in data:
            data = data[: data.rfind(b"\n") + 1]  # whole lines; the next call continues after
        return LogChunk(
            text=data.decode("utf-8", errors="replace"),
            offset=start,
            next_offset=start + len(data),
            size=size,
            complete=run.status in ("succeeded", "failed", "cancelled"),
        )

    async def _tail_start(self, handle: dict[str, Any], size: int, lines: int) -> int:
        """Offset of the last ``lines`` lines (reads back in blocks)."""
        block, end, found = 65536, size, 0
        while end > 0:
            start = max(0, end - block)
            data = await self.runtime.read_log(handle, start, end - start)
            for index in range(len(data) - 1, -1, -1):
                if data[index] == 0x0A and start + index + 1 < size:
                    found += 1
                    if found == lines:
                        return start + index + 1
            end = start
        return 0


async def _run(repository: RunRepository, job_id: str) -> Run:
    run = await repository.get(job_id)
    if run is None:
        raise NotFound(f"no run {job_id}", field="job_id")
    return run


def _summary(run: Run, positions: dict[str, int]) -> dict[str, Any]:
    end = run.ended_at or (utcnow() if run.started_at else None)
    return {
        "job_id": run.id,
        "model_type": run.model_type,
        "model_name": run.model_name,
        "status": run.status,
        "step": run.step,
        "progress": run.progress,
        "created_at": run.created_at,
        "start_time": run.started_at,
        "end_time": run.ended_at,
        "duration_seconds": round((end - run.started_at).total_seconds(), 3)
        if run.started_at and end
        else None,
        "created_by": run.created_by,
        "queue_position": positions.get(run.id),
        "metrics": {k: float(v) for k, v in run.metrics.items() if isinstance(v, int | float)},
        "error": run.error if run.status == "failed" else None,
    }
