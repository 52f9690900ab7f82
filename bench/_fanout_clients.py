"""Child process of the fan-out bench: holds N WebSocket clients of ``/ws/events`` and times deliveries.

Usage: python _fanout_clients.py HOST PORT N TOPICS raw|websockets
The first stdin line is the API token every client sends as ``Authorization: Bearer`` on its
handshake (on stdin, not the command line, so ``ps`` does not show it).
Prints one JSON line when every client is subscribed, then for each stdin line
``collect EXPECTED_PER_CLIENT DEADLINE_S`` waits until each open client received that many events
(or the deadline), prints one JSON line of results and resets; ``quit`` closes everything.

Latency of a delivery = arrival wall clock - the ``sent`` wall clock the publisher put in the event
(both processes on this machine read the same CLOCK_REALTIME). The ``raw`` client is a minimal
RFC 6455 reader on an asyncio Protocol (a few µs per frame), so 1,000 clients x 100 events/s
cost the measuring side little CPU; ``websockets`` uses the websockets library's asyncio client.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import os
import re
import sys
import time
from array import array
from urllib.parse import quote

SENT = re.compile(rb'"sent":([0-9.eE+-]+)')
SENT_STR = re.compile(r'"sent":([0-9.eE+-]+)')


class Stats:
    def __init__(self) -> None:
        self.latencies = array("d")
        self.counts: dict[int, int] = {}
        self.closed: dict[int, int] = {}  # client -> close code (1006 when the TCP connection dropped)
        self.first = 0.0  # wall clock of the first and last delivery of the phase
        self.last = 0.0


class RawClient(asyncio.Protocol):
    def __init__(self, ident: int, request: bytes, stats: Stats) -> None:
        self.ident = ident
        self.request = request
        self.stats = stats
        self.buf = bytearray()
        self.handshaken = False
        self.subscribed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        stats.counts[ident] = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.closed.setdefault(self.ident, 1006)
        if not self.subscribed.done():
            self.subscribed.set_exception(ConnectionError("closed before subscribed"))

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buf
        buf += data
        if not self.handshaken:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buf[:end]:
                self.subscribed.set_exception(ConnectionError(bytes(buf[:end]).decode(errors="replace")))
                return
            del buf[: end + 4]
            self.handshaken = True
        while len(buf) >= 2:
            opcode = buf[0] & 0x0F
            length = buf[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buf) < 4:
                    return
                length = int.from_bytes(buf[2:4], "big")
                offset = 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length = int.from_bytes(buf[2:10], "big")
                offset = 10
            if buf[1] & 0x80:
                offset += 4  # servers do not mask, but be lenient
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            if opcode == 1:
                self._text(payload, now)
            elif opcode == 8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.stats.closed[self.ident] = code
                if self.transport is not None:
                    self.transport.close()

    def _text(self, payload: bytes, now: float) -> None:
        if not self.subscribed.done():
            if b'"subscribed"' in payload:
                self.subscribed.set_result(None)
            return
        match = SENT.search(payload)
        if match is not None:
            stats = self.stats
            stats.latencies.append(now - float(match.group(1)))
            stats.counts[self.ident] += 1
            stats.last = now
            if not stats.first:
                stats.first = now


async def open_raw(ident: int, host: str, port: int, path: str, token: str, stats: Stats) -> RawClient:
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: RawClient(ident, request, stats), host, port)
    await asyncio.wait_for(client.subscribed, 30)
    return client


async def open_websockets(
    ident: int, host: str, port: int, path: str, token: str, stats: Stats
) -> asyncio.Task[None]:
    import websockets

    ws = await websockets.connect(
        f"ws://{host}:{port}{path}",
        compression=None,
        max_size=None,
        ping_interval=None,
        open_timeout=30,
        additional_headers={"Authorization": f"Bearer {token}"},
    )
    first = await asyncio.wait_for(ws.recv(), 30)
    if '"subscribed"' not in first:
        raise ConnectionError(f"unexpected first frame {first[:80]!r}")
    stats.counts[ident] = 0

    async def reader() -> None:
        try:
            async for message in ws:
                now = time.time()
                match = SENT_STR.search(message if isinstance(message, str) else message.decode())
                if match is not None:
                    stats.latencies.append(now - float(match.group(1)))
                    stats.counts[ident] += 1
                    stats.last = now
                    if not stats.first:
                        stats.first = now
        finally:
            stats.closed.setdefault(ident, ws.close_code or 1006)

    return asyncio.create_task(reader())


def _percentile_ms(lat: list[float], total: int, p: float) -> float | None:
    """Percentile of ``total`` deliveries of which ``lat`` (sorted) arrived; missing ones are slowest."""
    i = min(total - 1, int(p / 100 * total))
    return lat[i] * 1e3 if i < len(lat) else None


async def main() -> None:
    host, port, n, topics, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    token = sys.stdin.readline().strip()
    path = f"/ws/events?topics={quote(topics, safe='')}"
    stats = Stats()
    opener = open_raw if mode == "raw" else open_websockets
    handles: list[object] = []
    failed: list[str] = []
    started = time.monotonic()
    batch = 50
    for first in range(0, n, batch):
        results = await asyncio.gather(
            *(opener(i, host, port, path, token, stats) for i in range(first, min(n, first + batch))),
            return_exceptions=True,
        )
        for r in results:
            (failed.append(repr(r)) if isinstance(r, BaseException) else handles.append(r))
    print(
        json.dumps(
            {
                "connected": len(handles),
                "failed": len(failed),
                "errors": failed[:3],
                "connect_s": time.monotonic() - started,
            }
        ),
        flush=True,
    )
    while True:
        line = (await asyncio.to_thread(sys.stdin.readline)).split()
        if not line or line[0] == "quit":
            break
        expected, deadline = int(line[1]), time.monotonic() + float(line[2])
        while time.monotonic() < deadline:
            if all(c >= expected for i, c in stats.counts.items() if i not in stats.closed):
                break
            await asyncio.sleep(0.05)
        lat = sorted(stats.latencies)
        counts = list(stats.counts.values())
        k, total = len(lat), expected * len(counts)
        q = functools.partial(_percentile_ms, lat, total)

        print(
            json.dumps(
                {
                    "deliveries": k,
                    "expected": total,
                    "p50": q(50),
                    "p90": q(90),
                    "p99": q(99),
                    "max": lat[-1] * 1e3 if k and k == total else None,
                    "rate": k / (stats.last - stats.first) if stats.last > stats.first else 0.0,
                    "min_per_client": min(counts) if counts else 0,
                    "max_per_client": max(counts) if counts else 0,
                    "closed": len(stats.closed),
                    "close_codes": sorted(set(stats.closed.values())),
                }
            ),
            flush=True,
        )
        stats.latencies = array("d")
        stats.first = stats.last = 0.0
        stats.counts = {i: 0 for i in stats.counts}
    for h in handles:
        if isinstance(h, RawClient) and h.transport is not None:
            h.transport.close()
        elif isinstance(h, asyncio.Task):
            h.cancel()
    await asyncio.sleep(0.2)


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
