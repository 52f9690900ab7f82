"""Fixtures shared by every test: real NATS, real PostgreSQL and SQLite, service factories."""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from services.cli.ports import free_port
from services.kit.bus import Bus
from tests import servers
from tests.servers import serving


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    with servers.nats_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with servers.postgres_server() as url:
        yield url


@pytest.fixture
async def postgres_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards)."""
    admin = make_url(postgres_admin_url)
    name = f"mlops_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(admin))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield admin.set(database=name).render_as_string(hide_password=False)
    conn = await asyncpg.connect(_dsn(admin))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[Bus]:
    """A connection to the test NATS server whose streams were just recreated empty."""
    connection = await Bus.connect(nats_url, "test")
    for name in [info.config.name for info in await connection.js.streams_info()]:
        await connection.js.delete_stream(name)
    await connection.provision()
    yield connection
    await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """The test runs once on a fresh SQLite file and once on a fresh PostgreSQL database."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on a free port (``moto_server`` from this virtualenv)."""
    port = free_port()
    binary = Path(sys.executable).parent / "moto_server"
    with tempfile.TemporaryDirectory(prefix="mlops-test-moto-") as tmp:
        with serving([str(binary), "-H", "127.0.0.1", "-p", str(port)], port, Path(tmp) / "moto.log"):
            yield f"http://127.0.0.1:{port}"
