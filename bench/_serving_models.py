"""The models and requests of ``bench/serving.py``: sample data, the trained artifacts, the request
bodies each server gets, the check that the servers answer alike, and drift checks over HTTP.

Requests carry one instance each (a table row, or one 28x28 image), as an online caller sends them.
A table row is one FP64 tensor of shape [1] per feature column with ``"parameters": {"content_type":
"pd"}``: MLServer's pandas codec makes the DataFrame with named columns the pipeline needs, and this
repo's server reads the same tensors. MLServer is asked for ``predict_proba`` (one model call, like
ours); ours returns probabilities and classes (one ``predict_proba`` call and an argmax).
"""

from __future__ import annotations

import gzip
import json
import pickle
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
DISTINCT_REQUESTS = 64
FILL_PER_REQUEST = 100
MNIST_TRAIN = 6000


@dataclass
class Artifacts:
    tabular: Path
    mnist: Path
    csv: Path
    mnist_data: Path
    estimator: str


def _train(job: dict[str, Any], log: Path) -> float:
    started = time.perf_counter()
    with log.open("wb") as out:
        done = subprocess.run([str(PYTHON), "-m", "ml.train", "--job-json", json.dumps(job)], cwd=ROOT,
                              stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"training failed ({done.returncode}), see {log}:\n{log.read_text()[-2000:]}")
    return time.perf_counter() - started


def _mnist_subset(full: Path, target: Path) -> Path:
    """The first ``MNIST_TRAIN`` training images (and 1k validation, 2k test) of the MNIST pickle: what
    the server costs does not depend on the CNN's accuracy, and one epoch over all 50k takes from
    15 s to 3 minutes on this shared machine."""
    if not target.exists():
        with gzip.open(full) as f:
            splits = pickle.load(f, encoding="latin1")
        sizes = (MNIST_TRAIN, 1000, 2000)
        subset = tuple((x[:n], y[:n]) for (x, y), n in zip(splits, sizes, strict=True))
        with gzip.open(target, "wb", compresslevel=1) as f:
            pickle.dump(subset, f, protocol=4)
    return target


def prepare(workdir: Path, estimator: str, say: Any) -> Artifacts:
    """Install the samples and train both models under ``workdir`` (kept ones are reused)."""
    home = workdir / "home"
    subprocess.run([str(PYTHON), "-m", "ml.samples", "install", "--home", str(home)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    found = Artifacts(
        workdir / f"tabular-{estimator}", workdir / "mnist", home / "datasets/breast_cancer/breast_cancer.csv",
        home / "datasets/mnist/mnist.pkl.gz", estimator,
    )  # fmt: skip
    jobs = [
        (found.tabular, "tabular_sklearn_classifier", found.csv, {"estimator": estimator}),
        (
            found.mnist,
            "mnist_pytorch_cnn",
            _mnist_subset(found.mnist_data, workdir / "mnist-subset.pkl.gz"),
            {},
        ),
    ]
    for artifact, model_type, data, params in jobs:
        if (artifact / "manifest.json").exists():
            say(f"  reusing {artifact}")
            continue
        job = {"job_id": f"bench-{artifact.name}", "model_type": model_type, "epochs": 1, "threads": 2,
               "data": {"data_source": "local_path", "path": str(data)}, "artifact_uri": str(artifact),
               "params": params}  # fmt: skip
        seconds = _train(job, workdir / f"train-{artifact.name}.log")
        metrics = json.loads((artifact / "metrics.json").read_text())
        accuracy = metrics.get("final", metrics).get("test_accuracy", float("nan"))
        say(f"  trained {model_type} ({params or f'{MNIST_TRAIN} MNIST training images'}, 1 epoch) in "
            f"{seconds:.0f}s, test_accuracy {accuracy:.3f}")  # fmt: skip
    return found


# ------------------------------------------------------------------------------------------ tables


class Table:
    """Rows of the breast-cancer table and their request bodies."""

    def __init__(self, artifacts: Artifacts) -> None:
        signature = json.loads((artifacts.tabular / "signature.json").read_text())
        self.columns: list[str] = [c["name"] for c in signature["feature_columns"]]
        self.classes: list[Any] = signature["classes"]
        self.frame = pd.read_csv(artifacts.csv)[self.columns]
        self.artifact = artifacts.tabular

    def body(self, rows: pd.DataFrame, mlserver_output: str | None) -> bytes:
        """An infer request of ``rows``: one tensor per column; for MLServer, the output to compute."""
        inputs = [
            {"name": c, "datatype": "FP64", "shape": [len(rows)], "data": rows[c].tolist()}
            for c in self.columns
        ]
        document: dict[str, Any] = {"parameters": {"content_type": "pd"}, "inputs": inputs}
        if mlserver_output:
            document["outputs"] = [{"name": mlserver_output}]
        return orjson.dumps(document)

    def bodies(self, mlserver: bool) -> list[bytes]:
        rows = [self.frame.iloc[i : i + 1] for i in range(DISTINCT_REQUESTS)]
        return [self.body(r, "predict_proba" if mlserver else None) for r in rows]

    def fill_bodies(self, instances: int) -> list[bytes]:
        """Requests of ``FILL_PER_REQUEST`` rows each, ``instances`` rows in all (cycling the table)."""
        index = np.arange(instances) % len(self.frame)
        rows = self.frame.iloc[index]
        return [
            self.body(rows.iloc[i : i + FILL_PER_REQUEST], None)
            for i in range(0, instances, FILL_PER_REQUEST)
        ]


def _outputs(response: httpx.Response) -> dict[str, np.ndarray]:
    if response.status_code != 200:
        raise RuntimeError(f"infer answered {response.status_code}: {response.text[:300]}")
    return {o["name"]: np.asarray(o["data"]).reshape(o["shape"]) for o in response.json()["outputs"]}


def check_tabular(table: Table, url: str, model: str, mlserver: bool, rows: int = 16) -> str:
    """Compare a server's answers on ``rows`` single-row requests with the in-process predictor (and,
    for MLServer, its ``predict`` on all rows in one request); raises on any difference."""
    from ml import predict

    frame = table.frame.iloc[:rows]
    expected = predict.load(str(table.artifact)).predict(frame)
    path = f"{url}/v2/models/{model}/infer"
    classes, probabilities = [], []
    with httpx.Client(timeout=30) as client:
        for i in range(rows):
            out = _outputs(
                client.post(
                    path, content=table.body(frame.iloc[i : i + 1], "predict_proba" if mlserver else None)
                )
            )
            row = out["predict_proba" if mlserver else "probabilities"][0]
            probabilities.append(row)
            classes.append(table.classes[int(np.argmax(row))] if mlserver else out["classes"][0].item())
        if mlserver:
            predicted = (
                _outputs(client.post(path, content=table.body(frame, "predict")))["predict"].ravel().tolist()
            )
            if predicted != expected["classes"]:
                raise RuntimeError(f"MLServer predict {predicted} != in-process {expected['classes']}")
    if classes != expected["classes"]:
        raise RuntimeError(f"classes {classes} != in-process {expected['classes']}")
    gap = float(np.max(np.abs(np.asarray(probabilities) - np.asarray(expected["probabilities"]))))
    if gap > 1e-9:
        raise RuntimeError(f"probabilities differ from the in-process predictor by {gap}")
    also = " (argmax of predict_proba; predict on all rows in one request: the same)" if mlserver else ""
    return f"{rows} rows: classes {expected['classes']} as in-process{also}, probabilities within {gap:.0e}"


# ------------------------------------------------------------------------------------------ images


class Digits:
    """MNIST test images and their request bodies."""

    def __init__(self, artifacts: Artifacts) -> None:
        with gzip.open(artifacts.mnist_data) as f:
            _, _, (images, _labels) = pickle.load(f, encoding="latin1")
        self.images = np.asarray(images[:10_000], dtype=np.float32).reshape(-1, 1, 28, 28)
        self.artifact = artifacts.mnist

    @staticmethod
    def body(images: np.ndarray) -> bytes:
        tensor = {"name": "input", "datatype": "FP32", "shape": list(images.shape), "data": images.ravel()}
        return orjson.dumps({"inputs": [tensor]}, option=orjson.OPT_SERIALIZE_NUMPY)

    def bodies(self) -> list[bytes]:
        return [self.body(self.images[i : i + 1]) for i in range(DISTINCT_REQUESTS)]

    def fill_bodies(self, instances: int) -> list[bytes]:
        index = np.arange(instances) % len(self.images)
        return [
            self.body(self.images[index[i : i + FILL_PER_REQUEST]])
            for i in range(0, instances, FILL_PER_REQUEST)
        ]


def check_mnist(digits: Digits, url: str, model: str, images: int = 16) -> str:
    """Compare the server's answers on ``images`` single-image requests with the in-process predictor."""
    from ml import predict

    expected = predict.load(str(digits.artifact)).predict(digits.images[:images])
    classes, probabilities = [], []
    with httpx.Client(timeout=30) as client:
        for i in range(images):
            out = _outputs(
                client.post(f"{url}/v2/models/{model}/infer", content=digits.body(digits.images[i : i + 1]))
            )
            classes.append(int(out["classes"][0]))
            probabilities.append(out["probabilities"][0])
    if classes != expected["classes"]:
        raise RuntimeError(f"classes {classes} != in-process {expected['classes']}")
    gap = float(np.max(np.abs(np.asarray(probabilities) - np.asarray(expected["probabilities"]))))
    if gap > 1e-3:
        raise RuntimeError(f"probabilities differ from the in-process predictor by {gap}")
    return (f"{images} images: same classes as the in-process predictor, probabilities within {gap:.0e} "
            f"(the server runs the optimize_for_inference form of the TorchScript module)")  # fmt: skip


# ------------------------------------------------------------------------------------------- drift


def drift_over_http(url: str, model: str, fill: list[bytes], checks: int) -> dict[str, Any]:
    """Empty the window, fill it with the ``fill`` requests, then ``POST /drift/check`` ``checks`` times:
    the round trip and the server's own ``check_seconds`` of each, in ms."""
    with httpx.Client(timeout=120) as client:
        client.post(f"{url}/drift/reset").raise_for_status()
        started = time.perf_counter()
        for body in fill:
            client.post(f"{url}/v2/models/{model}/infer", content=body).raise_for_status()
        fill_s = time.perf_counter() - started
        time.sleep(0.5)  # let the drift thread flush what it has queued
        trips, own, reports = [], [], []
        for _ in range(checks):
            t0 = time.perf_counter()
            response = client.post(f"{url}/drift/check")
            trips.append((time.perf_counter() - t0) * 1e3)
            response.raise_for_status()
            reports.append(response.json())
            own.append(reports[-1]["check_seconds"] * 1e3)
    last = reports[-1]
    return {
        "window": last["window"], "status": last["status"], "features": len(last["features"]),
        "fill_s": fill_s, "first_trip": trips[0], "first_own": own[0],
        "trip_median": statistics.median(trips[1:] or trips), "own_median": statistics.median(own[1:] or own),
        "own_max": max(own), "checks": checks,
    }  # fmt: skip
