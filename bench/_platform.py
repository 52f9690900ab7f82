"""Start ``mlops up`` in a temporary MLOPS_HOME on a free port, and stop it leaving nothing behind."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import free_port

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

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def nats_url(self) -> str:
        return str(self.state["nats_url"])

    def pid(self, name: str) -> int:
        return int(self.state["children"][name]["pid"])

    def start(self, timeout: float = 90.0) -> float:
        """Start and wait for "ready"; returns the seconds it took."""
        mlops = Path(sys.executable).parent / "mlops"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
        env.update(self.extra_env)
        env["MLOPS_HOME"] = str(self.home)
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
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"mlops up not ready after {timeout}s: {self.output()}")

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


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
