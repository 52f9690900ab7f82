"""Drift and health alerts: list, read, acknowledge (the seed's "Acknowledge Alert"), resolve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from contracts.envelope import Input
from contracts.infra import (
    ALERT_ACKNOWLEDGE,
    ALERT_GET,
    ALERT_LIST,
    ALERT_RESOLVE,
    AcknowledgeAlert,
    AlertStatus,
    AlertType,
    AlertView,
    GetAlert,
    ListAlerts,
    ResolveAlert,
)
from services.gateway.auth.http import CurrentActor
from services.gateway.commands import CommandView
from services.gateway.gateway import GatewayDep, ask
from services.gateway.pagination import Page, Paging
from services.gateway.routes.system import ACCEPTED, respond

router = APIRouter(prefix="/api/alerts", tags=["alerts"])
AlertPath = Annotated[str, Path(min_length=1, max_length=64, description="Id of an alert.")]


class NoteBody(Input):
    """An optional note for the alert's record."""

    note: str | None = Field(default=None, max_length=1000, description="What was done, or why.")


@router.get("", summary="Alerts, newest first.")
async def list_alerts(
    gateway: GatewayDep,
    actor: CurrentActor,
    paging: Paging,
    status: Annotated[AlertStatus | None, Query(description="open, acknowledged or resolved.")] = None,
    model_name: Annotated[str | None, Query(max_length=100, description="Only this model.")] = None,
    deployment_id: Annotated[str | None, Query(max_length=64, description="Only this deployment.")] = None,
    alert_type: Annotated[AlertType | None, Query(description="Only this type.")] = None,
) -> Page[AlertView]:
    request = ListAlerts(
        status=status,
        model_name=model_name,
        deployment_id=deployment_id,
        alert_type=alert_type,
        limit=paging.limit,
        offset=paging.offset,
    )
    page = await ask(gateway, ALERT_LIST, request, actor)
    return Page(items=page.items, total=page.total, limit=paging.limit, offset=paging.offset)


@router.get("/{alert_id}", summary="One alert with its lifecycle.")
async def get_alert(alert_id: AlertPath, gateway: GatewayDep, actor: CurrentActor) -> AlertView:
    found: AlertView = await ask(gateway, ALERT_GET, GetAlert(alert_id=alert_id), actor)
    return found


@router.post("/{alert_id}/acknowledge", summary="Acknowledge an open alert.", responses=ACCEPTED)
async def acknowledge_alert(
    alert_id: AlertPath,
    gateway: GatewayDep,
    actor: CurrentActor,
    response: Response,
    body: NoteBody | None = None,
) -> CommandView:
    command = AcknowledgeAlert(alert_id=alert_id, note=body.note if body else None)
    return respond(await gateway.commands.issue(ALERT_ACKNOWLEDGE, command, actor, alert_id), response)


@router.post("/{alert_id}/resolve", summary="Resolve an alert.", responses=ACCEPTED)
async def resolve_alert(
    alert_id: AlertPath,
    gateway: GatewayDep,
    actor: CurrentActor,
    response: Response,
    body: NoteBody | None = None,
) -> CommandView:
    command = ResolveAlert(alert_id=alert_id, note=body.note if body else None)
    return respond(await gateway.commands.issue(ALERT_RESOLVE, command, actor, alert_id), response)
