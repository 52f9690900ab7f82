"""MLflow's model registry as a benchmark peer (never a dependency of the platform).

MLflow lives in its own venv, ``.bench-venvs/mlflow`` (``python3 -m venv .bench-venvs/mlflow &&
.bench-venvs/mlflow/bin/pip install mlflow psycopg2-binary``); this module only speaks REST to its
server (httpx) and, to seed, SQL to its database (sqlite3 / psycopg from the platform's venv).

- :class:`MlflowServer` starts ``mlflow server --workers 1`` on a free port over SQLite in a temporary
  directory (or a fresh PostgreSQL database at 127.0.0.1:5432), waits for ``GET /health`` and stops
  it and all its children on exit. Its job runner (huey consumers, not used by the registry) is off
  unless ``jobs=True``.
- :func:`mlflow_register_and_alias`: one op = ``model-versions/create`` + ``registered-models/alias``.
- :func:`mlflow_seed`: 1k registered models / 100k versions with tags. A REST probe estimates the time
  through the API; above ``rest_budget_s`` the rows are inserted with SQL in one transaction, copied
  column for column from rows that MLflow itself wrote for the probe, then counted back through REST.
- :func:`mlflow_search`: ``GET model-versions/search`` (or ``registered-models/search``) with a filter.

    .venv/bin/python bench/_mlflow.py                        # SQLite, 4-6 minutes
    .venv/bin/python bench/_mlflow.py --backend postgresql   # about 5 minutes; "both" 9-11
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from _common import CpuMeter, free_port, rss_kib, say, summary_ms, table

ROOT = Path(__file__).resolve().parents[1]
MLFLOW_VENV = ROOT / ".bench-venvs" / "mlflow"
MLFLOW_BIN = MLFLOW_VENV / "bin" / "mlflow"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
API = "/api/2.0/mlflow"
TEAMS = ("vision", "nlp", "tabular", "speech", "recsys")
STAGES = ("None", "Staging", "Production", "Archived")
STAGE_WEIGHTS = (40, 15, 5, 40)
SEED_PREFIX = "model-"


def mlflow_version() -> str:
    found = sorted(MLFLOW_VENV.glob("lib/python*/site-packages/mlflow-*.dist-info"))
    return found[-1].name.removeprefix("mlflow-").removesuffix(".dist-info") if found else "?"


# --------------------------------------------------------------------------------------------- server


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(ppid, pgid) of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[2])


def _family(root: int) -> set[int]:
    """Live processes in ``root``'s process group or descending from it."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _proc_stat(int(entry))) is not None:
            stats[int(entry)] = st
    family = {pid for pid, (_, pgid) in stats.items() if pgid == root}
    if root in stats:
        family.add(root)
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in stats.items():
            if ppid in family and pid not in family:
                family.add(pid)
                grew = True
    return family


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _huey_dirs(pids: set[int]) -> set[str]:
    """The job runner's huey storage (a mkdtemp in /dev/shm, only with ``jobs=True``)."""
    found = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        for item in env:
            if item.startswith(b"_MLFLOW_HUEY_STORAGE_PATH="):
                path = item.split(b"=", 1)[1].decode()
                if path.startswith(("/dev/shm/", tempfile.gettempdir())):
                    found.add(path)
    return found


class MlflowServer:
    """``with MlflowServer() as mlflow: mlflow.url`` — an ``mlflow server`` of its own, gone on exit."""

    def __init__(
        self,
        backend: str = "sqlite",
        *,
        workers: int = 1,
        jobs: bool = False,
        keep: bool = False,
        startup_timeout_s: float = 240.0,
    ) -> None:
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"backend must be sqlite or postgresql, not {backend!r}")
        if not MLFLOW_BIN.exists():
            raise RuntimeError(
                f"{MLFLOW_BIN} missing: python3 -m venv {MLFLOW_VENV} && "
                f"{MLFLOW_VENV}/bin/pip install mlflow psycopg2-binary"
            )
        self.backend = backend
        self.workers = workers
        self.jobs = jobs
        self.keep = keep
        self.startup_timeout_s = startup_timeout_s
        self.tmp = Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path: Path | None = None
        self.db_url = ""
        self.pg_name = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = float("nan")
        self._log: Any = None

    # -- database
    def _create_pg(self) -> None:
        import psycopg

        self.pg_name = f"bench_mlflow_{os.getpid()}_{self.port}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}"')
            conn.execute(f'CREATE DATABASE "{self.pg_name}"')
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the mlflow venv has psycopg2-binary.
        self.db_url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{self.pg_name}"

    def _drop_pg(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def connect_db(self) -> Any:
        """A DB-API connection to the backend store (sqlite3, or psycopg without autocommit)."""
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.db_path, timeout=60)
            conn.execute("PRAGMA foreign_keys=ON")
            return conn
        import psycopg

        return psycopg.connect(self.db_url.replace("+psycopg2", "", 1))

    # -- process
    def start(self) -> MlflowServer:
        if self.backend == "sqlite":
            self.db_path = self.tmp / "mlflow.db"
            self.db_url = f"sqlite:///{self.db_path}"
        else:
            self._create_pg()
        artifacts = self.tmp / "artifacts"
        artifacts.mkdir()
        cmd = [
            str(MLFLOW_BIN),
            "server",
            "--workers",
            str(self.workers),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--backend-store-uri",
            self.db_url,
            "--default-artifact-root",
            artifacts.as_uri(),
            "--no-serve-artifacts",
        ]
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        env["PATH"] = f"{MLFLOW_VENV / 'bin'}:{env.get('PATH', '')}"
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "true" if self.jobs else "false"
        self._log = open(self.tmp / "server.log", "wb")  # closed in stop()
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=self.tmp, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = started + self.startup_timeout_s
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mlflow server exited ({self.proc.returncode}):\n{self.log_tail()}")
                try:
                    if client.get(f"{self.url}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.perf_counter() > deadline:
                    raise RuntimeError(
                        f"mlflow server not healthy after {self.startup_timeout_s}s:\n{self.log_tail()}"
                    )
                time.sleep(0.25)
        self.startup_s = time.perf_counter() - started
        return self

    def pids(self) -> dict[str, int]:
        """The server's live processes, named by their command (for CpuMeter / rss_kib)."""
        if self.proc is None:
            return {}
        named = {}
        for pid in sorted(_family(self.proc.pid)):
            words = [a.decode(errors="replace") for a in _cmdline(pid).split(b"\0") if a]
            if not words:
                continue
            label = "mlflow-cli" if pid == self.proc.pid else Path(words[0]).name
            for word in ("uvicorn", "gunicorn", "_job_runner", "huey_consumer"):
                if any(word in w for w in words[1:]):
                    label = word.strip("_")
                    break
            named[f"{label}:{pid}"] = pid
        return named

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.tmp / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL to whatever is left after 15 s.

        The root is reaped only at the end: while it is a zombie its pid, hence its process group id,
        cannot be reused, so the signals reach only processes this server started."""
        if self.proc is not None:
            root = self.proc.pid
            family = _family(root)
            shm = _huey_dirs(family)
            with _quiet():
                os.killpg(root, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while family and time.monotonic() < deadline:
                time.sleep(0.1)
                family = {pid for pid in family if _proc_stat(pid) is not None}
            with _quiet():
                os.killpg(root, signal.SIGKILL)
            for pid in family:  # a child that left the group (none seen so far)
                if _proc_stat(pid) is not None and str(MLFLOW_VENV).encode() in _cmdline(pid):
                    with _quiet():
                        os.kill(pid, signal.SIGKILL)
            with _quiet():
                self.proc.wait(timeout=10)
            self.proc = None
            for path in shm:
                shutil.rmtree(path, ignore_errors=True)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.pg_name:
            with _quiet():
                self._drop_pg()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> MlflowServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _quiet() -> contextlib.suppress:
    """Cleanup paths: a process already gone, a database already dropped."""
    return contextlib.suppress(OSError, subprocess.TimeoutExpired, ImportError, RuntimeError)


# ----------------------------------------------------------------------------------------- REST bits


def _check(response: httpx.Response) -> dict:
    if response.status_code != 200:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:300]}"
        )
    return response.json()


def _source_run(client: httpx.Client, url: str) -> tuple[str, str]:
    """(run_id, artifact_uri) of a run in the Default experiment, the lineage of every version made here.

    MLflow 3 accepts a ``file://`` source only with a ``run_id`` whose artifact directory contains it.
    """
    run = _check(
        client.post(f"{url}{API}/runs/create", json={"experiment_id": "0", "run_name": "bench-source"})
    )
    info = run["run"]["info"]
    return info["run_id"], info["artifact_uri"]


def _create_models(
    client: httpx.Client, url: str, names: list[str], tags: dict[str, str] | None = None
) -> None:
    tag_list = [{"key": k, "value": v} for k, v in (tags or {}).items()]
    for name in names:
        _check(client.post(f"{url}{API}/registered-models/create", json={"name": name, "tags": tag_list}))


def _percentiles(latencies: list[float], errors: int, wall: float, ops: int) -> dict:
    s = summary_ms(latencies)
    return {
        "ops": ops,
        "ok": s["n"],
        "throughput": (s["n"] / wall) if wall > 0 else float("nan"),
        "p50": s["p50"],
        "p99": s["p99"],
        "max": s["max"],
        "errors": errors,
        "wall_s": wall,
    }


async def _run_workers(n: int, concurrency: int, op: Any) -> tuple[list[float], int, list[str], float]:
    """Run ``await op(client, i)`` for i in range(n) on ``concurrency`` workers (one client each)."""
    latencies: list[float] = []
    error_samples: list[str] = []
    errors = 0
    counter = iter(range(n))

    async def worker() -> None:
        nonlocal errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
            for i in counter:
                t0 = time.perf_counter()
                try:
                    await op(client, i)
                except Exception as error:
                    errors += 1
                    if len(error_samples) < 3:
                        error_samples.append(f"{type(error).__name__}: {str(error)[:200]}")
                    continue
                latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, error_samples, time.perf_counter() - started


async def _acheck(response: httpx.Response) -> dict:
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code} {response.text[:200]}")
    return response.json()


# ------------------------------------------------------------------------------ register + alias


async def mlflow_register_and_alias(
    url: str, n: int, concurrency: int, *, models: int = 10, warmup: int = 10
) -> dict:
    """n ops of (create a model version, point alias ``champion`` at it), over ``models`` fresh models.

    Setup (untimed): the models, a source run, ``warmup`` ops. Each timed op is both calls in a row.
    """
    tag = uuid.uuid4().hex[:6]
    names = [f"reg-c{concurrency}-{tag}-{i:02d}" for i in range(models)]
    with httpx.Client(timeout=60.0) as client:
        _create_models(client, url, names)
        run_id, artifact_uri = _source_run(client, url)

    async def op(client: httpx.AsyncClient, i: int) -> None:
        name = names[i % models]
        body = {"name": name, "source": f"{artifact_uri}/model-{i}", "run_id": run_id}
        created = await _acheck(await client.post(f"{url}{API}/model-versions/create", json=body))
        version = created["model_version"]["version"]
        alias = {"name": name, "alias": "champion", "version": version}
        await _acheck(await client.post(f"{url}{API}/registered-models/alias", json=alias))

    if warmup:
        await _run_workers(warmup, min(concurrency, warmup), op)
    latencies, errors, samples, wall = await _run_workers(n, concurrency, op)
    result = _percentiles(latencies, errors, wall, n)
    result["concurrency"] = concurrency
    result["error_samples"] = samples
    return result


# ------------------------------------------------------------------------------------------ search


async def mlflow_search(
    url: str, n: int, concurrency: int, filter: str, *, max_results: int = 100, what: str = "model-versions"
) -> dict:
    """n ``GET /api/2.0/mlflow/<what>/search?filter=...&max_results=...`` (``what``: model-versions or
    registered-models); ``results`` is the number of items one call returned (first page)."""
    key = "model_versions" if what == "model-versions" else "registered_models"
    params = {"filter": filter, "max_results": str(max_results)}
    path = f"{url}{API}/{what}/search"
    async with httpx.AsyncClient(timeout=60.0) as client:
        first = await _acheck(await client.get(path, params=params))  # untimed warm-up, counts results

    async def op(client: httpx.AsyncClient, i: int) -> None:
        await _acheck(await client.get(path, params=params))

    latencies, errors, samples, wall = await _run_workers(n, concurrency, op)
    result = _percentiles(latencies, errors, wall, n)
    result.update(
        concurrency=concurrency,
        filter=filter,
        what=what,
        results=len(first.get(key, [])),
        more=bool(first.get("next_page_token")),
        error_samples=samples,
    )
    return result


# -------------------------------------------------------------------------------------------- main


def _loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def _cpu(meter: CpuMeter) -> float:
    return sum(meter.stop().values())


def _run_backend(
    backend: str, n: int, search_n: int, models: int, versions: int, rest_budget_s: float
) -> None:
    say(f"\n### MLflow {mlflow_version()} server, backend {backend}, --workers 1 (loadavg {_loadavg()})")
    with MlflowServer(backend) as mlflow:
        pids = mlflow.pids()
        say(f"started in {mlflow.startup_s:.1f}s at {mlflow.url}; processes: {', '.join(pids)}")
        say(f"store: {mlflow.db_path or mlflow.db_url}")

        rows = []
        for concurrency in (1, 8):
            meter = CpuMeter(mlflow.pids())
            meter.start()
            r = asyncio.run(mlflow_register_and_alias(mlflow.url, n, concurrency))
            cpu = _cpu(meter)
            rows.append(
                [f"create version + alias, c={concurrency}", r["ops"], r["throughput"], r["p50"], r["p99"], r["max"],
                 r["errors"], cpu / max(r["ok"], 1) * 1e3]
            )  # fmt: skip
            for sample in r["error_samples"]:
                say(f"  error sample (c={concurrency}): {sample}")
        say(
            table(
                f"(a) register: model-versions/create + registered-models/alias ({backend}, loadavg {_loadavg()})",
                ["op", "n", "ops/s", "p50 ms", "p99 ms", "max ms", "errors", "srv CPU ms/op"],
                rows,
            )
        )

        from _mlflow_seed import mlflow_seed  # it builds on this module

        started = time.perf_counter()
        seed = mlflow_seed(mlflow, models, versions, rest_budget_s=rest_budget_s)
        say(
            f"\nseed: REST probe {seed['rest_versions_per_s']:.0f} versions/s -> estimate "
            f"{seed['rest_estimate_s']:.0f}s for {versions} versions + {models} models; method {seed['method']}; "
            f"rows {seed['rows']}; insert {seed['insert_s']:.1f}s; whole seed+verify {time.perf_counter() - started:.1f}s"
        )
        say(f"  row template from the REST probe: {seed['template_model_version']}")
        say(f"  expected stages {seed['expected']['stage']}, teams {seed['expected']['team']}")
        for key, value in seed["verify"].items():
            say(f"  verify {key}: {value}")
        if mlflow.db_path is not None:
            say(f"  sqlite file: {mlflow.db_path.stat().st_size / 2**20:.0f} MiB")

        probe_name = f"{SEED_PREFIX}{min(42, models - 1):04d}"
        searches = [
            ("model-versions", f"name='{probe_name}'", search_n, (1, 8)),
            ("model-versions", "tags.team='vision'", max(search_n // 10, 20), (1, 8)),
            ("model-versions", f"name='{probe_name}' and tags.stage='Production'", search_n, (1, 8)),
            ("model-versions", "tags.stage='Production'", max(search_n // 10, 20), (1, 8)),
            ("registered-models", "tags.team='vision'", max(search_n // 5, 20), (1, 8)),
        ]
        rows = []
        for what, flt, count, concurrencies in searches:
            for concurrency in concurrencies:
                meter = CpuMeter(mlflow.pids())
                meter.start()
                r = asyncio.run(mlflow_search(mlflow.url, count, concurrency, flt, what=what))
                cpu = _cpu(meter)
                rows.append(
                    [f"{what} {flt} c={concurrency}", r["ops"], r["throughput"], r["p50"], r["p99"], r["max"],
                     r["errors"], f"{r['results']}{'+' if r['more'] else ''}", cpu / max(r["ok"], 1) * 1e3]
                )  # fmt: skip
                for sample in r["error_samples"]:
                    say(f"  error sample ({flt}): {sample}")
        say(
            table(
                f"(b) search, max_results=100, over {models} models / {versions} versions ({backend}, loadavg {_loadavg()})",
                [
                    "search filter",
                    "n",
                    "ops/s",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "errors",
                    "results",
                    "srv CPU ms/op",
                ],
                rows,
            )
        )
        rss = sum(rss_kib(pid) for pid in mlflow.pids().values())
        say(f"server RSS at the end: {rss / 1024:.0f} MiB")
    left = list(_ps_mlflow())
    say(f"processes left after stop: {len(left)}")


def _ps_mlflow() -> Iterator[str]:
    """Live processes run from the mlflow venv (after stop: none expected)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit() and str(MLFLOW_VENV).encode() in (cmd := _cmdline(int(entry))):
            if _proc_stat(int(entry)) is not None:
                text = cmd.replace(b"\0", b" ")[:120].decode(errors="replace")
                yield f"{entry} {text}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--n", type=int, default=500, help="register+alias ops per concurrency")
    parser.add_argument("--search-n", type=int, default=500, help="searches by name per concurrency")
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument(
        "--rest-budget", type=float, default=300.0, help="seed through REST if estimated below (s), else SQL"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    say(f"mlflow {mlflow_version()} in {MLFLOW_VENV}; cores {os.cpu_count()}; loadavg {_loadavg()}")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        _run_backend(backend, args.n, args.search_n, args.models, args.versions, args.rest_budget)
    say(f"\ntotal {time.perf_counter() - started:.0f}s, loadavg {_loadavg()}")


if __name__ == "__main__":
    main()
