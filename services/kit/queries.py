"""Answering request/reply queries; replicas share them through a queue group."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from nats.aio.msg import Msg
from pydantic import BaseModel

from contracts.catalog import DecodeError
from contracts.envelope import Envelope
from contracts.messages import QueryError, QueryReply, query_decoder, spec
from services.kit import logs, telemetry
from services.kit.bus import Bus
from services.kit.errors import PlatformError

log = logging.getLogger(__name__)

QueryHandler = Callable[[Envelope], Awaitable[BaseModel]]

requester: ContextVar[str | None] = ContextVar("requester", default=None)
"""The service whose connection asked the query being answered, from its reply subject.

Under the bus permissions only service ``S`` may receive on ``_INBOX_S.>``, so a reply subject
names who can read the answer, whatever the envelope claims."""


def _requester(reply: str) -> str | None:
    prefix = reply.split(".", 1)[0]
    return prefix.removeprefix("_INBOX_") if prefix.startswith("_INBOX_") and prefix != "_INBOX_" else None


class QueryServer:
    """Routes ``qry.<service>.*`` requests to their handlers and replies with a ``QueryReply``."""

    def __init__(self, bus: Bus, service: str, concurrency: int = 64) -> None:
        self.bus = bus
        self.service = service
        self.handlers: dict[str, QueryHandler] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)

    def register(self, message_type: str, handler: QueryHandler) -> None:
        if spec(message_type).kind != "qry":
            raise ValueError(f"{message_type} is not a query")
        self.handlers[message_type] = handler

    async def start(self) -> None:
        for message_type in self.handlers:
            await self.bus.serve(spec(message_type).subject, self.service, self._answer)

    async def _answer(self, msg: Msg) -> None:
        # nats-py runs one subscription's callbacks one at a time: answer each in its own task
        # so a slow query does not hold up the others.
        task = asyncio.create_task(self._respond(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respond(self, msg: Msg) -> None:
        async with self._slots:
            reply = await self._reply(msg)
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(reply.model_dump_json().encode())

    async def _reply(self, msg: Msg) -> QueryReply:
        try:
            envelope = query_decoder(self.service).decode(msg.data)
        except DecodeError as error:
            return _failed("invalid_message", error.reason, 422, "?")
        logs.correlation_id.set(envelope.correlation_id)
        requester.set(_requester(msg.reply or ""))
        with telemetry.tracer().start_as_current_span(
            f"query {envelope.type}", context=telemetry.extract(msg.headers)
        ):
            try:
                result = await self.handlers[envelope.type](envelope)
            except PlatformError as error:
                return _failed(
                    error.code, error.reason, error.status, envelope.type, self.service, error.field
                )
            except Exception as error:
                log.exception("query %s failed", envelope.type)
                return _failed("internal_error", repr(error), 500, envelope.type, self.service)
        telemetry.QUERIES_ANSWERED.labels(self.service, envelope.type, "ok").inc()
        return QueryReply(ok=True, data=result.model_dump(mode="json"))


def _failed(
    code: str, reason: str, status: int, message_type: str, service: str = "?", field: str | None = None
) -> QueryReply:
    telemetry.QUERIES_ANSWERED.labels(service, message_type, code).inc()
    return QueryReply(ok=False, error=QueryError(code=code, reason=reason, status=status, field=field))
