"""Registry benchmark: this registry through REST vs an MLflow tracking server, side by side; prints
tables, asserts nothing.

    .venv/bin/python bench/registry.py [--n 500] [--search-n 500] [--skip-mlflow]

1. The platform (``mlops up``, SQLite per service, the default) with its registry seeded with 1k
   models / 100k versions (bulk SQL, tests/registry/seed.py), then through REST with an API token:
   (a) register a version (upload of a small zip) + point alias ``champion`` at it, at c=1 and c=8;
   (b) search versions of one model by name, and with status / tag / metric filters.
2. The same against ``mlflow server --workers 1`` (SQLite) from its own venv (bench/_mlflow.py),
   seeded the same size, measured with the same client code; then the ratio.
MLflow needs ``python3 -m venv .bench-venvs/mlflow && .bench-venvs/mlflow/bin/pip install mlflow``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import httpx  # noqa: E402
from _common import CpuMeter, say, table  # noqa: E402
from _mlflow import (  # noqa: E402
    SEED_PREFIX,
    MlflowServer,
    _percentiles,
    _run_workers,
    mlflow_register_and_alias,
    mlflow_search,
    mlflow_version,
)
from _mlflow_seed import mlflow_seed  # noqa: E402
from _platform import Platform  # noqa: E402

from services.kit.migrate import upgrade  # noqa: E402
from tests.registry.seed import seed  # noqa: E402

MODELS, VERSIONS = 1000, 100_000
HEADERS = ["op", "n", "ops/s", "p50 ms", "p99 ms", "max ms", "errors", "srv CPU ms/op"]


def tiny_model_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.joblib", b"\x80\x04K\x01." * 64)
        archive.writestr("metrics.json", '{"final": {"test_accuracy": 0.9}}')
    return buffer.getvalue()


async def platform_register(plat: Platform, n: int, concurrency: int) -> dict[str, Any]:
    body = tiny_model_zip()
    names = [f"reg-c{concurrency}-{i:02d}" for i in range(10)]
    headers = plat.auth_headers

    async def op(client: httpx.AsyncClient, i: int) -> None:
        name = names[i % len(names)]
        created = await client.post(
            f"{plat.base_url}/api/models/{name}/versions",
            params={"model_type": "tabular_sklearn_classifier"},
            content=body,
            headers=headers | {"content-type": "application/zip"},
        )
        if created.status_code != 200:
            raise RuntimeError(f"{created.status_code} {created.text[:200]}")
        version = created.json()["result"]["version"]
        alias = await client.put(
            f"{plat.base_url}/api/models/{name}/aliases/champion", json={"version": version}, headers=headers
        )
        if alias.status_code != 200:
            raise RuntimeError(f"{alias.status_code} {alias.text[:200]}")

    await _run_workers(10, min(concurrency, 10), op)  # warm-up
    latencies, errors, samples, wall = await _run_workers(n, concurrency, op)
    result = _percentiles(latencies, errors, wall, n)
    result["error_samples"] = samples
    return result


async def platform_search(plat: Platform, n: int, concurrency: int, params: dict[str, Any]) -> dict[str, Any]:
    headers = plat.auth_headers
    url = f"{plat.base_url}/api/mlops/models"
    async with httpx.AsyncClient(timeout=60) as client:
        first = (await client.get(url, params=params, headers=headers)).json()

    async def op(client: httpx.AsyncClient, i: int) -> None:
        response = await client.get(url, params=params, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text[:200]}")

    latencies, errors, samples, wall = await _run_workers(n, concurrency, op)
    result = _percentiles(latencies, errors, wall, n)
    result.update(results=len(first["models"]), total=first["total"], error_samples=samples)
    return result


def row(label: str, result: dict[str, Any], cpu_s: float) -> list[Any]:
    ok = max(result["ok"], 1)
    return [
        label,
        result["ops"],
        result["throughput"],
        result["p50"],
        result["p99"],
        result["max"],
        result["errors"],
        cpu_s / ok * 1e3,
    ]


def measured(pids: dict[str, int], run: Any) -> tuple[dict[str, Any], float]:
    meter = CpuMeter(pids)
    meter.start()
    result = asyncio.run(run)
    return result, sum(meter.stop().values())


SEARCHES = [
    ("one model by name", {"name": "model-0042", "limit": 100}, "name='model-0042'"),
    (
        "name + status production",
        {"name": "model-0042", "status": "production", "limit": 100},
        "name='model-0042' and tags.stage='Production'",
    ),
    ("status production (all models)", {"status": "production", "limit": 100}, "tags.stage='Production'"),
]


def run_platform(args: argparse.Namespace) -> dict[str, Any]:
    plat = Platform(env={"MLOPS_COMMAND_WAIT_SECONDS": "10"})
    started = time.perf_counter()
    url = f"sqlite+aiosqlite:///{plat.home / 'data' / 'registry.db'}"
    (plat.home / "data").mkdir(parents=True, exist_ok=True)
    upgrade("registry", url)
    seed(url.replace("+aiosqlite", ""), MODELS, VERSIONS // MODELS)
    say(f"seeded {MODELS} models / {VERSIONS} versions in {time.perf_counter() - started:.1f}s")
    results: dict[str, Any] = {}
    try:
        plat.start()
        pids = {name: plat.pid(name) for name in ("gateway", "registry")}
        rows = []
        for concurrency in (1, 8):
            result, cpu = measured(pids, platform_register(plat, args.n, concurrency))
            results[("register", concurrency)] = result
            rows.append(row(f"upload version + alias, c={concurrency}", result, cpu))
            for sample in result["error_samples"]:
                say(f"  error sample: {sample}")
        say(table(f"(a) platform register + alias (loadavg {os.getloadavg()[0]:.2f})", HEADERS, rows))
        rows = []
        for label, params, _ in SEARCHES:
            for concurrency in (1, 8):
                result, cpu = measured(pids, platform_search(plat, args.search_n, concurrency, params))
                results[(label, concurrency)] = result
                rows.append(
                    row(f"{label} c={concurrency} ({result['results']} of {result['total']})", result, cpu)
                )
        say(
            table(
                f"(b) platform search over {VERSIONS} versions (loadavg {os.getloadavg()[0]:.2f})",
                HEADERS,
                rows,
            )
        )
    finally:
        plat.stop()
    return results


def run_mlflow(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    say(f"\n### MLflow {mlflow_version()} server, sqlite, --workers 1")
    with MlflowServer("sqlite") as mlflow:
        pids = mlflow.pids()
        rows = []
        for concurrency in (1, 8):
            result, cpu = measured(pids, mlflow_register_and_alias(mlflow.url, args.n, concurrency))
            results[("register", concurrency)] = result
            rows.append(row(f"create version + alias, c={concurrency}", result, cpu))
        say(table(f"(a) MLflow register + alias (loadavg {os.getloadavg()[0]:.2f})", HEADERS, rows))
        started = time.perf_counter()
        mlflow_seed(mlflow, MODELS, VERSIONS)
        say(f"seeded MLflow in {time.perf_counter() - started:.1f}s")
        rows = []
        for label, _, flt in SEARCHES:
            flt = flt.replace("model-0042", f"{SEED_PREFIX}0042")
            for concurrency in (1, 8):
                result, cpu = measured(pids, mlflow_search(mlflow.url, args.search_n, concurrency, flt))
                results[(label, concurrency)] = result
                rows.append(row(f"{label} c={concurrency} ({result['results']})", result, cpu))
        say(
            table(
                f"(b) MLflow search over {VERSIONS} versions (loadavg {os.getloadavg()[0]:.2f})",
                HEADERS,
                rows,
            )
        )
    return results


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    rows = []
    for key in ours:
        if key in theirs:
            a, b = ours[key], theirs[key]
            rows.append(
                [
                    f"{key[0]} c={key[1]}",
                    a["throughput"],
                    b["throughput"],
                    a["throughput"] / b["throughput"],
                    a["p99"],
                    b["p99"],
                ]
            )
    say(
        table(
            "platform vs MLflow",
            ["op", "ours ops/s", "MLflow ops/s", "ratio", "ours p99 ms", "MLflow p99 ms"],
            rows,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="register+alias operations per concurrency")
    parser.add_argument("--search-n", type=int, default=500, help="searches per filter and concurrency")
    parser.add_argument("--skip-mlflow", action="store_true")
    args = parser.parse_args()
    say(f"machine: {os.cpu_count()} cores, loadavg {os.getloadavg()[0]:.2f}")
    ours = run_platform(args)
    if not args.skip_mlflow:
        compare(ours, run_mlflow(args))


if __name__ == "__main__":
    main()
