"""Factories for tests: settings, started services, commands, and reading streams back."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts.envelope import Actor, Envelope, new_id
from contracts.messages import spec
from contracts.system import Ping
from services.cli.ports import free_port
from services.kit.bus import Bus
from services.kit.runtime import Service
from services.kit.settings import ServiceSettings

EDITOR = Actor(id="ada", role="editor")


def settings(
    nats_url: str, database_url: str, cls: type[ServiceSettings] = ServiceSettings, **overrides: Any
) -> ServiceSettings:
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "database_url": database_url,
        "log_format": "text",
        "log_level": "WARNING",
        "retry_delay_seconds": 0.05,
        "heartbeat_seconds": 0.5,
    }
    return cls(**(values | overrides))


def build_service(name: str, config: ServiceSettings) -> Service:
    """Service ``name`` as its process builds it (``services.<name>.app``), or a bare one."""
    try:
        app = importlib.import_module(f"services.{name}.app")
    except ModuleNotFoundError:
        app = None
    if app is None or not hasattr(app, "create_service"):
        module = importlib.import_module(f"services.{name}.models")
        return Service(name, config, module.Base.metadata, module.KIT)
    service: Service = app.create_service(config)
    return service


@asynccontextmanager
async def running(service: Service) -> AsyncIterator[Service]:
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def count_calls(service: Service, message_type: str) -> list[str]:
    """Wrap a command handler; the returned list collects the id of every message it ran for."""
    calls: list[str] = []
    original = service.command_handlers[message_type]

    async def counted(envelope: Envelope, uow: Any) -> Any:
        calls.append(envelope.id)
        return await original(envelope, uow)

    service.command_handlers[message_type] = counted
    return calls


def ping(service: str = "workflow", echo: str | None = None, **fields: Any) -> Envelope:
    values = {"source": "test/1", "correlation_id": new_id(), "actor": EDITOR, "data": Ping(echo=echo)}
    return spec(f"{service}.system.ping.v1").envelope(**(values | fields))


async def stream_messages(bus: Bus, stream: str, subject: str = ">") -> list[Msg]:
    """Every message a stream holds now (optionally filtered), in order."""
    info = await bus.js.stream_info(stream)
    if info.state.messages == 0:
        return []
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.NONE,
        filter_subject=subject,
        inactive_threshold=5,
    )
    sub = await bus.js.pull_subscribe(subject, stream=stream, config=config)
    found: list[Msg] = []
    try:
        while True:
            try:
                batch = await sub.fetch(500, timeout=0.5)
            except TimeoutError:
                return found
            found.extend(batch)
            if batch[-1].metadata.sequence.stream >= info.state.last_seq:
                return found
    finally:
        await sub.unsubscribe()


async def wait_for(
    condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll an (async or sync) condition until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


async def events(bus: Bus, subject: str = "evt.>") -> list[dict[str, Any]]:
    return [json.loads(m.data) for m in await stream_messages(bus, "EVT", subject)]


async def outcome_of(bus: Bus, command_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """The outcome event of a command, once it is in the event stream."""

    async def find() -> dict[str, Any] | None:
        for event in await events(bus, "evt.*.command.*"):
            if event["data"]["command_id"] == command_id:
                return event
        return None

    result: dict[str, Any] = await wait_for(find, timeout, what=f"outcome of {command_id}")
    return result


@asynccontextmanager
async def service_process(
    name: str, nats_url: str, database_url: str, home: Path, **env: str
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``python -m services.<name>`` as its own process (``MLOPS_*`` from ``env``), ready when this yields."""
    port = free_port()
    environment = {
        **os.environ,
        "MLOPS_NATS_URL": nats_url,
        "MLOPS_DATABASE_URL": database_url,
        "MLOPS_HOME": str(home),
        "MLOPS_HTTP_PORT": str(port),
        "MLOPS_LOG_FORMAT": "text",
        **env,
    }
    process = subprocess.Popen([sys.executable, "-m", f"services.{name}"], env=environment)  # noqa: ASYNC220 - starts at once

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"http://127.0.0.1:{port}/readyz", timeout=1)).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        await wait_for(ready, 30, interval=0.2, what=f"the {name} service to be ready")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
