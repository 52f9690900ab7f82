"""The NATS connection: stream provisioning, publishing with ``Nats-Msg-Id``, queries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import PubAck, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError
from pydantic import BaseModel

from contracts.catalog import MessageSpec
from contracts.envelope import Actor, Envelope, new_id
from contracts.messages import QueryError, QueryReply, spec
from contracts.subjects import (
    DEAD_LETTER_STREAM,
    EVENT_STREAM,
    SERVICES,
    Kind,
    command_stream,
    command_subjects,
    event_subjects,
    subject_for,
)
from services.kit import telemetry

log = logging.getLogger(__name__)

DAY = 24 * 3600
DEDUP_WINDOW = 600
"""Seconds JetStream remembers message ids: a relay or publisher that died and came back within
this window republishes without duplicates."""


def stream_configs(services: Iterable[str] = SERVICES, event_days: float = 7) -> list[StreamConfig]:
    """Every stream of the platform: one work queue per service, events, dead letters."""
    configs = [
        StreamConfig(
            name=command_stream(service),
            subjects=[command_subjects(service)],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            duplicate_window=DEDUP_WINDOW,
            max_age=7 * DAY,
        )
        for service in services
    ]
    configs.append(
        StreamConfig(
            name=EVENT_STREAM,
            subjects=[event_subjects()],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=DEDUP_WINDOW,
            max_age=event_days * DAY,
        )
    )
    configs.append(
        StreamConfig(
            name=DEAD_LETTER_STREAM,
            subjects=["dlq.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=DEDUP_WINDOW,
            max_age=30 * DAY,
        )
    )
    return configs


COMMAND_ISSUERS: Final = frozenset({"gateway"})
"""Services that issue commands to every other service (on behalf of people)."""

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_INVALID = re.compile(r"[^A-Za-z0-9_-]")


def inbox_prefix(service: str) -> str:
    """Prefix of the reply subjects of ``service``'s connection: ``_INBOX_<service>``."""
    if not _TOKEN.match(service):
        raise ValueError(f"{service!r} cannot name an inbox: use letters, digits, '_' and '-'")
    return f"_INBOX_{service}"


def provisioned_services(service: str | None) -> tuple[str, ...]:
    """Whose command streams a connection of ``service`` creates: its own; every service's for a
    command issuer (so a command to a service that never started is still queued) and for a
    connection that is not a platform service (tests, tools)."""
    if service in SERVICES and service not in COMMAND_ISSUERS:
        return (service,)
    return SERVICES


class Bus:
    """One NATS connection with its JetStream context."""

    def __init__(self, nc: Client, name: str, service: str | None = None) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.name = name
        self.service = service

    @classmethod
    async def connect(
        cls,
        url: str,
        name: str,
        *,
        service: str | None = None,
        user: str | None = None,
        password: str | None = None,
        **options: Any,
    ) -> Bus:
        """Connect, retrying forever on disconnects; the first connect fails after ~10 s.

        Replies, JetStream acks of publishes and consumer deliveries arrive under
        :func:`inbox_prefix` of ``service`` (default: the part of ``name`` before ``/``), a
        subject only that service's NATS user may subscribe to.
        """
        nc = Client()

        async def on_error(error: Exception) -> None:
            log.warning("nats error: %s", error)

        async def on_disconnect() -> None:
            if not (nc.is_closed or nc.is_draining):
                log.warning("nats disconnected; reconnecting")

        async def on_reconnect() -> None:
            log.info("nats reconnected")

        if user is not None:
            options["user"] = user
        if password is not None:
            options["password"] = password
        await nc.connect(
            servers=url.split(","),
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,  # type: ignore[arg-type]  # floats work; the hint is narrow
            connect_timeout=2,
            allow_reconnect=True,
            error_cb=on_error,
            disconnected_cb=on_disconnect,
            reconnected_cb=on_reconnect,
            inbox_prefix=inbox_prefix(service or _INVALID.sub("_", name.split("/", 1)[0]) or "client"),
            **options,
        )
        return cls(nc, name, service)

    @property
    def connected(self) -> bool:
        return bool(self.nc.is_connected)

    async def provision(self, configs: Iterable[StreamConfig] | None = None) -> None:
        """Create or update streams (idempotent; safe when replicas race): by default every stream
        for a command issuer (the gateway) or a connection that is not a service (tests, tools).

        A service only waits for its streams to exist: it may not create or change streams, so it
        cannot redirect the shared event stream to capture other services' subjects.
        """
        if configs is None and self.service in SERVICES and self.service not in COMMAND_ISSUERS:
            await self.wait_for_streams([command_stream(self.service), EVENT_STREAM, DEAD_LETTER_STREAM])
            return
        if configs is None:
            configs = stream_configs(provisioned_services(self.service))
        for config in configs:
            try:
                await self.js.add_stream(config)
            except BadRequestError:
                await self.js.update_stream(config)

    async def wait_for_streams(self, names: Iterable[str], timeout: float = 120.0) -> None:
        """Wait until each stream exists (the gateway creates them)."""
        deadline = asyncio.get_running_loop().time() + timeout
        for name in names:
            waited = False
            while True:
                try:
                    await self.js.stream_info(name)
                    break
                except NotFoundError:
                    if asyncio.get_running_loop().time() > deadline:
                        raise RuntimeError(f"stream {name} does not exist; is the gateway running?") from None
                    if not waited:
                        log.info("waiting for stream %s (the gateway creates it)", name)
                        waited = True
                    await asyncio.sleep(0.5)

    async def publish(self, subject: str, payload: bytes, headers: Mapping[str, str] | None = None) -> PubAck:
        """Publish to JetStream and wait for the stream's ack."""
        return await self.js.publish(subject, payload, headers=dict(headers or {}))

    async def publish_envelope(self, kind: Kind, envelope: Envelope) -> PubAck:
        """Publish a command or event with its id as ``Nats-Msg-Id`` and the trace context."""
        headers = telemetry.inject({"Nats-Msg-Id": envelope.id})
        subject = (
            spec(envelope.type).subject_of(envelope) if kind == "evt" else subject_for(kind, envelope.type)
        )
        return await self.publish(subject, envelope.to_bytes(), headers)

    async def query(self, spec: MessageSpec, envelope: Envelope, timeout: float = 2.0) -> QueryReply:
        """Ask a query and return its reply; a reply with ``ok=False`` when nobody answered."""
        try:
            msg = await self.nc.request(
                spec.subject, envelope.to_bytes(), timeout=timeout, headers=telemetry.inject({})
            )
        except (TimeoutError, NatsTimeout, NoRespondersError):
            error = QueryError(code="unavailable", reason=f"{spec.service} did not answer", status=503)
            return QueryReply(ok=False, error=error)
        return QueryReply.model_validate_json(msg.data)

    async def ask(
        self,
        message_type: str,
        data: BaseModel,
        actor: Actor,
        *,
        correlation_id: str | None = None,
        timeout: float = 2.0,
    ) -> QueryReply:
        """Ask query ``message_type`` on behalf of ``actor``, in this connection's name (its source)."""
        query = spec(message_type)
        envelope = query.envelope(
            source=self.name, correlation_id=correlation_id or new_id(), actor=actor, data=data
        )
        return await self.query(query, envelope, timeout)

    async def serve(self, subject: str, queue: str, handler: Callable[[Msg], Awaitable[None]]) -> None:
        """Answer requests on ``subject``; replicas share the load through ``queue``."""
        await self.nc.subscribe(subject, queue=queue, cb=handler)

    async def close(self) -> None:
        """Flush what is pending (acks, replies), then close. Un-acked messages are redelivered."""
        if self.nc.is_closed:
            return
        with contextlib.suppress(Exception):
            await self.nc.flush(timeout=2)
        await self.nc.close()
