"""Tables for classification: CSV, Parquet or a database, validated and split (stratified, seeded)
into train, validation and test.

Feature columns are numeric (booleans count as numbers) or categorical: text columns with at most
``MAX_CATEGORIES`` distinct values, which the model one-hot encodes. Dates and free text (more
distinct values) are refused with a ``DataError`` naming the column. Missing feature values are
allowed (the model imputes them); missing targets are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from ml.data.database import read_frame
from ml.data.fingerprint import fingerprint, hash_bytes, hash_files
from ml.data.sources import materialize
from ml.data.spec import DataError, DataSpec, guess_format

MAX_CATEGORIES = 50
MAX_CLASSES = 200


@dataclass(frozen=True)
class TableSplits:
    """Feature frames and target series of each split, with the column roles and the classes."""

    train: tuple[pd.DataFrame, pd.Series]
    validation: tuple[pd.DataFrame, pd.Series]
    test: tuple[pd.DataFrame, pd.Series]
    numeric: list[str]
    categorical: list[str]
    classes: list[Any]
    fingerprint: dict[str, Any]

    @property
    def feature_columns(self) -> list[str]:
        """Every feature column, in table order."""
        return list(self.train[0].columns)

    def summary(self) -> dict[str, Any]:
        """The fingerprint plus the example count of each split (the ``data_loaded`` event body)."""
        return {
            **self.fingerprint,
            "train_examples": len(self.train[1]),
            "validation_examples": len(self.validation[1]),
            "test_examples": len(self.test[1]),
        }


def read_table(spec: DataSpec, cache_dir: Path | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The whole table named by ``spec`` and its fingerprint (without the split counts)."""
    if spec.data_source == "database":
        frame = read_frame(spec)
        sha256 = hash_bytes(frame.to_csv(index=False, lineterminator="\n").encode())
        files: list[str] = []
        fmt = "database"
    else:
        with materialize(spec, cache_dir) as local:
            if local.is_dir():
                raise DataError(f"{spec.where}: is a directory; name the CSV or Parquet file")
            fmt = spec.format or guess_format(local.name) or "csv"
            frame = _read_file(local, fmt, spec.where)
            sha256, files = hash_files([local], local)
    if frame.empty or len(frame.columns) == 0:
        raise DataError(f"{spec.where}: the table is empty")
    record = fingerprint(
        spec, sha256=sha256, files=files, rows=len(frame), columns=len(frame.columns), fmt=fmt,
        column_names=[str(c) for c in frame.columns],
    )  # fmt: skip
    return frame, record


def load_table(
    spec: DataSpec,
    *,
    target: str,
    features: list[str] | None,
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    cache_dir: Path | None = None,
) -> TableSplits:
    """Read, validate and split a table. ``features=None`` uses every column but ``target``.

    Raises ``DataError`` for an empty table, a missing target or feature column (listing the
    columns there are), empty targets, a target with one class or too few rows per class, and
    feature columns that cannot be encoded.
    """
    frame, record = read_table(spec, cache_dir)
    frame.columns = [str(c) for c in frame.columns]
    _require(frame, [target], "target column", spec.where)
    chosen = features if features is not None else [c for c in frame.columns if c != target]
    _require(frame, chosen, "feature column", spec.where)
    if target in chosen:
        raise DataError(f"{spec.where}: the target column {target!r} cannot also be a feature")
    if not chosen:
        raise DataError(f"{spec.where}: the table has no column besides the target {target!r}")
    y = _target(frame[target], spec.where)
    x = frame[chosen]
    numeric, categorical = _roles(x, spec.where)
    train, validation, test = _split(x, y, validation_fraction, test_fraction, seed, spec.where)
    classes = sorted(y.unique().tolist(), key=lambda v: (str(type(v)), v))
    return TableSplits(train, validation, test, numeric, categorical, classes, record)


def _read_file(path: Path, fmt: str, where: str) -> pd.DataFrame:
    try:
        if fmt == "csv":
            return pd.read_csv(path)
        if fmt == "parquet":
            return pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{where}: {path.name} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{where}: {path.name} is not a readable {fmt.upper()} file ({reason})") from None
    raise DataError(f"{where}: a table must be CSV or Parquet, not {fmt}")


def _require(frame: pd.DataFrame, columns: list[str], what: str, where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise DataError(f"{where}: {what} {names} not found; the columns are {', '.join(frame.columns)}")


def _target(column: pd.Series, where: str) -> pd.Series:
    empty = int(column.isna().sum())
    if empty:
        raise DataError(f"{where}: target column {column.name!r} is empty in {empty} row(s)")
    if pd.api.types.is_float_dtype(column) and not (column % 1 == 0).all():
        raise DataError(
            f"{where}: target column {column.name!r} holds fractional numbers; this model predicts categories"
        )
    if pd.api.types.is_float_dtype(column):
        column = column.astype("int64")
    counts = column.value_counts()
    if len(counts) < 2:
        raise DataError(
            f"{where}: target column {column.name!r} has a single class ({_show(counts.index[0])})"
        )
    if len(counts) > MAX_CLASSES:
        raise DataError(
            f"{where}: target column {column.name!r} has {len(counts)} classes (at most {MAX_CLASSES})"
        )
    rare = counts[counts < 3]
    if len(rare):
        raise DataError(
            f"{where}: class {_show(rare.index[0])} of {column.name!r} has only {int(rare.iloc[0])} row(s); "
            "each class needs at least 3 for train, validation and test"
        )
    return column


def _show(value: Any) -> str:
    """A value as people write it: ``7`` or ``'benign'`` (not ``np.int64(7)``)."""
    return repr(value.item() if hasattr(value, "item") else value)


def _roles(x: pd.DataFrame, where: str) -> tuple[list[str], list[str]]:
    numeric, categorical = [], []
    for name in x.columns:
        column = x[name]
        if column.isna().all():
            raise DataError(f"{where}: feature column {name!r} is empty in every row")
        if pd.api.types.is_datetime64_any_dtype(column) or isinstance(column.dtype, pd.PeriodDtype):
            raise DataError(
                f"{where}: feature column {name!r} holds dates; leave it out with feature_columns"
            )
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            numeric.append(name)
            continue
        distinct = column.nunique(dropna=True)
        if distinct > MAX_CATEGORIES:
            raise DataError(
                f"{where}: feature column {name!r} holds text with {distinct} distinct values; only "
                f"categories with at most {MAX_CATEGORIES} values can be encoded, leave it out with feature_columns"
            )
        categorical.append(name)
    return numeric, categorical


def _split(
    x: pd.DataFrame, y: pd.Series, validation: float, test: float, seed: int, where: str
) -> tuple[tuple[pd.DataFrame, pd.Series], tuple[pd.DataFrame, pd.Series], tuple[pd.DataFrame, pd.Series]]:
    classes = y.nunique()
    rows = len(y)
    if round(rows * test) < classes or round(rows * validation) < classes:
        raise DataError(
            f"{where}: {rows} rows are too few to give each of {classes} classes a row in validation and test"
        )
    try:
        x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test, random_state=seed, stratify=y)
        share = validation / (1 - test)
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest, y_rest, test_size=share, random_state=seed, stratify=y_rest
        )
    except ValueError as error:
        raise DataError(f"{where}: cannot split the rows by class ({error})") from None
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)
