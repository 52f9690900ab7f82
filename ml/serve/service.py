"""One served model: loading and readiness, infer and predict requests, metadata and drift.

The HTTP layer (``ml.serve.app``) decodes bodies and maps errors; this module holds what the
requests mean. Model calls go through the batcher to the single model thread.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
import orjson

from ml import catalog
from ml.serve import engine, tensors
from ml.serve.batching import Arrival, Batcher
from ml.serve.engine import Engine, Prediction
from ml.serve.errors import BadRequest, NotFound, NotReady
from ml.serve.inputs import inputs_for
from ml.serve.metrics import Recorder
from ml.serve.monitor import Monitor, Thresholds
from ml.serve.options import Options
from ml.serve.tensors import NUMPY_TYPES, InferRequest, Output

log = logging.getLogger(__name__)
SERVER_NAME = "mlops-inference-server"
OUTPUTS = ("probabilities", "classes")


class Service:
    """The model named ``options.name`` (version ``options.version``) and everything about it."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.recorder = Recorder(options.name, options.version)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self.identity = {"model_name": options.name, "model_version": options.version}
        self.engine: Engine | None = None
        self.batcher: Batcher | None = None

    @property
    def ready(self) -> bool:
        return self.batcher is not None

    async def load(self) -> None:
        """Load and warm up the model on the model thread, then start taking requests and drift checks."""
        loop = asyncio.get_running_loop()
        self.engine = await loop.run_in_executor(self.executor, self._load)
        wait = self.options.max_batch_wait_ms / 1000
        self.batcher = Batcher(self.engine.run, self.executor, self.options.max_batch_size, wait)
        self.engine.monitor.start(self.options.drift_interval)

    def _load(self) -> Engine:
        options = self.options
        predictor = engine.load(options.artifact, options.threads or 1)
        inputs = inputs_for(predictor)
        thresholds = Thresholds(options.psi_threshold, options.confidence_drop, options.drift_min_window)
        monitor = Monitor(
            predictor.reference, inputs.drift_names, inputs.drift_features, options.drift_window, thresholds,
            self.recorder, self.identity,
        )  # fmt: skip
        loaded = Engine(predictor, inputs, self.recorder, monitor)
        loaded.warm_up(options.max_batch_size)
        return loaded

    def close(self) -> None:
        """Stop the drift checks and the model thread (after the call in progress)."""
        if self.engine is not None:
            self.engine.monitor.stop()
        self.executor.shutdown(wait=True)

    def _engine(self) -> tuple[Engine, Batcher]:
        if self.engine is None or self.batcher is None:
            raise NotReady(f"model '{self.options.name}' is still loading")
        return self.engine, self.batcher

    def find(self, name: str, version: str | None) -> None:
        """Raise ``NotFound`` unless ``name`` (and ``version``, when given) is the served model."""
        if name != self.options.name:
            raise NotFound(f"unknown model '{name}'; this server serves '{self.options.name}'")
        if version is not None and version != self.options.version:
            have = f"version '{self.options.version}'" if self.options.version else "no versions"
            raise NotFound(f"model '{name}' has no version '{version}'; it has {have}")

    def server_metadata(self) -> dict[str, Any]:
        return {"name": SERVER_NAME, "version": _version(), "extensions": ["binary_tensor_data"]}

    def model_metadata(self) -> dict[str, Any]:
        """OIP model metadata: name, versions, platform, inputs and outputs from the signature."""
        predictor = self._engine()[0].predictor
        signature = predictor.signature
        return {
            "name": self.options.name,
            "versions": [self.options.version] if self.options.version else [],
            "platform": catalog.get(predictor.model_type).framework,
            "inputs": signature.get("inputs", []),
            "outputs": signature.get("outputs", []),
            "parameters": {"model_type": predictor.model_type, "classes": signature.get("classes", [])},
        }

    @contextmanager
    def arriving(self) -> Iterator[Arrival | None]:
        """Announce a prediction request to the batcher while its body is read and decoded."""
        if self.batcher is None:
            yield None
            return
        with self.batcher.arriving() as arrival:
            yield arrival

    async def infer(
        self, body: bytes, header_length: int | None, arrival: Arrival | None
    ) -> tuple[bytes, int | None]:
        """Answer an OIP infer request: the response body and its JSON header length (binary data)."""
        model, batcher = self._engine()
        request = tensors.parse_request(body, header_length)
        unknown = [name for name in request.outputs or () if name not in OUTPUTS]
        if unknown:
            raise BadRequest(
                f"unknown output(s) {', '.join(map(repr, unknown))}; the outputs are 'probabilities', 'classes'"
            )
        piece = model.inputs.from_tensors(request.inputs)
        prediction: Prediction = await batcher.submit(piece, model.inputs.count(piece), arrival)
        return tensors.encode_response(
            self.options.name, self.options.version, request, self._outputs(model, prediction, request)
        )

    def _outputs(self, model: Engine, prediction: Prediction, request: InferRequest) -> list[Output]:
        if model.class_type == "BYTES":
            classes = np.empty(len(prediction.classes), dtype=object)
            classes[:] = [str(c) for c in prediction.classes]
        else:
            classes = np.asarray(prediction.classes, dtype=NUMPY_TYPES[model.class_type])
        available = {
            "probabilities": Output("probabilities", model.probability_type, prediction.probabilities),
            "classes": Output("classes", model.class_type, classes),
        }
        return [available[name] for name in request.outputs or OUTPUTS]

    async def predict(self, body: bytes, png: bool, arrival: Arrival | None) -> bytes:
        """Answer ``POST /predict``: a PNG body, or JSON images or rows (decoded off the event loop)."""
        model, batcher = self._engine()
        decode = model.inputs.from_png if png else (lambda raw: model.inputs.from_json(_json(raw)))
        piece = await asyncio.get_running_loop().run_in_executor(None, decode, body)
        prediction: Prediction = await batcher.submit(piece, model.inputs.count(piece), arrival)
        labels = [str(c) for c in model.predictor.signature.get("classes", [])]
        predictions = [
            {
                "class": label,
                "confidence": float(row.max()),
                "probabilities": dict(zip(labels, row.tolist(), strict=True)),
            }
            for label, row in zip(prediction.classes, prediction.probabilities, strict=True)
        ]
        return orjson.dumps({**self.identity, "predictions": predictions})

    def drift(self) -> dict[str, Any]:
        return self._engine()[0].monitor.report()

    async def check_drift(self) -> dict[str, Any]:
        monitor = self._engine()[0].monitor
        return await asyncio.get_running_loop().run_in_executor(None, monitor.check)

    def reset_drift(self) -> dict[str, Any]:
        return self._engine()[0].monitor.reset()


@functools.cache
def _version() -> str:
    try:
        return importlib.metadata.version("mlops-platform")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"invalid JSON: {error}") from None
