from __future__ import annotations

import asyncio

from services.kit.db import create_engine, one_writer


class TestOneWriter:
    async def test_sqlite_transactions_of_a_process_take_turns(self, sqlite_url: str) -> None:
        engine = create_engine(sqlite_url)
        inside: list[int] = []
        overlap: list[bool] = []

        async def write(i: int) -> None:
            async with one_writer(engine):
                overlap.append(bool(inside))
                inside.append(i)
                await asyncio.sleep(0.01)
                inside.remove(i)

        await asyncio.gather(*(write(i) for i in range(10)))
        await engine.dispose()
        assert overlap == [False] * 10

    async def test_nested_in_the_same_task_does_not_deadlock(self, sqlite_url: str) -> None:
        engine = create_engine(sqlite_url)
        async with asyncio.timeout(2), one_writer(engine), one_writer(engine):
            pass
        await engine.dispose()

    async def test_postgres_is_left_alone(self, postgres_url: str) -> None:
        engine = create_engine(postgres_url)
        inside: list[int] = []
        peak: list[int] = []

        async def write(i: int) -> None:
            async with one_writer(engine):
                inside.append(i)
                peak.append(len(inside))
                await asyncio.sleep(0.01)
                inside.remove(i)

        await asyncio.gather(*(write(i) for i in range(5)))
        await engine.dispose()
        assert max(peak) == 5
