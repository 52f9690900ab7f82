"""Serving benchmark: ``python -m ml.serve`` vs MLServer on the same scikit-learn model, and vs the
digit CNN called in-process; prints tables and a goals block, asserts nothing.

    .venv/bin/python bench/serving.py            # full run, about 5 minutes on a quiet machine
    .venv/bin/python bench/serving.py --quick    # short steps, about 2 minutes

It trains both models first (the CNN on 6k MNIST images, one epoch: serving costs do not depend on
accuracy) and creates ``.bench-venvs/mlserver`` if it is missing.

1. Table model (breast cancer, ``tabular_sklearn_classifier``, ``--estimator`` logistic_regression
   by default: the cheapest model, so the servers' own costs show; random_forest is the catalog
   default), one row per request. Three servers up side by side over the same ``model.joblib``:
   ``ml.serve`` (defaults: batches of up to 32, 2 ms wait), MLServer 1.7.1 with
   ``parallel_workers: 0``, and MLServer with its adaptive batching at the same limits. Their answers
   are checked against the in-process predictor first. Closed loop at each concurrency level, the
   servers taking turns level by level (so background load hits all alike); then an open loop at
   half of each server's peak.
2. Digit CNN (``mnist_pytorch_cnn``), one 28x28 image per request, against ``ml.serve``; then the
   predictor alone in a process of its own (``bench/_serving_inproc.py raw``).
3. Drift: ``POST /drift/check`` after filling each server's window with 10k instances, and the
   monitor in-process (``bench/_serving_inproc.py drift``).

Goals (the issue's): peak req/s >= 2x MLServer's (table model, against both MLServer setups); p99
<= 10 ms in an open loop at half of ``ml.serve``'s peak (both models); digit CNN through ``ml.serve``
at its best concurrency >= 70% of the raw predictor's images/s, raw meaning the served form of the
predictor called back to back with batches of the size the server formed; a drift check on a 10k
window <= 50 ms.

The client (``bench/_serving_client.py``) is a process of its own: raw HTTP/1.1 on asyncio streams,
one keep-alive connection per concurrent caller, pre-encoded requests. CPU per request is the
server's (process and children, psutil) and the client's own; "other cores" is what the rest of the
machine used meanwhile. Two cores are shared by client and server; run-to-run noise is about ±30%,
so compare within one run. ``--workdir DIR`` keeps the trained models (and logs) for the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from _common import say, table  # noqa: E402
from _serving_client import write_requests  # noqa: E402
from _serving_load import (  # noqa: E402
    LOAD_HEADERS,
    OPEN_HEADERS,
    PYTHON,
    Plan,
    load_row,
    loadavg,
    measure,
    open_row,
)
from _serving_models import (  # noqa: E402
    Artifacts,
    Digits,
    Table,
    check_mnist,
    check_tabular,
    drift_over_http,
    prepare,
)
from _serving_servers import MlServer, OurServer, Server, ensure_mlserver_venv, mlserver_version  # noqa: E402

MODEL = "bench"
INFER = f"/v2/models/{MODEL}/infer"
WINDOW = 10_000
MAX_BATCH, MAX_WAIT_MS = 32, 2.0
NOISY_CORES = 0.25
GOAL_RATIO, GOAL_P99_MS, GOAL_RAW, GOAL_DRIFT_MS = 2.0, 10.0, 0.70, 50.0
LEGEND = """columns: req/s and latencies of the requests answered inside each step's window (client side,
send to last byte); inst/call = instances per model call (ml.serve's /metrics); srv CPU = the server
process and its children; client CPU = the load generator's own (a process of its own: asyncio
streams on uvloop, one keep-alive connection per caller); other cores = CPU that every other process
on the machine used during the step."""
FULL = Plan(
    levels=(1, 4, 16, 64), warmup_s=1.5, duration_s=8.0, open_connections=64, raw_seconds=2.0, checks=7
)
QUICK = Plan(levels=(1, 16), warmup_s=0.5, duration_s=2.0, open_connections=32, raw_seconds=0.5, checks=3)


def met(ok: bool) -> str:
    return "met   " if ok else "MISSED"


def load_steps(servers: dict[str, Server], bodies: dict[str, list[bytes]], plan: Plan, workdir: Path,
               title: str) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]:  # fmt: skip
    """Closed loop at every level (servers in turn at each), then open loop at half of each peak."""
    files = {}
    for name, server in servers.items():
        files[name] = workdir / f"requests-{name}.bin"
        write_requests(files[name], server.host, server.port, INFER, bodies[name])
    log = workdir / "client.log"
    closed: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
    for level in plan.levels:
        for name, server in servers.items():
            closed[name].append(measure(server, files[name], plan, concurrency=level, log=log))
    rows = [load_row(name, r) for level in range(len(plan.levels)) for name, r in
            ((n, closed[n][level]) for n in servers)]  # fmt: skip
    say(table(f"{title}: closed loop, c concurrent callers (loadavg {loadavg()})", LOAD_HEADERS, rows))
    half: dict[str, dict[str, Any]] = {}
    for name, server in servers.items():
        peak = max(r["throughput"] for r in closed[name])
        half[name] = measure(server, files[name], plan, rate=round(peak / 2, 1), log=log)
    rows = [open_row(name, r) for name, r in half.items()]
    say(
        table(
            f"{title}: open loop at half of each server's peak req/s (loadavg {loadavg()})",
            OPEN_HEADERS,
            rows,
        )
    )
    steps = [(name, r) for name, results in closed.items() for r in results] + list(half.items())
    for name, r in steps:
        if r["errors"]:
            say(f"  {name}: {r['errors']} errors, e.g. {r['error_sample']}")
    noisy = [f"{name} {step(r)}" for name, r in steps if r["other_cores"] > NOISY_CORES]
    if noisy:
        say(f"  other work used > {NOISY_CORES} cores during: {', '.join(noisy)}; read those rows with care")
    return closed, half


def step(result: dict[str, Any]) -> str:
    return f"c={result['concurrency']}" if result["concurrency"] else f"at {result['rate']:.0f} req/s"


def describe(server: Server) -> str:
    """The command line, paths shortened to their last part."""
    return " ".join(Path(word).name if word.startswith("/") else word for word in server.command)


def peak(results: list[dict[str, Any]]) -> dict[str, Any]:
    return max(results, key=lambda r: r["throughput"])


def tabular_servers(artifacts: Artifacts, workdir: Path, skip_mlserver: bool) -> dict[str, Server]:
    servers: dict[str, Server] = {"ml.serve": OurServer(workdir / "tab-ours", artifacts.tabular, MODEL)}
    if not skip_mlserver:
        model_file = artifacts.tabular / "model.joblib"
        servers["MLServer"] = MlServer(workdir / "tab-mlserver", model_file, MODEL, None)
        batching = (MAX_BATCH, MAX_WAIT_MS / 1000)
        servers["MLServer+batching"] = MlServer(workdir / "tab-mlserver-b", model_file, MODEL, batching)
    return servers


def ratio_table(closed: dict[str, list[dict[str, Any]]], levels: tuple[int, ...]) -> str:
    peers = ("MLServer", "MLServer+batching")
    ours = closed["ml.serve"]
    rows = [[f"c={level}", *(ours[i]["throughput"] / closed[n][i]["throughput"] for n in peers)]
            for i, level in enumerate(levels)]  # fmt: skip
    rows.append(["peak", *(peak(ours)["throughput"] / peak(closed[n])["throughput"] for n in peers)])
    return table("(1) throughput ratio ml.serve / MLServer", ["", *(f"/ {n}" for n in peers)], rows)


def tabular_section(artifacts: Artifacts, plan: Plan, workdir: Path, skip_mlserver: bool) -> dict[str, Any]:
    data = Table(artifacts)
    say(f"\n### (1) table model: {artifacts.estimator} on breast cancer ({len(data.columns)} columns), "
        f"1 row per request, one FP64 tensor per column, content_type pd")  # fmt: skip
    servers = tabular_servers(artifacts, workdir, skip_mlserver)
    with ExitStack() as stack:
        for name, server in servers.items():
            stack.enter_context(server)
            say(
                f"  {name}: up in {server.startup_s:.1f}s, RSS {server.rss_mib():.0f} MiB: {describe(server)}"
            )
        for name, server in servers.items():
            checked = check_tabular(data, server.url, MODEL, mlserver=name != "ml.serve")
            say(f"  {name} correctness: {checked}")
        bodies = {name: data.bodies(mlserver=name != "ml.serve") for name in servers}
        sizes = ", ".join(f"{name} {len(b[0])} B" for name, b in bodies.items())
        say(f"  request bodies: {sizes} (MLServer's also name the output: predict_proba)")
        closed, half = load_steps(servers, bodies, plan, workdir, "(1) table model, 1 row per request")
        if not skip_mlserver:
            say(ratio_table(closed, plan.levels))
        drift = drift_over_http(servers["ml.serve"].url, MODEL, data.fill_bodies(WINDOW), plan.checks)
    return {"closed": closed, "half": half, "drift": drift}


def mnist_section(artifacts: Artifacts, plan: Plan, workdir: Path) -> dict[str, Any]:
    digits = Digits(artifacts)
    say(
        "\n### (2) digit CNN: 1 image per request ([1,1,28,28] FP32 JSON), ml.serve vs the predictor in-process"
    )
    with OurServer(workdir / "mnist-ours", artifacts.mnist, MODEL) as server:
        say(f"  ml.serve: up in {server.startup_s:.1f}s, RSS {server.rss_mib():.0f} MiB: {describe(server)}")
        say(f"  correctness: {check_mnist(digits, server.url, MODEL)}")
        bodies = {"ml.serve": digits.bodies()}
        say(f"  request body: {len(bodies['ml.serve'][0])} B")
        closed, half = load_steps(
            {"ml.serve": server}, bodies, plan, workdir, "(2) digit CNN, 1 image per request"
        )
        drift = drift_over_http(server.url, MODEL, digits.fill_bodies(WINDOW), plan.checks)
    best = peak(closed["ml.serve"])
    server_batch = max(1, min(MAX_BATCH, round(best["batch"]))) if best["batch"] == best["batch"] else 1
    sizes = sorted({1, server_batch, MAX_BATCH})
    raw = inproc("raw", artifacts.mnist, "--data", str(artifacts.mnist_data), "--batch-sizes",
                 ",".join(map(str, sizes)), "--seconds", str(plan.raw_seconds))  # fmt: skip
    rows = [[form, r["batch"], r["instances_s"], r["call_ms"], r["cpu_ms_call"], r["cpu_ms_instance"]]
            for form in ("served", "plain") for r in raw[form]]  # fmt: skip
    say(table(f"(2) the predictor in-process, one caller, {raw['threads']} torch thread (loadavg {loadavg()}); "
              "served = ml.serve.engine.load (optimize_for_inference), plain = ml.predict.load",
              ["form", "batch", "inst/s", "ms/call", "CPU ms/call", "CPU ms/inst"], rows))  # fmt: skip
    by_size = {r["batch"]: r for r in raw["served"]}
    overhead = best["server_ms"] - by_size[server_batch]["cpu_ms_instance"]
    say(f"  ml.serve at c={best['concurrency']}: {best['server_ms']:.2f} ms of server CPU per image vs "
        f"{by_size[server_batch]['cpu_ms_instance']:.2f} ms for the model alone at batch {server_batch}: "
        f"{overhead:.2f} ms per request of HTTP, JSON, batching and drift bookkeeping")  # fmt: skip
    return {"closed": closed, "half": half, "drift": drift, "raw": raw, "best": best,
            "server_batch": server_batch, "raw_same": by_size[server_batch], "raw_1": by_size[1],
            "raw_max": by_size[MAX_BATCH]}  # fmt: skip


def inproc(what: str, artifact: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run([str(PYTHON), str(HERE / "_serving_inproc.py"), what, "--artifact", str(artifact), *args],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"_serving_inproc.py {what} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def drift_section(
    artifacts: Artifacts, plan: Plan, tab: dict[str, Any], mnist: dict[str, Any]
) -> dict[str, Any]:
    inproc_tab = inproc("drift", artifacts.tabular, "--csv", str(artifacts.csv), "--checks", str(plan.checks))
    inproc_mnist = inproc(
        "drift", artifacts.mnist, "--data", str(artifacts.mnist_data), "--checks", str(plan.checks)
    )
    rows = []
    for label, http, local in (("table", tab["drift"], inproc_tab), ("digits", mnist["drift"], inproc_mnist)):
        rows.append([f"{label}: POST /drift/check", http["window"], http["features"], http["own_median"],
                     http["trip_median"], http["first_own"], http["own_max"], "-"])  # fmt: skip
        rows.append([f"{label}: Monitor.check in-process", local["window"], local["features"],
                     local["check_median_ms"], "-", local["first_check_ms"], local["check_max_ms"], local["flush_ms"]])  # fmt: skip
    say(table(f"(3) drift check on a {WINDOW}-instance window, ms (median of {plan.checks}; loadavg {loadavg()})",
              ["what", "window", "features", "check", "round trip", "first check", "max", f"features of {WINDOW}"],
              rows))  # fmt: skip
    say(
        "  check = the server's own check_seconds (HTTP) or Monitor.check() on a flushed full window; "
        "first check = the first after filling (HTTP: the drift thread has flushed all but <256 instances; "
        f"in-process: all {WINDOW} still queued, so it includes their features); features of {WINDOW} = "
        "Monitor.flush() of a whole window at once (the drift thread does this 256+ at a time while serving)"
    )
    return {"table": inproc_tab, "digits": inproc_mnist}


def goals(
    tab: dict[str, Any] | None, mnist: dict[str, Any], drift: dict[str, Any], skip_mlserver: bool
) -> None:
    say("\n== goals")
    if tab is not None and not skip_mlserver:
        ours = peak(tab["closed"]["ml.serve"])
        for name in ("MLServer", "MLServer+batching"):
            theirs = peak(tab["closed"][name])
            ratio = ours["throughput"] / theirs["throughput"]
            say(f"  {met(ratio >= GOAL_RATIO)} throughput >= {GOAL_RATIO:.0f}x {name} (table model, peak vs peak): "
                f"{ours['throughput']:.0f} req/s (c={ours['concurrency']}) vs {theirs['throughput']:.0f} req/s "
                f"(c={theirs['concurrency']}) = {ratio:.2f}x")  # fmt: skip
    for label, section in (("table model", tab), ("digit CNN", mnist)):
        if section is None:
            continue
        half = section["half"]["ml.serve"]
        say(f"  {met(half['p99'] <= GOAL_P99_MS)} p99 <= {GOAL_P99_MS:.0f} ms at half of peak ({label}): "
            f"p99 {half['p99']:.1f} ms at {half['rate']:.0f} req/s open loop (p99 from due time "
            f"{half['sched_p99']:.1f} ms, p50 {half['p50']:.1f} ms)")  # fmt: skip
    best, same = mnist["best"], mnist["raw_same"]
    share = best["throughput"] / same["instances_s"]
    say(f"  {met(share >= GOAL_RAW)} >= {GOAL_RAW:.0%} of raw in-process throughput (digit CNN): "
        f"{best['throughput']:.0f} img/s through ml.serve (c={best['concurrency']}, {best['batch']:.1f} images per "
        f"model call) vs {same['instances_s']:.0f} img/s in-process at batch {mnist['server_batch']} = {share:.0%}")  # fmt: skip
    say(f"      definition: raw = the predictor in the form the server runs it (ml.serve.engine.load, 1 torch thread),"
        f" called back to back by one caller in a process of its own with batches of the size the server formed "
        f"at its best concurrency; for reference, raw at batch 1: {mnist['raw_1']['instances_s']:.0f} img/s "
        f"({best['throughput'] / mnist['raw_1']['instances_s']:.0%}), at batch {MAX_BATCH}: "
        f"{mnist['raw_max']['instances_s']:.0f} img/s ({best['throughput'] / mnist['raw_max']['instances_s']:.0%})")  # fmt: skip
    for label, section, local in (("table", tab, drift["table"]), ("digits", mnist, drift["digits"])):
        if section is None:
            continue
        http = section["drift"]
        worst = max(http["own_median"], local["check_median_ms"])
        say(f"  {met(worst <= GOAL_DRIFT_MS)} drift check on a {http['window']}-instance window <= "
            f"{GOAL_DRIFT_MS:.0f} ms ({label}, {http['features']} features): {http['own_median']:.1f} ms in the server "
            f"({http['trip_median']:.1f} ms round trip), {local['check_median_ms']:.1f} ms in-process; computing the "
            f"features of {WINDOW} instances: {local['flush_ms']:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short steps, levels 1 and 16")
    parser.add_argument("--estimator", default="logistic_regression",
                        choices=["logistic_regression", "random_forest", "gradient_boosting"])  # fmt: skip
    parser.add_argument("--levels", help="concurrency levels, e.g. 1,4,16,64")
    parser.add_argument("--duration", type=float, help="measured seconds per step")
    parser.add_argument("--workdir", type=Path, help="keep models and logs here; reuse models found there")
    parser.add_argument("--skip-mlserver", action="store_true")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.levels or args.duration:
        levels = tuple(int(v) for v in args.levels.split(",")) if args.levels else plan.levels
        plan = Plan(levels, plan.warmup_s, args.duration or plan.duration_s, plan.open_connections,
                    plan.raw_seconds, plan.checks)  # fmt: skip
    started = time.perf_counter()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="serving-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    say(f"serving bench: {os.cpu_count()} cores, loadavg {loadavg()}, levels {plan.levels}, "
        f"{plan.warmup_s}s warm-up + {plan.duration_s}s per step, workdir {workdir}")  # fmt: skip
    say(LEGEND)
    try:
        if not args.skip_mlserver:
            ensure_mlserver_venv(say)
            say(f"MLServer {mlserver_version()} (mlserver-sklearn) in .bench-venvs/mlserver")
        say("models:")
        artifacts = prepare(workdir, args.estimator, say)
        tab = tabular_section(artifacts, plan, workdir, args.skip_mlserver)
        mnist = mnist_section(artifacts, plan, workdir)
        drift = drift_section(artifacts, plan, tab, mnist)
        goals(tab, mnist, drift, args.skip_mlserver)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    say(f"\ntotal {time.perf_counter() - started:.0f}s, loadavg {loadavg()}")


if __name__ == "__main__":
    main()
