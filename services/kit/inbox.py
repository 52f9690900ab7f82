"""Forgetting processed message ids once no redelivery can bring them back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.envelope import utcnow
from services.kit.db import one_writer
from services.kit.tables import KitTables


async def prune_inbox(engine: AsyncEngine, tables: KitTables, keep: timedelta) -> int:
    """Delete inbox marks older than ``keep``; returns how many went.

    ``keep`` must outlast the command stream's retention (7 days), the longest a message can wait
    to be redelivered.
    """
    inbox = tables.inbox
    async with one_writer(engine), engine.begin() as conn:
        result = await conn.execute(delete(inbox).where(inbox.c.processed_at < utcnow() - keep))
    return int(result.rowcount or 0)
