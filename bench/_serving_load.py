"""One load step of ``bench/serving.py``: the client process against one server, with the server's
CPU, the machine's CPU and (for ``ml.serve``) its batch sizes sampled when the client's measured
window opens and closes.

Per step: requests/s answered inside the window, p50/p99/max latency, errors, the server's CPU ms
per request (process and children), the client's CPU ms per request, and "other cores": the CPU
that every other process on the machine used meanwhile, in cores (the noise on a shared box).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _serving_servers import OurServer, Server

HERE = Path(__file__).resolve().parent
PYTHON = HERE.parent / ".venv" / "bin" / "python"
CLIENT = HERE / "_serving_client.py"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Plan:
    """How long and how hard each step runs."""

    levels: tuple[int, ...]
    warmup_s: float
    duration_s: float
    open_connections: int
    raw_seconds: float
    checks: int


def machine_busy_seconds() -> float:
    """CPU seconds every core has spent outside idle and iowait since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / TICKS


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _sample(server: Server) -> dict[str, Any]:
    sample: dict[str, Any] = {"cpu": server.cpu_seconds(), "busy": machine_busy_seconds()}
    if isinstance(server, OurServer):
        sample["metrics"] = server.metrics()
    return sample


def measure(
    server: Server, requests: Path, plan: Plan, *, concurrency: int = 0, rate: float = 0.0, log: Path
) -> dict[str, Any]:
    """One closed-loop step (``concurrency`` callers) or open-loop step (``rate`` requests/s)."""
    config = {"host": server.host, "port": server.port, "bodies": str(requests), "warmup_s": plan.warmup_s,
              "duration_s": plan.duration_s, "concurrency": concurrency, "rate": rate,
              "connections": plan.open_connections}  # fmt: skip
    samples: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] | None = None
    with log.open("ab") as errors:
        client = subprocess.Popen([str(PYTHON), str(CLIENT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=errors, text=True)  # fmt: skip
        assert client.stdin is not None and client.stdout is not None
        client.stdin.write(json.dumps(config))
        client.stdin.close()
        for line in client.stdout:
            line = line.strip()
            if line in ("window-start", "window-end"):
                samples[line] = _sample(server)
            elif line.startswith("{"):
                result = json.loads(line)
        client.wait(timeout=60)
    if result is None or len(samples) != 2:
        raise RuntimeError(f"the client failed ({client.returncode}); see {log}:\n{log.read_text()[-1500:]}")
    start, end = samples["window-start"], samples["window-end"]
    ok = max(result["ok"], 1)
    server_cpu = end["cpu"] - start["cpu"]
    others = end["busy"] - start["busy"] - server_cpu - result["client_cpu_s"]
    result.update(
        concurrency=concurrency, rate=rate, server_ms=server_cpu / ok * 1e3,
        client_ms=result["client_cpu_s"] / ok * 1e3, other_cores=max(others, 0.0) / result["window_s"],
        batch=float("nan"),
    )  # fmt: skip
    if "metrics" in start:
        calls = (
            end["metrics"]["prediction_batch_size_count"] - start["metrics"]["prediction_batch_size_count"]
        )
        instances = (
            end["metrics"]["prediction_batch_size_sum"] - start["metrics"]["prediction_batch_size_sum"]
        )
        result["batch"] = instances / calls if calls else float("nan")
    return result


LOAD_HEADERS = ["server", "c", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "inst/call", "srv CPU ms/req",
                "client CPU ms/req", "other cores"]  # fmt: skip
OPEN_HEADERS = ["server", "rate", "req/s", "p50 ms", "p99 ms", "p99 from due", "max ms", "errors", "inst/call",
                "srv CPU ms/req", "client CPU ms/req", "other cores"]  # fmt: skip


def load_row(name: str, r: dict[str, Any]) -> list[Any]:
    return [name, r["concurrency"], r["throughput"], r["p50"], r["p99"], r["max"], r["errors"], r["batch"],
            r["server_ms"], r["client_ms"], r["other_cores"]]  # fmt: skip


def open_row(name: str, r: dict[str, Any]) -> list[Any]:
    return [name, r["rate"], r["throughput"], r["p50"], r["p99"], r["sched_p99"], r["max"], r["errors"],
            r["batch"], r["server_ms"], r["client_ms"], r["other_cores"]]  # fmt: skip
