"""A lean HTTP/1.1 server for the ASGI app, on httptools and uvloop.

Why not uvicorn: it writes each response's head and body in two system calls and wraps every
request in machinery one app does not need; this protocol does the subset the inference server
uses, and serves the infer path about a third faster on two cores. It handles keep-alive and
pipelining (one request at a time per connection, in order), request bodies streamed to
``receive`` with flow control, ``Expect: 100-continue``, ``Connection: close`` and HTTP/1.0, an idle
timeout, 400 for requests that do not parse, and a graceful stop (``Connections.drain``). It does not
do TLS, upgrades or HTTP/2. The app must send ``content-length`` (or close the connection).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

import httptools

log = logging.getLogger(__name__)
App = Callable[
    [dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]],
    Awaitable[None],
]
HIGH_WATER = 256 * 1024
REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Connections:
    """The open connections of one listening socket, and what they share."""

    def __init__(self, app: App, keep_alive: float) -> None:
        self.app = app
        self.keep_alive = keep_alive
        self.open: set[HttpProtocol] = set()
        self.stopping = False
        self._empty = asyncio.Event()

    def protocol(self) -> HttpProtocol:
        """A protocol for a new connection (the ``create_server`` factory)."""
        return HttpProtocol(self)

    async def drain(self, timeout: float) -> None:
        """Close idle connections, let the others finish the request in progress, then close them;
        connections still busy after ``timeout`` seconds are closed anyway."""
        self.stopping = True
        for connection in list(self.open):
            connection.shutdown()
        if self.open:
            try:
                await asyncio.wait_for(self._empty.wait(), timeout)
            except TimeoutError:
                log.warning("closing %d connections still busy after %.0f s", len(self.open), timeout)
        for connection in list(self.open):
            connection.close()

    def closed(self, connection: HttpProtocol) -> None:
        self.open.discard(connection)
        if self.stopping and not self.open:
            self._empty.set()


class Cycle:
    """One request: its scope, its body as it arrives, and the response the app sends."""

    __slots__ = ("buffered", "chunks", "complete", "connection", "delivered", "expect_continue", "finished",
                 "head", "keep_alive", "scope", "waiter")  # fmt: skip

    def __init__(
        self, connection: HttpProtocol, scope: dict[str, Any], keep_alive: bool, expect: bool
    ) -> None:
        self.connection = connection
        self.scope = scope
        self.keep_alive = keep_alive
        self.expect_continue = expect
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.complete = False  # the whole request body has arrived
        self.delivered = False  # ... and has been handed to the app
        self.finished = False  # the whole response has been written
        self.head: bytes | None = None
        self.waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def receive(self) -> dict[str, Any]:
        connection = self.connection
        if self.expect_continue and not connection.transport.is_closing():
            self.expect_continue = False
            connection.transport.write(_CONTINUE)
        while not self.chunks and not self.complete and not connection.lost:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        if self.delivered or (connection.lost and not self.chunks):
            await connection.gone
            return {"type": "http.disconnect"}
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        self.delivered = self.complete
        connection.resume()
        return {"type": "http.request", "body": body, "more_body": not self.complete}

    async def send(self, message: dict[str, Any]) -> None:
        connection = self.connection
        if self.finished or connection.transport.is_closing():
            return
        if message["type"] == "http.response.start":
            self.head = head(message["status"], message.get("headers", ()), self.keep_alive)
            return
        if self.head is None:
            raise RuntimeError("http.response.body sent before http.response.start")
        body = message.get("body", b"") if self.scope["method"] != "HEAD" else b""
        connection.transport.write(self.head + body if self.head else body)
        self.head = b""
        if not message.get("more_body", False):
            self.finished = True
            connection.finished(self)


def head(status: int, headers: Any, keep_alive: bool) -> bytes:
    """The status line and headers of a response, ``connection: close`` added when closing."""
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b""))]
    lines.extend(name + b": " + value + b"\r\n" for name, value in headers)
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


class HttpProtocol(asyncio.Protocol):
    """One connection: parses requests and runs the app on them, one at a time, in order."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections
        self.parser = httptools.HttpRequestParser(self)
        self.transport: Any = None
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.receiving: Cycle | None = None  # the request whose body is being parsed
        self.queue: deque[Cycle] = deque()  # requests not yet answered; the first one is running
        self.lost = False
        self.paused = False
        self.idle: asyncio.TimerHandle | None = None
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.connections.open.add(self)
        self._wait_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.connections.closed(self)
        if self.idle is not None:
            self.idle.cancel()
        for cycle in self.queue:
            cycle.wake()
        if not self.gone.done():
            self.gone.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject("protocol upgrades are not supported")
        except httptools.HttpParserError as error:
            self._reject(f"invalid HTTP request: {error}")

    def _reject(self, message: str) -> None:
        if not self.queue or (self.queue[0].head is None and not self.queue[0].finished):
            body = b'{"error": "%s"}' % message.replace('"', "'").encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            self.transport.write(head(400, headers, keep_alive=False) + body)
        self.close()

    def close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        path, _, query = self.url.partition(b"?")
        method = self.parser.get_method().decode()
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": self.parser.get_http_version(), "method": method, "scheme": "http",
            "path": unquote_to_bytes(path).decode("utf-8", "replace"), "raw_path": path, "query_string": query,
            "root_path": "", "headers": self.headers, "client": self.transport.get_extra_info("peername"),
            "server": self.transport.get_extra_info("sockname"),
        }  # fmt: skip
        keep_alive = self.parser.should_keep_alive() and not self.connections.stopping
        expect = (b"expect", b"100-continue") in self.headers
        cycle = Cycle(self, scope, keep_alive, expect)
        self.receiving = cycle
        self.queue.append(cycle)
        if len(self.queue) == 1:
            self._start(cycle)
        else:
            self.pause()  # pipelined: read no further until the requests before it are answered

    def on_body(self, body: bytes) -> None:
        cycle = self.receiving
        if cycle is None or cycle.finished:
            return  # answered already (say, 413): the rest of the body is read and dropped
        cycle.chunks.append(body)
        cycle.buffered += len(body)
        if cycle.buffered > HIGH_WATER:
            self.pause()
        cycle.wake()

    def on_message_complete(self) -> None:
        cycle = self.receiving
        self.receiving = None
        if cycle is None:
            return
        cycle.complete = True
        cycle.wake()
        if cycle.finished and self.queue and self.queue[0] is cycle:
            self._next()

    # running requests

    def _start(self, cycle: Cycle) -> None:
        asyncio.get_running_loop().create_task(self._run(cycle))

    async def _run(self, cycle: Cycle) -> None:
        try:
            await self.connections.app(cycle.scope, cycle.receive, cycle.send)
        except Exception:
            log.exception("%s %s failed", cycle.scope["method"], cycle.scope["path"])
        if not cycle.finished and not self.lost:
            if cycle.head is None:
                body = b'{"error": "internal error"}'
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await cycle.send({"type": "http.response.start", "status": 500, "headers": headers})
                await cycle.send({"type": "http.response.body", "body": body})
            else:
                self.close()

    def finished(self, cycle: Cycle) -> None:
        """The app wrote the whole response of ``cycle`` (the first in the queue). When the body
        is still coming, it is read and dropped (``on_body``) and ``on_message_complete`` goes on,
        unless the client waits for ``100 Continue`` before sending it: then the connection closes."""
        if not cycle.keep_alive or (not cycle.complete and cycle.expect_continue):
            self.close()
        elif cycle.complete:
            self._next()

    def _next(self) -> None:
        self.queue.popleft()
        self.resume()
        if self.queue:
            self._start(self.queue[0])
        else:
            self._wait_idle()

    def shutdown(self) -> None:
        """Stop after the request in progress (now, when there is none)."""
        if not self.queue:
            self.close()
            return
        for cycle in self.queue:
            cycle.keep_alive = False

    def pause(self) -> None:
        if not self.paused and not self.lost:
            self.paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.paused and not self.lost:
            self.paused = False
            self.transport.resume_reading()

    def _wait_idle(self) -> None:
        loop = asyncio.get_running_loop()
        self.idle = loop.call_later(self.connections.keep_alive, self.close)
