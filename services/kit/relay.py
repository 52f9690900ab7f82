"""The outbox relay: publishes committed events in order, then deletes them.

A row is deleted only after JetStream acked it. A relay killed between the two republishes the
row on restart with the same ``Nats-Msg-Id``, which JetStream drops as a duplicate: every event
reaches the stream exactly once. Replicas on PostgreSQL split rows with ``SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kit import telemetry
from services.kit.bus import Bus
from services.kit.db import is_postgres
from services.kit.tables import KitTables

log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes ``<service>_outbox`` rows; :meth:`notify` wakes it right after a commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: KitTables,
        bus: Bus,
        service: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.outbox = tables.outbox
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.service}-outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.drain()

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox relay failed, retrying: %r", error)
                await asyncio.sleep(0.5)

    async def drain(self) -> int:
        """Publish every pending row; returns how many were published."""
        total = 0
        while True:
            published = await self._publish_batch()
            total += published
            if published < self.batch_size:
                return total

    async def _publish_batch(self) -> int:
        query = (
            select(
                self.outbox.c.position,
                self.outbox.c.subject,
                self.outbox.c.payload,
                self.outbox.c.headers,
            )
            .order_by(self.outbox.c.position)
            .limit(self.batch_size)
        )
        if is_postgres(self.engine):
            query = query.with_for_update(skip_locked=True)
        async with self.engine.begin() as conn:
            rows = (await conn.execute(query)).all()
            if not rows:
                return 0
            telemetry.OUTBOX_PENDING.labels(self.service).set(len(rows))
            await self._publish(rows)
            await conn.execute(
                delete(self.outbox).where(self.outbox.c.position.in_([r.position for r in rows]))
            )
        telemetry.OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    async def _publish(self, rows: Sequence[Any]) -> None:
        # Publishes are started in order on one connection, so the stream keeps their order;
        # awaiting their acks together keeps many in flight.
        futures = [
            asyncio.ensure_future(self.bus.publish(row.subject, row.payload, row.headers)) for row in rows
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
