"""The worker side of serving: one model call over a batch of pieces, results split back per piece.

Everything here runs on the single model thread (``Service.executor``).
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml import predict
from ml.predict import Predictor
from ml.serve.errors import BadRequest
from ml.serve.inputs import Inputs
from ml.serve.metrics import Recorder
from ml.serve.monitor import Monitor

log = logging.getLogger(__name__)
_WARM_UP_CALLS = 2
_WARM_UP_SIZES = 64


@dataclass(slots=True)
class Prediction:
    """One piece's answer: a class per instance and the class probabilities (instances x classes)."""

    classes: list[Any]
    probabilities: np.ndarray


class Engine:
    """A loaded predictor with its inputs, metrics and drift monitor."""

    def __init__(self, predictor: Predictor, inputs: Inputs, recorder: Recorder, monitor: Monitor) -> None:
        self.predictor = predictor
        self.inputs = inputs
        self.recorder = recorder
        self.monitor = monitor
        outputs = {o["name"]: o["datatype"] for o in predictor.signature.get("outputs", [])}
        self.probability_type: str = outputs.get("probabilities", "FP64")
        self.class_type: str = outputs.get("classes", "BYTES")
        self._float = np.float32 if self.probability_type == "FP32" else np.float64

    def run(self, pieces: list[Any]) -> list[Prediction | Exception]:
        """Predict the pieces in one model call; if that fails, each piece alone, so only the
        pieces that fail on their own get an error."""
        try:
            return list(self._run(pieces))
        except Exception as error:
            if len(pieces) == 1:
                converted = _as_request_error(error)
                if converted is error:
                    raise
                raise converted from error
            log.warning("a batch of %d requests failed (%s); predicting them one by one", len(pieces), error)
        return [self._alone(piece) for piece in pieces]

    def _alone(self, piece: Any) -> Prediction | Exception:
        try:
            return self._run([piece])[0]
        except Exception as error:
            return _as_request_error(error)

    def _run(self, pieces: list[Any]) -> list[Prediction]:
        batch = self.inputs.join(pieces)
        result = self.predictor.predict(batch)
        classes, probabilities = result["classes"], np.asarray(result["probabilities"], dtype=self._float)
        self.recorder.batch(len(classes))
        self.monitor.record(pieces, probabilities)
        if len(pieces) == 1:
            return [Prediction(classes, probabilities)]
        out, start = [], 0
        for piece in pieces:
            end = start + self.inputs.count(piece)
            out.append(Prediction(classes[start:end], probabilities[start:end]))
            start = end
        return out

    def warm_up(self, batch_size: int) -> None:
        """Call the model before the first request, twice per batch size: the first calls of a
        TorchScript model profile it, and oneDNN plans each input shape once, so PyTorch models get
        every size up to ``batch_size`` (64 at most); other models only sizes 1 and ``batch_size``."""
        example = self.inputs.example()
        torch = "torch" in sys.modules
        sizes = range(1, min(batch_size, _WARM_UP_SIZES) + 1) if torch else sorted({1, batch_size})
        for size in sizes:
            batch = self.inputs.join([example] * size)
            for _ in range(_WARM_UP_CALLS):
                self.predictor.predict(batch)


def load(artifact: str, threads: int) -> Predictor:
    """Load the predictor; for PyTorch models, limit a model call to ``threads`` threads."""
    started = time.perf_counter()
    predictor = predict.load(artifact)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    log.info("loaded %s from %s in %.2f s", predictor.model_type, artifact, time.perf_counter() - started)
    return predictor


def _as_request_error(error: Exception) -> Exception:
    """The predictors raise ``ValueError`` for bad batches: those are the client's fault."""
    if isinstance(error, ValueError):
        return BadRequest(str(error))
    return error
