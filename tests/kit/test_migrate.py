"""Every service's migrations upgrade an empty database to head, and match its models."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from contracts.subjects import SERVICES
from services.kit.db import create_engine
from services.kit.migrate import _owned, upgrade, version_table


def metadata_of(service: str) -> MetaData:
    return importlib.import_module(f"services.{service}.models").Base.metadata  # type: ignore[no-any-return]


async def schema_diff(url: str, service: str) -> list[Any]:
    engine = create_engine(url)

    def compare(conn: Any) -> list[Any]:
        opts = {
            "include_name": lambda name, kind, _p: kind != "table" or _owned(name, service),
            "compare_type": True,
        }
        return list(compare_metadata(MigrationContext.configure(conn, opts=opts), metadata_of(service)))

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


class TestUpgrade:
    @pytest.mark.parametrize("service", SERVICES)
    async def test_an_empty_database_upgrades_to_head_with_no_diff(
        self, service: str, database_url: str
    ) -> None:
        await asyncio.to_thread(upgrade, service, database_url)
        assert await schema_diff(database_url, service) == []
        assert f"{service}_outbox" in await tables(database_url)

    async def test_all_services_share_one_database_without_touching_each_other(
        self, database_url: str
    ) -> None:
        for service in SERVICES:
            await asyncio.to_thread(upgrade, service, database_url)
        for service in SERVICES:
            await asyncio.to_thread(upgrade, service, database_url)  # idempotent
            assert await schema_diff(database_url, service) == []
        names = await tables(database_url)
        assert {version_table(s) for s in SERVICES} <= names
        assert all(any(n.startswith(f"{s}_") or n == version_table(s) for s in SERVICES) for n in names)
