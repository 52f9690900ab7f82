"""The unit of work: domain rows, recorded events and the inbox mark commit in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts.envelope import Envelope, utcnow
from contracts.messages import spec
from services.kit import telemetry
from services.kit.db import one_writer
from services.kit.tables import KitTables


class UnitOfWork:
    """``async with uow:`` opens a session; leaving the block without error commits.

    Only the unit of work commits. Events passed to :meth:`record` are written to the outbox in
    the same transaction and handed to ``on_commit`` (the relay) once the commit succeeded.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: KitTables,
        on_commit: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._on_commit = on_commit
        self._session: AsyncSession | None = None
        self.recorded: list[Envelope] = []
        self._rows: list[dict[str, Any]] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._writer = one_writer(self._engine())
        await self._writer.__aenter__()
        self._session = self._sessions()
        self.recorded = []
        self._rows = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if exc_type is None:
                await self._write_outbox()
                await session.commit()
                if self._rows and self._on_commit is not None:
                    self._on_commit(self._rows)
            else:
                await session.rollback()
        finally:
            await session.close()
            self._session = None
            await self._writer.__aexit__(None, None, None)

    def _engine(self) -> AsyncEngine:
        bind = self._sessions.kw["bind"]
        assert isinstance(bind, AsyncEngine)
        return bind

    def record(self, event: Envelope) -> None:
        """Publish ``event`` once this unit of work commits (and only if it does)."""
        self.recorded.append(event)

    async def seen(self, message_id: str) -> bool:
        """Whether the message was already processed (idempotent consumption)."""
        inbox = self._tables.inbox
        query = select(inbox.c.message_id).where(inbox.c.message_id == message_id)
        return (await self.session.scalar(query)) is not None

    async def mark_seen(self, message_id: str, consumer: str) -> None:
        """Remember the message as processed; commits with everything else."""
        row = {"message_id": message_id, "consumer": consumer, "processed_at": utcnow()}
        await self.session.execute(insert(self._tables.inbox).values(row))

    async def _write_outbox(self) -> None:
        if not self.recorded:
            return
        now = utcnow()
        self._rows = [
            {
                "message_id": event.id,
                "subject": spec(event.type).subject_of(event),
                "payload": event.to_bytes(),
                "headers": telemetry.inject({"Nats-Msg-Id": event.id}),
                "created_at": now,
            }
            for event in self.recorded
        ]
        await self.session.execute(insert(self._tables.outbox), self._rows)
