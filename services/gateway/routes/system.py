"""System status, ping through the bus, and command outcomes."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contracts.envelope import Input
from contracts.system import Ping
from services.gateway.auth.http import CurrentActor
from services.gateway.commands import CommandView
from services.gateway.gateway import GatewayDep, ServiceView
from services.gateway.problems import problem
from services.kit import __version__

router = APIRouter(prefix="/api", tags=["system"])

ServiceName = Literal["gateway", "workflow", "registry", "infra", "assistant"]


class PingRequest(Input):
    """Ask one service to prove it consumes its commands."""

    service: ServiceName = Field(description="Service to ping.")
    echo: str | None = Field(default=None, max_length=200, description="Text echoed back in the event.")


class SystemStatus(BaseModel):
    """The platform at a glance."""

    version: str = Field(description="Platform version of this gateway.")
    services: list[ServiceView] = Field(description="Each service.")


@router.get("/system/status", summary="Each service: up, version, replicas seen.")
async def system_status(gateway: GatewayDep) -> SystemStatus:
    return SystemStatus(version=__version__, services=await gateway.services())


@router.post(
    "/system/ping",
    summary="Ping a service through the bus.",
    responses={
        202: {"model": CommandView, "description": "The service did not answer in time; poll the command."}
    },
)
async def ping(
    body: PingRequest, gateway: GatewayDep, actor: CurrentActor, response: Response
) -> CommandView:
    view = await gateway.commands.issue(
        f"{body.service}.system.ping.v1", Ping(echo=body.echo), actor, body.service
    )
    return respond(view, response)


@router.get("/commands/{command_id}", summary="What became of a command.")
async def command(command_id: str, gateway: GatewayDep) -> CommandView:
    return await gateway.commands.get(command_id)


ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": CommandView, "description": "Not answered yet; poll the command."}
}
"""The 202 answer of a route that issues a command, for its OpenAPI ``responses``."""


def respond(view: CommandView, response: Response) -> CommandView:
    """200 with the result, 202 while pending; a rejection is raised as problem+json."""
    if view.status == "rejected":
        raise CommandRejectedError(view)
    if view.status == "pending":
        response.status_code = 202
        response.headers["Location"] = f"/api/commands/{view.command_id}"
    return view


class CommandRejectedError(Exception):
    """A command's owner refused it; answered as problem+json with the owner's status."""

    def __init__(self, view: CommandView) -> None:
        super().__init__(view.reason)
        self.view = view


def rejected_problem(view: CommandView) -> JSONResponse:
    return problem(
        view.http_status or 422,
        view.reason or "rejected",
        view.code,
        field=view.field,
        command_id=view.command_id,
        correlation_id=view.correlation_id,
    )
