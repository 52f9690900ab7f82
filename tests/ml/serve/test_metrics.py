"""``GET /metrics``: requests counted by outcome, errors by reason, latency and batch histograms."""

from __future__ import annotations

import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from tests.ml.serve.serving import Served, tensor


class TestPredictionMetrics:
    def test_requests_are_counted_by_outcome_and_errors_by_reason(self, digits_server: Served) -> None:
        good = [tensor("input", np.zeros((2, 784)))]
        with digits_server.client() as client:

            def value(name: str, **labels: str) -> float:
                return digits_server.metric(client, name, **labels)

            names = [
                ("prediction_count_total", {"outcome": "success"}),
                ("prediction_count_total", {"outcome": "error"}),
                ("prediction_errors_total", {"reason": "bad_request"}),
                ("prediction_errors_total", {"reason": "too_large"}),
                ("prediction_latency_seconds_count", {}),
                ("prediction_instances_total", {}),
            ]
            before = [value(name, **labels) for name, labels in names]
            for _ in range(3):
                assert digits_server.infer(client, good).status_code == 200
            assert client.post("/predict", json={"image": [[0.0] * 28] * 28}).status_code == 200
            assert digits_server.infer(client, [tensor("input", np.zeros((1, 5)))]).status_code == 400
            assert client.post("/predict", content=b"{").status_code == 400
            assert client.post(digits_server.infer_path, content=b"0" * (17 << 20)).status_code == 413
            assert client.get("/v2/models/nope").status_code == 404
            after = [value(name, **labels) for name, labels in names]
        deltas = [b - a for a, b in zip(before, after, strict=True)]
        assert deltas == [4, 3, 2, 1, 7, 7]

    def test_exposition_is_prometheus_text_with_fine_latency_buckets(self, digits_server: Served) -> None:
        with digits_server.client() as client:
            response = client.get("/metrics")
        assert response.headers["content-type"].startswith("text/plain")
        families = {family.name: family for family in text_string_to_metric_families(response.text)}
        assert {"prediction_count", "prediction_latency_seconds", "prediction_errors", "prediction_batch_size",
                "prediction_instances", "drift_detected", "prediction_confidence_avg"} <= set(families)  # fmt: skip
        bounds = sorted(
            float(s.labels["le"])
            for s in families["prediction_latency_seconds"].samples
            if s.name.endswith("_bucket")
        )
        assert bounds[0] == 0.0005 and 10.0 in bounds and len(bounds) >= 20
        assert {s.labels["model"] for s in families["prediction_count"].samples} == {"digits"}
