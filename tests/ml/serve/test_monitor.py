"""Drift: the window of recent instances against the model's reference, over HTTP on the real
digit model (normal test digits are not drift, inverted ones are), and the window itself."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import numpy as np
import pytest

from ml.serve.inputs import ImageInputs
from ml.serve.metrics import Recorder
from ml.serve.monitor import Monitor, Thresholds, Window
from tests.ml.factories import Mnist
from tests.ml.serve import serving
from tests.ml.serve.conftest import Artifacts
from tests.ml.serve.serving import Served, tensor


def send(served: Served, client: httpx.Client, images: np.ndarray, per_request: int = 50) -> None:
    for start in range(0, len(images), per_request):
        response = served.infer(client, [tensor("input", images[start : start + per_request])])
        assert response.status_code == 200, response.text


IMAGE_FEATURES = {"mean_intensity", "std_intensity", "ink_fraction", "center_x", "center_y"}
LABELS = {"model": "digits", "version": "3"}


class TestDriftOverHttp:
    def test_normal_test_digits_are_not_drift(self, digits_server: Served, digits: Mnist) -> None:
        with digits_server.client() as client:
            assert client.post("/drift/reset").json()["window"] == 0
            send(digits_server, client, digits.test[0][:600])
            report = client.post("/drift/check").json()
            assert client.get("/drift").json() == report
            metrics = client.get("/metrics").text
        assert report["status"] == "ok" and report["drifted"] is False and report["drifted_features"] == []
        assert report["model_name"] == "digits" and report["model_version"] == "3"
        assert (
            report["window"] == 600
            and report["min_window"] == 200
            and set(report["features"]) == IMAGE_FEATURES
        )
        assert all(f["psi"] < 0.25 and not f["drifted"] for f in report["features"].values())
        assert report["confidence_drop"] < 0.1
        assert report["thresholds"] == {"psi": 0.25, "confidence_drop": 0.1, "min_window": 200}
        assert serving.metric(metrics, "drift_detected", **LABELS) == 0

    def test_inverted_digits_are_drift_naming_the_features(
        self, digits_server: Served, digits: Mnist
    ) -> None:
        with digits_server.client() as client:
            client.post("/drift/reset")
            send(digits_server, client, 1.0 - digits.test[0][:600])
            report = client.post("/drift/check").json()
            metrics = client.get("/metrics").text
        assert report["status"] == "drift" and report["drifted"] is True
        assert {"mean_intensity", "ink_fraction"} <= set(report["drifted_features"])
        assert (
            report["features"]["mean_intensity"]["psi"] >= 0.25
            and report["features"]["mean_intensity"]["ks"] > 0.5
        )
        assert report["checked_at"].endswith("+00:00") and report["check_seconds"] < 0.05
        assert serving.metric(metrics, "drift_detected", **LABELS) == 1
        psi = serving.metric(metrics, "drift_score", **LABELS, feature="mean_intensity", statistic="psi")
        assert psi == pytest.approx(report["features"]["mean_intensity"]["psi"])
        assert serving.metric(metrics, "prediction_confidence_avg", **LABELS) == pytest.approx(
            report["avg_confidence"]
        )

    def test_reset_and_too_few_instances(self, digits_server: Served, digits: Mnist) -> None:
        with digits_server.client() as client:
            reset = client.post("/drift/reset").json()
            send(digits_server, client, 1.0 - digits.test[0][:100])
            few = client.post("/drift/check").json()
            metrics = client.get("/metrics").text
        assert reset["status"] == "insufficient_data" and reset["window"] == 0 and reset["checked_at"] is None
        assert few["status"] == "insufficient_data" and few["window"] == 100 and few["drifted"] is False
        assert few["features"]["mean_intensity"]["psi"] >= 0.25, "scores are shown before they count"
        assert serving.metric(metrics, "drift_detected", model="digits", version="3") == 0


class TestWindow:
    def test_keeps_the_latest_instances_when_it_wraps(self) -> None:
        window = Window(["a"], size=5)
        for start in (0, 3, 6):
            values = np.arange(start, start + 3, dtype=np.float64)
            window.append({"a": values}, values / 10)
        values, confidence = window.snapshot()
        assert len(window) == 5 and sorted(values[0]) == [4, 5, 6, 7, 8]
        assert sorted(confidence) == pytest.approx([0.4, 0.5, 0.6, 0.7, 0.8])
        window.append({"a": np.arange(100, 112.0)}, np.zeros(12))
        assert sorted(window.snapshot()[0][0]) == [107, 108, 109, 110, 111]
        window.clear()
        assert len(window) == 0 and window.snapshot()[0].shape == (1, 0)


class TestCheckCost:
    def test_a_full_window_of_10k_is_checked_within_50_ms(
        self, artifacts: Artifacts, mnist: Mnist, record_property: Any
    ) -> None:
        reference = json.loads((artifacts.digits / "reference.json").read_text())
        predictor = _Reference(reference)
        inputs = ImageInputs(predictor)  # type: ignore[arg-type]
        thresholds = Thresholds(psi=0.25, confidence_drop=0.1, min_window=200)
        monitor = Monitor(
            reference, inputs.drift_names, inputs.drift_features, 10_000, thresholds, Recorder("cost", None),
            {"model_name": "cost", "model_version": None},
        )  # fmt: skip
        images = mnist.test[0].reshape(-1, 1, 28, 28)
        probabilities = np.random.default_rng(0).dirichlet(np.full(10, 0.1), size=len(images))
        for start in range(0, len(images), 32):
            monitor.record([images[start : start + 32]], probabilities[start : start + 32])
        monitor.flush()
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            report = monitor.check()
            timings.append(time.perf_counter() - started)
        record_property("drift_check_ms", round(min(timings) * 1000, 2))
        print(
            f"drift check on a full 10k window: best {min(timings) * 1000:.2f} ms, worst {max(timings) * 1000:.2f} ms"
        )
        assert report["window"] == 10_000 and set(report["features"]) == set(inputs.drift_names)
        assert min(timings) < 0.05


class _Reference:
    """What ``ImageInputs`` reads of a predictor, with the real drift features of ``ml.drift``."""

    def __init__(self, reference: dict[str, Any]) -> None:
        self.reference = reference

    def drift_features(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        from ml import drift

        return drift.image_features(batch)


class TestTableDrift:
    def test_numeric_columns_are_compared_and_a_shifted_one_is_named(
        self, table_server: Served, table_rows: Any
    ) -> None:
        features, _ = table_rows
        shifted = features.assign(**{"mean radius": features["mean radius"] * 3})
        with table_server.client() as client:
            client.post("/drift/reset")
            for _ in range(2):
                assert (
                    client.post("/predict", json={"rows": features.to_dict(orient="records")}).status_code
                    == 200
                )
            normal = client.post("/drift/check").json()
            client.post("/drift/reset")
            for _ in range(2):
                assert (
                    client.post("/predict", json={"rows": shifted.to_dict(orient="records")}).status_code
                    == 200
                )
            drifted = client.post("/drift/check").json()
        assert (
            normal["window"] == 300
            and len(normal["features"]) == 30
            and "mean radius" not in normal["drifted_features"]
        )
        assert drifted["status"] == "drift" and "mean radius" in drifted["drifted_features"]

    def test_text_columns_are_left_out(self, mixed_server: Served, artifacts: Artifacts) -> None:
        import pandas as pd

        rows = pd.read_csv(artifacts.mixed.parent / "mixed.csv").head(20).drop(columns=["diagnosis"])
        with mixed_server.client() as client:
            client.post("/predict", json={"rows": json.loads(rows.to_json(orient="records"))})
            report = client.post("/drift/check").json()
        assert set(report["features"]) == {"mean radius", "mean texture", "worst area", "worst smoothness"}


class TestBinning:
    @pytest.mark.parametrize(
        "edges",
        [[0.0, 1.0, 2.5, 4.0, 10.0], [3.0, 3.0], [-1.0, 0.0], [0.5, 1.5, 2.5]],
        ids=["bins", "one value", "all above", "out of range"],
    )
    def test_proportions_count_like_a_binary_search_per_value(self, edges: list[float]) -> None:
        from ml import drift

        rng = np.random.default_rng(3)
        values = np.concatenate([rng.normal(2, 3, 5000), [np.nan, np.inf, -np.inf], np.array(edges)])
        finite = values[np.isfinite(values)]
        index = np.searchsorted(np.asarray(edges[1:-1]), finite, side="right")
        expected = np.bincount(index, minlength=len(edges) - 1)[: len(edges) - 1] / len(finite)
        assert drift.proportions(values, edges) == pytest.approx(list(expected), abs=1e-12)
        assert drift.proportions(np.array([np.nan]), edges) == [0.0] * (len(edges) - 1)
