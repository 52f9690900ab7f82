"""What each model type takes: OIP tensors and ``/predict`` bodies become validated *pieces* (one
request's instances), pieces are joined into one predictor batch, and a batch yields the drift
features that ``reference.json`` holds histograms of.

Everything a request can get wrong is checked here, per request, so that one bad request never
fails the batch it would have shared with others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ml.predict import Predictor
from ml.serve import images
from ml.serve.errors import BadRequest
from ml.serve.tensors import NUMERIC, Tensor

if TYPE_CHECKING:
    import pandas as pd

IMAGE_SHAPES = "[N, 1, 28, 28], [N, 28, 28] or [N, 784]"


class Inputs(Protocol):
    """The request side of one model type."""

    def from_tensors(self, tensors: list[Tensor]) -> Any: ...

    def from_json(self, body: Any) -> Any: ...

    def from_png(self, data: bytes) -> Any: ...

    def count(self, piece: Any) -> int: ...

    def join(self, pieces: list[Any]) -> Any: ...

    drift_names: list[str]

    def drift_features(self, pieces: list[Any]) -> dict[str, np.ndarray]: ...

    def example(self) -> Any: ...


def inputs_for(predictor: Predictor) -> Inputs:
    """The inputs of ``predictor``'s model type: images (N x 1 x 28 x 28) or table rows."""
    if predictor.signature.get("feature_columns"):
        return TableInputs(predictor)
    return ImageInputs(predictor)


class ImageInputs:
    """Digit images; a piece is a float32 array N x 1 x 28 x 28 with values in [0, 1]."""

    def __init__(self, predictor: Predictor) -> None:
        self.predictor = predictor
        self.drift_names = list(predictor.reference.get("features", {}))

    def from_tensors(self, tensors: list[Tensor]) -> np.ndarray:
        if len(tensors) != 1:
            names = ", ".join(f"'{t.name}'" for t in tensors)
            raise BadRequest(f"this model takes one input tensor of images, got {len(tensors)}: {names}")
        tensor = tensors[0]
        where = f"input '{tensor.name}'"
        if tensor.datatype not in NUMERIC:
            raise BadRequest(
                f"{where}: datatype {tensor.datatype} is not accepted; send FP32 pixel values in [0, 1]"
            )
        shape = tensor.array.shape
        if shape[1:] not in ((1, 28, 28), (28, 28), (784,)):
            raise BadRequest(f"{where}: expected shape {IMAGE_SHAPES}, got {list(shape)}")
        if shape[0] == 0:
            raise BadRequest(f"{where}: the batch is empty")
        pixels = tensor.array.astype(np.float32, copy=False).reshape(-1, 1, 28, 28)
        low, high = float(pixels.min()), float(pixels.max())
        if not (low >= 0 and high <= 1):
            raise BadRequest(f"{where}: pixel values must lie in [0, 1], got values from {low} to {high}")
        return pixels

    def from_json(self, body: Any) -> np.ndarray:
        if isinstance(body, dict) and "image" in body:
            values, name = [body["image"]], "image"
        elif isinstance(body, dict) and isinstance(body.get("images"), list) and body["images"]:
            values, name = body["images"], "images"
        else:
            raise BadRequest(
                'expected {"image": …} or {"images": [...]}: an image is 28x28 pixel values, 784 values '
                "or a base64 PNG"
            )
        where = [name] if name == "image" else [f"images[{i}]" for i in range(len(values))]
        return np.stack([images.from_value(v, w) for v, w in zip(values, where, strict=True)]).reshape(
            -1, 1, 28, 28
        )

    def from_png(self, data: bytes) -> np.ndarray:
        return images.from_png(data).reshape(1, 1, 28, 28)

    def count(self, piece: np.ndarray) -> int:
        return len(piece)

    def join(self, pieces: list[np.ndarray]) -> np.ndarray:
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def drift_features(self, pieces: list[np.ndarray]) -> dict[str, np.ndarray]:
        return self.predictor.drift_features(self.join(pieces))

    def example(self) -> np.ndarray:
        return np.zeros((1, 1, 28, 28), dtype=np.float32)


class TableInputs:
    """Table rows; a piece is ``{column: array}`` over the feature columns, numeric columns as
    float64 (booleans too; missing values NaN) and text columns as strings (missing values None)."""

    def __init__(self, predictor: Predictor) -> None:
        self.predictor = predictor
        signature = predictor.signature
        self.columns: list[str] = [c["name"] for c in signature["feature_columns"]]
        self.text = {c["name"] for c in signature["feature_columns"] if c.get("role") == "categorical"}
        self.datatypes = {i["name"]: i["datatype"] for i in signature.get("inputs", [])}
        self.drift_names = [
            name for name, stored in predictor.reference.get("features", {}).items()
            if "edges" in stored and name in self.columns and name not in self.text
        ]  # fmt: skip

    def from_tensors(self, tensors: list[Tensor]) -> dict[str, np.ndarray]:
        if len(tensors) == 1 and (
            tensors[0].name not in self.columns or (tensors[0].array.ndim == 2 and len(self.columns) > 1)
        ):
            return self._from_matrix(tensors[0])
        given = {t.name: t for t in tensors}
        unknown = [name for name in given if name not in self.columns]
        if unknown:
            raise BadRequest(
                f"unknown input tensor(s): {_quoted(unknown)}; the inputs are the feature columns "
                f"({_quoted(self.columns)}) or one [N, {len(self.columns)}] tensor of them in that order"
            )
        missing = [name for name in self.columns if name not in given]
        if missing:
            raise BadRequest(f"missing input tensor(s): {_quoted(missing)}")
        piece = {name: self._column_tensor(given[name]) for name in self.columns}
        lengths = {len(values) for values in piece.values()}
        if len(lengths) > 1:
            raise BadRequest(f"the input tensors have different lengths: {sorted(lengths)}")
        return _non_empty(piece)

    def _from_matrix(self, tensor: Tensor) -> dict[str, np.ndarray]:
        width = len(self.columns)
        if tensor.array.ndim != 2 or tensor.array.shape[1] != width:
            raise BadRequest(
                f"input '{tensor.name}': expected shape [N, {width}] (the feature columns in order) or one "
                f"tensor per feature column, got {list(tensor.array.shape)}"
            )
        if tensor.datatype != "BYTES" and self.text:
            raise BadRequest(
                f"input '{tensor.name}': the model has text columns ({_quoted(sorted(self.text))}); send BYTES"
            )
        matrix = tensor.array
        return _non_empty({name: self._values(name, matrix[:, j]) for j, name in enumerate(self.columns)})

    def _column_tensor(self, tensor: Tensor) -> np.ndarray:
        shape = tensor.array.shape
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
            raise BadRequest(f"input '{tensor.name}': expected shape [N], got {list(shape)}")
        expected = self.datatypes.get(tensor.name, "BYTES" if tensor.name in self.text else "FP64")
        if (expected == "BYTES") != (tensor.datatype == "BYTES"):
            raise BadRequest(
                f"input '{tensor.name}': datatype {tensor.datatype} does not fit the column; send {expected}"
            )
        return self._values(tensor.name, tensor.array.reshape(-1))

    def _values(self, column: str, values: Any) -> np.ndarray:
        """One column's values as float64 (numeric) or strings and None (text)."""
        if column in self.text:
            out = np.empty(len(values), dtype=object)
            out[:] = [None if v is None else v.decode() if isinstance(v, bytes) else str(v) for v in values]
            return out
        try:
            return np.asarray(values, dtype=np.float64)
        except (ValueError, TypeError):
            raise BadRequest(f"column '{column}': values must be numbers") from None

    def from_json(self, body: Any) -> dict[str, np.ndarray]:
        if isinstance(body, dict) and isinstance(body.get("features"), dict):
            rows = [body["features"]]
        elif isinstance(body, dict) and isinstance(body.get("rows"), list) and body["rows"]:
            rows = body["rows"]
        else:
            raise BadRequest('expected {"features": {column: value}} or {"rows": [{column: value}, ...]}')
        for index, row in enumerate(rows):
            missing = [name for name in self.columns if not isinstance(row, dict) or name not in row]
            if missing:
                raise BadRequest(f"rows[{index}]: missing feature column(s): {_quoted(missing)}")
        return {name: self._values(name, [row[name] for row in rows]) for name in self.columns}

    def from_png(self, data: bytes) -> Any:
        raise BadRequest("this model predicts table rows, not images")

    def count(self, piece: dict[str, np.ndarray]) -> int:
        return len(piece[self.columns[0]])

    def join(self, pieces: list[dict[str, np.ndarray]]) -> pd.DataFrame:
        import pandas as pd  # only table models need it; image models start faster without

        if len(pieces) == 1:
            return pd.DataFrame(pieces[0], columns=self.columns)
        return pd.DataFrame({name: np.concatenate([p[name] for p in pieces]) for name in self.columns})

    def drift_features(self, pieces: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        return {name: np.concatenate([piece[name] for piece in pieces]) for name in self.drift_names}

    def example(self) -> dict[str, np.ndarray]:
        """One typical row: reference means for numbers, the commonest category for text."""
        features = self.predictor.reference.get("features", {})
        row: dict[str, Any] = {}
        for name in self.columns:
            stored = features.get(name, {})
            if name in self.text:
                categories: dict[str, float] = stored.get("categories") or {"": 1.0}
                row[name] = max(categories, key=lambda category: categories[category])
            else:
                row[name] = stored.get("mean", 0.0)
        return {name: self._values(name, [value]) for name, value in row.items()}


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _non_empty(piece: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not len(next(iter(piece.values()))):
        raise BadRequest("the batch is empty")
    return piece
