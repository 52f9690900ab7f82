"""In-process measurements of ``bench/serving.py``, each run as a process of its own (no server, no
client beside it): prints one line of JSON.

    python bench/_serving_inproc.py raw --artifact DIR --data mnist.pkl.gz --batch-sizes 1,8,32
    python bench/_serving_inproc.py drift --artifact DIR (--data mnist.pkl.gz | --csv table.csv)

``raw``: the digit CNN's predictor called in a loop by one caller, batch after batch of test images,
for ``--seconds`` per batch size; in the form the server runs (``ml.serve.engine.load``: the
TorchScript module after ``optimize_for_inference``, ``--threads`` torch threads) and as
``ml.predict.load`` returns it (same thread count). Reports instances/s, wall and CPU ms per call.

``drift``: an ``ml.serve.monitor.Monitor`` built as the server builds it, fed ``--window`` instances
in batches of 32 single-instance pieces (with the model's real probabilities), then timed:
``flush`` (computing the drift features of the whole window at once), the first ``check`` with
everything still queued, and ``check`` of a full, flushed window (median of ``--checks``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BATCH = 32


def _images(path: str, count: int) -> np.ndarray:
    with gzip.open(path) as f:
        _, _, (images, _labels) = pickle.load(f, encoding="latin1")
    return np.asarray(images[:count], dtype=np.float32).reshape(-1, 1, 28, 28)


def _loop(predictor: Any, images: np.ndarray, size: int, seconds: float) -> dict[str, float]:
    starts = range(0, len(images) - size + 1, size)
    batches = [images[s : s + size] for s in starts][:256]
    for batch in batches[:5]:
        predictor.predict(batch)
    calls, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - wall0) < seconds:
        predictor.predict(batches[calls % len(batches)])
        calls += 1
    cpu = time.process_time() - cpu0
    return {
        "batch": size, "calls": calls, "instances_s": calls * size / elapsed, "call_ms": elapsed / calls * 1e3,
        "cpu_ms_call": cpu / calls * 1e3, "cpu_ms_instance": cpu / calls / size * 1e3,
    }  # fmt: skip


def raw(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from ml import predict
    from ml.serve import engine

    images = _images(args.data, 8192)
    served = engine.load(args.artifact, args.threads)
    plain = predict.load(args.artifact)
    torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    return {
        "threads": torch.get_num_threads(),
        "served": [_loop(served, images, size, args.seconds) for size in sizes],
        "plain": [_loop(plain, images, size, args.seconds) for size in sizes],
    }


def _pieces(args: argparse.Namespace, inputs: Any) -> list[Any]:
    if args.data:
        return list(_images(args.data, args.window).reshape(-1, 1, 1, 28, 28))
    import pandas as pd

    frame = pd.read_csv(args.csv)
    rows = frame.iloc[np.arange(args.window) % len(frame)]
    columns = {name: rows[name].to_numpy(dtype=np.float64) for name in inputs.columns}
    return [{name: values[i : i + 1] for name, values in columns.items()} for i in range(args.window)]


def drift(args: argparse.Namespace) -> dict[str, Any]:
    from ml import predict
    from ml.serve.inputs import inputs_for
    from ml.serve.metrics import Recorder
    from ml.serve.monitor import Monitor, Thresholds

    predictor = predict.load(args.artifact)
    inputs = inputs_for(predictor)
    pieces = _pieces(args, inputs)
    batches = []
    for start in range(0, len(pieces), BATCH * 16):  # predicted 512 at a time, recorded 32 at a time
        group = pieces[start : start + BATCH * 16]
        probabilities = np.asarray(predictor.predict(inputs.join(group))["probabilities"], dtype=np.float64)
        for offset in range(0, len(group), BATCH):
            batches.append((group[offset : offset + BATCH], probabilities[offset : offset + BATCH]))
    monitor = Monitor(
        predictor.reference, inputs.drift_names, inputs.drift_features, args.window,
        Thresholds(0.25, 0.1, 200), Recorder("bench-drift", None), {"model_name": "bench-drift"},
    )  # fmt: skip

    def record() -> float:
        started = time.perf_counter()
        for chunk, probabilities in batches:
            monitor.record(chunk, probabilities)
        return (time.perf_counter() - started) * 1e3

    record_ms = record()
    started = time.perf_counter()
    monitor.flush()
    flush_ms = (time.perf_counter() - started) * 1e3
    record()
    started = time.perf_counter()
    first = monitor.check()
    first_ms = (time.perf_counter() - started) * 1e3
    times = []
    for _ in range(args.checks):
        started = time.perf_counter()
        report = monitor.check()
        times.append((time.perf_counter() - started) * 1e3)
    return {
        "window": report["window"], "features": len(report["features"]), "status": first["status"],
        "record_ms": record_ms, "flush_ms": flush_ms, "first_check_ms": first_ms,
        "check_median_ms": statistics.median(times), "check_max_ms": max(times), "checks": args.checks,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["raw", "drift"])
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--data", help="mnist.pkl.gz")
    parser.add_argument("--csv", help="the table (drift of a table model)")
    parser.add_argument("--batch-sizes", default="1,32")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--window", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=7)
    args = parser.parse_args()
    result = raw(args) if args.what == "raw" else drift(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
