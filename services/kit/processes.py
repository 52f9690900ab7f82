"""Child processes of the local runtime: started detached, limited, found again after a restart.

Workloads (trainers, inference servers) run as leaders of their own session, so they outlive the
service that started them and a restarted service can adopt them by pid and start time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import IO

import psutil

INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_CACHE_HOME", "CUDA_VISIBLE_DEVICES")
"""Environment a workload inherits; the platform's own credentials (NATS, database) stay out."""


def inherited_env() -> dict[str, str]:
    return {key: os.environ[key] for key in INHERITED if key in os.environ}


def spawn(
    command: list[str], directory: Path, env: dict[str, str], output: IO[bytes] | int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """Start ``command`` as the leader of a new session (its own process group), detached from us."""
    return subprocess.Popen(
        command,
        cwd=directory,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        start_new_session=True,
    )


def prlimit() -> str:
    path = shutil.which("prlimit")
    if path is None:
        raise RuntimeError("prlimit (util-linux) is needed to limit a workload's memory")
    return path


def memory_limited(command: list[str], limit_bytes: int | None) -> list[str]:
    """``command`` under an address-space limit of ``limit_bytes`` (unchanged when None)."""
    return [prlimit(), f"--as={limit_bytes}", "--", *command] if limit_bytes else command


def thread_env(threads: int) -> dict[str, str]:
    value = str(threads)
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
    return dict.fromkeys(names, value)


def pin(pid: int, threads: int) -> None:
    """Keep ``pid`` on ``threads`` cores (it and everything it starts inherit the mask)."""
    with contextlib.suppress(OSError, AttributeError):
        cores = sorted(os.sched_getaffinity(0))
        if threads < len(cores):
            os.sched_setaffinity(pid, cores[-threads:])


def create_time(pid: int) -> float | None:
    with contextlib.suppress(psutil.Error):
        return float(psutil.Process(pid).create_time())
    return None


def same_process(pid: int | None, started: float | None) -> bool:
    """``pid`` is still the live process that started at ``started`` (not one that reused the pid)."""
    if pid is None or started is None:
        return False
    try:
        process = psutil.Process(pid)
        same = abs(process.create_time() - float(started)) < 0.01
        return same and bool(process.status() != "zombie")
    except psutil.Error:
        return False
