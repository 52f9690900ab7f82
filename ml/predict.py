"""Load a trained model from its artifacts and predict with it.

``load(artifact_uri)`` reads ``manifest.json`` to learn the model type and hands the directory to
that type's predictor loader (the catalog's ``predictor`` path). Every predictor has:

- ``model_type``: the catalog name;
- ``signature``: the contents of ``signature.json``;
- ``reference``: the contents of ``reference.json`` (drift reference distributions);
- ``predict(batch) -> {"classes": [...], "probabilities": [[...], ...]}``;
- ``drift_features(batch) -> {feature: values}``, to compare with ``ml.drift.compare``.

Bad batches raise ``ValueError`` with a message naming what is wrong.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ml import catalog
from ml.artifacts import MANIFEST, fetched, read_json


class Predictor(Protocol):
    """What every model type's ``load_predictor`` returns."""

    model_type: str
    signature: dict[str, Any]
    reference: dict[str, Any]

    def predict(self, batch: Any) -> dict[str, list[Any]]: ...

    def drift_features(self, batch: Any) -> dict[str, np.ndarray]: ...


def load(artifact_uri: str) -> Predictor:
    """The predictor of the artifacts at ``artifact_uri`` (a local directory or ``s3://`` prefix,
    read with the ``MLOPS_ARTIFACT_S3_*`` settings). Raises ``FileNotFoundError`` when there is no
    complete artifact set and ``UnknownModelType`` for a model type this version does not know."""
    with fetched(artifact_uri) as directory:
        manifest = read_json(directory / MANIFEST)
        loader = catalog.get(manifest["model_type"]).resolve("predictor")
        predictor: Predictor = loader(directory)
    return predictor
