"""Running the server: uvicorn (uvloop, httptools) on the ASGI app, the port file, the signals.

Once listening, the server writes ``{"pid", "port", "host"}`` to ``--port-file`` (a temporary file
renamed into place) and logs one line; then it loads the model on the model thread, answering
``/v2/health/ready`` with 503 until that is done. SIGTERM or SIGINT stops it gracefully: no new
connections, requests in flight are answered, exit status 0. A model that cannot be loaded ends the
process with status 1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import uvicorn

from ml.serve.app import App
from ml.serve.options import Options
from ml.serve.service import Service

log = logging.getLogger("ml.serve")
GRACEFUL_SECONDS = 30
KEEP_ALIVE_SECONDS = 75


class Server(uvicorn.Server):
    """uvicorn's server with the model's life cycle around it."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.service = Service(options)
        self.exit_code = 0
        self._loading: asyncio.Task[None] | None = None
        super().__init__(
            uvicorn.Config(
                App(self.service), host=options.host, port=options.port, loop="uvloop", http="httptools",
                lifespan="off", access_log=False, proxy_headers=False, log_config=None, log_level="warning", server_header=False,
                timeout_keep_alive=KEEP_ALIVE_SECONDS, timeout_graceful_shutdown=GRACEFUL_SECONDS, backlog=4096,
            )
        )  # fmt: skip

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Stop on SIGTERM and SIGINT like uvicorn, but without re-raising the signal afterwards,
        so a graceful stop exits with status 0."""
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started:
            return
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        if self.options.port_file is not None:
            write_port_file(self.options.port_file, {"pid": os.getpid(), "port": port, "host": host})
        log.info(
            "serving model %s version %s on http://%s:%d (pid %d); loading %s",
            self.options.name, self.options.version or "-", host, port, os.getpid(), self.options.artifact,
        )  # fmt: skip
        self._loading = asyncio.create_task(self._load())

    async def _load(self) -> None:
        try:
            await self.service.load()
        except Exception as error:
            log.error(
                "cannot load the model from %s: %s: %s", self.options.artifact, type(error).__name__, error
            )
            self.exit_code = 1
            self.should_exit = True
            return
        log.info("model %s is ready", self.options.name)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self.service.close)
        log.info("stopped")


def write_port_file(path: Path, content: dict[str, Any]) -> None:
    """Write ``content`` as JSON to ``path`` atomically (a temporary file beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(orjson.dumps(content))
    partial.replace(path)


def run(options: Options) -> int:
    """Serve until stopped; returns the exit status."""
    server = Server(options)
    server.run()
    return server.exit_code
