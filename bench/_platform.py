"""Start ``mlops up`` in a temporary MLOPS_HOME on a free port, and stop it leaving nothing behind.

The first admin gets a random password (MLOPS_ADMIN_PASSWORD); once the platform is ready the bench
signs in as it and creates an API token (:attr:`Platform.token`) for its requests and WebSockets.

The embedded NATS refuses connections without a user, and each service's user may only touch its
own subjects. The bench's own connections (floor, relay, fan-out publisher, hop timestamps) get a
``bench`` user with every permission: added to the server configuration in this temporary
MLOPS_HOME, which nats-server reloads on SIGHUP (the services keep their users and connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import free_port
from nats.aio.client import Client as Nats

ROOT = Path(__file__).resolve().parents[1]


class Platform:
    def __init__(self, env: dict[str, str] | None = None, keep_home: bool = False) -> None:
        self.extra_env = env or {}
        self.keep_home = keep_home
        self.home = Path(tempfile.mkdtemp(prefix="mlops-bench-"))
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.state: dict = {}
        self._child_pids: list[int] = []
        self.admin_password = secrets.token_urlsafe(24)
        self.token = ""  # API token of admin, set by start()
        self.nats_user = ""  # "bench:<password>@" once the bench has a NATS user, set by start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def nats_url(self) -> str:
        """The platform's NATS, with the bench user's credentials when the server wants a user."""
        return str(self.state["nats_url"]).replace("nats://", f"nats://{self.nats_user}", 1)

    @property
    def auth_headers(self) -> dict[str, str]:
        """Headers signing a request or WebSocket handshake in with the bench's API token."""
        return {"Authorization": f"Bearer {self.token}"}

    def pid(self, name: str) -> int:
        return int(self.state["children"][name]["pid"])

    def start(self, timeout: float = 90.0) -> float:
        """Start, wait for "ready" and get an API token; returns the seconds until ready."""
        mlops = Path(sys.executable).parent / "mlops"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
        env.update(self.extra_env)
        env["MLOPS_HOME"] = str(self.home)
        env["MLOPS_ADMIN_PASSWORD"] = self.admin_password
        self.out = open(self.home / "up.out", "wb")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(mlops), "up", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        state_file = self.home / "run" / "state.json"
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlops up exited with {self.proc.returncode}: {self.output()}")
            if "platform ready" in self.output():
                self.state = json.loads(state_file.read_text())
                self._child_pids = [int(c["pid"]) for c in self.state["children"].values() if c["pid"]]
                ready = time.monotonic() - started
                self.token = self._api_token()
                self._add_nats_user()
                return ready
            time.sleep(0.1)
        raise RuntimeError(f"mlops up not ready after {timeout}s: {self.output()}")

    def _post(self, path: str, body: dict, headers: dict[str, str]) -> tuple[dict, str]:
        """POST JSON with urllib; returns the JSON answer and the Set-Cookie header."""
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read()), response.headers.get("Set-Cookie", "")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"POST {path}: HTTP {error.code} {error.read()[:300]!r}") from error

    def _api_token(self) -> str:
        """Sign in as admin (session cookie + CSRF token), then create an API token valid for a day."""
        login, set_cookie = self._post(
            "/api/auth/login", {"username": "admin", "password": self.admin_password}, {}
        )
        cookie = set_cookie.split(";", 1)[0]  # "mlops_session=<token>"
        created, _ = self._post(
            "/api/auth/tokens",
            {"name": "bench", "expires_in_days": 1},
            {"Cookie": cookie, "X-CSRF-Token": login["csrf_token"]},
        )
        return str(created["token"])

    def _add_nats_user(self) -> None:
        """Give the bench a NATS user with every permission, if the embedded server has users."""
        config = self.home / "nats" / "server.conf"
        if not config.exists() or "authorization {" not in (text := config.read_text()):
            return  # no users: connect without credentials
        end = "  ]\n}\n"  # closes the users list and the authorization block, at the end of the file
        if not text.endswith(end):
            raise RuntimeError(f"cannot add the bench's NATS user: unexpected end of {config}")
        password = secrets.token_urlsafe(24)
        user = f'    {{\n      user: "bench"\n      password: "{password}"\n    }}\n'
        config.write_text(text[: -len(end)] + user + end)  # keeps the file's mode (0600)
        os.kill(self.pid("nats"), signal.SIGHUP)  # reload the configuration
        self.nats_user = f"bench:{password}@"
        asyncio.run(_wait_nats(self.nats_url))

    def output(self) -> str:
        with contextlib.suppress(OSError):
            return (self.home / "up.out").read_text(errors="replace")
        return ""

    def restarts(self) -> dict[str, int]:
        """Restarts the supervisor did so far (a crash during the bench shows here)."""
        with contextlib.suppress(OSError, ValueError):
            state = json.loads((self.home / "run" / "state.json").read_text())
            return {name: int(c["restarts"]) for name, c in state["children"].items() if c["restarts"]}
        return {}

    def pids(self) -> list[int]:
        """Every process this platform started (supervisor and children, restarted ones too)."""
        return ([self.proc.pid] if self.proc else []) + list(self._child_pids)

    def stop(self, timeout: float = 30.0) -> list[int]:
        """SIGINT the supervisor; SIGKILL whatever of ours survives. Returns pids that had to be killed."""
        killed: list[int] = []
        with contextlib.suppress(OSError, ValueError, KeyError):  # children restarted get new pids
            state = json.loads((self.home / "run" / "state.json").read_text())
            self._child_pids += [int(c["pid"]) for c in state["children"].values() if c["pid"]]
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                killed.append(self.proc.pid)
                self.proc.wait()
        for pid in self._child_pids:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                killed.append(pid)
        with contextlib.suppress(Exception):
            self.out.close()
        if not self.keep_home:
            shutil.rmtree(self.home, ignore_errors=True)
        return killed


async def _quiet(error: Exception) -> None:
    pass  # refusals before the reload are expected; nats-py would log each with a traceback


async def _wait_nats(url: str, timeout: float = 10.0) -> None:
    """Wait until ``url`` accepts a connection (the server has reloaded its configuration)."""
    deadline = time.monotonic() + timeout
    while True:
        nc = Nats()
        try:
            await nc.connect(
                url, name="bench-probe", allow_reconnect=False, connect_timeout=1, error_cb=_quiet
            )
        except Exception:
            if time.monotonic() > deadline:
                raise RuntimeError(f"NATS refuses the bench's user {timeout}s after the reload") from None
            await asyncio.sleep(0.1)
        else:
            await nc.close()
            return


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
