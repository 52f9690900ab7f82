"""The load generator of ``bench/serving.py``, run as a process of its own so that its CPU is its own.

A plain HTTP/1.1 client on asyncio streams (on uvloop when it is installed): one keep-alive
connection per concurrent caller, request bytes encoded once up front, responses read by their
``Content-Length``. Only the standard library (and uvloop) is imported, so it starts in ~50 ms.

    python bench/_serving_client.py < config.json

The config (JSON on stdin): ``host``, ``port``, ``bodies`` (a file of pre-encoded requests, see
:func:`write_requests`), ``warmup_s``, ``duration_s``, and either ``concurrency`` (closed loop: each
caller sends its next request as soon as the last answer arrived) or ``rate`` with ``connections``
(open loop: request i is due at start + i/rate, whoever of the callers is free sends it).

Protocol on stdout: a line ``window-start`` when the measured window begins, ``window-end`` when it
ends (the parent samples the server's CPU on them), then one line of JSON with the results of the
requests answered inside the window: errors, throughput, latency percentiles in ms, and the client's
own CPU seconds during the window. In the open loop, ``sched_*`` percentiles count from the time a request
was due, so a request that waited for a free connection (or a late timer) shows it.
"""

from __future__ import annotations

import asyncio
import json
import struct
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def write_requests(path: Path, host: str, port: int, target: str, bodies: Sequence[bytes]) -> None:
    """Write complete ``POST target`` requests (head + JSON body) to ``path``, length-prefixed."""
    with path.open("wb") as out:
        for body in bodies:
            head = (
                f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            out.write(struct.pack("<I", len(head) + len(body)) + head + body)


def read_requests(path: str) -> list[bytes]:
    raw = Path(path).read_bytes()
    out, offset = [], 0
    while offset < len(raw):
        (size,) = struct.unpack_from("<I", raw, offset)
        out.append(raw[offset + 4 : offset + 4 + size])
        offset += 4 + size
    return out


def pct(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted values, in ms (nan when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1] * 1e3


class Caller:
    """One keep-alive connection sending the requests in ``requests`` in turn (from ``first``)."""

    def __init__(self, host: str, port: int, requests: list[bytes], first: int) -> None:
        self.host, self.port, self.requests, self.next = host, port, requests, first % len(requests)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Caller:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def send(self) -> tuple[int, bytes]:
        """One request and its whole answer: (status, body); status 0 and the error if the
        connection failed (it is opened again for the next request)."""
        try:
            return await self._send()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            self.close()
            return 0, repr(error).encode()

    async def _send(self) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        request = self.requests[self.next]
        self.next = (self.next + 1) % len(self.requests)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        start = head.find(b"\r\ncontent-length:")
        if start < 0:
            start = head.lower().find(b"\r\ncontent-length:")
        if start >= 0:
            length = int(head[start + 17 : head.index(b"\r\n", start + 2)])
        body = await self.reader.readexactly(length) if length else b""
        return int(head[9:12]), body


class Run:
    """Latencies and errors of the requests answered inside the measured window (after warm-up)."""

    def __init__(self, warmup_s: float, duration_s: float) -> None:
        now = time.perf_counter()
        self.start, self.end = now + warmup_s, now + warmup_s + duration_s
        self.latencies: list[float] = []
        self.scheduled: list[float] = []
        self.errors = 0
        self.error_sample = ""
        self.cpu: list[float] = []

    async def mark_window(self) -> None:
        await asyncio.sleep(max(0.0, self.start - time.perf_counter()))
        self.cpu.append(time.process_time())
        print("window-start", flush=True)
        await asyncio.sleep(max(0.0, self.end - time.perf_counter()))
        self.cpu.append(time.process_time())
        print("window-end", flush=True)

    def record(self, due: float, sent: float, done: float, status: int, body: bytes) -> None:
        if done < self.start or done > self.end:
            return
        if status != 200:
            self.errors += 1
            self.error_sample = self.error_sample or f"{status} {body[:200]!r}"
            return
        self.latencies.append(done - sent)
        self.scheduled.append(done - due)

    def result(self) -> dict[str, Any]:
        latencies, scheduled = sorted(self.latencies), sorted(self.scheduled)
        window = self.end - self.start
        return {
            "ok": len(latencies),
            "errors": self.errors,
            "error_sample": self.error_sample,
            "throughput": len(latencies) / window,
            "window_s": window,
            "p50": pct(latencies, 50),
            "p90": pct(latencies, 90),
            "p99": pct(latencies, 99),
            "max": latencies[-1] * 1e3 if latencies else float("nan"),
            "sched_p50": pct(scheduled, 50),
            "sched_p99": pct(scheduled, 99),
            "client_cpu_s": self.cpu[1] - self.cpu[0],
        }


async def closed_loop(callers: list[Caller], run: Run) -> None:
    async def call(caller: Caller) -> None:
        while (sent := time.perf_counter()) < run.end:
            status, body = await caller.send()
            run.record(sent, sent, time.perf_counter(), status, body)

    await asyncio.gather(run.mark_window(), *(call(c) for c in callers))


async def open_loop(callers: list[Caller], run: Run, rate: float) -> None:
    first = time.perf_counter()
    issued = 0

    async def call(caller: Caller) -> None:
        nonlocal issued
        while True:
            due = first + issued / rate
            issued += 1
            if due >= run.end:
                return
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            sent = time.perf_counter()
            status, body = await caller.send()
            run.record(due, sent, time.perf_counter(), status, body)

    await asyncio.gather(run.mark_window(), *(call(c) for c in callers))


async def main(config: dict[str, Any]) -> dict[str, Any]:
    requests = read_requests(config["bodies"])
    host, port = config["host"], config["port"]
    rate = config.get("rate")
    count = config["connections"] if rate else config["concurrency"]
    callers = [await Caller(host, port, requests, i * 7).open() for i in range(count)]
    run = Run(config["warmup_s"], config["duration_s"])
    if rate:
        await open_loop(callers, run, rate)
    else:
        await closed_loop(callers, run)
    for caller in callers:
        caller.close()
    return run.result()


if __name__ == "__main__":
    settings = json.load(sys.stdin)
    runner, loop = asyncio.run, "asyncio"
    if settings.get("uvloop", True):
        try:
            import uvloop

            runner, loop = uvloop.run, "uvloop"
        except ImportError:
            pass
    outcome = runner(main(settings))
    outcome["loop"] = loop
    print(json.dumps(outcome), flush=True)
