"""Issuing commands on someone's behalf and tracking their outcome.

A POST publishes the command and waits a short while for the outcome event. The command row is
written beside that, off the request's path, and the gateway's durable event consumer records
the outcome on it (creating the row if the outcome came first), so ``GET /api/commands/{id}``
answers after the gateway restarts or when the owner was down.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from contracts.envelope import Actor, Envelope, new_id, utcnow
from contracts.messages import spec
from contracts.system import CommandRejected, CommandSucceeded
from services.gateway.hub import EventHub
from services.gateway.models import CommandRecord
from services.kit.errors import NotFound, Unavailable
from services.kit.runtime import Service
from services.kit.uow import UnitOfWork

log = logging.getLogger(__name__)

CommandStatus = Literal["pending", "succeeded", "rejected", "refused"]


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    type: str | None = None
    service: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class CommandView(BaseModel):
    """A command and, once known, its outcome."""

    command_id: str = Field(description="Id of the command; poll GET /api/commands/{id}.")
    correlation_id: str = Field(description="Id of the user's action; every resulting event carries it.")
    type: str = Field(description="Command type.")
    service: str = Field(description="Service that owns the command.")
    actor_id: str = Field(description="Who asked (username, or a service acting on its own).")
    actor_role: str | None = Field(default=None, description="The role they held.")
    target: str | None = Field(default=None, description="What the command acts on.")
    status: CommandStatus = Field(
        description="pending until the owner answers; refused when the gateway denied it before sending."
    )
    result: dict[str, Any] | None = Field(default=None, description="What the command produced.")
    code: str | None = Field(default=None, description="Error code when rejected.")
    reason: str | None = Field(default=None, description="Why it was rejected.")
    http_status: int | None = Field(default=None, description="HTTP status of the rejection.")
    field: str | None = Field(default=None, description="Offending field of the rejection, if any.")
    created_at: datetime = Field(description="When the command was issued.")
    completed_at: datetime | None = Field(default=None, description="When the outcome was recorded.")

    @classmethod
    def of(cls, record: CommandRecord) -> CommandView:
        columns = {c.key: getattr(record, c.key) for c in CommandRecord.__table__.columns}
        return cls.model_validate(columns | {"command_id": record.id})


def outcome_values(outcome: CommandSucceeded | CommandRejected) -> dict[str, Any]:
    """Column values that record ``outcome`` on a command row."""
    if isinstance(outcome, CommandSucceeded):
        return {"status": "succeeded", "result": outcome.result, "completed_at": utcnow()}
    return {
        "status": "rejected",
        "code": outcome.code,
        "reason": outcome.reason,
        "http_status": outcome.status,
        "field": outcome.field,
        "completed_at": utcnow(),
    }


class CommandBook:
    """Issues commands and answers what became of them."""

    def __init__(self, service: Service, hub: EventHub, wait_seconds: float) -> None:
        self.service = service
        self.hub = hub
        self.wait_seconds = wait_seconds
        self._unsaved: dict[str, CommandView] = {}
        self._saving: set[asyncio.Task[None]] = set()

    async def issue(
        self,
        message_type: str,
        data: BaseModel,
        actor: Actor,
        target: str | None = None,
        correlation_id: str | None = None,
    ) -> CommandView:
        """Publish a command and wait up to ``wait_seconds`` for its outcome."""
        message = spec(message_type)
        command = message.envelope(
            source=self.service.source, correlation_id=correlation_id or new_id(), actor=actor, data=data
        )
        view = CommandView(
            command_id=command.id,
            correlation_id=command.correlation_id,
            type=command.type,
            service=message.service,
            actor_id=actor.id,
            actor_role=actor.role,
            target=target,
            status="pending",
            created_at=command.time,
        )
        waiter = self.hub.expect(command.id)
        try:
            await self._publish(command)
            self._unsaved[command.id] = view
            task = asyncio.create_task(self._save_pending(view))
            self._saving.add(task)
            task.add_done_callback(self._saving.discard)
            try:
                outcome = await asyncio.wait_for(asyncio.shield(waiter), self.wait_seconds)
            except TimeoutError:
                return view
            return CommandView.model_validate(view.model_dump() | _from_event(outcome))
        finally:
            self.hub.forget(command.id)

    async def _publish(self, command: Envelope, attempts: int = 3) -> None:
        """Publish, retrying a lost ack: the same ``Nats-Msg-Id`` makes a retry harmless."""
        assert self.service.bus is not None
        for attempt in range(1, attempts + 1):
            try:
                await self.service.bus.publish_envelope("cmd", command)
                return
            except Exception as error:
                if attempt == attempts:
                    raise Unavailable(f"the message bus did not accept the command: {error}") from error
                await asyncio.sleep(0.2 * attempt)

    async def _save_pending(self, view: CommandView) -> None:
        try:
            async with self.service.unit_of_work() as uow:
                uow.session.add(_record(view))
        except IntegrityError:
            pass  # the outcome was recorded first
        except Exception:
            log.exception("could not record command %s; its outcome will", view.command_id)
        finally:
            self._unsaved.pop(view.command_id, None)

    async def get(self, command_id: str) -> CommandView:
        async with self.service.unit_of_work() as uow:
            record = await uow.session.get(CommandRecord, command_id)
        if record is not None:
            return CommandView.of(record)
        if command_id in self._unsaved:
            return self._unsaved[command_id]
        raise NotFound(f"no command with id {command_id!r}", field="command_id")

    async def refused(self, actor: Actor | None, what: str, reason: str, status: int = 403) -> None:
        """Record a request the gateway denied before acting on it (audit trail)."""
        code = "forbidden" if status == 403 else "unauthenticated"
        await self._record_action(actor, what, None, "refused", code=code, reason=reason, http_status=status)

    async def done(self, actor: Actor, action: str, target: str | None, **details: Any) -> None:
        """Record an administrative action the gateway carried out itself (users, tokens, settings);
        ``details`` (never a secret value) go to the entry's ``result``."""
        await self._record_action(actor, action, target, "succeeded", result=details or None)

    async def _record_action(
        self, actor: Actor | None, action: str, target: str | None, status: CommandStatus, **outcome: Any
    ) -> None:
        now = utcnow()
        view = CommandView(
            command_id=new_id(),
            correlation_id=new_id(),
            type=action,
            service="gateway",
            actor_id=actor.id if actor else "anonymous",
            actor_role=actor.role if actor else None,
            target=target,
            status=status,
            created_at=now,
            completed_at=now,
            **outcome,
        )
        async with self.service.unit_of_work() as uow:
            uow.session.add(_record(view))

    async def audit(self, where: AuditFilter, limit: int, offset: int) -> tuple[list[CommandView], int]:
        query = select(CommandRecord)
        for column, value in (
            (CommandRecord.actor_id, where.actor),
            (CommandRecord.type, where.type),
            (CommandRecord.service, where.service),
            (CommandRecord.status, where.status),
        ):
            if value is not None:
                query = query.where(column == value)
        if where.since is not None:
            query = query.where(CommandRecord.created_at >= where.since)
        if where.until is not None:
            query = query.where(CommandRecord.created_at < where.until)
        async with self.service.unit_of_work() as uow:
            total = int(await uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            page = (
                query.order_by(CommandRecord.created_at.desc(), CommandRecord.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return [CommandView.of(r) for r in await uow.session.scalars(page)], total


async def record_outcome(event: Envelope, uow: UnitOfWork) -> None:
    """Persist an outcome event (idempotent: only a pending row changes; a missing one is made)."""
    outcome = event.data
    assert isinstance(outcome, CommandSucceeded | CommandRejected)
    values = outcome_values(outcome)
    updated: CursorResult[Any] = await uow.session.execute(  # type: ignore[assignment]
        update(CommandRecord)
        .where(CommandRecord.id == outcome.command_id, CommandRecord.status == "pending")
        .values(values)
    )
    if updated.rowcount == 0 and await uow.session.get(CommandRecord, outcome.command_id) is None:
        view = CommandView(
            command_id=outcome.command_id,
            correlation_id=event.correlation_id,
            type=outcome.command_type,
            service=event.type.split(".", 1)[0],
            actor_id=event.actor.id,
            actor_role=event.actor.role,
            created_at=event.time,
            **values,
        )
        # If the pending row lands first, this insert fails and the redelivery updates it.
        uow.session.add(_record(view))


def _record(view: CommandView) -> CommandRecord:
    return CommandRecord(id=view.command_id, **view.model_dump(exclude={"command_id"}))


def _from_event(envelope: dict[str, Any]) -> dict[str, Any]:
    data = envelope.get("data") or {}
    if str(envelope.get("type", "")).endswith(".succeeded.v1"):
        values = outcome_values(CommandSucceeded.model_validate(data))
    else:
        values = outcome_values(CommandRejected.model_validate(data))
    values["completed_at"] = envelope.get("time") or values["completed_at"]
    return values
