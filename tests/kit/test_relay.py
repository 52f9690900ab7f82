"""The outbox: a process killed at any instant between commit and publish loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from services.kit.bus import Bus
from services.kit.db import create_engine
from services.kit.relay import OutboxRelay
from services.workflow.models import KIT
from tests.factories import stream_messages

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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


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
