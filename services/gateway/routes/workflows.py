"""Training workflows: the model catalog, starting runs, following them, their logs, cancel."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from contracts.envelope import Input
from contracts.workflow import (
    RUN_CANCEL,
    RUN_EXECUTE,
    RUN_GET,
    RUN_LIST,
    RUN_LOGS,
    CancelRun,
    ExecuteWorkflow,
    GetLogs,
    GetRun,
    ListRuns,
    LogChunk,
    RunDetail,
    RunStatus,
    RunSummary,
)
from contracts.workflow_params import WorkflowParams
from ml import catalog
from services.gateway.auth.http import CurrentActor
from services.gateway.gateway import GatewayDep, ask
from services.gateway.pagination import Page, Paging
from services.gateway.routes.system import respond
from services.kit.errors import InvalidRequest

router = APIRouter(prefix="/api", tags=["workflows"])

JobIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Id of the run (job_id).")]


class ExecuteWorkflowRequest(Input):
    """The seed's body of ``mlops_execute_workflow``."""

    workflow_params: WorkflowParams = Field(description="What to train, on which data, and what then.")


class WorkflowStarted(BaseModel):
    """A run was accepted (200), or the workflow service has not answered yet (202)."""

    job_id: str | None = Field(description="Id of the run; null while the command is pending.")
    status: Literal["queued", "pending"] = Field(
        description="queued: accepted and waiting for a slot; pending: poll command_id."
    )
    queue_position: int | None = Field(default=None, description="Place in the queue (1 starts next).")
    command_id: str = Field(description="Id of the command; GET /api/commands/{command_id}.")
    correlation_id: str = Field(description="Every event of this run carries it.")


class CancelRequest(Input):
    """Why the run is cancelled (optional)."""

    reason: str | None = Field(default=None, max_length=500, description="Kept in the run's history.")


class CancelAnswer(BaseModel):
    """What became of the cancel."""

    job_id: str = Field(description="Id of the run.")
    status: Literal["cancelled", "cancelling", "pending"] = Field(
        description="cancelled: done; cancelling: the trainer is being stopped (seconds); pending: poll."
    )
    command_id: str = Field(description="Id of the command.")


@router.get("/model-types", summary="The model catalog: each type with its parameter schema and defaults.")
async def model_types() -> list[dict[str, Any]]:
    return catalog.model_types()


@router.post(
    "/mlops/execute_workflow",
    summary="Start a training workflow now (train → evaluate → register → deploy if asked).",
    responses={202: {"model": WorkflowStarted, "description": "Accepted by the gateway; poll command_id."}},
)
async def execute_workflow(
    body: ExecuteWorkflowRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> WorkflowStarted:
    _check(body.workflow_params)
    view = respond(
        await gateway.commands.issue(
            RUN_EXECUTE,
            ExecuteWorkflow(workflow_params=body.workflow_params),
            actor,
            body.workflow_params.model_type,
        ),
        response,
    )
    result = view.result or {}
    return WorkflowStarted(
        job_id=result.get("job_id"),
        status="queued" if view.status == "succeeded" else "pending",
        queue_position=result.get("queue_position"),
        command_id=view.command_id,
        correlation_id=view.correlation_id,
    )


@router.post(
    "/workflows/runs",
    summary="Start a training workflow (the same as POST /api/mlops/execute_workflow).",
    responses={202: {"model": WorkflowStarted, "description": "Accepted by the gateway; poll command_id."}},
)
async def create_run(
    body: ExecuteWorkflowRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> WorkflowStarted:
    return await execute_workflow(body, gateway, actor, response)


@router.get("/workflows/runs", summary="Runs, newest first, filtered.")
async def list_runs(
    gateway: GatewayDep,
    actor: CurrentActor,
    paging: Paging,
    status: Annotated[list[RunStatus] | None, Query(description="Only these statuses (repeatable).")] = None,
    model_type: Annotated[str | None, Query(max_length=100, description="Only this model type.")] = None,
    created_by: Annotated[
        str | None, Query(max_length=200, description="Only runs started by this user.")
    ] = None,
) -> Page[RunSummary]:
    request = ListRuns(
        status=status, model_type=model_type, created_by=created_by, limit=paging.limit, offset=paging.offset
    )
    page = await ask(gateway, RUN_LIST, request, actor)
    return Page(items=page.items, total=page.total, limit=paging.limit, offset=paging.offset)


@router.get("/workflows/runs/{job_id}", summary="One run: parameters, steps, per-epoch metrics, timings.")
async def get_run(job_id: JobIdPath, gateway: GatewayDep, actor: CurrentActor) -> RunDetail:
    detail: RunDetail = await ask(gateway, RUN_GET, GetRun(job_id=job_id), actor)
    return detail


@router.get(
    "/workflows/runs/{job_id}/logs",
    summary="Part of a run's log: its tail, or from a byte offset (follow with next_offset).",
    responses={200: {"content": {"text/plain": {}}, "description": "JSON, or the text with download=true."}},
)
async def run_logs(
    job_id: JobIdPath,
    gateway: GatewayDep,
    actor: CurrentActor,
    offset: Annotated[
        int | None, Query(ge=0, description="Start at this byte; the tail when omitted.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1048576, description="Most bytes.")] = 65536,
    tail_lines: Annotated[int, Query(ge=1, le=10000, description="Lines of the tail.")] = 200,
    download: Annotated[bool, Query(description="The whole log as a text file.")] = False,
) -> Any:
    if download:
        return await _download(gateway, actor, job_id)
    request = GetLogs(job_id=job_id, offset=offset, limit=limit, tail_lines=tail_lines)
    chunk: LogChunk = await ask(gateway, RUN_LOGS, request, actor)
    return chunk


async def _download(gateway: GatewayDep, actor: CurrentActor, job_id: str) -> PlainTextResponse:
    parts, offset = [], 0
    while True:
        chunk: LogChunk = await ask(
            gateway, RUN_LOGS, GetLogs(job_id=job_id, offset=offset, limit=1048576), actor
        )
        parts.append(chunk.text)
        if chunk.next_offset >= chunk.size or chunk.next_offset == offset:
            break
        offset = chunk.next_offset
    headers = {"Content-Disposition": f'attachment; filename="run-{job_id}.log"'}
    return PlainTextResponse("".join(parts), headers=headers)


@router.post(
    "/workflows/runs/{job_id}/cancel",
    summary="Cancel a run: a queued run never starts; a running trainer is stopped within seconds.",
    responses={202: {"model": CancelAnswer, "description": "Not answered yet; poll command_id."}},
)
async def cancel_run(
    job_id: JobIdPath,
    gateway: GatewayDep,
    actor: CurrentActor,
    response: Response,
    body: CancelRequest | None = None,
) -> CancelAnswer:
    request = CancelRun(job_id=job_id, reason=body.reason if body else None)
    view = respond(await gateway.commands.issue(RUN_CANCEL, request, actor, job_id), response)
    status = (view.result or {}).get("status", "pending")
    return CancelAnswer(job_id=job_id, status=status, command_id=view.command_id)


def _check(params: WorkflowParams) -> None:
    """The model type's own rules, answered at once (the workflow service checks them again)."""
    _, errors = catalog.check_workflow(params.model_type, params.training.model_dump())
    if errors:
        raise InvalidRequest(catalog.describe(errors), field=errors[0].field)
