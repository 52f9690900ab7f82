"""A service process: wires settings, database, bus, consumer, relay, queries and HTTP together.

Every service answers ``cmd.<service>.system.ping`` with an event and ``qry.<service>.system.status``,
announces itself on ``hb.<service>``, and serves ``/healthz``, ``/readyz`` and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from contracts.envelope import Envelope, utcnow
from contracts.messages import command_decoder, event_decoder, spec
from contracts.subjects import EVENT_STREAM, command_stream, command_subjects, heartbeat_subject
from contracts.system import Ping, Pinged, ServiceStatus
from services.kit import __version__, logs, telemetry
from services.kit.bus import Bus
from services.kit.consumer import Consumer, Handler
from services.kit.db import create_engine
from services.kit.health import health_router
from services.kit.inbox import prune_inbox
from services.kit.migrate import upgrade_async
from services.kit.queries import QueryHandler, QueryServer
from services.kit.relay import OutboxRelay
from services.kit.settings import ServiceSettings
from services.kit.tables import KitTables
from services.kit.uow import UnitOfWork

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class Service:
    """One service process. Register handlers, then :func:`run` it (or use :meth:`lifespan`)."""

    def __init__(self, name: str, settings: ServiceSettings, metadata: MetaData, tables: KitTables) -> None:
        self.name = name
        self.settings = settings
        self.metadata = metadata
        self.tables = tables
        self.source = f"{name}/{settings.instance_id}"
        self.command_handlers: dict[str, Handler] = {}
        self.event_handlers: dict[str, Handler] = {}
        self.query_handlers: dict[str, QueryHandler] = {}
        self.started_at = utcnow()
        self._started = time.monotonic()
        self.engine: AsyncEngine | None = None
        self.bus: Bus | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[Consumer] = []
        self._sessions: async_sessionmaker[Any] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.command(f"{name}.system.ping.v1")(self._ping)
        self.query(f"{name}.system.status.v1")(self._status)

    def command(self, message_type: str) -> Callable[[F], F]:
        """Register the handler of a command this service owns."""
        if spec(message_type).kind != "cmd" or spec(message_type).service != self.name:
            raise ValueError(f"{self.name} cannot handle {message_type}")

        def register(handler: F) -> F:
            self.command_handlers[message_type] = handler
            return handler

        return register

    def on_event(self, message_type: str) -> Callable[[F], F]:
        """Register a reaction to an event (of any service); replicas share one durable consumer."""
        if spec(message_type).kind != "evt":
            raise ValueError(f"{message_type} is not an event")

        def register(handler: F) -> F:
            self.event_handlers[message_type] = handler
            return handler

        return register

    def query(self, message_type: str) -> Callable[[F], F]:
        """Register the handler of a query this service answers."""

        def register(handler: F) -> F:
            self.query_handlers[message_type] = handler
            return handler

        return register

    def unit_of_work(self) -> UnitOfWork:
        if self._sessions is None:
            raise RuntimeError("service not started")
        notify = self.relay.committed if self.relay is not None else None
        return UnitOfWork(self._sessions, self.tables, notify)

    def event(self, message_type: str, cause: Envelope, data: BaseModel | dict[str, Any]) -> Envelope:
        """An event of this service caused by ``cause`` (same correlation and actor)."""
        return spec(message_type).envelope(
            source=self.source,
            correlation_id=cause.correlation_id,
            causation_id=cause.id,
            actor=cause.actor,
            data=data,
        )

    async def start(self) -> None:
        settings = self.settings
        logs.configure(self.name, settings.instance_id, settings.log_level, settings.log_format)
        telemetry.configure_tracing(self.name, settings.instance_id, settings.otlp_endpoint)
        url = settings.database_url_for(self.name)
        await upgrade_async(self.name, url)
        self.engine = create_engine(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.bus = await Bus.connect(
            settings.nats_url,
            self.source,
            service=self.name,
            user=settings.nats_user,
            password=settings.nats_password,
        )
        await self.bus.provision()
        self.relay = OutboxRelay(self.engine, self.tables, self.bus, self.name)
        self.relay.start()
        self.consumers = [self._consumer(True)]
        if self.event_handlers:
            self.consumers.append(self._consumer(False))
        for consumer in self.consumers:
            await consumer.start()
        queries = QueryServer(self.bus, self.name)
        for message_type, handler in self.query_handlers.items():
            queries.register(message_type, handler)
        await queries.start()
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="heartbeat"))
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
        log.info("%s started", self.name, extra={"database": self.engine.dialect.name})

    def _consumer(self, commands: bool) -> Consumer:
        assert self.bus is not None
        settings = self.settings
        handlers = self.command_handlers if commands else self.event_handlers
        return Consumer(
            bus=self.bus,
            service=self.name,
            source=self.source,
            stream=command_stream(self.name) if commands else EVENT_STREAM,
            subjects=[command_subjects(self.name)] if commands else [spec(t).filter for t in handlers],
            durable=f"{self.name}-{'commands' if commands else 'events'}",
            decoder=command_decoder(self.name) if commands else event_decoder(),
            handlers=handlers,
            unit_of_work=self.unit_of_work,
            replies=commands,
            concurrency=settings.handler_concurrency,
            max_deliveries=settings.max_deliveries,
            retry_delay=settings.retry_delay_seconds,
            ack_wait=settings.ack_wait_seconds,
        )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for consumer in self.consumers:
            await consumer.stop()
        if self.relay is not None:
            with contextlib.suppress(Exception):
                await self.relay.stop()
        if self.bus is not None:
            await self.bus.close()
        if self.engine is not None:
            await self.engine.dispose()
        log.info("%s stopped", self.name)

    async def readiness(self) -> dict[str, bool]:
        """What must work for this instance to take traffic."""
        database = False
        if self.engine is not None:
            with contextlib.suppress(Exception):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                database = True
        return {
            "bus": self.bus is not None and self.bus.connected,
            "database": database,
            "consumers": bool(self.consumers) and all(c.running for c in self.consumers),
        }

    def status(self) -> ServiceStatus:
        return ServiceStatus(
            service=self.name,
            instance=self.settings.instance_id,
            version=__version__,
            started_at=self.started_at,
            uptime_seconds=round(time.monotonic() - self._started, 3),
            database=self.engine.dialect.name if self.engine is not None else "unknown",
        )

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def http_app(self) -> FastAPI:
        """The health and metrics server of a service without an API of its own."""
        app = FastAPI(title=f"mlops {self.name}", lifespan=self.lifespan, docs_url=None, redoc_url=None)
        app.include_router(health_router(self.readiness))
        return app

    async def _ping(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        ping = command.data
        assert isinstance(ping, Ping)
        pinged = Pinged(instance=self.settings.instance_id, echo=ping.echo)
        uow.record(self.event(f"{self.name}.system.pinged.v1", command, pinged))
        return pinged.model_dump()

    async def _status(self, _query: Envelope) -> ServiceStatus:
        return self.status()

    async def _housekeeping(self) -> None:
        assert self.engine is not None
        keep = timedelta(days=self.settings.inbox_retention_days)
        while True:
            try:
                pruned = await prune_inbox(self.engine, self.tables, keep)
                if pruned:
                    log.info("pruned %d inbox marks", pruned)
            except Exception as error:
                log.warning("inbox pruning failed: %r", error)
            await asyncio.sleep(3600)

    async def _heartbeat(self) -> None:
        while True:
            if self.bus is not None and self.bus.connected:
                with contextlib.suppress(Exception):
                    await self.bus.nc.publish(
                        heartbeat_subject(self.name), self.status().model_dump_json().encode()
                    )
            await asyncio.sleep(self.settings.heartbeat_seconds)


def serve(name: str) -> None:
    """Run the service ``name`` that has no API of its own: its tables are in ``services.<name>.models``."""
    models = importlib.import_module(f"services.{name}.models")
    settings = ServiceSettings()
    run(Service(name, settings, models.Base.metadata, models.KIT).http_app(), settings)


def run(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve ``app`` until SIGINT/SIGTERM; shutdown drains the bus and in-flight handlers."""
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws_ping_interval=None,
        # Bounds shutdown: a WebSocket caught mid-close can otherwise hold it for ~15 s.
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        raise SystemExit(1)
