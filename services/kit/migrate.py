"""Alembic per service: each service keeps its own version table and migration scripts."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from services.kit.db import create_engine


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def alembic_config(service: str, url: str) -> Config:
    """An Alembic configuration for ``service`` against ``url`` (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parents[1] / service / "migrations"))
    config.set_main_option("version_table", version_table(service))
    config.attributes["url"] = url
    config.attributes["service"] = service
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Migrate ``service``'s tables to ``revision`` (blocking; call it in a thread from async code)."""
    command.upgrade(alembic_config(service, url), revision)


async def upgrade_async(service: str, url: str) -> None:
    await asyncio.to_thread(upgrade, service, url)


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py``."""
    config = context.config
    service = config.attributes["service"]
    url = config.attributes["url"]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, version_table=version_table(service))
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata, service))


async def _run_online(url: str, metadata: MetaData, service: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_migrate, metadata, service)
    finally:
        await engine.dispose()


def _migrate(conn: Connection, metadata: MetaData, service: str) -> None:
    if conn.dialect.name == "postgresql":
        # Replicas starting together migrate one at a time.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(service.encode())})
    context.configure(
        connection=conn,
        target_metadata=metadata,
        version_table=version_table(service),
        include_name=lambda name, kind, _parent: kind != "table" or _owned(name, service),
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    conn.commit()


def _owned(table: str | None, service: str) -> bool:
    """Tables of other services sharing the database are none of this service's business."""
    return table is not None and table.startswith(f"{service}_") and table != version_table(service)
