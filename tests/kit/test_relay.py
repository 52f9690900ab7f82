"""The outbox: a process killed at any instant between commit and publish loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from contracts.envelope import SYSTEM_ACTOR
from contracts.messages import spec
from contracts.system import Pinged
from services.kit.bus import Bus
from services.kit.db import create_engine
from services.kit.migrate import upgrade
from services.kit.relay import OutboxRelay
from services.kit.uow import UnitOfWork
from services.workflow.models import KIT
from tests.factories import stream_messages, wait_for

COUNT = 50


def crash(mode: str, url: str, nats_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tests.kit.outbox_crash", mode, url, nats_url, str(COUNT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -9, result.stderr
    return result.stdout


async def crash_events(bus: Bus) -> Counter[str]:
    messages = await stream_messages(bus, "EVT", "evt.workflow.system.pinged")
    return Counter(json.loads(m.data)["correlation_id"] for m in messages)


async def pending_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(KIT.outbox)) or 0)
    finally:
        await engine.dispose()


async def relay_once(url: str, bus: Bus) -> int:
    engine = create_engine(url)
    try:
        return await OutboxRelay(engine, KIT, bus, "workflow").drain()
    finally:
        await engine.dispose()


class TestCrashBetweenCommitAndPublish:
    async def test_events_committed_before_a_kill_are_published_once_after_restart(
        self, bus: Bus, nats_url: str, database_url: str
    ) -> None:
        assert "committed" in await asyncio.to_thread(crash, "before-publish", database_url, nats_url)
        assert await crash_events(bus) == Counter()
        assert await pending_rows(database_url) == COUNT

        assert await relay_once(database_url, bus) == COUNT

        assert await crash_events(bus) == Counter({f"crash-{i}": 1 for i in range(COUNT)})
        assert await pending_rows(database_url) == 0
        assert await relay_once(database_url, bus) == 0


class TestCrashBetweenPublishAndDelete:
    async def test_a_relay_killed_after_publishing_does_not_duplicate(
        self, bus: Bus, nats_url: str, database_url: str
    ) -> None:
        await asyncio.to_thread(crash, "before-publish", database_url, nats_url)
        assert "published" in await asyncio.to_thread(crash, "after-publish", database_url, nats_url)
        assert await crash_events(bus) == Counter({f"crash-{i}": 1 for i in range(COUNT)})
        assert await pending_rows(database_url) == COUNT

        assert await relay_once(database_url, bus) == COUNT

        assert await crash_events(bus) == Counter({f"crash-{i}": 1 for i in range(COUNT)})
        assert await pending_rows(database_url) == 0


async def commit_pings(url: str, count: int, relay: OutboxRelay | None = None, prefix: str = "p") -> None:
    engine = create_engine(url)
    try:
        async with UnitOfWork(async_sessionmaker(engine), KIT, relay.committed if relay else None) as uow:
            for i in range(count):
                uow.record(
                    spec("workflow.system.pinged.v1").envelope(
                        source="t",
                        correlation_id=f"{prefix}-{i}",
                        actor=SYSTEM_ACTOR,
                        data=Pinged(instance="t"),
                    )
                )
    finally:
        await engine.dispose()


class TestRunningRelay:
    async def test_a_backlog_left_behind_is_published_on_start_in_order(
        self, bus: Bus, sqlite_url: str
    ) -> None:
        await asyncio.to_thread(upgrade, "workflow", sqlite_url)
        await commit_pings(sqlite_url, 1200, prefix="backlog")
        engine = create_engine(sqlite_url)
        relay = OutboxRelay(engine, KIT, bus, "workflow", batch_size=500)
        relay.start()
        try:

            async def all_there() -> bool:
                return sum((await crash_events(bus)).values()) == 1200

            await wait_for(all_there, what="the backlog to be published")
            await wait_for(lambda: _zero(sqlite_url), what="rows deleted")
        finally:
            await relay.stop()
            await engine.dispose()
        messages = await stream_messages(bus, "EVT", "evt.workflow.system.pinged")
        assert [json.loads(m.data)["correlation_id"] for m in messages] == [
            f"backlog-{i}" for i in range(1200)
        ]

    async def test_committed_events_are_published_at_once_and_their_rows_deleted(
        self, bus: Bus, sqlite_url: str
    ) -> None:
        await asyncio.to_thread(upgrade, "workflow", sqlite_url)
        engine = create_engine(sqlite_url)
        relay = OutboxRelay(engine, KIT, bus, "workflow", poll_seconds=60)  # no sweep helps here
        relay.start()
        try:
            await asyncio.sleep(0.2)  # past the start-up sweep
            await commit_pings(sqlite_url, 20, relay, prefix="fresh")

            async def all_there() -> bool:
                return sum((await crash_events(bus)).values()) == 20

            await wait_for(all_there, timeout=2, what="the fresh events")
            await wait_for(lambda: _zero(sqlite_url), timeout=2, what="rows deleted")
        finally:
            await relay.stop()
            await engine.dispose()
        assert await crash_events(bus) == Counter({f"fresh-{i}": 1 for i in range(20)})


async def _zero(url: str) -> bool:
    return await pending_rows(url) == 0
