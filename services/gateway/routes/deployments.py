"""Deployments: deploy, list, scale, roll out, delete, monitoring series, and the inference proxy."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from contracts.envelope import Input
from contracts.infra import (
    DEPLOYMENT_CREATE,
    DEPLOYMENT_DELETE,
    DEPLOYMENT_GET,
    DEPLOYMENT_LIST,
    DEPLOYMENT_ROLLOUT,
    DEPLOYMENT_SCALE,
    METRICS_SERIES,
    CreateDeployment,
    DeleteDeployment,
    DeploymentDetail,
    DeploymentStatus,
    DeploymentView,
    GetDeployment,
    ListDeployments,
    MetricsSeries,
    RolloutDeployment,
    ScaleDeployment,
    Series,
)
from services.gateway.auth.http import CurrentActor
from services.gateway.commands import CommandView
from services.gateway.gateway import GatewayDep, ask
from services.gateway.pagination import Page, Paging
from services.gateway.routes.registry_bodies import DeployRequest
from services.gateway.routes.system import ACCEPTED, respond

router = APIRouter(prefix="/api", tags=["deployments"])
INFERENCE_PATH = r"/api/deployments/[^/]+/(v2/.*|predict)"
"""Inference requests: bodies there may be up to MLOPS_MAX_INFERENCE_BYTES."""

DeploymentPath = Annotated[str, Path(min_length=1, max_length=64, description="Id of a deployment.")]
Window = Annotated[int, Query(ge=60, le=30 * 86400, description="How far back, in seconds.")]
Step = Annotated[int, Query(ge=10, le=86400, description="Width of one point, in seconds.")]


class DeployStarted(BaseModel):
    """A deployment was created (200), or infra has not answered yet (202)."""

    deployment_id: str | None = Field(description="Id of the deployment; null while the command is pending.")
    status: Literal["pending"] = Field(description="Replicas are starting; watch the deployment's events.")
    endpoint: str | None = Field(description="Proxy prefix: {endpoint}/v2/models/{name}/infer.")
    model_name: str | None = Field(default=None, description="Registered model name.")
    model_version: int | None = Field(default=None, description="Version deployed.")
    command_id: str = Field(description="Id of the command; GET /api/commands/{command_id}.")
    correlation_id: str = Field(description="Every event of this deployment carries it.")


class ScaleRequest(Input):
    """How many replicas."""

    replicas: int = Field(ge=1, le=50, description="Inference replicas wanted.")


class RolloutRequest(Input):
    """Which version to serve."""

    model_id: str = Field(min_length=1, max_length=64, description="A version of the same model.")


@router.post(
    "/mlops/deploy_model",
    summary="Deploy a registered version with replicas (the seed's deploy).",
    responses={202: {"model": DeployStarted, "description": "Accepted by the gateway; poll command_id."}},
)
async def mlops_deploy(
    body: DeployRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> DeployStarted:
    command = CreateDeployment(**body.model_dump())
    view = respond(await gateway.commands.issue(DEPLOYMENT_CREATE, command, actor, body.model_id), response)
    result = view.result or {}
    return DeployStarted(
        deployment_id=result.get("deployment_id"),
        status="pending",
        endpoint=result.get("endpoint"),
        model_name=result.get("model_name"),
        model_version=result.get("model_version"),
        command_id=view.command_id,
        correlation_id=view.correlation_id,
    )


@router.get("/deployments", summary="Deployments with health, replicas and version.")
async def list_deployments(
    gateway: GatewayDep,
    actor: CurrentActor,
    paging: Paging,
    status: Annotated[DeploymentStatus | None, Query(description="Only this status.")] = None,
    model_name: Annotated[str | None, Query(max_length=100, description="Only this model.")] = None,
    include_deleted: Annotated[bool, Query(description="Deleted deployments too.")] = False,
) -> Page[DeploymentView]:
    request = ListDeployments(
        status=status,
        model_name=model_name,
        include_deleted=include_deleted,
        limit=paging.limit,
        offset=paging.offset,
    )
    page = await ask(gateway, DEPLOYMENT_LIST, request, actor)
    return Page(items=page.items, total=page.total, limit=paging.limit, offset=paging.offset)


@router.get("/deployments/{deployment_id}", summary="A deployment with its replicas and history.")
async def get_deployment(
    deployment_id: DeploymentPath, gateway: GatewayDep, actor: CurrentActor
) -> DeploymentDetail:
    found: DeploymentDetail = await ask(
        gateway, DEPLOYMENT_GET, GetDeployment(deployment_id=deployment_id), actor
    )
    return found


@router.post("/deployments/{deployment_id}/scale", summary="Change the replica count.", responses=ACCEPTED)
async def scale_deployment(
    deployment_id: DeploymentPath,
    body: ScaleRequest,
    gateway: GatewayDep,
    actor: CurrentActor,
    response: Response,
) -> CommandView:
    command = ScaleDeployment(deployment_id=deployment_id, replicas=body.replicas)
    return respond(await gateway.commands.issue(DEPLOYMENT_SCALE, command, actor, deployment_id), response)


@router.post(
    "/deployments/{deployment_id}/rollout",
    summary="Serve another version, without downtime.",
    responses=ACCEPTED,
)
async def rollout_deployment(
    deployment_id: DeploymentPath,
    body: RolloutRequest,
    gateway: GatewayDep,
    actor: CurrentActor,
    response: Response,
) -> CommandView:
    command = RolloutDeployment(deployment_id=deployment_id, model_id=body.model_id)
    return respond(await gateway.commands.issue(DEPLOYMENT_ROLLOUT, command, actor, deployment_id), response)


@router.delete(
    "/deployments/{deployment_id}", summary="Stop every replica and remove it.", responses=ACCEPTED
)
async def delete_deployment(
    deployment_id: DeploymentPath, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> CommandView:
    command = DeleteDeployment(deployment_id=deployment_id)
    return respond(await gateway.commands.issue(DEPLOYMENT_DELETE, command, actor, deployment_id), response)


@router.get(
    "/deployments/{deployment_id}/metrics",
    summary="Request rate, error rate, latency p50/p99 and drift of one deployment over time.",
)
async def deployment_metrics(
    deployment_id: DeploymentPath,
    gateway: GatewayDep,
    actor: CurrentActor,
    window: Window = 3600,
    step: Step = 60,
) -> Series:
    request = MetricsSeries(deployment_id=deployment_id, window_seconds=window, step_seconds=step)
    found: Series = await ask(gateway, METRICS_SERIES, request, actor)
    return found


@router.get("/monitoring/metrics", summary="Request rate, error rate, latency and drift of all deployments.")
async def overall_metrics(
    gateway: GatewayDep, actor: CurrentActor, window: Window = 3600, step: Step = 60
) -> Series:
    found: Series = await ask(
        gateway, METRICS_SERIES, MetricsSeries(window_seconds=window, step_seconds=step), actor
    )
    return found


@router.get(
    "/deployments/{deployment_id}/v2/{path:path}",
    summary="Open Inference Protocol v2 of a deployment: health, server and model metadata.",
)
async def inference_metadata(
    deployment_id: DeploymentPath, path: str, request: Request, gateway: GatewayDep, actor: CurrentActor
) -> Response:
    return await gateway.inference.forward(deployment_id, f"v2/{path}", request, actor)


@router.post(
    "/deployments/{deployment_id}/v2/{path:path}",
    summary="Open Inference Protocol v2 of a deployment: infer (v2/models/{name}/infer), on its replicas.",
)
async def inference(
    deployment_id: DeploymentPath, path: str, request: Request, gateway: GatewayDep, actor: CurrentActor
) -> Response:
    return await gateway.inference.forward(deployment_id, f"v2/{path}", request, actor)


@router.post(
    "/deployments/{deployment_id}/predict",
    summary="Predict for people: {'image': 28x28 list | base64 PNG} or {'features': {column: value}}.",
)
async def predict(
    deployment_id: DeploymentPath, request: Request, gateway: GatewayDep, actor: CurrentActor
) -> Response:
    return await gateway.inference.forward(deployment_id, "predict", request, actor)
