"""The model registry: the seed's routes under /api/mlops and resource routes under /api/models."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from contracts.envelope import Actor
from contracts.infra import DEPLOYMENT_LIST, ListDeployments
from contracts.registry import (
    ALIAS_REMOVE,
    ALIAS_SET,
    LINEAGE_GET,
    MODEL_GET,
    MODEL_LIST,
    MODEL_REGISTER,
    MODEL_UPDATE,
    VERSION_ARCHIVE,
    VERSION_COMPARE,
    VERSION_GET,
    VERSION_PROMOTE,
    VERSION_ROLLBACK,
    VERSION_SEARCH,
    VERSION_UPDATE,
    ArchiveVersion,
    CompareVersions,
    Comparison,
    GetLineage,
    GetModel,
    GetVersion,
    Lineage,
    ListModels,
    ModelDetail,
    ModelSummary,
    PromoteVersion,
    RegisterModelVersion,
    RemoveAlias,
    RollbackVersion,
    SearchVersions,
    SetAlias,
    UpdateModel,
    UpdateVersion,
    VersionDetail,
    VersionSort,
    VersionStatus,
)
from ml import catalog
from services.gateway import uploads
from services.gateway.artifacts import artifact_archive
from services.gateway.auth.http import CurrentActor
from services.gateway.commands import CommandView
from services.gateway.gateway import Gateway, GatewayDep, QueryFailed, ask, ask_data
from services.gateway.pagination import Page, Paging
from services.gateway.routes.registry_bodies import (
    AliasRequest,
    DescribeRequest,
    ModelDetailsAnswer,
    ModelsAnswer,
    NoteRequest,
    PromoteRequest,
    RollbackRequest,
    StatusRequest,
)
from services.gateway.routes.system import ACCEPTED, respond
from services.kit.errors import InvalidRequest

router = APIRouter(prefix="/api", tags=["registry"])
UPLOAD_PATH = r"/api/models/[^/]+/versions"
"""Where model zips are uploaded: bodies there may be up to MLOPS_MAX_UPLOAD_BYTES."""

ModelIdPath = Annotated[str, Path(min_length=1, max_length=100, description="A version's model_id.")]
NamePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", description="Model name.")]
AliasPath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,62}$", description="Alias.")]


# The seed's routes ---------------------------------------------------------------------------


@router.get(
    "/mlops/models",
    summary="Registered versions (the seed's list), filtered, sorted, paged.",
    response_model=ModelsAnswer,
)
async def mlops_models(
    gateway: GatewayDep,
    actor: CurrentActor,
    paging: Paging,
    name: Annotated[str | None, Query(max_length=100, description="Exactly this model name.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Model name contains this.")] = None,
    status: Annotated[
        list[VersionStatus] | None, Query(description="Only these statuses (repeatable).")
    ] = None,
    model_type: Annotated[str | None, Query(max_length=100, description="Only this model type.")] = None,
    tag: Annotated[
        list[str] | None, Query(description="key=value tags that must match (repeatable).")
    ] = None,
    metric: Annotated[
        str | None, Query(max_length=64, description="Metric for metric_min/max and sort.")
    ] = None,
    metric_min: Annotated[
        float | None, Query(description="Only versions whose metric is at least this.")
    ] = None,
    metric_max: Annotated[
        float | None, Query(description="Only versions whose metric is at most this.")
    ] = None,
    sort: Annotated[
        VersionSort, Query(description="created_at, version, name or metric; '-' descending.")
    ] = ("-created_at"),
) -> ModelsAnswer:
    request = SearchVersions(
        name=name,
        name_contains=q,
        status=status,
        model_type=model_type,
        tag=_tags(tag),
        metric=metric,
        metric_min=metric_min,
        metric_max=metric_max,
        sort=sort,
        limit=paging.limit,
        offset=paging.offset,
    )
    # The registry's page is passed on as it came (validated there): long lists skip two more passes.
    page = await ask_data(gateway, VERSION_SEARCH, request, actor)
    body = {"models": page["items"], "total": page["total"], "limit": paging.limit, "offset": paging.offset}
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")  # type: ignore[return-value]


@router.get(
    "/mlops/model_details/{model_id}", summary="A model in full, from one of its versions (or its name)."
)
async def mlops_model_details(
    model_id: ModelIdPath, gateway: GatewayDep, actor: CurrentActor
) -> ModelDetailsAnswer:
    detail: ModelDetail = await ask(gateway, MODEL_GET, GetModel(model_id=model_id), actor)
    detail.deployments = await deployments_of(gateway, actor, model_name=detail.name)
    return ModelDetailsAnswer(model_details=detail)


@router.post("/mlops/promote_model", summary="Move a version to a new status.", responses=ACCEPTED)
async def mlops_promote(
    body: PromoteRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> CommandView:
    command = PromoteVersion(**body.model_dump())
    return respond(await gateway.commands.issue(VERSION_PROMOTE, command, actor, body.model_id), response)


@router.post("/mlops/rollback_model", summary="Make an earlier version production again.", responses=ACCEPTED)
async def mlops_rollback(
    body: RollbackRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> CommandView:
    command = RollbackVersion(**body.model_dump())
    return respond(
        await gateway.commands.issue(VERSION_ROLLBACK, command, actor, body.current_model_id), response
    )


# Models --------------------------------------------------------------------------------------


@router.get("/models", summary="Registered models with their latest and production versions.")
async def list_models(
    gateway: GatewayDep,
    actor: CurrentActor,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100, description="Name contains this.")] = None,
    model_type: Annotated[str | None, Query(max_length=100, description="Only this model type.")] = None,
    tag: Annotated[
        list[str] | None, Query(description="key=value tags that must match (repeatable).")
    ] = None,
    sort: Annotated[
        str, Query(pattern="^(name|updated_at|-updated_at)$", description="Order.")
    ] = "-updated_at",
) -> Page[ModelSummary]:
    request = ListModels.model_validate(
        {"name_contains": q, "model_type": model_type, "tag": _tags(tag), "sort": sort}
        | {"limit": paging.limit, "offset": paging.offset}
    )
    page = await ask(gateway, MODEL_LIST, request, actor)
    return Page(items=page.items, total=page.total, limit=paging.limit, offset=paging.offset)


@router.get("/models/{name}", summary="A model in full: versions, timeline, metric history.")
async def get_model(name: NamePath, gateway: GatewayDep, actor: CurrentActor) -> ModelDetail:
    detail: ModelDetail = await ask(gateway, MODEL_GET, GetModel(model_id=name), actor)
    detail.deployments = await deployments_of(gateway, actor, model_name=detail.name)
    return detail


@router.patch("/models/{name}", summary="Change a model's description or tags.", responses=ACCEPTED)
async def update_model(
    name: NamePath, body: DescribeRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> CommandView:
    command = UpdateModel(model_name=name, **body.model_dump())
    return respond(await gateway.commands.issue(MODEL_UPDATE, command, actor, name), response)


@router.put("/models/{name}/aliases/{alias}", summary="Point an alias at a version.", responses=ACCEPTED)
async def set_alias(
    name: NamePath,
    alias: AliasPath,
    body: AliasRequest,
    gateway: GatewayDep,
    actor: CurrentActor,
    response: Response,
) -> CommandView:
    command = SetAlias(model_name=name, alias=alias, version=body.version)
    return respond(await gateway.commands.issue(ALIAS_SET, command, actor, f"{name}@{alias}"), response)


@router.delete("/models/{name}/aliases/{alias}", summary="Remove an alias.", responses=ACCEPTED)
async def remove_alias(
    name: NamePath, alias: AliasPath, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> CommandView:
    command = RemoveAlias(model_name=name, alias=alias)
    return respond(await gateway.commands.issue(ALIAS_REMOVE, command, actor, f"{name}@{alias}"), response)


@router.post(
    "/models/{name}/versions",
    summary="Register an uploaded model: the body is a zip of its files (application/zip).",
    responses=ACCEPTED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_version(
    name: NamePath,
    request: Request,
    gateway: GatewayDep,
    actor: CurrentActor,
    response: Response,
    model_type: Annotated[str, Query(min_length=1, max_length=100, description="Model type of the catalog.")],
    description: Annotated[str | None, Query(max_length=5000, description="For people.")] = None,
) -> CommandView:
    body, sha256 = await uploads.receive(request)
    upload = await uploads.store(gateway, body, sha256, model_type)
    command = RegisterModelVersion(
        model_name=name,
        model_type=model_type,
        source="upload",
        artifact_uri=upload.artifact_uri,
        metrics=upload.metrics,
        input_signature=upload.signature or catalog.get(model_type).input_signature,
        dataset=upload.dataset,
        tags={"upload_sha256": sha256},
        description=description,
    )
    return respond(await gateway.commands.issue(MODEL_REGISTER, command, actor, name), response)


# Versions ------------------------------------------------------------------------------------


@router.get("/model-versions/compare", summary="Versions side by side: metrics, differing parameters, data.")
async def compare_versions(
    gateway: GatewayDep,
    actor: CurrentActor,
    model_id: Annotated[
        list[str], Query(min_length=2, max_length=10, description="Versions (repeat 2-10 times).")
    ],
) -> Comparison:
    comparison: Comparison = await ask(gateway, VERSION_COMPARE, CompareVersions(model_ids=model_id), actor)
    return comparison


@router.get("/model-versions/{model_id}", summary="One version in full, with its timeline.")
async def get_version(model_id: ModelIdPath, gateway: GatewayDep, actor: CurrentActor) -> VersionDetail:
    detail: VersionDetail = await ask(gateway, VERSION_GET, GetVersion(model_id=model_id), actor)
    return detail


@router.patch(
    "/model-versions/{model_id}", summary="Change a version's description or tags.", responses=ACCEPTED
)
async def update_version(
    model_id: ModelIdPath, body: DescribeRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> CommandView:
    command = UpdateVersion(model_id=model_id, **body.model_dump())
    return respond(await gateway.commands.issue(VERSION_UPDATE, command, actor, model_id), response)


@router.post(
    "/model-versions/{model_id}/promote", summary="Move this version to a new status.", responses=ACCEPTED
)
async def promote_version(
    model_id: ModelIdPath, body: StatusRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> CommandView:
    command = PromoteVersion(model_id=model_id, new_status=body.new_status, note=body.note)
    return respond(await gateway.commands.issue(VERSION_PROMOTE, command, actor, model_id), response)


@router.post("/model-versions/{model_id}/archive", summary="Archive this version.", responses=ACCEPTED)
async def archive_version(
    model_id: ModelIdPath,
    gateway: GatewayDep,
    actor: CurrentActor,
    response: Response,
    body: NoteRequest | None = None,
) -> CommandView:
    command = ArchiveVersion(model_id=model_id, note=body.note if body else None)
    return respond(await gateway.commands.issue(VERSION_ARCHIVE, command, actor, model_id), response)


@router.get(
    "/model-versions/{model_id}/artifact",
    summary="Download the version's artifact files as a zip (editors).",
    responses={200: {"content": {"application/zip": {}}, "description": "The files of the version."}},
)
async def download_artifact(
    model_id: ModelIdPath, gateway: GatewayDep, actor: CurrentActor
) -> StreamingResponse:
    version: VersionDetail = await ask(gateway, VERSION_GET, GetVersion(model_id=model_id), actor)
    archive = await artifact_archive(gateway, version.artifact_uri)
    filename = f"{version.model_name}-v{version.version}.zip"
    return StreamingResponse(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/lineage", summary="Lineage from a run, a dataset fingerprint or a version.")
async def lineage(
    gateway: GatewayDep,
    actor: CurrentActor,
    run_id: Annotated[str | None, Query(max_length=64, description="A training run.")] = None,
    dataset: Annotated[
        str | None, Query(max_length=128, description="A dataset fingerprint (sha256).")
    ] = None,
    model_id: Annotated[str | None, Query(max_length=64, description="A registered version.")] = None,
) -> Lineage:
    found: Lineage = await ask(
        gateway, LINEAGE_GET, GetLineage(run_id=run_id, dataset=dataset, model_id=model_id), actor
    )
    if found.versions:
        found.deployments = await deployments_of(
            gateway, actor, model_ids=[v.model_id for v in found.versions]
        )
    return found


async def deployments_of(
    gateway: Gateway, actor: Actor, model_name: str | None = None, model_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """Deployments of a model or of versions (deleted ones too), as infra reports them; none when
    infra does not answer (the registry's page still shows)."""
    request = ListDeployments(model_name=model_name, model_ids=model_ids, include_deleted=True, limit=500)
    try:
        page = await ask_data(gateway, DEPLOYMENT_LIST, request, actor)
    except QueryFailed:
        return []
    return list(page["items"])


def _tags(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    tags: dict[str, Any] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise InvalidRequest(f"tag {value!r} is not key=value", field="tag")
        tags[key] = item
    return tags
