"""The local runtime: each trainer job is a child process group on this machine.

Files under ``<runs>/<job_id>/`` are the record and outlive every process: ``job.json`` (the
trainer's spec), ``events.jsonl`` (the trainer's stdout: JSON lines), ``output.log`` (its stderr and
the platform's own lines) and ``exit_code`` (written by the shell that runs the trainer, so the code
is known even when the workflow service was down when the trainer ended).

Limits: the trainer's CPU affinity is set to ``threads`` cores and its thread pools to that many
threads; memory by ``RLIMIT_AS`` through ``prlimit``. Cancel sends SIGTERM to the whole group,
then SIGKILL after the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from contracts.envelope import utcnow
from services.kit.processes import inherited_env, memory_limited, pin, same_process, spawn, thread_env
from services.workflow.runtime.base import JobSpec, JobStatus

log = logging.getLogger(__name__)

EVENTS = "events.jsonl"
LOG = "output.log"
EXIT_CODE = "exit_code"
HANDLE = "handle.json"
STOPPED = "stopped"
"""Why a trainer was stopped by the platform itself (it then leaves no exit code)."""
_SCRIPT = 'd=$1; shift; "$@" >"$d/events.jsonl" 2>>"$d/output.log"; echo $? >"$d/exit_code.tmp"; mv "$d/exit_code.tmp" "$d/exit_code"'


class LocalRuntime:
    """Trainer jobs as local process groups."""

    name = "local"

    def __init__(self, runs_dir: Path, python: str = sys.executable) -> None:
        self.runs_dir = runs_dir.resolve()
        self.python = python
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def prepare(self, job_id: str) -> dict[str, Any]:
        directory = self.runs_dir / job_id
        directory.mkdir(parents=True, exist_ok=True)
        (directory / LOG).touch()
        return {"runtime": self.name, "dir": str(directory)}

    async def start(self, spec: JobSpec, handle: dict[str, Any]) -> dict[str, Any]:
        directory = Path(handle["dir"])
        job_file = directory / "job.json"
        job_file.write_text(json.dumps(spec.job, indent=2))
        command = [self.python, "-m", "ml.train", "--job", str(job_file)]
        command = memory_limited(command, spec.memory_limit_bytes)
        env = inherited_env()
        env.update(thread_env(spec.threads))
        env.update(spec.env)
        env.update({"PYTHONUNBUFFERED": "1", "DVC_NO_ANALYTICS": "1"})
        child = spawn(["/bin/sh", "-c", _SCRIPT, "trainer", str(directory), *command], directory, env)
        self._children[child.pid] = child
        pin(child.pid, spec.threads)
        started = psutil.Process(child.pid).create_time()
        handle = {**handle, "pid": child.pid, "pgid": child.pid, "create_time": started}
        (directory / HANDLE).write_text(json.dumps(handle))
        return handle

    async def status(self, handle: dict[str, Any]) -> JobStatus:
        handle = _complete(handle)
        code = _exit_code(Path(handle["dir"]))
        if code is not None:
            self._reap(handle)
            return JobStatus("exited", code)
        if _group_alive(handle):
            return JobStatus("running")
        self._reap(handle)
        # The shell writes the exit code after the trainer ends: give a just-ended job a moment.
        await asyncio.sleep(0.2)
        code = _exit_code(Path(handle["dir"]))
        if code is not None:
            return JobStatus("exited", code)
        return JobStatus("lost", detail=_stop_reason(Path(handle["dir"])))

    async def read_events(self, handle: dict[str, Any], offset: int) -> bytes:
        return _read(Path(handle["dir"]) / EVENTS, offset, 1 << 22)

    async def read_log(self, handle: dict[str, Any], offset: int, limit: int) -> bytes:
        return _read(Path(handle["dir"]) / LOG, offset, limit)

    async def log_size(self, handle: dict[str, Any]) -> int:
        with contextlib.suppress(FileNotFoundError):
            return (Path(handle["dir"]) / LOG).stat().st_size
        return 0

    async def append_log(self, handle: dict[str, Any], line: str) -> None:
        stamp = utcnow().strftime("%Y-%m-%d %H:%M:%S")
        _append(Path(handle["dir"]) / LOG, f"{stamp} [platform] {line}\n")

    async def cancel(self, handle: dict[str, Any], grace_seconds: float) -> bool:
        handle = _complete(handle)
        if "pgid" not in handle:
            return True
        deadline = time.monotonic() + grace_seconds
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not _signal_group(handle, sig):
                break
            while time.monotonic() < deadline or sig == signal.SIGKILL:
                self._reap(handle)
                if not _group_alive(handle):
                    return True
                await asyncio.sleep(0.05)
                if sig == signal.SIGKILL and time.monotonic() > deadline + 2:
                    break
        self._reap(handle)
        return not _group_alive(handle)

    def _reap(self, handle: dict[str, Any]) -> None:
        child = self._children.get(handle.get("pid", -1))
        if child is not None and child.poll() is not None:
            del self._children[child.pid]


async def stop_trainers(runs_dir: Path, reason: str, grace_seconds: float = 3.0) -> int:
    """Stop every trainer still running under ``runs_dir``, recording ``reason``; how many were."""
    runtime = LocalRuntime(runs_dir)
    stopped = 0
    for handle in _running(runs_dir):
        (Path(handle["dir"]) / STOPPED).write_text(reason + "\n")
        await runtime.append_log(handle, f"stopping the trainer: {reason}")
        stopped += await runtime.cancel(handle, grace_seconds)
    return stopped


def _running(runs_dir: Path) -> list[dict[str, Any]]:
    """Handles of the trainers under ``runs_dir`` that still run."""
    handles = [json.loads(path.read_text()) for path in sorted(runs_dir.glob(f"*/{HANDLE}"))]
    return [h for h in handles if _exit_code(Path(h["dir"])) is None and _group_alive(h)]


def _stop_reason(directory: Path) -> str:
    with contextlib.suppress(FileNotFoundError):
        return (directory / STOPPED).read_text().strip()
    return "its processes are gone and it left no exit code"


def _complete(handle: dict[str, Any]) -> dict[str, Any]:
    """The handle with the process ids, from the job's directory when the caller missed them
    (a service that died between starting the trainer and saving its handle)."""
    if "pgid" in handle:
        return handle
    with contextlib.suppress(FileNotFoundError, ValueError):
        return {**handle, **json.loads((Path(handle["dir"]) / HANDLE).read_text())}
    return handle


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.write(text)


def _group_alive(handle: dict[str, Any]) -> bool:
    pgid = handle.get("pgid")
    if pgid is None:
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _same_leader(handle) or _members(pgid)


def _same_leader(handle: dict[str, Any]) -> bool:
    """The group's leader is still the process we started (not a new one that reused the pid)."""
    return same_process(handle.get("pid"), handle.get("create_time"))


def _members(pgid: int) -> bool:
    """Live processes in group ``pgid`` (the leader may be gone while its children run)."""
    for process in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error):
            if os.getpgid(process.pid) == pgid and process.status() != "zombie":
                return True
    return False


def _signal_group(handle: dict[str, Any], sig: signal.Signals) -> bool:
    """Signal the job's group, unless its pid now belongs to another group; False if it is gone."""
    if not _group_alive(handle):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(handle["pgid"], sig)
        return True
    return False


def _exit_code(directory: Path) -> int | None:
    with contextlib.suppress(FileNotFoundError, ValueError):
        return int((directory / EXIT_CODE).read_text().strip())
    return None


def _read(path: Path, offset: int, limit: int) -> bytes:
    try:
        with open(path, "rb") as file:
            file.seek(offset)
            return file.read(limit)
    except FileNotFoundError:
        return b""
