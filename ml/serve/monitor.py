"""Drift monitoring: a fixed-size window of the latest instances' drift features and top-class
confidence, compared with the trained model's ``reference.json``.

The model thread only queues each batch's pieces and confidences (``record``); the drift thread
computes their features in bulk (``flush``, a few hundred instances at a time, which costs far less
per instance than per batch) into preallocated ring-buffer arrays, and every ``--drift-interval``
seconds compares the window with ``ml.drift``: PSI and binned KS per numeric feature, and the mean
confidence against the reference mean. Text (categorical) features are not compared.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ml import drift
from ml.serve.metrics import Recorder

log = logging.getLogger(__name__)
FLUSH_AT = 256
Features = Callable[[list[Any]], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Thresholds:
    """When a window counts as drifted: any feature's PSI at or above ``psi``, or the mean
    confidence ``confidence_drop`` or more below the reference, once it holds ``min_window`` instances."""

    psi: float
    confidence_drop: float
    min_window: int


class Window:
    """A ring buffer of the last ``size`` instances: one row per feature, plus the confidences."""

    def __init__(self, features: list[str], size: int) -> None:
        self.features = features
        self.size = size
        self._values = np.zeros((len(features), size), dtype=np.float64)
        self._confidence = np.zeros(size, dtype=np.float64)
        self._next = 0
        self._count = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._count

    def append(self, features: dict[str, np.ndarray], confidence: np.ndarray) -> None:
        """Add instances: ``features`` maps each feature to one value per instance."""
        count = min(len(confidence), self.size)
        rows = np.empty((len(self.features), count), dtype=np.float64)
        for index, name in enumerate(self.features):
            rows[index] = features[name][len(confidence) - count :]
        confidence = confidence[len(confidence) - count :]
        with self._lock:
            first = min(count, self.size - self._next)
            end = self._next + first
            self._values[:, self._next : end] = rows[:, :first]
            self._confidence[self._next : end] = confidence[:first]
            rest = count - first
            if rest:
                self._values[:, :rest] = rows[:, first:]
                self._confidence[:rest] = confidence[first:]
            self._next = (self._next + count) % self.size
            self._count = min(self._count + count, self.size)

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the filled part: features x instances, and the confidences (in no set order)."""
        with self._lock:
            return self._values[:, : self._count].copy(), self._confidence[: self._count].copy()

    def clear(self) -> None:
        with self._lock:
            self._next = self._count = 0


class Monitor:
    """The drift state of one served model: queued batches, the window, the last report, the gauges."""

    def __init__(
        self, reference: dict[str, Any], names: list[str], features: Features, window: int,
        thresholds: Thresholds, recorder: Recorder, identity: dict[str, Any],
    ) -> None:  # fmt: skip
        stored = reference.get("features", {})
        self._histograms = {name: stored[name] for name in names if "edges" in stored.get(name, {})}
        self._features = features
        self.window = Window(list(self._histograms), window)
        self._reference_confidence: float | None = reference.get("confidence", {}).get("mean")
        self.thresholds = thresholds
        self._recorder = recorder
        self._identity = identity
        self._queue: deque[tuple[list[Any], np.ndarray]] = deque()
        self._queued = 0
        self._queue_lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._report = self._blank()

    def record(self, pieces: list[Any], probabilities: np.ndarray) -> None:
        """Queue a predicted batch (its pieces and class probabilities); cheap, for the model thread."""
        confidence = probabilities.max(axis=1).astype(np.float64)
        with self._queue_lock:
            self._queue.append((pieces, confidence))
            self._queued += len(confidence)
            while self._queued - len(self._queue[0][1]) >= self.window.size:
                self._queued -= len(self._queue.popleft()[1])
            if self._queued >= FLUSH_AT:
                self._wake.set()

    def flush(self) -> None:
        """Move the queued batches into the window, computing their drift features in one go."""
        with self._flush_lock:
            with self._queue_lock:
                batches, self._queue, self._queued = list(self._queue), deque(), 0
            if batches:
                pieces = [piece for batch_pieces, _ in batches for piece in batch_pieces]
                confidence = np.concatenate([c for _, c in batches])
                self.window.append(self._features(pieces), confidence)

    def report(self) -> dict[str, Any]:
        """The last check's report (see ``check``)."""
        return self._report

    def reset(self) -> dict[str, Any]:
        """Empty the window and forget the last check."""
        with self._check_lock, self._flush_lock:
            with self._queue_lock:
                self._queue, self._queued = deque(), 0
            self.window.clear()
            self._report = self._blank()
            self._recorder.drift({}, False, None)
            return self._report

    def check(self) -> dict[str, Any]:
        """Compare the window (with everything queued so far) with the reference; returns and keeps the report."""
        with self._check_lock:
            started = time.perf_counter()
            self.flush()
            values, confidence = self.window.snapshot()
            size = len(confidence)
            live = {name: values[index] for index, name in enumerate(self.window.features)}
            scores = drift.compare(self._histograms, live) if size else {}
            average = float(confidence.mean()) if size else None
            report = self._judge(scores, size, average)
            report["checked_at"] = datetime.now(UTC).isoformat()
            report["check_seconds"] = round(time.perf_counter() - started, 6)
            self._recorder.drift(scores, report["drifted"], average)
            self._report = report
            return report

    def _judge(self, scores: dict[str, dict[str, float]], size: int, average: float | None) -> dict[str, Any]:
        enough = size >= self.thresholds.min_window
        features = {
            name: {"psi": s["psi"], "ks": s["ks"], "drifted": enough and s["psi"] >= self.thresholds.psi}
            for name, s in scores.items()
        }
        drifted_features = [name for name, entry in features.items() if entry["drifted"]]
        drop = None
        if average is not None and self._reference_confidence is not None:
            drop = self._reference_confidence - average
        confidence_drifted = enough and drop is not None and drop >= self.thresholds.confidence_drop
        drifted = bool(drifted_features) or confidence_drifted
        status = "insufficient_data" if not enough else "drift" if drifted else "ok"
        return {
            **self._identity, "status": status, "drifted": drifted, "checked_at": None, "window": size,
            "min_window": self.thresholds.min_window, "avg_confidence": average,
            "reference_confidence": self._reference_confidence, "confidence_drop": drop,
            "confidence_drifted": confidence_drifted, "features": features, "drifted_features": drifted_features,
            "thresholds": asdict(self.thresholds), "check_seconds": None,
        }  # fmt: skip

    def _blank(self) -> dict[str, Any]:
        return self._judge({}, 0, None)

    def start(self, interval: float) -> None:
        """Start the drift thread: flushes when enough is queued, checks every ``interval`` seconds."""
        threading.Thread(target=self._loop, args=(interval,), name="drift", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self, interval: float) -> None:
        due = time.monotonic() + interval
        while True:
            self._wake.wait(max(0.0, due - time.monotonic()))
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if time.monotonic() >= due:
                    self.check()
                    due = time.monotonic() + interval
                else:
                    self.flush()
            except Exception:
                log.exception("drift monitoring failed")
