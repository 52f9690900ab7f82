"""``mlops up`` as a new user runs it: embedded NATS (with a user per service), SQLite, five
supervised services."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
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


async def assert_nats_is_locked(home: Path, first: dict[str, Any]) -> None:
    """The embedded NATS has one user per service, from a private file; strangers are refused."""
    config = home / "nats" / "server.conf"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    text = config.read_text()
    assert "authorization" in text and "no_auth_user" not in text
    passwords = re.findall(r'password: "([^"]+)"', text)
    assert len(passwords) == 5 and len(set(passwords)) == 5
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(
            first["nats_url"], allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2
        )
    # Passwords never show on a command line, in the state file or in a log.
    shown = [" ".join(psutil.Process(c["pid"]).cmdline()) for c in first["children"].values()]
    shown += [(home / "run" / "state.json").read_text()]
    shown += [log.read_text(errors="replace") for log in (home / "logs").glob("*.log")]
    assert not [p for p in passwords if any(p in text for text in shown)]
    assert "--config" in shown[list(first["children"]).index("nats")]


class Output:
    """Collects what ``mlops up`` prints, line by line, as it runs."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)


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
    output = Output(process)
    started = time.monotonic()
    http = httpx.AsyncClient(base_url=url)

    async def ready() -> bool:
        return (await http.get("/readyz")).status_code == 200

    await wait(ready, 20, "/readyz to turn green")
    ready_after = time.monotonic() - started

    async def password_shown() -> str | None:
        found = re.search(r"Sign in as admin with password (\S+)", output.text)
        return found[1] if found else None

    password = await wait(password_shown, 10, "the generated admin password")
    login = await http.post("/api/auth/login", json={"username": "admin", "password": password})
    assert login.status_code == 200, login.text
    http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    token = (await http.post("/api/auth/tokens", json={"name": "smoke"})).json()["token"]
    assert not (home / "run" / "admin-created").exists()
    assert not [log for log in (home / "logs").glob("*.log") if password in log.read_text(errors="replace")]
    assert ready_after < 20
    first = state(home)
    assert set(first["children"]) == {"nats", "gateway", "workflow", "registry", "infra", "assistant"}
    assert first["nats_url"].startswith("nats://127.0.0.1:")
    await assert_nats_is_locked(home, first)

    async def every_replica_seen() -> bool:
        body = (await http.get("/api/system/status", headers={"Authorization": f"Bearer {token}"})).json()
        return all(s["replicas"] == 1 for s in body["services"])

    await wait(every_replica_seen, 10, "a heartbeat from every service")
    status = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli.main", "status", "--home", str(home)],
        capture_output=True,
        text=True,
        env=os.environ | {"MLOPS_TOKEN": token},
    )
    assert status.returncode == 0, status.stdout
    assert "registry   yes  1 " in status.stdout

    ws_url = url.replace("http", "ws") + "/ws/events?topics=registry.system.pinged"
    async with websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
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
    await asyncio.to_thread(process.wait, 30)
    output.thread.join(5)
    assert process.returncode == 0, output.text
    assert "restarting" in output.text and "stopped; no process left running" in output.text
    assert output.text.count(password) == 1, "the admin password is shown once"
    assert [
        p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ] == []
    leftovers = [
        p.pid for p in psutil.process_iter(["cmdline"]) if str(home) in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []
    assert not (home / "run" / "state.json").exists()
    print(f"ready after {ready_after:.1f}s")
