"""Database engines and the metadata conventions every service's tables follow."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use contracts.envelope.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def new_metadata() -> MetaData:
    """Metadata with the platform's constraint naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


_WRITERS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
_OWNERS: weakref.WeakKeyDictionary[Any, asyncio.Task[Any] | None] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def one_writer(engine: AsyncEngine) -> AsyncIterator[None]:
    """On SQLite, let one transaction of this process write at a time.

    SQLite has a single writer; left to its busy timeout, concurrent transactions back off and
    retry unfairly (seconds of tail latency under load). Queueing them here is fair and cheap.
    Other databases need no such thing.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _WRITERS.setdefault(engine.sync_engine, asyncio.Lock())
    owner = _OWNERS.get(engine.sync_engine)
    if owner is not None and owner is asyncio.current_task():
        yield  # nested in a transaction of the same task: it already holds the turn
        return
    async with lock:
        _OWNERS[engine.sync_engine] = asyncio.current_task()
        try:
            yield
        finally:
            _OWNERS.pop(engine.sync_engine, None)
