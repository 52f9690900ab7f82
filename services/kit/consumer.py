"""The durable pull-consumer loop that all replicas of a service share.

A message is acked once its handler's unit of work committed. For commands (``replies=True``) a
``PlatformError`` becomes a ``command.rejected`` outcome and success a ``command.succeeded``
outcome, both committed with the handler's changes. Any other failure is redelivered with a
growing delay and, past the last attempt, dead-lettered with its reason, as is a message that does
not decode. Nothing here lets one bad message stop the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from contracts.catalog import DecodeError, Decoder
from contracts.envelope import SYSTEM_ACTOR, Actor, Envelope, allows
from contracts.messages import spec
from contracts.subjects import dead_letter_subject, outcome_type
from contracts.system import CommandRejected, CommandSucceeded
from services.kit import logs, telemetry
from services.kit.bus import Bus
from services.kit.errors import Forbidden, PlatformError, TransientError
from services.kit.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, UnitOfWork], Awaitable[dict[str, Any] | None]]


class Consumer:
    """Consumes ``subjects`` of ``stream`` through one durable consumer shared by every replica."""

    def __init__(
        self,
        *,
        bus: Bus,
        service: str,
        source: str,
        stream: str,
        subjects: list[str],
        durable: str,
        decoder: Decoder,
        handlers: dict[str, Handler],
        unit_of_work: Callable[[], UnitOfWork],
        replies: bool,
        concurrency: int = 16,
        max_deliveries: int = 5,
        retry_delay: float = 0.5,
        ack_wait: float = 30.0,
    ) -> None:
        self.bus = bus
        self.service = service
        self.source = source
        self.stream = stream
        self.subjects = subjects
        self.durable = durable
        self.decoder = decoder
        self.handlers = handlers
        self.unit_of_work = unit_of_work
        self.replies = replies
        self.max_deliveries = max_deliveries
        # A database or bus outage is retried longer than a failing handler (about 8 minutes).
        self.outage_deliveries = max_deliveries * 4
        self.retry_delay = retry_delay
        self.ack_wait = ack_wait
        self._room = asyncio.Event()
        self._concurrency = concurrency
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.running = False

    async def start(self) -> None:
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.ack_wait,
            max_deliver=self.outage_deliveries + 2,
            max_ack_pending=1000,
            filter_subjects=self.subjects,
        )
        # Creating a durable that exists updates its configuration.
        await self.bus.js.add_consumer(self.stream, config)
        sub = await self.bus.js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
        self._loop_task = asyncio.create_task(self._loop(sub), name=f"{self.durable}-loop")
        self.running = True

    async def stop(self) -> None:
        """Stop fetching and let the handlers in flight finish."""
        self._stopping.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        self.running = False

    async def _loop(self, sub: Any) -> None:
        while not self._stopping.is_set():
            # Fetch only what there is room for: a fetched message's ack_wait is already running.
            free = self._concurrency - len(self._tasks)
            if free <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            try:
                messages = await sub.fetch(batch=free, timeout=1.0)
            except (NatsTimeout, TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("fetch failed: %s", error)
                await asyncio.sleep(0.5)
                continue
            for msg in messages:
                task = asyncio.create_task(self._guarded(msg))
                self._tasks.add(task)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._room.set()

    async def _guarded(self, msg: Msg) -> None:
        try:
            await self.handle(msg)
        except Exception:
            # Even the failure path failed (database or bus away): leave the message un-acked so
            # the server redelivers it after ack_wait.
            log.exception("could not settle message on %s", msg.subject)

    async def handle(self, msg: Msg) -> None:
        """Decode, dispatch and settle one message."""
        attempt = msg.metadata.num_delivered
        try:
            envelope = self.decoder.decode(msg.data)
        except DecodeError as error:
            await self._give_up(msg, f"undecodable: {error.reason}", "invalid_message", 422)
            return
        handler = self.handlers.get(envelope.type)
        if handler is None and not self.replies:
            await msg.ack()  # an event this service does not react to
            return
        if handler is None:
            await self._give_up(msg, f"no handler for {envelope.type}", "unsupported", 422)
            return
        if envelope.id in self._in_flight:
            # Delivered again while still being handled here (a duplicate publish past the dedup
            # window): let the first finish, then the inbox recognises this one.
            await msg.in_progress()
            await msg.nak(delay=max(self.retry_delay, 1.0))
            return
        if attempt > self.outage_deliveries:
            # Deliveries that never settled (a handler that kills its process, every time).
            await self._give_up(msg, f"gave up after {attempt - 1} deliveries", "internal_error", 500)
            return
        self._in_flight.add(envelope.id)
        keeper = asyncio.create_task(_keep_alive(msg, self.ack_wait / 3))
        try:
            await self._handle(msg, envelope, handler, attempt)
        finally:
            keeper.cancel()
            self._in_flight.discard(envelope.id)

    async def _handle(self, msg: Msg, envelope: Envelope, handler: Handler, attempt: int) -> None:
        logs.correlation_id.set(envelope.correlation_id)
        logs.message_id.set(envelope.id)
        started = time.perf_counter()
        context = telemetry.extract(msg.headers)
        with telemetry.tracer().start_as_current_span(
            f"handle {envelope.type}", context=context, kind=trace.SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.message.id", envelope.id)
            outcome = await self._dispatch(msg, envelope, handler, attempt)
        telemetry.HANDLER_SECONDS.labels(self.service, envelope.type).observe(time.perf_counter() - started)
        telemetry.MESSAGES_HANDLED.labels(self.service, envelope.type, outcome).inc()

    async def _dispatch(self, msg: Msg, envelope: Envelope, handler: Handler, attempt: int) -> str:
        try:
            async with self.unit_of_work() as uow:
                if await uow.seen(envelope.id):
                    outcome = "duplicate"
                else:
                    if self.replies:
                        _authorize(envelope)
                    result = await handler(envelope, uow)
                    if self.replies:
                        uow.record(self._succeeded(envelope, result or {}))
                    await uow.mark_seen(envelope.id, self.durable)
                    outcome = "ack"
        except IntegrityError as error:
            if not await self._seen(envelope.id):
                return await self._retry_or_give_up(msg, envelope, attempt, error)
            outcome = "duplicate"  # another delivery of the same message committed first
        except PlatformError as error:
            if not self.replies:
                await self._dead_letter(msg, f"{error.code}: {error.reason}")
                await msg.term()
                return "dead_letter"
            await self._reject(envelope, error.code, error.reason, error.status, error.field)
            outcome = "rejected"
        except Exception as error:
            return await self._retry_or_give_up(msg, envelope, attempt, error)
        await msg.ack()
        return outcome

    async def _seen(self, message_id: str) -> bool:
        async with self.unit_of_work() as uow:
            return await uow.seen(message_id)

    async def _retry_or_give_up(self, msg: Msg, envelope: Envelope, attempt: int, error: Exception) -> str:
        outage = _is_outage(error)
        if attempt >= (self.outage_deliveries if outage else self.max_deliveries):
            log.exception("giving up on %s after %d deliveries", envelope.type, attempt, exc_info=error)
            await self._dead_letter(msg, f"failed {attempt} times: {error!r}")
            if self.replies:
                await self._reject(envelope, "internal_error", f"{self.service} failed: {error}", 500)
            await msg.term()
            return "dead_letter"
        delay = min(MAX_RETRY_DELAY, self.retry_delay * 2 ** (attempt - 1))
        log.warning("%s failed (attempt %d), retrying in %.1fs: %r", envelope.type, attempt, delay, error)
        await msg.nak(delay=delay)
        return "retry"

    def _succeeded(self, command: Envelope, result: dict[str, Any]) -> Envelope:
        data = CommandSucceeded(command_id=command.id, command_type=command.type, result=result)
        return spec(outcome_type(self.service, True)).envelope(
            source=self.source,
            correlation_id=command.correlation_id,
            causation_id=command.id,
            actor=command.actor,
            data=data,
        )

    async def _reject(
        self,
        command: Envelope | dict[str, Any],
        code: str,
        reason: str,
        status: int,
        field: str | None = None,
    ) -> None:
        fields = command.model_dump() if isinstance(command, Envelope) else command
        data = CommandRejected(
            command_id=fields["id"],
            command_type=fields.get("type") or "unknown",
            code=code,
            reason=reason,
            status=status,
            field=field,
        )
        async with self.unit_of_work() as uow:
            if await uow.seen(data.command_id):
                return
            uow.record(
                spec(outcome_type(self.service, False)).envelope(
                    source=self.source,
                    correlation_id=fields.get("correlation_id") or data.command_id,
                    causation_id=data.command_id,
                    actor=fields.get("actor") or SYSTEM_ACTOR,
                    data=data,
                )
            )
            await uow.mark_seen(data.command_id, self.durable)

    async def _give_up(self, msg: Msg, reason: str, code: str, status: int) -> None:
        """Dead-letter a message that can never succeed, answer it if it has an id, and term it."""
        log.error("dead-lettering message on %s: %s", msg.subject, reason)
        await self._dead_letter(msg, reason)
        peeked = _peek(msg.data)
        if self.replies and isinstance(peeked.get("id"), str):
            try:
                await self._reject(peeked, code, reason, status)
            except Exception:
                log.exception("could not record the rejection of %s", peeked["id"])
        telemetry.MESSAGES_HANDLED.labels(self.service, str(peeked.get("type")), "dead_letter").inc()
        await msg.term()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        headers = {k: v for k, v in (msg.headers or {}).items() if k != "Nats-Msg-Id"}
        headers.update(
            {
                "Nats-Msg-Id": f"dlq-{meta.stream}-{meta.sequence.stream}",
                "Mlops-Dead-Letter-Reason": " ".join(reason.split())[:2000],
                "Mlops-Original-Subject": msg.subject,
                "Mlops-Deliveries": str(meta.num_delivered),
                "Mlops-Service": self.service,
            }
        )
        await self.bus.publish(dead_letter_subject(self.service, msg.subject), msg.data, headers)


MAX_RETRY_DELAY = 30.0


async def _keep_alive(msg: Msg, every: float) -> None:
    """Tell the server a long handler is still at work, so it does not redeliver after ack_wait."""
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(Exception):
            await msg.in_progress()


def _authorize(command: Envelope) -> None:
    """Services refuse commands whose actor lacks the role the command needs."""
    required = spec(command.type).role
    if not allows(command.actor.role, required):
        raise Forbidden(
            f"{command.actor.id} ({command.actor.role}) may not {command.type}: it needs {required}",
            field="actor.role",
        )


def _is_outage(error: BaseException) -> bool:
    """A dependency is away (database, network), not the handler at fault."""
    return isinstance(
        error, OperationalError | InterfaceError | ConnectionError | TimeoutError | TransientError
    ) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def _peek(raw: bytes) -> dict[str, Any]:
    """Best-effort fields of a message that failed to decode."""
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    try:
        value["actor"] = Actor.model_validate(value.get("actor"))
    except ValidationError:
        value["actor"] = None
    return {k: v for k, v in value.items() if k == "actor" or isinstance(v, str)}
