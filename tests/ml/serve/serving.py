"""Factories for the inference server tests: servers as real processes, request bodies, metrics."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from tests.ml import factories

STARTUP_SECONDS = 90


@dataclass
class Served:
    """A running ``python -m ml.serve`` process."""

    process: subprocess.Popen[bytes]
    name: str
    version: str | None
    port: int
    host: str
    log: Path
    port_file: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **options)

    @property
    def infer_path(self) -> str:
        return f"/v2/models/{self.name}/infer"

    def infer(self, client: httpx.Client, inputs: list[dict[str, Any]], **fields: Any) -> httpx.Response:
        return client.post(self.infer_path, json={"inputs": inputs, **fields})

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def metric(self, client: httpx.Client, name: str, **labels: str) -> float:
        """One sample of ``GET /metrics`` (0 when absent); this server's model and version labels are implied."""
        return metric(
            client.get("/metrics").text, name, model=self.name, version=self.version or "", **labels
        )


def launch(artifact: Path, name: str, directory: Path, *flags: str, version: str | None = None) -> Served:
    """Start a server on a free port and wait for its port file (not for the model)."""
    directory.mkdir(parents=True, exist_ok=True)
    port_file, log = directory / "port.json", directory / "server.log"
    argv = [sys.executable, "-m", "ml.serve", "--artifact", str(artifact), "--name", name]
    argv += [
        "--port",
        "0",
        "--port-file",
        str(port_file),
        *(["--version", version] if version else []),
        *flags,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=factories.trainer_env())
    deadline = time.monotonic() + STARTUP_SECONDS
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the server did not start: {log.read_text(errors='replace')}")
        time.sleep(0.02)
    written = json.loads(port_file.read_text())
    return Served(process, name, version, written["port"], written["host"], log, port_file)


def wait_ready(served: Served) -> Served:
    deadline = time.monotonic() + STARTUP_SECONDS
    with served.client() as client:
        while client.get("/v2/health/ready").status_code != 200:
            if served.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the model did not load: {served.stderr()}")
            time.sleep(0.05)
    return served


def stop(served: Served, timeout: float = 30) -> int:
    if served.process.poll() is None:
        served.process.terminate()
    return served.process.wait(timeout)


def kill(served: Served) -> None:
    if served.process.poll() is None:
        served.process.kill()
        served.process.wait(10)


def tensor(name: str, array: Any, datatype: str = "FP32") -> dict[str, Any]:
    """A JSON OIP tensor with flat data."""
    values = np.asarray(array)
    return {"name": name, "shape": list(values.shape), "datatype": datatype, "data": values.ravel().tolist()}


def binary_request(inputs: list[tuple[str, np.ndarray, str]], **fields: Any) -> tuple[bytes, dict[str, str]]:
    """A body using the binary tensor data extension, and its headers."""
    header: dict[str, Any] = {"inputs": [], **fields}
    chunks = []
    for name, array, datatype in inputs:
        raw = _bytes_tensor(array) if datatype == "BYTES" else np.ascontiguousarray(array).tobytes()
        header["inputs"].append(
            {
                "name": name,
                "shape": list(array.shape),
                "datatype": datatype,
                "parameters": {"binary_data_size": len(raw)},
            }
        )
        chunks.append(raw)
    head = json.dumps(header).encode()
    return head + b"".join(chunks), {"Inference-Header-Content-Length": str(len(head))}


def _bytes_tensor(array: np.ndarray) -> bytes:
    encoded = [str(v).encode() for v in array.ravel()]
    return b"".join(struct.pack("<I", len(v)) + v for v in encoded)


def output(response: httpx.Response, name: str) -> np.ndarray:
    """An output tensor of a JSON infer response, shaped."""
    for entry in response.json()["outputs"]:
        if entry["name"] == name:
            return np.asarray(entry["data"]).reshape(entry["shape"])
    raise KeyError(name)


def metric(text: str, name: str, **labels: str) -> float:
    """The value of sample ``name`` with (at least) ``labels`` in Prometheus text; 0 when absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def mean_batch_size(text: str, **labels: str) -> float:
    count = metric(text, "prediction_batch_size_count", **labels)
    return metric(text, "prediction_batch_size_sum", **labels) / count if count else math.nan
