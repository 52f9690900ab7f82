"""Running the server: the HTTP protocol on uvloop, the port file, the model's life cycle, signals.

Once listening, the server writes ``{"pid", "port", "host"}`` to ``--port-file`` (a temporary file
renamed into place) and logs one line; then it loads the model on the model thread, answering
``/v2/health/ready`` with 503 until that is done. SIGTERM or SIGINT stops it gracefully: the
listening socket closes, requests in flight are answered, exit status 0. A model that cannot be
loaded ends the process with status 1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

import orjson
import uvloop

from ml.serve.app import App
from ml.serve.options import Options
from ml.serve.protocol import Connections
from ml.serve.service import Service

log = logging.getLogger("ml.serve")
GRACEFUL_SECONDS = 30
KEEP_ALIVE_SECONDS = 75
BACKLOG = 4096


def run(options: Options) -> int:
    """Serve until stopped; returns the exit status."""
    return uvloop.run(serve(options))


async def serve(options: Options) -> int:
    loop = asyncio.get_running_loop()
    service = Service(options)
    connections = Connections(App(service), KEEP_ALIVE_SECONDS)
    try:
        server = await loop.create_server(connections.protocol, options.host, options.port, backlog=BACKLOG)
    except OSError as error:
        log.error("cannot listen on %s:%d: %s", options.host, options.port, error)
        return 1
    host, port = server.sockets[0].getsockname()[:2]
    if options.port_file is not None:
        write_port_file(options.port_file, {"pid": os.getpid(), "port": port, "host": host})
    log.info(
        "serving model %s version %s on http://%s:%d (pid %d); loading %s",
        options.name, options.version or "-", host, port, os.getpid(), options.artifact,
    )  # fmt: skip
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loading = asyncio.create_task(_load(service, stop))
    await stop.wait()
    failed = loading.done() and not loading.result()
    loading.cancel()
    server.close()
    await connections.drain(GRACEFUL_SECONDS)
    await loop.run_in_executor(None, service.close)
    log.info("stopped")
    return 1 if failed else 0


async def _load(service: Service, stop: asyncio.Event) -> bool:
    """Load the model; on failure log why and stop the server (exit status 1)."""
    try:
        await service.load()
    except Exception as error:
        log.error(
            "cannot load the model from %s: %s: %s", service.options.artifact, type(error).__name__, error
        )
        stop.set()
        return False
    log.info("model %s is ready", service.options.name)
    return True


def write_port_file(path: Path, content: dict[str, Any]) -> None:
    """Write ``content`` as JSON to ``path`` atomically (a temporary file beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(orjson.dumps(content))
    partial.replace(path)
