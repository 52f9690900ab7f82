"""Item 4: WebSocket fan-out. A child process (``_fanout_clients.py``) holds the clients; this process
publishes JSON events with a ``sent`` wall clock straight to JetStream on ``evt.bench.system.tick``,
which the gateway's hub forwards to every client subscribed to ``bench.system.>``. (A ``system``
topic: the gateway shows signed-in users only the event topics its permission table lists.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

import nats
from _common import CpuMeter, rss_kib, say, table
from _platform import Platform

HERE = Path(__file__).resolve().parent


def _ms(value: float | None, deadline: float) -> object:
    return value if value is not None else f">{deadline:.0f}s"


async def fanout(plat: Platform, clients: int, rate: int, seconds: float, mode: str, deadline: float) -> None:
    gateway = plat.pid("gateway")
    rss_before = rss_kib(gateway)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "_fanout_clients.py"),
        "127.0.0.1",
        str(plat.port),
        str(clients),
        "bench.system.>",
        mode,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(f"{plat.token}\n".encode())  # the API token: on stdin, not the command line
    await child.stdin.drain()
    rows: list[list[object]] = []
    info: dict = {}
    rss_connected = rss_after = 0
    try:
        info = json.loads(await asyncio.wait_for(child.stdout.readline(), 120))
        await asyncio.sleep(1.0)
        rss_connected = rss_kib(gateway)
        nc = await nats.connect(plat.nats_url, name="bench-fanout")
        js = nc.jetstream()
        for phase, (phase_rate, phase_seconds) in enumerate(((10, 3.0), (rate, seconds))):
            cpu = CpuMeter({"gateway": gateway, "nats": plat.pid("nats"), "clients": child.pid})
            cpu.start()
            n = int(phase_rate * phase_seconds)
            start = time.perf_counter()
            tasks = []
            for i in range(n):
                delay = start + i / phase_rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                body = json.dumps(
                    {
                        "id": f"tick-{phase}-{i}",
                        "type": "bench.system.tick.v1",
                        "source": "bench",
                        "correlation_id": "bench-fanout",
                        "sent": time.time(),
                        "data": {"i": i},
                    }
                )
                tasks.append(asyncio.create_task(js.publish("evt.bench.system.tick", body.encode())))
            await asyncio.gather(*tasks)
            published = time.perf_counter() - start
            child.stdin.write(f"collect {n} {deadline}\n".encode())
            await child.stdin.drain()
            result = json.loads(await asyncio.wait_for(child.stdout.readline(), deadline + 30))
            elapsed = time.perf_counter() - start
            used = cpu.stop()
            label = f"{phase_rate}/s x {phase_seconds:.0f}s"
            if result["close_codes"]:
                label += f" (close codes {result['close_codes']})"
            rows.append(
                [
                    label,
                    info["connected"],
                    result["expected"],
                    result["deliveries"],
                    phase_rate * info["connected"],
                    result["rate"],
                    _ms(result["p50"], deadline),
                    _ms(result["p90"], deadline),
                    _ms(result["p99"], deadline),
                    _ms(result["max"], deadline),
                    result["closed"],
                    used["gateway"] / elapsed * 100,
                    used["gateway"] / max(1, result["deliveries"]) * 1e6,
                    used["clients"] / elapsed * 100,
                    elapsed - published,
                    "p99<=100" if phase_rate == rate else "",
                ]
            )
        rss_after = rss_kib(gateway)
        await nc.close()
    finally:
        with contextlib.suppress(Exception):
            child.stdin.write(b"quit\n")
            await child.stdin.drain()
        try:
            await asyncio.wait_for(child.wait(), 15)
        except TimeoutError:
            child.kill()
            await child.wait()
    say(
        table(
            f"4. WebSocket fan-out: {info.get('connected')} clients in a separate process ({mode} client), "
            f"events published to JetStream on evt.bench.system.tick; latency = arrival - send wall clock (ms); "
            f"undelivered after {deadline:.0f}s count as slower",
            [
                "published",
                "clients",
                "expected",
                "delivered",
                "needed/s",
                "deliv/s",
                "p50",
                "p90",
                "p99",
                "max",
                "closed",
                "gw CPU%",
                "gw CPU us/deliv",
                "clients CPU%",
                "drain s",
                "goal",
            ],
            rows,
        )
    )
    connected = max(1, info.get("connected", 0))
    say(
        f"   connecting {info.get('connected')} clients took {info.get('connect_s', 0):.1f}s, failed "
        f"{info.get('failed')}{' ' + str(info.get('errors')) if info.get('failed') else ''}"
    )
    say(
        f"   gateway RSS (VmRSS): before {rss_before / 1024:.1f} MiB, {connected} connected "
        f"{rss_connected / 1024:.1f} MiB => {(rss_connected - rss_before) / connected:.1f} KiB per connection; "
        f"after the load {rss_after / 1024:.1f} MiB"
    )
