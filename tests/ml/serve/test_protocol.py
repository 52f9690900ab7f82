"""The HTTP/1.1 protocol on raw sockets: keep-alive and pipelining, closing, 100-continue, chunked
bodies, requests that do not parse, and clients that disconnect mid-request."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import numpy as np
import pytest

from tests.ml.serve.serving import Served, tensor

BODY = json.dumps({"inputs": [tensor("input", np.zeros((1, 784)))]}).encode()


class Raw:
    """A client socket that reads whole responses (status, lower-case headers, body)."""

    def __init__(self, served: Served) -> None:
        self.sock = socket.create_connection((served.host, served.port), timeout=10)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self, body: bool = True) -> tuple[int, dict[str, str], bytes]:
        """The next response; ``body=False`` for one that has none whatever its headers say (HEAD)."""
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:])}
        length = int(headers.get("content-length", 0)) if body else 0
        while len(self.buffer) < length:
            self._read()
        content, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), headers, content

    def closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buffer += chunk


@pytest.fixture
def raw(digits_server: Served) -> Iterator[Raw]:
    client = Raw(digits_server)
    yield client
    client.sock.close()


def post(path: str, body: bytes, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"POST {path} HTTP/{version}", "Host: test", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def get(path: str, *headers: str) -> bytes:
    return ("\r\n".join([f"GET {path} HTTP/1.1", "Host: test", *headers]) + "\r\n\r\n").encode()


class TestKeepAlive:
    def test_pipelined_requests_are_answered_in_order_on_one_connection(self, raw: Raw) -> None:
        raw.send(get("/v2/health/live") + post("/v2/models/digits/infer", BODY) + get("/v2/models/nope"))
        statuses = [raw.response()[0] for _ in range(3)]
        assert statuses == [200, 200, 404]
        raw.send(get("/v2/health/ready"))
        assert raw.response()[0] == 200

    def test_an_error_answered_before_the_body_keeps_the_connection(self, raw: Raw) -> None:
        raw.send(post("/v2/models/nope/infer", BODY) + get("/v2/health/live"))
        assert raw.response()[0] == 404 and raw.response()[0] == 200


class TestClosing:
    def test_connection_close(self, raw: Raw) -> None:
        raw.send(get("/v2/health/live", "Connection: close"))
        status, headers, _ = raw.response()
        assert status == 200 and headers["connection"] == "close" and raw.closed()

    def test_http_1_0(self, raw: Raw) -> None:
        raw.send(post("/v2/models/digits/infer", BODY, version="1.0"))
        assert raw.response()[0] == 200 and raw.closed()

    def test_a_request_that_does_not_parse_is_400(self, raw: Raw) -> None:
        raw.send(b"NOT HTTP AT ALL\r\n\r\n")
        status, _, body = raw.response()
        assert status == 400 and json.loads(body)["error"].startswith("invalid HTTP request") and raw.closed()


class TestBodies:
    def test_expect_100_continue(self, raw: Raw) -> None:
        request = post("/v2/models/digits/infer", BODY, "Expect: 100-continue")
        raw.send(request[: -len(BODY)])
        assert raw.response()[0] == 100
        raw.send(BODY)
        assert raw.response()[0] == 200

    def test_expect_100_continue_refused_when_too_large(self, raw: Raw) -> None:
        raw.send(
            b"POST /v2/models/digits/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\nExpect: 100-continue\r\n\r\n"
        )
        status, _, body = raw.response()
        assert status == 413 and b"larger than the limit" in body and raw.closed()

    def test_chunked_body(self, raw: Raw) -> None:
        chunks = (
            b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (BODY[:1000], BODY[1000:]))
            + b"0\r\n\r\n"
        )
        raw.send(
            b"POST /v2/models/digits/infer HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
        )
        status, _, body = raw.response()
        assert status == 200 and json.loads(body)["outputs"][1]["shape"] == [1]

    def test_a_client_gone_mid_body_leaves_the_server_healthy(self, digits_server: Served, raw: Raw) -> None:
        raw.send(post("/v2/models/digits/infer", BODY)[:-100])
        raw.sock.close()
        other = Raw(digits_server)
        other.send(post("/v2/models/digits/infer", BODY))
        assert other.response()[0] == 200
        other.sock.close()

    def test_head_gets_no_body(self, raw: Raw) -> None:
        raw.send(b"HEAD /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n" + get("/v2/health/live"))
        status, headers, _ = raw.response(body=False)
        assert status == 405 and headers["allow"] == "GET"
        assert raw.response() == (
            200,
            {"content-type": "application/json", "content-length": "13"},
            b'{"live":true}',
        )
