"""The model thread's work on the real digit model: a batch split back per request, and a batch
that fails predicted piece by piece so only the bad piece's request gets the error."""

from __future__ import annotations

import numpy as np

from ml.serve import engine
from ml.serve.engine import Engine, Prediction
from ml.serve.errors import BadRequest
from ml.serve.inputs import inputs_for
from ml.serve.metrics import Recorder
from ml.serve.monitor import Monitor, Thresholds
from tests.ml.factories import Mnist
from tests.ml.serve.conftest import Artifacts


def digit_engine(artifacts: Artifacts) -> Engine:
    predictor = engine.load(str(artifacts.digits), threads=1)
    inputs = inputs_for(predictor)
    recorder = Recorder("engine-test", None)
    monitor = Monitor(
        predictor.reference,
        inputs.drift_names,
        inputs.drift_features,
        100,
        Thresholds(0.25, 0.1, 10),
        recorder,
        {},
    )
    return Engine(predictor, inputs, recorder, monitor)


def predictions(results: list[Prediction | Exception]) -> list[Prediction]:
    assert all(isinstance(r, Prediction) for r in results), results
    return [r for r in results if isinstance(r, Prediction)]


class TestRun:
    def test_results_are_split_back_per_piece(self, artifacts: Artifacts, digits: Mnist) -> None:
        model = digit_engine(artifacts)
        images = digits.test[0][:6].reshape(-1, 1, 28, 28)
        (whole,) = predictions(model.run([images]))
        parts = predictions(model.run([images[:1], images[1:4], images[4:]]))
        assert [len(p.classes) for p in parts] == [1, 3, 2]
        assert [c for p in parts for c in p.classes] == whole.classes
        assert np.allclose(np.concatenate([p.probabilities for p in parts]), whole.probabilities, atol=1e-5)
        assert whole.probabilities.dtype == np.float32

    def test_a_failing_batch_is_retried_piece_by_piece(self, artifacts: Artifacts, digits: Mnist) -> None:
        model = digit_engine(artifacts)
        good, bad = digits.test[0][:2].reshape(-1, 1, 28, 28), np.zeros((1, 5), dtype=np.float32)
        first, second = model.run([good, bad])
        assert not isinstance(first, Exception) and len(first.classes) == 2
        assert isinstance(second, BadRequest) and "expected images of 28x28 pixels" in str(second)

    def test_the_drift_window_receives_every_instance(self, artifacts: Artifacts, digits: Mnist) -> None:
        model = digit_engine(artifacts)
        model.run([digits.test[0][:7].reshape(-1, 1, 28, 28)])
        model.run([digits.test[0][7:12].reshape(-1, 1, 28, 28)])
        assert model.monitor.check()["window"] == 12
