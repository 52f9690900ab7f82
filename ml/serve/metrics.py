"""Prometheus metrics of the inference server, in a registry of their own (``GET /metrics``).

Every metric is labelled by ``model`` and ``version`` so the infra service can aggregate replicas
of one deployment. ``Recorder`` binds those labels once, so the hot path does no label lookups.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (
    0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
    0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
OUTCOMES = ("success", "error")
ERROR_REASONS = ("bad_request", "too_large", "not_ready", "client_gone", "internal")
CONTENT_TYPE = CONTENT_TYPE_LATEST

PREDICTION_COUNT = Counter(
    "prediction_count", "Prediction requests (OIP infer and /predict) by outcome.",
    ["model", "version", "outcome"], registry=REGISTRY,
)  # fmt: skip
PREDICTION_LATENCY = Histogram(
    "prediction_latency_seconds", "Time from a prediction request's start to its answer.",
    ["model", "version"], buckets=LATENCY_BUCKETS, registry=REGISTRY,
)  # fmt: skip
PREDICTION_ERRORS = Counter(
    "prediction_errors", "Prediction requests that failed, by reason.",
    ["model", "version", "reason"], registry=REGISTRY,
)  # fmt: skip
BATCH_SIZE = Histogram(
    "prediction_batch_size", "Instances per model call (requests are batched together).",
    ["model", "version"], buckets=BATCH_BUCKETS, registry=REGISTRY,
)  # fmt: skip
PREDICTION_INSTANCES = Counter(
    "prediction_instances", "Instances (images or rows) predicted.", ["model", "version"], registry=REGISTRY
)
DRIFT_SCORE = Gauge(
    "drift_score", "Drift statistic of one input feature over the window, at the last check.",
    ["model", "version", "feature", "statistic"], registry=REGISTRY,
)  # fmt: skip
DRIFT_DETECTED = Gauge(
    "drift_detected",
    "1 when the last drift check found drift, else 0.",
    ["model", "version"],
    registry=REGISTRY,
)
CONFIDENCE_AVG = Gauge(
    "prediction_confidence_avg", "Mean top-class probability over the drift window at the last check.",
    ["model", "version"], registry=REGISTRY,
)  # fmt: skip


def exposition() -> bytes:
    """The whole registry in the Prometheus text format."""
    return generate_latest(REGISTRY)


class Recorder:
    """The metrics of one served model, with its labels bound."""

    def __init__(self, model: str, version: str | None) -> None:
        labels = {"model": model, "version": version or ""}
        self._labels = labels
        self._count: dict[str, Any] = {o: PREDICTION_COUNT.labels(**labels, outcome=o) for o in OUTCOMES}
        self._errors: dict[str, Any] = {
            r: PREDICTION_ERRORS.labels(**labels, reason=r) for r in ERROR_REASONS
        }
        self._latency = PREDICTION_LATENCY.labels(**labels)
        self._batch = BATCH_SIZE.labels(**labels)
        self._instances = PREDICTION_INSTANCES.labels(**labels)
        self._drifted = DRIFT_DETECTED.labels(**labels)
        self._confidence = CONFIDENCE_AVG.labels(**labels)
        self._drifted.set(0)

    def succeeded(self, seconds: float) -> None:
        self._count["success"].inc()
        self._latency.observe(seconds)

    def failed(self, reason: str, seconds: float) -> None:
        """A failed prediction request; reasons outside ``ERROR_REASONS`` count as ``bad_request``."""
        self._count["error"].inc()
        self._errors.get(reason, self._errors["bad_request"]).inc()
        self._latency.observe(seconds)

    def batch(self, instances: int) -> None:
        """One model call over ``instances`` instances."""
        self._batch.observe(instances)
        self._instances.inc(instances)

    def drift(self, scores: dict[str, dict[str, float]], drifted: bool, confidence: float | None) -> None:
        """The outcome of a drift check."""
        for feature, statistics in scores.items():
            for statistic, value in statistics.items():
                DRIFT_SCORE.labels(**self._labels, feature=feature, statistic=statistic).set(value)
        self._drifted.set(1 if drifted else 0)
        if confidence is not None:
            self._confidence.set(confidence)
