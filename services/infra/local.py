"""The local runtime of deployments: each replica an ``ml.serve`` process on a free port.

Files under ``<deployments>/<deployment_id>/<replica_id>/`` are the record and outlive the process:
``serve.log`` (its output) and ``port.json`` (written by the server once it listens). Replicas
lead their own session, so they keep serving while the infra service restarts, and the restarted
service finds them again by pid and start time.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psutil

from contracts.workflow_params import cpu_cores, memory_bytes
from services.infra.settings import InfraSettings
from services.kit.processes import (
    create_time,
    inherited_env,
    memory_limited,
    pin,
    same_process,
    spawn,
    thread_env,
)

LOG = "serve.log"
PORT_FILE = "port.json"
PROCESS_FILE = "process.json"
"""Written at spawn (pid, start time), so a replica is found even before it listens."""
STOPPED = "stopped"
"""Written when the platform itself stopped a replica (``mlops up`` ending): no alert for that."""


@dataclass(frozen=True)
class Started:
    pid: int
    create_time: float | None
    directory: Path


class LocalReplicas:
    """Starts, finds and stops inference processes."""

    def __init__(self, settings: InfraSettings) -> None:
        self.settings = settings
        self.root = settings.deployments_path()
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def start(
        self,
        deployment_id: str,
        replica_id: str,
        model: dict[str, Any],
        limits: dict[str, Any],
        env: dict[str, str],
    ) -> Started:
        """Start a replica serving ``model`` (artifact_uri, model_name, model_version)."""
        directory = self.root / deployment_id / replica_id
        directory.mkdir(parents=True, exist_ok=True)
        threads = _threads(limits.get("cpu"))
        s = self.settings
        command = [
            s.serve_python, "-m", "ml.serve",
            "--artifact", model["artifact_uri"],
            "--name", model["model_name"],
            "--version", str(model["model_version"]),
            "--port", "0",
            "--port-file", str(directory / PORT_FILE),
            "--threads", str(threads),
            "--max-batch-size", str(s.max_batch_size),
            "--max-batch-wait-ms", str(s.max_batch_wait_ms),
            "--drift-window", str(s.drift_window),
            "--drift-min-window", str(s.drift_min_window),
            "--drift-interval", str(s.drift_interval_seconds),
            "--psi-threshold", str(s.psi_threshold),
            "--confidence-drop", str(s.confidence_drop),
        ]  # fmt: skip
        memory_limit = limits.get("memory")
        memory = memory_bytes(str(memory_limit)) if memory_limit else None
        command = memory_limited(command, memory)
        environment = inherited_env() | thread_env(threads) | env | {"PYTHONUNBUFFERED": "1"}
        with contextlib.suppress(FileNotFoundError):
            (directory / PORT_FILE).unlink()
        with open(directory / LOG, "ab") as output:
            child = spawn(command, directory, environment, output)
        self._children[child.pid] = child
        if limits.get("cpu"):
            pin(child.pid, threads)  # held to its limit; without one it may run on any core
        started = create_time(child.pid)
        (directory / PROCESS_FILE).write_bytes(orjson.dumps({"pid": child.pid, "create_time": started}))
        return Started(child.pid, started, directory)

    def alive(self, pid: int | None, started: float | None) -> bool:
        child = self._children.get(pid or -1)
        if child is not None:
            child.poll()  # reaps our own child, so a dead one is not a zombie
        return same_process(pid, started)

    def url(self, directory: str) -> str | None:
        """Where the replica listens, once it wrote its port file."""
        try:
            data = orjson.loads((Path(directory) / PORT_FILE).read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return None
        return f"http://127.0.0.1:{int(data['port'])}"

    def stopped_by_platform(self, directory: str) -> bool:
        return (Path(directory) / STOPPED).exists()

    def exit_detail(self, pid: int | None, directory: str) -> str:
        """How a replica ended, with the last lines of its log."""
        code = None
        child = self._children.pop(pid or -1, None)
        if child is not None:
            code = child.poll()
        how = f"exited with code {code}" if code is not None and code >= 0 else "exited"
        if code is not None and code < 0:
            how = f"was killed by signal {-code}"
        tail = log_tail(Path(directory) / LOG, 2)
        return f"{how}" + (f": {tail}" if tail else "")

    async def stop(self, pid: int | None, started: float | None, grace_seconds: float = 5.0) -> None:
        """SIGTERM (the server finishes in-flight requests), then SIGKILL after the grace period."""
        if self.alive(pid, started):
            assert pid is not None
            await terminate(pid, started, grace_seconds, self.alive)


def _threads(cpu: str | None) -> int:
    """Threads of one model call: a CPU limit's cores rounded up (at most this machine's); one
    without a limit, since concurrent requests are batched, and a single-image call on two threads
    was measured several times slower than on one."""
    if not cpu:
        return 1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(available, math.ceil(cpu_cores(cpu))))


def log_tail(path: Path, lines: int) -> str:
    """The last error lines of a log (``ERROR``, tracebacks' last line), else its last ``lines``."""
    with contextlib.suppress(FileNotFoundError):
        with open(path, "rb") as file:
            file.seek(max(0, file.seek(0, os.SEEK_END) - 8192))
            text = file.read().decode("utf-8", "replace")
        tail = [line.strip() for line in text.strip().splitlines() if line.strip()]
        errors = [line for line in tail if " ERROR " in line or line.startswith(("Error", "RuntimeError"))]
        return " | ".join((errors or tail)[-lines:])
    return ""


async def stop_replicas(root: Path, grace_seconds: float = 5.0) -> int:
    """Stop every replica process still running under ``root`` (``mlops up`` ending); how many were."""
    stopped = 0
    for process_file in _process_files(root):
        with contextlib.suppress(FileNotFoundError, orjson.JSONDecodeError, KeyError, TypeError):
            recorded = orjson.loads(process_file.read_bytes())
            pid, started = int(recorded["pid"]), recorded["create_time"]
            if same_process(pid, started) and _is_server(pid, process_file.parent):
                (process_file.parent / STOPPED).write_text("the platform was stopped\n")
                await terminate(pid, started, grace_seconds, same_process)
                stopped += 1
    return stopped


async def terminate(pid: int, started: float | None, grace_seconds: float, alive: Any) -> None:
    """SIGTERM the group of ``pid``, SIGKILL it if it is still there after ``grace_seconds``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        for _ in range(max(1, int(grace_seconds / 0.05))):
            if not alive(pid, started):
                return
            await asyncio.sleep(0.05)


def _process_files(root: Path) -> list[Path]:
    return sorted(root.glob(f"*/*/{PROCESS_FILE}"))


def _is_server(pid: int, directory: Path) -> bool:
    """The process is an inference server started for ``directory`` (not a stranger with the pid)."""
    with contextlib.suppress(psutil.Error):
        return str(directory / PORT_FILE) in " ".join(psutil.Process(pid).cmdline())
    return False
