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
import random
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


# -------------------------------------------------------------------------------------------- seed


def _rows(conn: Any, sql: str, params: tuple = ()) -> list[dict]:
    cur = conn.cursor()
    cur.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _templates(server: MlflowServer, probe: str) -> dict[str, dict]:
    """One row per registry table, exactly as MLflow's REST calls wrote them for the probe model."""
    ph = "?" if server.backend == "sqlite" else "%s"
    conn = server.connect_db()
    try:
        out = {}
        for table_name in (
            "registered_models",
            "registered_model_tags",
            "model_versions",
            "model_version_tags",
            "registered_model_aliases",
        ):
            rows = _rows(conn, f"SELECT * FROM {table_name} WHERE name = {ph}", (probe,))
            if not rows:
                raise RuntimeError(f"probe wrote no row in {table_name}")
            out[table_name] = rows[0]
        conn.rollback()
    finally:
        conn.close()
    return out


def _plan(models: int, versions: int, run_id: str, artifact_uri: str, templates: dict[str, dict]) -> dict:
    """All rows to insert, each a copy of the template row with its own keys, times and tags."""
    rng = random.Random(42)
    now = int(time.time() * 1000)
    step = 5  # ms between consecutive versions: creation order == timestamp order
    t = now - (versions + models) * step
    plan: dict[str, list[dict]] = {k: [] for k in templates}
    counts = {"stage": dict.fromkeys(STAGES, 0), "team": dict.fromkeys(TEAMS, 0)}
    per_model, extra = divmod(versions, models)
    for m in range(models):
        name = f"{SEED_PREFIX}{m:04d}"
        team = TEAMS[m % len(TEAMS)]
        counts["team"][team] += 1
        created = t
        t += step
        n_versions = per_model + (1 if m < extra else 0)
        for v in range(1, n_versions + 1):
            source = f"{artifact_uri}/{name}/v{v}"
            mv = dict(templates["model_versions"])
            mv.update(
                name=name,
                version=v,
                creation_time=t,
                last_updated_time=t,
                source=source,
                storage_location=source,
                run_id=run_id,
            )
            plan["model_versions"].append(mv)
            stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
            counts["stage"][stage] += 1
            for key, value in (("stage", stage), ("accuracy", f"{rng.uniform(0.55, 0.99):.4f}")):
                tag = dict(templates["model_version_tags"])
                tag.update(name=name, version=v, key=key, value=value)
                plan["model_version_tags"].append(tag)
            t += step
        rm = dict(templates["registered_models"])
        last = t - step if n_versions else created
        rm.update(name=name, creation_time=created, last_updated_time=last)
        plan["registered_models"].append(rm)
        rmt = dict(templates["registered_model_tags"])
        rmt.update(name=name, key="team", value=team)
        plan["registered_model_tags"].append(rmt)
        if n_versions:
            alias = dict(templates["registered_model_aliases"])
            alias.update(name=name, alias="champion", version=n_versions)
            plan["registered_model_aliases"].append(alias)
    return {"rows": plan, "counts": counts}


INSERT_ORDER = (
    "registered_models",
    "registered_model_tags",
    "model_versions",
    "model_version_tags",
    "registered_model_aliases",
)


def _insert(server: MlflowServer, rows: dict[str, list[dict]]) -> float:
    """Insert all rows in one transaction (executemany on SQLite, COPY on PostgreSQL); seconds taken."""
    started = time.perf_counter()
    conn = server.connect_db()
    try:
        if server.backend == "sqlite":
            with conn:  # one transaction, committed on exit
                for table_name in INSERT_ORDER:
                    cols = list(rows[table_name][0])
                    sql = (
                        f"INSERT INTO {table_name} ({', '.join(_q(c) for c in cols)}) "
                        f"VALUES ({', '.join('?' for _ in cols)})"
                    )
                    conn.executemany(sql, [tuple(r[c] for c in cols) for r in rows[table_name]])
        else:
            with conn.transaction(), conn.cursor() as cur:
                for table_name in INSERT_ORDER:
                    cols = list(rows[table_name][0])
                    with cur.copy(f"COPY {table_name} ({', '.join(_q(c) for c in cols)}) FROM STDIN") as copy:
                        for r in rows[table_name]:
                            copy.write_row(tuple(r[c] for c in cols))
            # What autovacuum would do shortly after a bulk load; MLflow itself never runs it.
            conn.autocommit = True
            for table_name in INSERT_ORDER:
                conn.execute(f"ANALYZE {table_name}")
    finally:
        conn.close()
    return time.perf_counter() - started


def _q(column: str) -> str:
    return f'"{column}"'


def _count_pages(
    client: httpx.Client, url: str, what: str, filter: str, max_results: int
) -> tuple[int, int, float]:
    """(items, pages, seconds) of a full paged REST search."""
    key = "model_versions" if what == "model-versions" else "registered_models"
    params = {"filter": filter, "max_results": str(max_results)}
    items = pages = 0
    started = time.perf_counter()
    while True:
        page = _check(client.get(f"{url}{API}/{what}/search", params=params))
        items += len(page.get(key, []))
        pages += 1
        token = page.get("next_page_token")
        if not token:
            return items, pages, time.perf_counter() - started
        params["page_token"] = token


def _probe_rest(client: httpx.Client, url: str, probe: str, run_id: str, artifact_uri: str, n: int) -> float:
    """Versions/s of REST model-version creates (2 tags each), 4 clients: the estimate for seeding."""

    async def go() -> float:
        async def op(aclient: httpx.AsyncClient, i: int) -> None:
            body = {
                "name": probe,
                "source": f"{artifact_uri}/{probe}/v{i}",
                "run_id": run_id,
                "tags": [{"key": "stage", "value": "None"}, {"key": "accuracy", "value": "0.9000"}],
            }
            await _acheck(await aclient.post(f"{url}{API}/model-versions/create", json=body))

        latencies, _, _, wall = await _run_workers(n, 4, op)
        return len(latencies) / wall

    return asyncio.run(go())


async def _seed_rest(url: str, rows: dict[str, list[dict]], concurrency: int = 8) -> float:
    """The same plan through the API: models with their tag, then each model's versions in order
    (a model belongs to one worker, so version numbers come out as planned), then the aliases."""
    started = time.perf_counter()
    team = {r["name"]: r["value"] for r in rows["registered_model_tags"]}
    tags: dict[tuple[str, int], list[dict]] = {}
    for t in rows["model_version_tags"]:
        tags.setdefault((t["name"], t["version"]), []).append({"key": t["key"], "value": t["value"]})
    by_model: dict[str, list[dict]] = {}
    for mv in rows["model_versions"]:
        by_model.setdefault(mv["name"], []).append(mv)
    alias = {a["name"]: a["version"] for a in rows["registered_model_aliases"]}
    names = [r["name"] for r in rows["registered_models"]]

    async def op(client: httpx.AsyncClient, i: int) -> None:
        for name in names[i::concurrency]:
            body = {"name": name, "tags": [{"key": "team", "value": team[name]}]}
            await _acheck(await client.post(f"{url}{API}/registered-models/create", json=body))
            for mv in by_model.get(name, []):
                body = {
                    "name": name,
                    "source": mv["source"],
                    "run_id": mv["run_id"],
                    "tags": tags.get((name, mv["version"]), []),
                }
                await _acheck(await client.post(f"{url}{API}/model-versions/create", json=body))
            if name in alias:
                body = {"name": name, "alias": "champion", "version": str(alias[name])}
                await _acheck(await client.post(f"{url}{API}/registered-models/alias", json=body))

    _, errors, samples, _ = await _run_workers(concurrency, concurrency, op)
    if errors:
        raise RuntimeError(f"REST seeding failed: {samples}")
    return time.perf_counter() - started


def mlflow_seed(
    server: MlflowServer, models: int = 1000, versions: int = 100_000, *, rest_budget_s: float = 300.0
) -> dict:
    """Put ``models`` registered models holding ``versions`` versions in all into the server's store.

    Version tags: ``stage`` (None/Staging/Production/Archived, 40/15/5/40 %) and ``accuracy`` (0.55-0.99);
    model tag ``team`` (5 values, round robin); alias ``champion`` on each model's latest version.
    """
    url = server.url
    result: dict[str, Any] = {"models": models, "versions": versions}
    probe = f"seed-probe-{uuid.uuid4().hex[:6]}"
    with httpx.Client(timeout=600.0) as client:
        run_id, artifact_uri = _source_run(client, url)
        # The probe: one model through REST, with a tag, versions with tags, an alias.
        _check(
            client.post(
                f"{url}{API}/registered-models/create",
                json={"name": probe, "tags": [{"key": "team", "value": "probe"}]},
            )
        )
        probe_n = 60
        rate = _probe_rest(client, url, probe, run_id, artifact_uri, probe_n)
        _check(
            client.post(
                f"{url}{API}/registered-models/alias",
                json={"name": probe, "alias": "champion", "version": "1"},
            )
        )
        estimate = (versions + models) / rate
        result.update(rest_versions_per_s=rate, rest_estimate_s=estimate)
        templates = _templates(server, probe)
        result["template_model_version"] = {
            k: v for k, v in templates["model_versions"].items() if k not in ("source", "storage_location")
        }
        _check(client.request("DELETE", f"{url}{API}/registered-models/delete", json={"name": probe}))
        plan = _plan(models, versions, run_id, artifact_uri, templates)
        result["rows"] = {k: len(v) for k, v in plan["rows"].items()}
        result["expected"] = plan["counts"]
        if estimate <= rest_budget_s:
            result["method"] = "rest"
            result["insert_s"] = asyncio.run(_seed_rest(url, plan["rows"]))
        else:
            result["method"] = "sql"
            result["insert_s"] = _insert(server, plan["rows"])

        # Verify through REST.
        like = f"name LIKE '{SEED_PREFIX}%'"
        rm, rm_pages, rm_s = _count_pages(client, url, "registered-models", like, 1000)
        mv, mv_pages, mv_s = _count_pages(client, url, "model-versions", like, 10_000)
        vision, _, _ = _count_pages(client, url, "registered-models", "tags.team='vision'", 1000)
        production, _, _ = _count_pages(client, url, "model-versions", "tags.stage='Production'", 10_000)
        probe_name = f"{SEED_PREFIX}{min(42, models - 1):04d}"
        one = _check(client.get(f"{url}{API}/registered-models/get", params={"name": probe_name}))
        latest = _check(
            client.get(
                f"{url}{API}/registered-models/alias",
                params={"name": probe_name, "alias": "champion"},
            )
        )
        result["verify"] = {
            "registered_models": (rm, rm_pages, rm_s),
            "model_versions": (mv, mv_pages, mv_s),
            "team=vision": (vision, plan["counts"]["team"]["vision"]),
            "stage=Production": (production, plan["counts"]["stage"]["Production"]),
            f"{probe_name} aliases": one["registered_model"].get("aliases"),
            f"{probe_name} champion": (
                latest["model_version"]["version"],
                latest["model_version"].get("tags"),
            ),
        }
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
