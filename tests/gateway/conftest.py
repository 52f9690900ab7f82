"""A real gateway (uvicorn on a free port) and in-process services on the test NATS server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from services.cli.ports import free_port
from services.gateway.app import create_app
from services.gateway.gateway import Gateway
from services.gateway.settings import GatewaySettings
from services.infra.local import stop_replicas
from services.infra.settings import InfraSettings
from services.kit.bus import Bus
from services.kit.runtime import Service
from services.kit.settings import ServiceSettings
from services.workflow.settings import WorkflowSettings
from tests.factories import build_service, running, settings

ADMIN_PASSWORD = "admin-password-for-tests"
SETTINGS: dict[str, type[ServiceSettings]] = {"workflow": WorkflowSettings, "infra": InfraSettings}


@dataclass
class Platform:
    """A running gateway plus whichever services a test started; ``http`` is signed in as admin."""

    url: str
    http: httpx.AsyncClient
    app: Any
    services: dict[str, Service] = field(default_factory=dict)
    start_service: Callable[[str], Any] = lambda name: None
    admin_token: str = ""
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def ws_headers(self) -> dict[str, str]:
        """Handshake headers of the admin's API token."""
        return {"Authorization": f"Bearer {self.admin_token}"}

    async def client(self, username: str | None = None, password: str | None = None) -> httpx.AsyncClient:
        """A new client: signed in (cookie + CSRF header) when given credentials, anonymous otherwise."""
        http = httpx.AsyncClient(base_url=self.url, timeout=10)
        self.clients.append(http)
        if username is not None:
            response = await http.post("/api/auth/login", json={"username": username, "password": password})
            response.raise_for_status()
            http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return http

    async def user(self, role: str, username: str | None = None) -> httpx.AsyncClient:
        """Create a user with ``role`` and return a client signed in as them."""
        name = username or f"{role}-{len(self.clients)}"
        response = await self.http.post(
            "/api/users", json={"username": name, "password": "password-1", "role": role}
        )
        response.raise_for_status()
        return await self.client(name, "password-1")

    @property
    def gateway(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws/events"


@asynccontextmanager
async def gateway_server(config: GatewaySettings) -> AsyncIterator[tuple[str, Any]]:
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=config.http_port,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
    )
    server.capture_signals = _no_signals  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError(f"gateway did not start: {task.exception()}")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.http_port}", app
    finally:
        server.should_exit = True
        await task


async def _close_all(platform: Platform) -> None:
    for client in platform.clients:
        await client.aclose()


@contextmanager
def _no_signals() -> Iterator[None]:
    yield


@pytest.fixture
def platform_factory(bus: Bus, nats_url: str, tmp_path: Path) -> Callable[..., Any]:
    """``async with platform_factory(services=[...], **gateway_settings) as platform``."""

    @asynccontextmanager
    async def make(
        services: tuple[str, ...] = ("workflow", "registry", "infra", "assistant"),
        database: str | None = None,
        service_settings: dict[str, Any] | None = None,
        **overrides: Any,
    ):  # type: ignore[no-untyped-def]
        """``database``: one URL for the gateway and every service (default: SQLite files);
        ``service_settings``: extra settings of the services (they share the gateway's home)."""
        values: dict[str, Any] = {
            "nats_url": nats_url,
            "database_url": database or f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            "http_port": free_port(),
            "log_format": "text",
            "log_level": "WARNING",
            "heartbeat_seconds": 0.2,
            "command_wait_seconds": 2.0,
            "admin_password": ADMIN_PASSWORD,
            "home": tmp_path / "home",
        }
        config = GatewaySettings(**(values | overrides))
        async with AsyncExitStack() as stack:
            url, app = await stack.enter_async_context(gateway_server(config))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
            platform = Platform(url=url, http=http, app=app)
            login = await http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
            login.raise_for_status()
            http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            token = await http.post("/api/auth/tokens", json={"name": "tests", "expires_in_days": 1})
            platform.admin_token = token.json()["token"]
            stack.push_async_callback(_close_all, platform)
            # Inference replicas outlive the infra service by design: the test stops them last.
            stack.push_async_callback(stop_replicas, config.home / "deployments", 2.0)

            async def start(name: str) -> Service:
                url = database or f"sqlite+aiosqlite:///{tmp_path / name}.db"
                extra = {"home": config.home, "heartbeat_seconds": 0.2, **(service_settings or {})}
                cls = SETTINGS.get(name, ServiceSettings)
                service = build_service(name, settings(nats_url, url, cls, **extra))
                platform.services[name] = await stack.enter_async_context(running(service))
                return service

            platform.start_service = start
            for name in services:
                await start(name)
            yield platform

    return make
