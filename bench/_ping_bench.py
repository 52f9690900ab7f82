"""Item 1: ``POST /api/system/ping`` -> ``workflow.system.pinged.v1`` on a WebSocket.

Open loop: request i is due at ``start + i / rate`` whatever happened to the others; latencies are
measured from that scheduled time (so a load generator falling behind shows up, as "gen lag").
A sequential run first splits the round trip into hops using wall-clock stamps: the command's
``created_at`` and the events' ``time`` (set by the services), and the arrival of the command and
event messages at core NATS subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from datetime import datetime
from typing import Any

import nats
import websockets
from _common import CpuMeter, pct, say, summary_ms, table
from _http import Pool
from _platform import Platform

BODY = b'{"service":"workflow"}'
PINGED = "workflow.system.pinged.v1"
SUCCEEDED = "workflow.command.succeeded.v1"


def _wall(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class PingRun:
    def __init__(self, plat: Platform) -> None:
        self.plat = plat
        self.arrivals: dict[str, float] = {}  # correlation id -> perf_counter of the pinged frame
        self.stamps: dict[
            tuple[str, str], tuple[float, str]
        ] = {}  # (corr, type) -> (wall arrival, event time)
        self.frames: dict[str, int] = {}
        self.keep_stamps = False

    async def listen(self, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                now, wall = time.perf_counter(), time.time()
                frame = json.loads(raw)
                kind = frame.get("kind")
                self.frames[kind] = self.frames.get(kind, 0) + 1
                if kind != "event":
                    continue
                if frame.get("type") == PINGED:
                    self.arrivals.setdefault(frame["correlation_id"], now)
                if self.keep_stamps:
                    self.stamps[(frame["correlation_id"], frame["type"])] = (wall, frame["time"])

    async def breakdown(self, pool: Pool, n: int) -> None:
        """Sequential pings (one in flight, 20 ms apart): median and p90 of each hop."""
        nc = await nats.connect(self.plat.nats_url, name="bench-breakdown")
        at_nats: dict[tuple[str, str], float] = {}

        async def seen(msg: Any) -> None:
            now = time.time()
            body = json.loads(msg.data)
            at_nats.setdefault((body["correlation_id"], body["type"]), now)

        await nc.subscribe("cmd.workflow.>", cb=seen)
        await nc.subscribe("evt.workflow.>", cb=seen)
        await nc.flush()
        self.keep_stamps = True
        calls = []
        for _ in range(n):
            sent = time.time()
            status, raw = await pool.post_json("/api/system/ping", BODY)
            calls.append((sent, time.time(), status, json.loads(raw)))
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        self.keep_stamps = False
        await nc.close()
        hops: dict[str, list[float]] = {k: [] for k in HOPS}
        for sent, done, _status, body in calls:
            corr = body.get("correlation_id")
            try:
                created = _wall(body["created_at"])
                cmd = at_nats[(corr, "workflow.system.ping.v1")]
                ws_pinged, pinged_time = self.stamps[(corr, PINGED)]
                evt = at_nats[(corr, PINGED)]
            except KeyError:
                continue
            for name, value in zip(
                HOPS,
                (
                    created - sent,
                    cmd - created,
                    _wall(pinged_time) - cmd,
                    evt - _wall(pinged_time),
                    ws_pinged - evt,
                    done - ws_pinged,
                    done - sent,
                ),
                strict=True,
            ):
                hops[name].append(value)
        rows = []
        for name, values in hops.items():
            v = sorted(values)
            rows.append([name, pct(v, 50) * 1e3, pct(v, 90) * 1e3, pct(v, 99) * 1e3])
        say(
            table(
                f"1a. Where the time goes: {len(hops['total'])} sequential pings (one in flight), wall-clock stamps (ms)",
                ["hop", "p50", "p90", "p99"],
                rows,
            )
        )

    async def step(self, pool: Pool, rate: float, seconds: float) -> dict[str, Any]:
        records: list[tuple[float, float, float, int, str]] = []
        errors: dict[str, int] = {}

        async def one(target: float) -> None:
            sent = time.perf_counter()
            try:
                status, raw = await asyncio.wait_for(pool.post_json("/api/system/ping", BODY), 15)
            except Exception as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
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
        while time.perf_counter() < deadline and any(c not in self.arrivals for c in wanted):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        used = cpu.stop()
        ok = [r for r in records if r[3] == 200]
        return {
            "rate": rate,
            "n": n,
            "ok": len(ok),
            "pending202": sum(1 for r in records if r[3] == 202),
            "errors": errors,
            "missed": sum(1 for c in wanted if c not in self.arrivals),
            "achieved": len(ok) / (last_response - start) if ok else 0.0,
            "rest": summary_ms([r[2] - r[0] for r in ok]),
            "e2e": summary_ms([self.arrivals[r[4]] - r[0] for r in records if r[4] in self.arrivals]),
            "lag_p99": summary_ms([r[1] - r[0] for r in records])["p99"],
            "cpu_ms": {k: v * 1e3 / max(1, len(records)) for k, v in used.items()},
            "conns": pool.opened,
        }


HOPS = (
    "HTTP in -> command created (gateway)",
    "created -> command at NATS (gateway: commit command row, publish)",
    "command at NATS -> handler runs (workflow: fetch, UoW, inbox check)",
    "handler -> event at NATS (workflow: commit, relay select+publish)",
    "event at NATS -> WebSocket client (gateway hub)",
    "WebSocket event -> REST response",
    "total",
)


async def roundtrip(plat: Platform, quick: bool) -> None:
    seconds = 3.0 if quick else 10.0
    run = PingRun(plat)
    ws = await websockets.connect(
        f"ws://127.0.0.1:{plat.port}/ws/events?topics=workflow.%3E",
        compression=None,
        max_size=None,
        ping_interval=None,
        additional_headers=plat.auth_headers,
    )
    first = json.loads(await ws.recv())
    if first.get("kind") != "subscribed":
        raise RuntimeError(f"unexpected first WebSocket frame {first}")
    listener = asyncio.create_task(run.listen(ws))
    pool = Pool("127.0.0.1", plat.port, limit=256, headers=plat.auth_headers)
    await pool.warm(16)
    for _ in range(3):  # warm-up
        await asyncio.gather(*(pool.post_json("/api/system/ping", BODY) for _ in range(16)))
    await run.breakdown(pool, 100 if quick else 200)
    results = []
    for rate in (50, 200, 500):
        results.append(await run.step(pool, rate, seconds))
        await asyncio.sleep(1.0)
    await ws.close()
    await listener
    pool.close()
    rows = []
    for r in results:
        rows.append(
            [
                f"{r['rate']}/s x {seconds:.0f}s",
                r["achieved"],
                r["e2e"]["p50"],
                r["e2e"]["p95"],
                r["e2e"]["p99"],
                r["e2e"]["max"],
                r["rest"]["p50"],
                r["rest"]["p95"],
                r["rest"]["p99"],
                r["rest"]["max"],
                r["pending202"],
                sum(r["errors"].values()),
                r["missed"],
                r["lag_p99"],
                r["conns"],
                "p50<=2 p99<=10 (e2e)" if r["rate"] == 200 else "",
            ]
        )
    say(
        table(
            "1b. POST /api/system/ping -> pinged event on a WebSocket, open loop (ms from the scheduled send time)",
            [
                "offered",
                "ok/s",
                "e2e p50",
                "p95",
                "p99",
                "max",
                "REST p50",
                "p95",
                "p99",
                "max",
                "202",
                "err",
                "missed",
                "gen lag p99",
                "conns",
                "goal",
            ],
            rows,
        )
    )
    say(
        table(
            "1c. CPU per command during each step (ms of CPU / request, /proc/<pid>/stat)",
            ["offered", "gateway", "workflow", "nats-server", "bench client", "total"],
            [
                [
                    f"{r['rate']}/s",
                    *(r["cpu_ms"][k] for k in ("gateway", "workflow", "nats", "bench")),
                    sum(r["cpu_ms"].values()),
                ]
                for r in results
            ],
        )
    )
    for r in results:
        if r["errors"]:
            say(f"   errors at {r['rate']}/s: {r['errors']}")
    say(
        f"   frames seen by the WebSocket listener: {run.frames}; requests re-sent on a fresh connection "
        f"after the server closed an idle keep-alive one: {pool.reconnects}"
    )
