"""Helpers of ``training_overhead.py``: the bare trainer as a child process, and one run through the
platform followed on its WebSocket.

Times are wall-clock (``time.time()``, seconds since the epoch) so they compare with the trainer's
event times (ISO UTC, millisecond precision) and the platform's event times on the same machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import websockets
from _common import CLOCK_TICKS, cpu_seconds
from _platform import ROOT, Platform

MODEL_TYPE = "mnist_pytorch_cnn"
SAMPLE = "datasets/mnist/mnist.pkl.gz"
TERMINAL = ("succeeded", "failed", "cancelled")


def ts(iso: str | None) -> float:
    """Seconds since the epoch of an ISO 8601 time with a zone (nan when missing)."""
    if not iso:
        return float("nan")
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def thread_env(threads: int) -> dict[str, str]:
    """What the platform's local runtime adds to a trainer's environment (thread pools, unbuffered)."""
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
    return {**dict.fromkeys(names, str(threads)), "PYTHONUNBUFFERED": "1"}


def bare_job(
    home: Path, artifact_uri: Path, job_id: str, epochs: int, threads: int, params: dict[str, Any]
) -> dict[str, Any]:
    """The job the workflow service would write for the same request (see services/workflow/jobs.py)."""
    from ml import catalog

    filled, errors = catalog.validate_training(
        MODEL_TYPE, {"epochs": epochs, "batch_size": 64, "params": params}
    )
    if errors:
        raise ValueError("; ".join(str(e) for e in errors))
    return {
        "job_id": job_id,
        "model_type": MODEL_TYPE,
        "epochs": filled["epochs"],
        "batch_size": filled["batch_size"],
        "params": filled["params"],
        "data": {
            "repo": None,
            "rev": None,
            "query": None,
            "format": None,
            "data_source": "local_path",
            "path": str((home / SAMPLE).resolve()),
        },
        "seed": 42,
        "threads": threads,
        "artifact_uri": str(artifact_uri),
    }


@dataclass
class TrainerRun:
    """One bare ``python -m ml.train`` process: spawn and exit times, its events (with read times)."""

    spawned: float
    exited: float = float("nan")
    returncode: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    cpu: float = float("nan")  # CPU seconds of the trainer process
    others: float = float("nan")  # CPU s of every other process on the machine meanwhile (noise)
    cpu_platform: dict[str, float] = field(
        default_factory=dict
    )  # CPU s per (idle) platform process meanwhile
    load: float = float("nan")  # 1-minute loadavg just before

    def first(self, kind: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("event") == kind), None)

    def at(self, kind: str) -> float:
        event = self.first(kind)
        return ts(event["time"]) if event else float("nan")

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.first("succeeded") is not None

    @property
    def total(self) -> float:
        return self.exited - self.spawned

    @property
    def to_started(self) -> float:
        return self.at("started") - self.spawned

    @property
    def own(self) -> float:
        """The trainer's own duration: its ``started`` event to its ``succeeded`` event."""
        return self.at("succeeded") - self.at("started")

    @property
    def end_after(self) -> float:
        """From the trainer's ``succeeded`` event to its exit."""
        return self.exited - self.at("succeeded")

    @property
    def epochs(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "epoch"]

    @property
    def metrics(self) -> dict[str, float]:
        event = self.first("succeeded")
        return dict(event.get("metrics", {})) if event else {}

    def failure(self) -> str:
        event = self.first("failed")
        return f"{event.get('error')}: {event.get('reason')}" if event else f"exit code {self.returncode}"


def busy_cpu() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat: user to softirq, and steal)."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def own_cpu() -> float:
    """CPU seconds of this bench process (its WebSocket follower, polling)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_running: set[int] = set()  # process groups of trainers this bench started and not yet reaped


def run_trainer(
    job: dict[str, Any], workdir: Path, platform_pids: dict[str, int] | None = None
) -> TrainerRun:
    """Run the trainer on ``job`` until it exits; stderr goes to ``workdir/<job_id>.log``."""
    job_file = workdir / f"{job['job_id']}.json"
    job_file.write_text(json.dumps(job, indent=2))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env.update(thread_env(int(job["threads"])))
    platform_pids = platform_pids or {}
    before = {name: cpu_seconds(pid) for name, pid in platform_pids.items()}
    box, mine = busy_cpu(), own_cpu()
    with open(workdir / f"{job['job_id']}.log", "wb") as log:
        run = TrainerRun(spawned=time.time())
        proc = subprocess.Popen(
            [sys.executable, "-m", "ml.train", "--job", str(job_file)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
        _running.add(proc.pid)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                with contextlib.suppress(ValueError):
                    event = json.loads(line)
                    event["_read"] = time.time()
                    run.events.append(event)
            # Wait for the exit without reaping, so the group id stays ours while strays are killed.
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            run.exited = time.time()
            run.cpu = cpu_seconds(proc.pid)  # a zombie's /proc entry still has its final CPU times
        finally:
            kill_group(proc.pid)
            run.returncode = proc.wait()
            _running.discard(proc.pid)
    run.cpu_platform = {name: cpu_seconds(pid) - before[name] for name, pid in platform_pids.items()}
    used = busy_cpu() - box - (own_cpu() - mine)
    run.others = used - run.cpu - sum(run.cpu_platform.values())
    return run


def kill_group(pgid: int) -> bool:
    """SIGKILL a process group if anything of it is left; True when something was."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def kill_trainer_group(pgid: int) -> bool:
    """SIGKILL group ``pgid`` only if one of its processes runs ``ml.train`` (the id may be reused)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            if b"ml.train" in (entry / "cmdline").read_bytes():
                return kill_group(pgid)
    return False


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    return (
        f"machine: nproc {os.cpu_count()} ({model}), Python {platform.python_version()}, "
        f"torch {metadata.version('torch')}, {platform.system()} {platform.release()}"
    )


def load() -> str:
    return f"loadavg {os.getloadavg()[0]:.2f} (other work on the box skews results)"


def kill_leftovers() -> list[int]:
    """Kill the groups of bare trainers still running (after an interrupt)."""
    return [pgid for pgid in list(_running) if kill_group(pgid)]


# Through the platform ---------------------------------------------------------------------------------


@dataclass
class PlatformRun:
    """One run through the platform, from "Run now" (just before the POST) to ``workflow.run.succeeded``."""

    clicked: float
    answered: float = float("nan")  # the POST's answer arrived
    job_id: str = ""
    status: str = ""
    error: str = ""
    spawned: float = float("nan")  # the trainer's process group leader was created (/proc start time)
    run_started: float = float("nan")  # workflow.run.started event time
    trainer_exited: float = float("nan")  # mtime of exit_code, written when the trainer exits
    run_done: float = float("nan")  # workflow.run.succeeded event time
    run_done_seen: float = float("nan")  # ... received on the WebSocket
    via: str = "websocket"
    load: float = float("nan")  # 1-minute loadavg just before
    events: list[dict[str, Any]] = field(default_factory=list)  # the trainer's events.jsonl
    steps: list[dict[str, Any]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per platform process during the run
    trainer_pid: int = 0  # the trainer's Python process (its `started` event's pid)
    trainer_cpu: float = float("nan")  # its CPU seconds, last sampled while it ran (every <= 0.2 s)
    others: float = float("nan")  # CPU s of every other process on the machine meanwhile (noise)

    def at(self, kind: str) -> float:
        event = next((e for e in self.events if e.get("event") == kind), None)
        return ts(event["time"]) if event else float("nan")

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    @property
    def total(self) -> float:
        return self.run_done_seen - self.clicked

    @property
    def own(self) -> float:
        return self.at("succeeded") - self.at("started")

    @property
    def end_after(self) -> float:
        """From the trainer's ``succeeded`` event to ``workflow.run.succeeded`` on the WebSocket."""
        return self.run_done_seen - self.at("succeeded")

    @property
    def metrics(self) -> dict[str, float]:
        event = next((e for e in self.events if e.get("event") == "succeeded"), None)
        return dict(event.get("metrics", {})) if event else {}

    def step_seconds(self, name: str) -> float:
        step = next((s for s in self.steps if s.get("name") == name), None)
        if not step or not step.get("started_at") or not step.get("ended_at"):
            return float("nan")
        return ts(step["ended_at"]) - ts(step["started_at"])


def _request(plat: Platform, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        plat.base_url + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **plat.auth_headers},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{method} {path}: HTTP {error.code} {error.read()[:500]!r}") from error


def model_types(plat: Platform) -> list[dict[str, Any]]:
    return list(_request(plat, "GET", "/api/model-types"))


async def platform_run(
    plat: Platform, training: dict[str, Any], timeout: float, pgids: set[int]
) -> PlatformRun:
    """POST execute_workflow and follow the run on the WebSocket until it ends (GET as a backstop).

    ``pgids`` collects the trainer's process group, so the caller can make sure it is gone.
    """
    url = f"ws://127.0.0.1:{plat.port}/ws/events?topics=workflow.run.>"
    names = platform_pids(plat)
    async with websockets.connect(url, additional_headers=plat.auth_headers, max_size=None) as ws:
        while json.loads(await asyncio.wait_for(ws.recv(), 10)).get("kind") != "subscribed":
            pass
        body = {"workflow_params": {"model_type": MODEL_TYPE, "training": training}}
        cpu_before = {name: cpu_seconds(pid) for name, pid in names.items()}
        box, mine = busy_cpu(), own_cpu()
        run = PlatformRun(clicked=time.time())
        answer = await asyncio.to_thread(_request, plat, "POST", "/api/mlops/execute_workflow", body)
        run.answered = time.time()
        run.job_id = str(answer.get("job_id") or "")
        if not run.job_id:
            raise RuntimeError(f"execute_workflow did not answer with a job id: {answer}")
        run_dir = plat.home / "runs" / run.job_id
        deadline = time.monotonic() + timeout
        last_get = time.monotonic()
        ended_by_get: dict[str, Any] | None = None
        while not run.status:
            if time.monotonic() > deadline:
                raise RuntimeError(f"run {run.job_id} not finished after {timeout:.0f}s")
            _note_handle(run, run_dir, pgids)
            _sample_trainer(run, run_dir)
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
            except TimeoutError:
                frame = {}
            seen = time.time()
            if frame.get("kind") == "event" and frame.get("subject", "").endswith("." + run.job_id):
                verb = frame["subject"].split(".")[3]
                if verb == "started":
                    run.run_started = ts(frame.get("time"))
                elif verb in TERMINAL:
                    run.status, run.run_done, run.run_done_seen = verb, ts(frame.get("time")), seen
                    data = frame.get("data") or {}
                    run.error = str(data.get("reason") or "")
            if not run.status and ended_by_get is None and time.monotonic() - last_get > 5:
                last_get = time.monotonic()  # backstop in case events are missed
                detail = await asyncio.to_thread(_request, plat, "GET", f"/api/workflows/runs/{run.job_id}")
                if detail["status"] in TERMINAL:
                    ended_by_get = detail  # the event may still be on its way (outbox relay): wait a little
            if not run.status and ended_by_get is not None and time.monotonic() - last_get > 5:
                run.status, run.via = ended_by_get["status"], "GET"
                run.error = ended_by_get.get("error") or ""
                run.run_done = run.run_done_seen = ts(ended_by_get.get("end_time"))
    run.cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in names.items()}
    used = busy_cpu() - box - (own_cpu() - mine)
    run.others = used - run.trainer_cpu - sum(run.cpu.values())
    _note_handle(run, run_dir, pgids)
    detail = _request(plat, "GET", f"/api/workflows/runs/{run.job_id}")
    run.steps = list(detail.get("steps") or [])
    with contextlib.suppress(OSError):
        run.trainer_exited = (run_dir / "exit_code").stat().st_mtime
    with contextlib.suppress(OSError):
        for line in (run_dir / "events.jsonl").read_text().splitlines():
            with contextlib.suppress(ValueError):
                run.events.append(json.loads(line))
    return run


def platform_pids(plat: Platform) -> dict[str, int]:
    """The supervisor (``mlops up``) and its children, by name."""
    names = {"supervisor": plat.proc.pid} if plat.proc else {}
    return names | {name: int(c["pid"]) for name, c in plat.state["children"].items() if c.get("pid")}


def _sample_trainer(run: PlatformRun, run_dir: Path) -> None:
    if not run.trainer_pid:
        with contextlib.suppress(OSError, ValueError, KeyError):
            with open(run_dir / "events.jsonl") as f:
                first = json.loads(f.readline())
            if first.get("event") == "started":
                run.trainer_pid = int(first["pid"])
    if run.trainer_pid:
        used = cpu_seconds(run.trainer_pid)
        if used > 0 and (math.isnan(run.trainer_cpu) or used > run.trainer_cpu):
            run.trainer_cpu = used


def _note_handle(run: PlatformRun, run_dir: Path, pgids: set[int]) -> None:
    if run.spawned == run.spawned:  # already known (not nan)
        return
    with contextlib.suppress(OSError, ValueError, KeyError):
        handle = json.loads((run_dir / "handle.json").read_text())
        pgids.add(int(handle["pgid"]))
        run.spawned = spawn_time(int(handle["pid"]))


def spawn_time(pid: int) -> float:
    """Wall-clock time ``pid`` was created, from its start time in /proc (10 ms ticks since boot).

    Not psutil's ``create_time``: that adds the boot time in whole seconds, up to 1 s off the wall clock.
    """
    with open(f"/proc/{pid}/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return time.time() - (uptime - start_ticks / CLOCK_TICKS)


def n(value: float, digits: int = 2) -> str:
    """A number with a fixed number of decimals for the tables ("-" for nan)."""
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def loadavg() -> float:
    return os.getloadavg()[0]
