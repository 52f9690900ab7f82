"""``mlops up`` as a new user runs it: embedded NATS, SQLite, five supervised services."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import websockets

from services.cli.ports import free_port

pytestmark = pytest.mark.slow


def state(home: Path) -> dict[str, Any]:
    return json.loads((home / "run" / "state.json").read_text())  # type: ignore[no-any-return]


async def wait(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = await condition()
        except (OSError, httpx.HTTPError, KeyError, ValueError):
            value = None
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, str]]:
    home = tmp_path / "home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env |= {"MLOPS_HOME": str(home), "MLOPS_COMMAND_WAIT_SECONDS": "0.2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        yield process, home, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)


async def test_up_ping_crash_restart_and_clean_stop(
    platform: tuple[subprocess.Popen[str], Path, str],
) -> None:
    process, home, url = platform
    started = time.monotonic()
    http = httpx.AsyncClient(base_url=url)

    async def ready() -> bool:
        return (await http.get("/readyz")).status_code == 200

    await wait(ready, 20, "/readyz to turn green")
    ready_after = time.monotonic() - started
    assert ready_after < 20
    first = state(home)
    assert set(first["children"]) == {"nats", "gateway", "workflow", "registry", "infra", "assistant"}
    assert first["nats_url"].startswith("nats://127.0.0.1:")

    status = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli.main", "status", "--home", str(home)],
        capture_output=True,
        text=True,
    )
    assert status.returncode == 0, status.stdout
    assert "registry   yes" in status.stdout

    ws_url = url.replace("http", "ws") + "/ws/events?topics=registry.system.pinged"
    async with websockets.connect(ws_url) as ws:
        await ws.recv()  # subscribed
        body = (await http.post("/api/system/ping", json={"service": "registry"})).json()
        frame = json.loads(await ws.recv())
        assert frame["correlation_id"] == body["correlation_id"]
        killed_instance = frame["data"]["instance"]

        os.kill(first["children"]["registry"]["pid"], signal.SIGKILL)
        await asyncio.sleep(0.1)
        queued = await http.post("/api/system/ping", json={"service": "registry"})
        assert queued.status_code in (200, 202)
        command_id = queued.json()["command_id"]
        frame = json.loads(await ws.recv())
        assert frame["causation_id"] == command_id
        assert frame["data"]["instance"] != killed_instance

        async def completed() -> bool:
            return (await http.get(f"/api/commands/{command_id}")).json()["status"] == "succeeded"

        await wait(completed, 10, "the queued ping to be recorded")
    restarted = state(home)["children"]["registry"]
    assert restarted["restarts"] == 1
    assert restarted["pid"] != first["children"]["registry"]["pid"]

    pids = [c["pid"] for c in first["children"].values()] + [restarted["pid"], process.pid]
    await http.aclose()
    process.send_signal(signal.SIGINT)
    output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    assert process.returncode == 0, output
    assert "restarting" in output and "stopped; no process left running" in output
    assert [
        p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ] == []
    leftovers = [
        p.pid for p in psutil.process_iter(["cmdline"]) if str(home) in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []
    assert not (home / "run" / "state.json").exists()
    print(f"ready after {ready_after:.1f}s")
