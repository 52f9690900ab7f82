"""The outbox relay: publishes committed events, then deletes their rows.

Fast path: the unit of work hands its rows to :meth:`OutboxRelay.committed` right after the
commit, and they are published at once from memory. Their rows are deleted later, in batches, by
a separate loop, so a slow delete (SQLite's single writer) never delays an event. A sweep publishes
whatever the fast path did not (rows left by a crash, or by another process) on start and every
``poll_seconds``.

Exactly once: a row is deleted only after JetStream acked it. A relay killed in between
republishes the row with the same ``Nats-Msg-Id``, which JetStream drops as a duplicate (the
streams remember ids for ``DEDUP_WINDOW``, 10 minutes), so every event reaches the stream once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from nats.errors import MaxPayloadError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.envelope import utcnow
from services.kit import telemetry
from services.kit.bus import Bus
from services.kit.db import one_writer
from services.kit.tables import KitTables

log = logging.getLogger(__name__)

OutboxRow = dict[str, Any]
"""``message_id``, ``subject``, ``payload``, ``headers`` (and ``created_at``) of one outbox row."""


def failed_error(rows: list[OutboxRow]) -> Exception:
    return RuntimeError(f"{len(rows)} events not acked yet")


class OutboxRelay:
    """Publishes ``<service>_outbox`` rows of one service."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: KitTables,
        bus: Bus,
        service: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        settle_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.outbox = tables.outbox
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.settle = timedelta(seconds=settle_seconds)
        self._fresh: list[OutboxRow] = []
        self._published: set[str] = set()  # acked by JetStream, row not deleted yet
        self._publish_wake = asyncio.Event()
        self._delete_wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    def committed(self, rows: list[OutboxRow]) -> None:
        """Rows a unit of work just committed: publish them now."""
        self._fresh.extend(rows)
        self._publish_wake.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name=f"{self.service}-outbox-publish"),
            asyncio.create_task(self._delete_loop(), name=f"{self.service}-outbox-delete"),
        ]

    async def stop(self) -> None:
        """Finish the batch in hand, publish what is pending, delete what was published."""
        self._stopping = True
        self._publish_wake.set()
        self._delete_wake.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._publish_fresh()
        with contextlib.suppress(Exception):
            await self._delete_published()

    async def drain(self) -> int:
        """Publish and delete every row in the outbox now; returns how many were published."""
        published = await self._sweep(settle=False)
        await self._delete_published()
        return published

    async def _publish_loop(self) -> None:
        clock = asyncio.get_running_loop().time
        last_sweep, settle = clock() - self.poll_seconds, False  # at once on start: rows a crash left
        while not self._stopping:
            if not self._fresh:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._publish_wake.wait(), self.poll_seconds)
            self._publish_wake.clear()
            try:
                await self._publish_fresh()
            except Exception as error:
                log.warning("outbox relay failed, retrying: %r", error)
                await asyncio.sleep(0.5)
            if clock() - last_sweep >= self.poll_seconds and not self._stopping:
                try:
                    await self._sweep(settle)
                    last_sweep, settle = clock(), True
                except Exception as error:
                    log.warning("outbox sweep failed, retrying: %r", error)
                    await asyncio.sleep(0.5)

    async def _delete_loop(self) -> None:
        while not self._stopping:
            await self._delete_wake.wait()
            self._delete_wake.clear()
            try:
                await self._delete_published()
            except Exception as error:
                log.warning("outbox cleanup failed, retrying: %r", error)
                await asyncio.sleep(0.5)
                self._delete_wake.set()

    async def _publish_fresh(self) -> None:
        while self._fresh:
            batch, self._fresh = self._fresh[: self.batch_size], self._fresh[self.batch_size :]
            failed = await self._publish(batch)
            if failed:
                self._fresh[:0] = failed  # only what was not acked, in order; retried next turn
                raise failed_error(failed)

    async def _sweep(self, settle: bool) -> int:
        """Publish rows the fast path did not (older than ``settle_seconds`` unless ``settle`` is off)."""
        columns = self.outbox.c
        query = select(
            columns.position, columns.message_id, columns.subject, columns.payload, columns.headers
        )
        if settle:
            query = query.where(columns.created_at < utcnow() - self.settle)
        published, after = 0, -1
        while not self._stopping or not settle:
            page = query.where(columns.position > after).order_by(columns.position).limit(self.batch_size)
            handled = self._published | {r["message_id"] for r in self._fresh}
            async with self.engine.connect() as conn:
                rows = [r._asdict() for r in await conn.execute(page)]
            # Rows the fast path published or deleted while we read are skipped too.
            handled |= self._published | {r["message_id"] for r in self._fresh}
            todo = [r for r in rows if r["message_id"] not in handled]
            if todo:
                failed = await self._publish(todo)
                published += len(todo) - len(failed)
                if failed:
                    raise failed_error(failed)
            if len(rows) < self.batch_size:
                break
            after = rows[-1]["position"]
            await self._publish_fresh()  # fresh events do not wait behind a backlog
        return published

    async def _publish(self, rows: Sequence[OutboxRow]) -> list[OutboxRow]:
        """Publish ``rows``; returns those JetStream did not ack (in order)."""
        # Publishes are started in order on one connection, so the stream keeps their order;
        # awaiting the acks together keeps many in flight.
        futures = [
            asyncio.ensure_future(self.bus.publish(r["subject"], r["payload"], r["headers"])) for r in rows
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed: list[OutboxRow] = []
        error: BaseException | None = None
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, MaxPayloadError):
                # Can never be published: a bug in whoever recorded it. Drop it, loudly.
                log.error("dropping outbox event %s: %r", row["message_id"], result)
                telemetry.OUTBOX_DROPPED.labels(self.service).inc()
                self._published.add(row["message_id"])
            elif isinstance(result, BaseException):
                failed.append(row)
                error = result
            else:
                self._published.add(row["message_id"])
        self._delete_wake.set()
        telemetry.OUTBOX_PUBLISHED.labels(self.service).inc(len(rows) - len(failed))
        if failed:
            log.warning("%d of %d events not acked, will retry: %r", len(failed), len(rows), error)
        return failed

    async def _delete_published(self) -> None:
        while self._published:
            ids = list(self._published)[: self.batch_size]
            async with one_writer(self.engine), self.engine.begin() as conn:
                await conn.execute(delete(self.outbox).where(self.outbox.c.message_id.in_(ids)))
            self._published.difference_update(ids)
        telemetry.OUTBOX_PENDING.labels(self.service).set(len(self._fresh))
