"""The gateway's parts, built at start-up and handed to routes as a dependency."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import Depends, Request, WebSocket
from pydantic import BaseModel, Field

from contracts.envelope import SYSTEM_ACTOR, Actor
from contracts.messages import spec
from contracts.subjects import SERVICES
from contracts.system import ServiceStatus, StatusRequest
from services.gateway.auth.service import AuthService
from services.gateway.commands import CommandBook
from services.gateway.hub import EventHub
from services.gateway.platform_settings.service import SettingsService
from services.gateway.proxy import InferenceProxy
from services.gateway.replicas import ReplicaTracker
from services.gateway.settings import GatewaySettings
from services.kit.errors import PlatformError, Unavailable
from services.kit.runtime import Service

log = logging.getLogger(__name__)

ADMIN_CREATED = "admin-created"
"""Marker file under MLOPS_HOME/run: the gateway created the first admin (``mlops up`` then shows
the password it generated, once)."""


class InstanceView(BaseModel):
    """One live instance of a service, from its heartbeats."""

    instance: str = Field(description="Instance id.")
    version: str = Field(description="Version it runs.")
    started_at: str = Field(description="When it started.")
    last_seen_seconds: float = Field(description="Seconds since its last heartbeat.")


class ServiceView(BaseModel):
    """What the platform knows of one service."""

    name: str = Field(description="Service name.")
    up: bool = Field(description="Whether an instance answered the status query just now.")
    version: str | None = Field(description="Version of the instance that answered.")
    database: str | None = Field(description="Database dialect the service uses.")
    replicas: int = Field(description="Instances seen by their heartbeats in the last window.")
    instances: list[InstanceView] = Field(description="Those instances.")
    error: str | None = Field(default=None, description="Why the service is not up.")


class Gateway:
    """Event hub, command book and replica tracker around the gateway's own service runtime."""

    def __init__(self, service: Service, settings: GatewaySettings) -> None:
        self.service = service
        self.settings = settings
        self.hub: EventHub | None = None
        self._commands: CommandBook | None = None
        self.replicas = ReplicaTracker(settings.replica_window_seconds)
        self.auth = AuthService(service, settings.session_hours, settings.login_failures_per_minute)
        self.platform_settings: SettingsService | None = None
        """The settings and their secrets (set when the settings API is installed)."""
        self.inference = InferenceProxy(self)

    @property
    def commands(self) -> CommandBook:
        if self._commands is None:
            raise Unavailable("the gateway is starting")
        return self._commands

    async def start(self) -> None:
        assert self.service.bus is not None
        self.hub = EventHub(self.service.bus, self.settings.ws_queue_size)
        await self.hub.start()
        self._commands = CommandBook(self.service, self.hub, self.settings.command_wait_seconds)
        await self.replicas.start(self.service.bus)
        await self._bootstrap_admin()

    async def _bootstrap_admin(self) -> None:
        password = self.settings.admin_password
        created = await self.auth.bootstrap_admin(password.get_secret_value() if password else None)
        if created:
            log.warning("created the first user: admin")
            marker = self.settings.home.resolve() / "run" / ADMIN_CREATED
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("admin\n")
        elif password is None and await self.auth.users(1, 0, None, None) == ([], 0):
            log.error("there are no users and MLOPS_ADMIN_PASSWORD is not set: nobody can sign in")

    async def stop(self) -> None:
        await self.inference.close()
        if self.hub is not None:
            await self.hub.stop()

    async def services(self) -> list[ServiceView]:
        """Every service's status, asked concurrently."""
        return list(await asyncio.gather(*(self._service(name) for name in SERVICES)))

    async def _service(self, name: str) -> ServiceView:
        assert self.service.bus is not None
        reply = await self.service.bus.ask(
            f"{name}.system.status.v1",
            StatusRequest(),
            SYSTEM_ACTOR,
            correlation_id="status",
            timeout=self.settings.status_timeout_seconds,
        )
        status = ServiceStatus.model_validate(reply.data) if reply.ok else None
        alive = self.replicas.alive(name)
        return ServiceView(
            name=name,
            up=status is not None,
            version=status.version if status else None,
            database=status.database if status else None,
            replicas=len(alive),
            instances=[
                InstanceView(
                    instance=s.instance,
                    version=s.version,
                    started_at=s.started_at.isoformat(),
                    last_seen_seconds=age,
                )
                for age, s in alive
            ],
            error=None if status else (reply.error.reason if reply.error else "no answer"),
        )

    async def readiness(self) -> dict[str, bool]:
        checks = await self.service.readiness()
        checks["events"] = self.hub is not None and self.hub.running
        for view in await self.services():
            checks[view.name] = view.up
        return checks


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def websocket_gateway(websocket: WebSocket) -> Gateway:
    gateway: Gateway = websocket.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(_gateway)]


class QueryFailed(PlatformError):
    """A service answered a query with an error (or did not answer): its code and status pass through."""

    def __init__(self, code: str, reason: str, status: int, field: str | None = None) -> None:
        super().__init__(reason, field=field)
        self.code = code
        self.status = status


async def ask(
    gateway: Gateway, message_type: str, data: BaseModel, actor: Actor, timeout: float = 5.0
) -> Any:
    """The reply of a query to the owning service, on behalf of ``actor``; ``QueryFailed`` otherwise."""
    reply = await ask_data(gateway, message_type, data, actor, timeout)
    model = spec(message_type).reply
    assert model is not None
    return model.model_validate(reply)


async def ask_data(
    gateway: Gateway, message_type: str, data: BaseModel, actor: Actor, timeout: float = 5.0
) -> Any:
    """Like :func:`ask`, the reply as parsed JSON, not validated again (for long lists passed on)."""
    assert gateway.service.bus is not None
    reply = await gateway.service.bus.ask(message_type, data, actor, timeout=timeout)
    if not reply.ok:
        error = reply.error
        raise QueryFailed(
            error.code if error else "unavailable",
            error.reason if error else f"{spec(message_type).service} did not answer",
            error.status if error else 503,
            error.field if error else None,
        )
    return reply.data
