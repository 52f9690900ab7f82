from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import insert, select

from contracts.envelope import utcnow
from services.kit.db import create_engine
from services.kit.inbox import prune_inbox
from services.kit.migrate import upgrade
from services.workflow.models import KIT


class TestPruneInbox:
    async def test_only_marks_older_than_the_retention_go(self, sqlite_url: str) -> None:
        await asyncio.to_thread(upgrade, "workflow", sqlite_url)
        engine = create_engine(sqlite_url)
        now = utcnow()
        async with engine.begin() as conn:
            await conn.execute(
                insert(KIT.inbox),
                [
                    {"message_id": "old", "consumer": "c", "processed_at": now - timedelta(days=9)},
                    {"message_id": "recent", "consumer": "c", "processed_at": now - timedelta(days=6)},
                ],
            )
        assert await prune_inbox(engine, KIT, timedelta(days=8)) == 1
        async with engine.connect() as conn:
            assert list(await conn.scalars(select(KIT.inbox.c.message_id))) == ["recent"]
        await engine.dispose()
