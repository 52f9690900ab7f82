"""The HTTP layer: a plain ASGI application (no framework) over ``Service``.

Routes: the Open Inference Protocol (``/v2``, ``/v2/health/{live,ready}``,
``/v2/models/{name}[/versions/{version}][/ready|/infer]``), ``POST /predict`` for people,
``GET /metrics``, ``GET /drift``, ``POST /drift/check`` and ``POST /drift/reset``. Every error is
OIP JSON, ``{"error": "..."}``, with the status its exception carries.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ml.serve import metrics
from ml.serve.errors import BadRequest, MethodNotAllowed, NotFound, ServeError, TooLarge
from ml.serve.service import Service

log = logging.getLogger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
JSON = b"application/json"
MODELS = "/v2/models/"


class ClientGone(Exception):
    """The client disconnected before its body arrived."""


class App:
    """The ASGI callable."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.max_body = service.options.max_body_bytes
        self.routes: dict[str, dict[str, Callable[[Scope, Receive, Send], Awaitable[None]]]] = {
            "/v2": {"GET": self._server_metadata},
            "/v2/health/live": {"GET": self._live},
            "/v2/health/ready": {"GET": self._ready},
            "/predict": {"POST": self._predict},
            "/metrics": {"GET": self._metrics},
            "/drift": {"GET": self._drift},
            "/drift/check": {"POST": self._check_drift},
            "/drift/reset": {"POST": self._reset_drift},
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            await self._route(scope, receive, send)
        except ServeError as error:
            await _error(send, error)
        except ClientGone:
            pass
        except Exception as error:
            log.exception("%s %s failed", scope["method"], scope["path"])
            await _error(send, ServeError(f"internal error: {type(error).__name__}"))

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path.startswith(MODELS):
            return await self._model_route(path, method, scope, receive, send)
        methods = self.routes.get(path.rstrip("/") or "/")
        if methods is None:
            raise NotFound(f"no route {path}")
        handler = methods.get(method)
        if handler is None:
            raise MethodNotAllowed(method, tuple(methods))
        await handler(scope, receive, send)

    async def _model_route(self, path: str, method: str, scope: Scope, receive: Receive, send: Send) -> None:
        parts = path[len(MODELS) :].rstrip("/").split("/")
        version = None
        if len(parts) >= 3 and parts[1] == "versions":
            version = parts[2]
            parts = [parts[0], *parts[3:]]
        if len(parts) > 2 or not parts[0] or (len(parts) == 2 and parts[1] not in ("ready", "infer")):
            raise NotFound(f"no route {path}")
        self.service.find(parts[0], version)
        action = parts[1] if len(parts) == 2 else "metadata"
        wanted = "POST" if action == "infer" else "GET"
        if method != wanted:
            raise MethodNotAllowed(method, (wanted,))
        if action == "infer":
            await self._infer(scope, receive, send)
        elif action == "ready":
            ready = self.service.ready
            await _json(send, 200 if ready else 503, {"name": self.service.options.name, "ready": ready})
        else:
            await _json(send, 200, self.service.model_metadata())

    async def _server_metadata(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _json(send, 200, self.service.server_metadata())

    async def _live(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _json(send, 200, {"live": True})

    async def _ready(self, scope: Scope, receive: Receive, send: Send) -> None:
        ready = self.service.ready
        await _json(send, 200 if ready else 503, {"ready": ready})

    async def _infer(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def answer(arrival: Any) -> None:
            headers = _headers(scope)
            body = await self._body(scope, headers, receive)
            header_length = _int_header(headers, b"inference-header-content-length")
            content, json_length = await self.service.infer(body, header_length, arrival)
            if json_length is None:
                return await _respond(send, 200, content, JSON)
            extra = [(b"inference-header-content-length", str(json_length).encode())]
            await _respond(send, 200, content, b"application/octet-stream", extra)

        await self._counted(answer, send)

    async def _predict(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def answer(arrival: Any) -> None:
            headers = _headers(scope)
            body = await self._body(scope, headers, receive)
            png = headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"image/png"
            await _respond(send, 200, await self.service.predict(body, png, arrival), JSON)

        await self._counted(answer, send)

    async def _counted(self, answer: Callable[[Any], Awaitable[None]], send: Send) -> None:
        """Run a prediction request, counting it and its latency; errors are answered here."""
        started = time.perf_counter()
        recorder = self.service.recorder
        try:
            with self.service.arriving() as arrival:
                await answer(arrival)
        except ServeError as error:
            recorder.failed(error.reason, time.perf_counter() - started)
            await _error(send, error)
        except ClientGone:
            recorder.failed("client_gone", time.perf_counter() - started)
        except Exception as error:
            log.exception("prediction failed")
            recorder.failed("internal", time.perf_counter() - started)
            await _error(send, ServeError(f"internal error: {type(error).__name__}: {error}"))
        else:
            recorder.succeeded(time.perf_counter() - started)

    async def _body(self, scope: Scope, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        """The whole body (decompressed if gzip or deflate), or ``TooLarge`` past ``max_body``."""
        length = _int_header(headers, b"content-length")
        if length is not None and length > self.max_body:
            raise TooLarge(self.max_body)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise TooLarge(self.max_body)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        encoding = headers.get(b"content-encoding", b"identity").lower()
        return body if encoding == b"identity" else _decompressed(body, encoding, self.max_body)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, 200, metrics.exposition(), metrics.CONTENT_TYPE.encode())

    async def _drift(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _json(send, 200, self.service.drift())

    async def _check_drift(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _json(send, 200, await self.service.check_drift())

    async def _reset_drift(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _json(send, 200, self.service.reset_drift())


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])


def _int_header(headers: dict[bytes, bytes], name: bytes) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"header {name.decode()} must be a whole number") from None


def _decompressed(body: bytes, encoding: bytes, limit: int) -> bytes:
    if encoding not in (b"gzip", b"deflate"):
        raise BadRequest(f"unsupported Content-Encoding {encoding.decode()!r}; use gzip, deflate or none")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == b"gzip" else zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise BadRequest(f"the body is not valid {encoding.decode()} data: {error}") from None
    if len(out) > limit:
        raise TooLarge(limit)
    return out


async def _json(send: Send, status: int, content: Any) -> None:
    await _respond(send, status, orjson.dumps(content), JSON)


async def _error(send: Send, error: ServeError) -> None:
    extra = [(b"allow", ", ".join(error.allow).encode())] if isinstance(error, MethodNotAllowed) else []
    await _respond(send, error.status, orjson.dumps({"error": str(error)}), JSON, extra)


async def _respond(
    send: Send, status: int, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or ())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
