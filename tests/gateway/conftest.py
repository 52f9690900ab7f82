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
from services.kit.bus import Bus
from services.kit.runtime import Service
from tests.factories import build_service, running, settings


@dataclass
class Platform:
    """A running gateway plus whichever services a test started."""

    url: str
    http: httpx.AsyncClient
    app: Any
    services: dict[str, Service] = field(default_factory=dict)
    start_service: Callable[[str], Any] = lambda name: None

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


@contextmanager
def _no_signals() -> Iterator[None]:
    yield


@pytest.fixture
def platform_factory(bus: Bus, nats_url: str, tmp_path: Path) -> Callable[..., Any]:
    """``async with platform_factory(services=[...], **gateway_settings) as platform``."""

    @asynccontextmanager
    async def make(
        services: tuple[str, ...] = ("workflow", "registry", "infra", "assistant"), **overrides: Any
    ):  # type: ignore[no-untyped-def]
        values: dict[str, Any] = {
            "nats_url": nats_url,
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            "http_port": free_port(),
            "log_format": "text",
            "log_level": "WARNING",
            "heartbeat_seconds": 0.2,
            "command_wait_seconds": 2.0,
        }
        config = GatewaySettings(**(values | overrides))
        async with AsyncExitStack() as stack:
            url, app = await stack.enter_async_context(gateway_server(config))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
            platform = Platform(url=url, http=http, app=app)

            async def start(name: str) -> Service:
                service = build_service(
                    name,
                    settings(nats_url, f"sqlite+aiosqlite:///{tmp_path / name}.db", heartbeat_seconds=0.2),
                )
                platform.services[name] = await stack.enter_async_context(running(service))
                return service

            platform.start_service = start
            for name in services:
                await start(name)
            yield platform

    return make
