"""The signature and drift reference files of a trained table classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml import drift
from ml.artifacts import write_json
from ml.data.tables import TableSplits


def datatype(dtype: Any) -> str:
    """The Open Inference Protocol datatype of a pandas column dtype."""
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOL"
    if pd.api.types.is_integer_dtype(dtype):
        return "INT64"
    if pd.api.types.is_float_dtype(dtype):
        return "FP64"
    return "BYTES"


def write_signature(outdir: Path, model_type: str, splits: TableSplits) -> Path:
    """``signature.json``: one OIP input per feature column, the outputs, column roles and classes."""
    x = splits.train[0]
    roles = {name: "numeric" for name in splits.numeric} | {
        name: "categorical" for name in splits.categorical
    }
    class_type = datatype(pd.Series(splits.classes).dtype)
    return write_json(outdir / "signature.json", {
        "model_type": model_type,
        "inputs": [{"name": name, "datatype": datatype(x[name].dtype), "shape": [-1]} for name in x.columns],
        "outputs": [
            {"name": "probabilities", "datatype": "FP64", "shape": [-1, len(splits.classes)]},
            {"name": "classes", "datatype": class_type, "shape": [-1]},
        ],
        "feature_columns": [{"name": name, "dtype": str(x[name].dtype), "role": roles[name]} for name in x.columns],
        "target_column": str(splits.train[1].name),
        "classes": splits.classes,
    })  # fmt: skip


def write_reference(outdir: Path, splits: TableSplits, val_probabilities: np.ndarray) -> Path:
    """``reference.json``: per numeric feature a histogram (train quantile edges, validation shares,
    mean, std), per categorical feature the validation share of each category, and the
    distribution of the top predicted probability on validation rows."""
    train, validation = splits.train[0], splits.validation[0]
    features: dict[str, Any] = {}
    for name in splits.numeric:
        features[name] = drift.histogram(_floats(train[name]), _floats(validation[name]))
    for name in splits.categorical:
        shares = validation[name].astype("string").fillna("<empty>").value_counts(normalize=True)
        features[name] = {"categories": {str(k): float(v) for k, v in shares.sort_index().items()}}
    return write_json(outdir / "reference.json", {
        "kind": "tabular",
        "features": features,
        "confidence": drift.confidence_reference(val_probabilities),
    })  # fmt: skip


def _floats(column: pd.Series) -> np.ndarray:
    return column.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
