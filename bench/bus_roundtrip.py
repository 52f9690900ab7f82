"""Bus round-trip benchmark of the running platform; prints tables, asserts nothing.

    .venv/bin/python bench/bus_roundtrip.py [--quick]

Starts ``mlops up`` (temporary MLOPS_HOME, free port, SQLite), measures, stops it:
1. REST ``POST /api/system/ping`` -> ``workflow.system.pinged.v1`` on a WebSocket, open loop;
2. the floor: nats-py request/reply and JetStream publish->ack on the same NATS server;
3. the kit's outbox relay in-process (SQLite, and PostgreSQL when reachable);
4. WebSocket fan-out of events published on ``evt.bench.load.tick`` to many clients.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform as pyplatform
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import nats  # noqa: E402
import websockets  # noqa: E402
from nats.js.api import StorageType, StreamConfig  # noqa: E402

from _common import CpuMeter, rss_kib, summary_ms, table  # noqa: E402
from _http import Pool  # noqa: E402
from _platform import Platform  # noqa: E402
from _relay_bench import run_relay_bench  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def say(text: str) -> None:
    print(text, flush=True)


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nats_bin = Path(sys.executable).parent / "nats-server"
    version = subprocess.run([str(nats_bin), "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"machine: nproc={os.cpu_count()} ({model}), python {pyplatform.python_version()}, "
        f"{pyplatform.system()} {pyplatform.release()}, {version}, loadavg {os.getloadavg()[0]:.2f}"
    )


# -- 2. the floor -----------------------------------------------------------------------------


async def floor(nats_url: str, quick: bool) -> None:
    n = 1000 if quick else 3000
    payload = b"x" * 400
    client = await nats.connect(nats_url, name="bench-floor")
    responder = await nats.connect(nats_url, name="bench-echo")

    async def echo(msg: Any) -> None:
        await msg.respond(msg.data)

    await responder.subscribe("bench.echo", cb=echo)
    await responder.flush()
    for _ in range(100):
        await client.request("bench.echo", payload, timeout=2)
    rr = []
    for _ in range(n):
        t = time.perf_counter()
        await client.request("bench.echo", payload, timeout=2)
        rr.append(time.perf_counter() - t)

    js = client.jetstream()
    await js.add_stream(StreamConfig(name="BENCHFLOOR", subjects=["benchfloor.>"], storage=StorageType.FILE,
                                     duplicate_window=120))
    try:
        for i in range(100):
            await js.publish("benchfloor.warm", payload, headers={"Nats-Msg-Id": f"w{i}"})
        acks = []
        for _ in range(n):
            t = time.perf_counter()
            await js.publish("benchfloor.seq", payload, headers={"Nats-Msg-Id": uuid.uuid4().hex})
            acks.append(time.perf_counter() - t)
        total, window = (3000 if quick else 10000), asyncio.Semaphore(256)

        async def pub() -> None:
            async with window:
                await js.publish("benchfloor.pipe", payload, headers={"Nats-Msg-Id": uuid.uuid4().hex})

        t = time.perf_counter()
        await asyncio.gather(*(pub() for _ in range(total)))
        pipelined = total / (time.perf_counter() - t)
    finally:
        await js.delete_stream("BENCHFLOOR")
        await responder.close()
        await client.close()
    a, b = summary_ms(rr), summary_ms(acks)
    say(table(
        "2. Floor: raw nats-py on the platform's NATS (400 B payload, sequential; one process)",
        ["path", "n", "p50 ms", "p99 ms", "max ms", "rate/s"],
        [
            ["core request/reply (echo responder)", a["n"], a["p50"], a["p99"], a["max"], a["n"] / sum(rr)],
            ["JetStream publish->ack (file stream)", b["n"], b["p50"], b["p99"], b["max"], b["n"] / sum(acks)],
            [f"JetStream publish, 256 acks in flight ({total})", total, float("nan"), float("nan"),
             float("nan"), pipelined],
        ],
    ))


# -- 1. REST ping -> WebSocket event ----------------------------------------------------------


class PingRun:
    def __init__(self, plat: Platform) -> None:
        self.plat = plat
        self.arrivals: dict[str, float] = {}
        self.frames: dict[str, int] = {}

    async def listen(self, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("kind")
                self.frames[kind] = self.frames.get(kind, 0) + 1
                if kind == "event" and frame.get("type") == "workflow.system.pinged.v1":
                    self.arrivals.setdefault(frame["correlation_id"], now)

    async def step(self, pool: Pool, rate: float, seconds: float) -> dict[str, Any]:
        body = b'{"service":"workflow"}'
        records: list[tuple[float, float, float, int, str]] = []
        errors: dict[str, int] = {}

        async def one(target: float) -> None:
            sent = time.perf_counter()
            try:
                status, raw = await asyncio.wait_for(pool.post_json("/api/system/ping", body), 15)
            except Exception as error:  # noqa: BLE001
                key = type(error).__name__
                errors[key] = errors.get(key, 0) + 1
                return
            done = time.perf_counter()
            corr = json.loads(raw).get("correlation_id", "") if status in (200, 202) else ""
            if status not in (200, 202):
                errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
            records.append((target, sent, done, status, corr))

        pids = {name: self.plat.pid(name) for name in ("gateway", "workflow", "nats")}
        pids["bench"] = os.getpid()
        cpu = CpuMeter(pids)
        n = int(rate * seconds)
        cpu.start()
        start = time.perf_counter() + 0.01
        tasks = []
        for i in range(n):
            target = start + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(target)))
        await asyncio.gather(*tasks)
        last_response = max((r[2] for r in records), default=start)
        wanted = [r[4] for r in records if r[4]]
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline and any(c not in self.arrivals for c in wanted):
            await asyncio.sleep(0.02)
        used = cpu.stop()
        ok = [r for r in records if r[3] == 200]
        e2e = [self.arrivals[r[4]] - r[0] for r in records if r[4] in self.arrivals]
        return {
            "rate": rate, "n": n, "ok": len(ok), "pending202": sum(1 for r in records if r[3] == 202),
            "errors": errors, "missed": sum(1 for c in wanted if c not in self.arrivals),
            "achieved": len(ok) / (last_response - start) if ok else 0.0,
            "rest": summary_ms([r[2] - r[0] for r in ok]), "e2e": summary_ms(e2e),
            "lag_p99": summary_ms([r[1] - r[0] for r in records])["p99"],
            "cpu_ms": {k: v * 1e3 / max(1, len(records)) for k, v in used.items()},
            "conns": pool.opened,
        }


async def roundtrip(plat: Platform, quick: bool) -> None:
    seconds = 3.0 if quick else 10.0
    run = PingRun(plat)
    ws = await websockets.connect(
        f"ws://127.0.0.1:{plat.port}/ws/events?topics=workflow.%3E",
        compression=None, max_size=None, ping_interval=None,
    )
    first = json.loads(await ws.recv())
    assert first.get("kind") == "subscribed", first
    listener = asyncio.create_task(run.listen(ws))
    pool = Pool("127.0.0.1", plat.port, limit=256)
    await pool.warm(16)
    for _ in range(3):  # warm-up: code paths, SQLite pages, JIT-less but cold caches
        await asyncio.gather(*(pool.post_json("/api/system/ping", b'{"service":"workflow"}') for _ in range(16)))
    results = []
    for rate in (50, 200, 500):
        results.append(await run.step(pool, rate, seconds))
        await asyncio.sleep(1.0)
    await ws.close()
    await listener
    pool.close()
    rows = []
    for r in results:
        goal = "p50<=2 p99<=10" if r["rate"] == 200 else ""
        errs = sum(r["errors"].values())
        rows.append([
            f"{r['rate']}/s x {seconds:.0f}s", r["achieved"], r["e2e"]["p50"], r["e2e"]["p95"], r["e2e"]["p99"],
            r["e2e"]["max"], r["rest"]["p50"], r["rest"]["p95"], r["rest"]["p99"], r["rest"]["max"],
            r["pending202"], errs, r["missed"], r["lag_p99"], r["conns"], goal,
        ])
    say(table(
        "1. POST /api/system/ping -> workflow.system.pinged.v1 on a WebSocket (open loop; latency from the "
        "scheduled send time; ms)",
        ["offered", "ok/s", "e2e p50", "p95", "p99", "max", "REST p50", "p95", "p99", "max",
         "202", "err", "missed", "gen lag p99", "conns", "goal"],
        rows,
    ))
    say(table(
        "1b. CPU per command (ms of CPU time / request, from /proc/<pid>/stat during each step)",
        ["offered", "gateway", "workflow", "nats-server", "bench client", "total"],
        [[f"{r['rate']}/s", *(r["cpu_ms"][k] for k in ("gateway", "workflow", "nats", "bench")),
          sum(r["cpu_ms"].values())] for r in results],
    ))
    for r in results:
        if r["errors"]:
            say(f"   errors at {r['rate']}/s: {r['errors']}")
    say(f"   WebSocket frames seen by the listener: {run.frames}")


# -- 3. outbox relay --------------------------------------------------------------------------


async def postgres_url() -> tuple[str | None, str]:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    except Exception as error:  # noqa: BLE001
        return None, f"PostgreSQL not reachable ({type(error).__name__}); skipped"
    name = f"bench_outbox_{os.getpid()}"
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def drop_postgres(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def relay(plat: Platform, quick: bool, with_postgres: bool) -> None:
    targets = [("SQLite", f"sqlite+aiosqlite:///{plat.home / 'bench-outbox.db'}", None)]
    if with_postgres:
        url, name = await postgres_url()
        if url is None:
            say(f"   {name}")
        else:
            targets.append(("PostgreSQL", url, name))
    rows, notes = [], []
    for label, url, pg_name in targets:
        try:
            results, dups, warnings = await run_relay_bench(plat.nats_url, url, quick)
        finally:
            if pg_name:
                await drop_postgres(pg_name)
        for r in results:
            rows.append([f"{label}: {r['phase']}", r["events"], r["commit_per_s"], r["events_per_s"],
                         r["p50"], r["p95"], r["p99"], r["max"], r["missing"]])
        notes.append(f"   {label}: duplicate arrivals {dups}; relay warnings {len(warnings)}"
                     + (f", first: {warnings[0]!r}" if warnings else ""))
    say(table(
        "3. Outbox relay in-process (UnitOfWork commits -> OutboxRelay -> JetStream EVT -> core subscriber); "
        "goal >= 5000 ev/s, commit->arrival p95 <= 50 ms",
        ["database: phase", "events", "commit ev/s", "published ev/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
         "missing"],
        rows,
    ))
    for note in notes:
        say(note)


# -- 4. WebSocket fan-out ---------------------------------------------------------------------


async def fanout(plat: Platform, clients: int, rate: int, seconds: float, mode: str, quick: bool) -> None:
    gateway = plat.pid("gateway")
    rss_before = rss_kib(gateway)
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "_fanout_clients.py"), "127.0.0.1", str(plat.port), str(clients),
        "bench.load.>", mode, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    rows, info = [], {}
    try:
        info = json.loads(await asyncio.wait_for(child.stdout.readline(), 120))
        await asyncio.sleep(1.0)
        rss_connected = rss_kib(gateway)
        nc = await nats.connect(plat.nats_url, name="bench-fanout")
        js = nc.jetstream()
        phases = [(10, 2.0 if quick else 3.0), (rate, 3.0 if quick else seconds)]
        for phase, (phase_rate, phase_seconds) in enumerate(phases):
            cpu = CpuMeter({"gateway": gateway, "nats": plat.pid("nats"), "clients": child.pid})
            cpu.start()
            n = int(phase_rate * phase_seconds)
            start = time.perf_counter()
            tasks = []
            for i in range(n):
                delay = start + i / phase_rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                body = json.dumps({"id": f"tick-{phase}-{i}", "type": "bench.load.tick.v1", "source": "bench",
                                   "correlation_id": "bench-fanout", "sent": time.time(), "data": {"i": i}})
                tasks.append(asyncio.create_task(js.publish("evt.bench.load.tick", body.encode())))
            await asyncio.gather(*tasks)
            child.stdin.write(f"collect {n} 30\n".encode())
            await child.stdin.drain()
            result = json.loads(await asyncio.wait_for(child.stdout.readline(), 60))
            elapsed = time.perf_counter() - start
            used = cpu.stop()
            rows.append([
                f"{phase_rate}/s x {phase_seconds:.0f}s", info["connected"], n * info["connected"],
                result["deliveries"], result["deliveries"] / elapsed, result["p50"], result["p90"],
                result["p99"], result["max"], result["closed"], used["gateway"] / elapsed * 100,
                used["clients"] / elapsed * 100, "p99<=100" if phase_rate == rate else "",
            ])
            if result["close_codes"]:
                rows[-1][0] += f" (close codes {result['close_codes']})"
        rss_after = rss_kib(gateway)
        await nc.close()
    finally:
        with contextlib.suppress(Exception):
            child.stdin.write(b"quit\n")
            await child.stdin.drain()
        try:
            await asyncio.wait_for(child.wait(), 10)
        except TimeoutError:
            child.kill()
            await child.wait()
    say(table(
        f"4. WebSocket fan-out: {clients} clients ({mode} client, separate process), events published on "
        "evt.bench.load.tick; latency = arrival - send wall clock (ms)",
        ["published", "clients", "expected", "delivered", "deliv/s", "p50", "p90", "p99", "max", "closed",
         "gw CPU%", "client CPU%", "goal"],
        rows,
    ))
    connected = max(1, info.get("connected", 0))
    say(f"   connect {info.get('connected')} clients: {info.get('connect_s', 0):.1f}s, failed {info.get('failed')}"
        f"{' ' + str(info.get('errors')) if info.get('failed') else ''}")
    say(f"   gateway RSS: before {rss_before / 1024:.1f} MiB, connected {rss_connected / 1024:.1f} MiB "
        f"({(rss_connected - rss_before) / connected:.1f} KiB per connection), after load {rss_after / 1024:.1f} MiB")


# -- main -------------------------------------------------------------------------------------


async def run_all(plat: Platform, args: argparse.Namespace) -> None:
    await floor(plat.nats_url, args.quick)
    await roundtrip(plat, args.quick)
    await relay(plat, args.quick, not args.no_postgres)
    await fanout(plat, args.clients, args.fanout_rate, 10.0, args.fanout_client, args.quick)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short steps (about a minute in all)")
    parser.add_argument("--clients", type=int, default=1000, help="WebSocket clients of the fan-out bench")
    parser.add_argument("--fanout-rate", type=int, default=100, help="events/s of the fan-out bench")
    parser.add_argument("--fanout-client", choices=("raw", "websockets"), default="raw",
                        help="raw: minimal RFC 6455 reader (light); websockets: the websockets library")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL outbox run")
    parser.add_argument("--keep-home", action="store_true", help="keep MLOPS_HOME (logs) after the run")
    args = parser.parse_args()
    began = time.monotonic()
    say(machine())
    plat = Platform(env={"MLOPS_COMMAND_WAIT_SECONDS": "10"},
                    keep_home=args.keep_home)
    try:
        ready = plat.start()
        say(f"mlops up: ready in {ready:.1f}s at {plat.base_url} (MLOPS_HOME {plat.home}, SQLite, "
            f"MLOPS_COMMAND_WAIT_SECONDS=10)")
        try:
            import uvloop

            uvloop.run(run_all(plat, args))
        except ImportError:
            asyncio.run(run_all(plat, args))
        restarts = plat.restarts()
        if restarts:
            say(f"   WARNING: the supervisor restarted children during the run: {restarts}")
    finally:
        t = time.monotonic()
        killed = plat.stop()
        left = [pid for pid in plat._child_pids if Path(f"/proc/{pid}").exists()]
        say(f"\nplatform stopped in {time.monotonic() - t:.1f}s; killed after timeout: {killed or 'none'}; "
            f"still running: {left or 'none'}; total bench time {time.monotonic() - began:.0f}s"
            f"; loadavg {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
