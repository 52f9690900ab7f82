"""The server process as the infra service runs it: the port file and start line, readiness only
once the model is loaded, a graceful stop on SIGTERM, and the exit status of a model that cannot load."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.ml import factories
from tests.ml.serve import serving
from tests.ml.serve.conftest import Artifacts
from tests.ml.serve.serving import Served


class TestImports:
    def test_a_table_model_is_served_without_torch(self, artifacts: Artifacts) -> None:
        """Startup stays fast for table models: torch is imported only by the image model's loader."""
        script = (
            "import asyncio, sys\n"
            "from ml.serve import server\n"
            "from ml.serve.options import Options\n"
            "from ml.serve.service import Service\n"
            f"service = Service(Options(artifact={str(artifacts.table)!r}, name='t'))\n"
            "asyncio.run(service.load())\n"
            "service.close()\n"
            "print('torch' in sys.modules, 'pandas' in sys.modules)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=factories.trainer_env()
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["False", "True"]


class TestStart:
    def test_port_file_and_start_line(self, digits_server: Served) -> None:
        written = json.loads(digits_server.port_file.read_text())
        assert written == {"pid": digits_server.process.pid, "port": digits_server.port, "host": "127.0.0.1"}
        assert [p.name for p in digits_server.port_file.parent.iterdir() if p.name.endswith(".tmp")] == []
        assert (
            f"serving model digits version 3 on http://127.0.0.1:{digits_server.port}"
            in digits_server.stderr()
        )

    def test_ready_only_once_the_model_is_loaded(
        self, artifacts: Artifacts, tmp_path: Path, record_property: Any
    ) -> None:
        """The signature is a named pipe, so loading blocks until the test writes it."""
        artifact = tmp_path / "artifact"
        shutil.copytree(artifacts.digits, artifact)
        signature = (artifact / "signature.json").read_bytes()
        (artifact / "signature.json").unlink()
        os.mkfifo(artifact / "signature.json")
        started = time.perf_counter()
        served = serving.launch(artifact, "slow", tmp_path / "server")
        listening = time.perf_counter() - started
        try:
            with served.client() as client:
                assert client.get("/v2/health/live").status_code == 200
                assert client.get("/v2/health/ready").status_code == 503
                assert client.get("/v2/models/slow/ready").json() == {"name": "slow", "ready": False}
                infer = served.infer(client, [serving.tensor("input", np.zeros((1, 784)))])
                assert infer.status_code == 503 and infer.json()["error"] == "model 'slow' is still loading"
                assert client.get("/v2/models/slow").status_code == 503
                (artifact / "signature.json").write_bytes(signature)
                serving.wait_ready(served)
                ready = time.perf_counter() - started
                assert served.infer(client, [serving.tensor("input", np.zeros((1, 784)))]).status_code == 200
        finally:
            assert serving.stop(served) == 0
        record_property("seconds_to_listen", round(listening, 2))
        print(
            f"listening after {listening:.2f} s, ready after {ready:.2f} s (including the test's own requests)"
        )

    def test_a_model_that_cannot_load_exits_1(self, tmp_path: Path) -> None:
        served = serving.launch(tmp_path / "missing", "gone", tmp_path / "server")
        assert served.process.wait(60) == 1
        assert f"cannot load the model from {tmp_path / 'missing'}: FileNotFoundError" in served.stderr()

    def test_bad_flags_exit_2(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "ml.serve", "--artifact", "/x", "--name", "m", "--max-batch-size", "0"],
            capture_output=True, text=True, env=factories.trainer_env(),
        )  # fmt: skip
        assert result.returncode == 2 and "--max-batch-size: must be at least 1" in result.stderr


def request_bytes(path: str, body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), json.loads(body)


class TestStop:
    def test_sigterm_answers_requests_in_flight_then_exits_0(
        self, artifacts: Artifacts, tmp_path: Path
    ) -> None:
        """One request is still sending its body when SIGTERM comes; another already waits in the
        batcher for it (a long batch wait). Both are answered, in one model call; then exit 0."""
        served = serving.wait_ready(
            serving.launch(artifacts.digits, "digits", tmp_path / "server", "--max-batch-wait-ms", "5000")
        )
        body = json.dumps({"inputs": [serving.tensor("input", np.zeros((1, 784)))]}).encode()
        slow, waiting = (socket.create_connection((served.host, served.port)) for _ in range(2))
        with slow, waiting:
            raw = request_bytes(served.infer_path, body)
            slow.sendall(raw[:200])
            time.sleep(0.3)
            waiting.sendall(raw)
            time.sleep(0.5)
            served.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert served.process.poll() is None, "still answering the requests in flight"
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"{served.url}/v2/health/live", timeout=2)
            slow.sendall(raw[200:])
            answers = [read_response(slow), read_response(waiting)]
        assert [status for status, _ in answers] == [200, 200]
        assert all(answer["outputs"][1]["shape"] == [1] for _, answer in answers)
        assert served.process.wait(30) == 0
        assert "stopped" in served.stderr()
