"""Every table estimator trains for real over its epochs, in process, on the breast-cancer sample."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml import predict
from ml.events import Reporter
from ml.job import TrainingJob
from ml.train import run
from tests.ml import factories

TABULAR = "tabular_sklearn_classifier"


def train(data_path: Path, out: Path, **params: object) -> list[dict]:
    """Run the trainer in this process; returns its events."""
    stream = io.StringIO()
    spec = factories.job(
        TABULAR, {"data_source": "local_path", "path": str(data_path)}, out, epochs=3, params=params
    )
    assert run(TrainingJob.parse(spec), Reporter(stream)) == 0
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture(scope="module")
def mixed_table(breast_cancer_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with a categorical column, a boolean column, gaps, and text class labels."""
    frame = pd.read_csv(breast_cancer_csv)
    frame["size"] = np.where(
        frame["mean area"] > 700, "large", np.where(frame["mean area"] > 400, "medium", "small")
    )
    frame["smooth"] = frame["mean smoothness"] > 0.1
    frame.loc[::11, "mean texture"] = np.nan
    frame.loc[::13, "size"] = None
    frame["target"] = frame["target"].map({0: "malignant", 1: "benign"})
    path = tmp_path_factory.mktemp("mixed") / "mixed.csv"
    frame.to_csv(path, index=False)
    return path


class TestEstimators:
    def test_gradient_boosting_grows_over_the_epochs(self, mixed_table: Path, tmp_path: Path) -> None:
        events = train(mixed_table, tmp_path, estimator="gradient_boosting", n_estimators=30)
        losses = [e["metrics"]["loss"] for e in events if e["event"] == "epoch"]
        assert losses == sorted(losses, reverse=True) and losses[0] > losses[-1]
        final = events[-1]["metrics"]
        assert final["test_accuracy"] > 0.85 and set(final) >= {"test_loss", "test_f1", "val_accuracy"}

    def test_logistic_regression_makes_mini_batch_passes(self, mixed_table: Path, tmp_path: Path) -> None:
        events = train(mixed_table, tmp_path, estimator="logistic_regression", learning_rate=0.01)
        progress = [e for e in events if e["event"] == "progress" and e["epoch"] == 1]
        assert progress[-1]["steps"] == 2, "341 training rows in batches of 256"
        assert events[-1]["metrics"]["test_accuracy"] > 0.85

    def test_predictor_handles_categories_gaps_and_unseen_values(
        self, mixed_table: Path, tmp_path: Path
    ) -> None:
        train(
            mixed_table,
            tmp_path,
            estimator="random_forest",
            n_estimators=12,
            feature_columns=["size", "smooth", "mean texture", "mean radius"],
        )
        predictor = predict.load(str(tmp_path))
        signature = predictor.signature
        assert [c["role"] for c in signature["feature_columns"]] == [
            "categorical",
            "numeric",
            "numeric",
            "numeric",
        ]
        assert (
            signature["classes"] == ["benign", "malignant"] and signature["outputs"][1]["datatype"] == "BYTES"
        )
        assert signature["inputs"][1] == {"name": "smooth", "datatype": "BOOL", "shape": [-1]}
        rows = [
            {"size": "huge", "smooth": True, "mean texture": None, "mean radius": 25.0},
            {"size": "small", "smooth": False, "mean texture": 14.0, "mean radius": 9.0, "extra": "ignored"},
        ]
        result = predictor.predict(rows)
        assert result["classes"] == ["malignant", "benign"]
        assert all(sum(p) == pytest.approx(1.0) for p in result["probabilities"])
        assert set(predictor.reference["features"]["size"]["categories"]) == {
            "<empty>",
            "large",
            "medium",
            "small",
        }
        with pytest.raises(ValueError, match="missing feature column\\(s\\): mean radius"):
            predictor.predict([{"size": "small", "smooth": True, "mean texture": 1.0}])
