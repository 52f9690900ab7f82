"""Tables from CSV and Parquet (the real breast-cancer sample): reading, roles, splits, bad data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.data.spec import DataError, DataSpec
from ml.data.tables import load_table

SPLIT = {"validation_fraction": 0.2, "test_fraction": 0.2, "seed": 5}


def local(path: Path) -> DataSpec:
    return DataSpec.parse({"data_source": "local_path", "path": str(path)})


@pytest.fixture(scope="module")
def frame(breast_cancer_csv: Path) -> pd.DataFrame:
    return pd.read_csv(breast_cancer_csv)


def write(tmp_path: Path, frame: pd.DataFrame, name: str = "table.csv") -> Path:
    path = tmp_path / name
    frame.to_parquet(path) if name.endswith(".parquet") else frame.to_csv(path, index=False)
    return path


class TestRead:
    def test_csv_split_is_stratified_and_seeded(self, breast_cancer_csv: Path) -> None:
        splits = load_table(local(breast_cancer_csv), target="target", features=None, **SPLIT)
        again = load_table(local(breast_cancer_csv), target="target", features=None, **SPLIT)
        sizes = [len(s[1]) for s in (splits.train, splits.validation, splits.test)]
        assert sum(sizes) == 569 and sizes == [341, 114, 114]
        assert splits.train[1].mean() == pytest.approx(splits.test[1].mean(), abs=0.02)
        pd.testing.assert_frame_equal(splits.test[0], again.test[0])
        assert splits.classes == [0, 1] and len(splits.numeric) == 30 and splits.categorical == []
        assert splits.fingerprint["sha256"] == hashlib.sha256(breast_cancer_csv.read_bytes()).hexdigest()
        assert splits.fingerprint["rows"] == 569 and splits.fingerprint["columns"] == 31
        assert splits.fingerprint["column_names"][-1] == "target"

    def test_parquet_gives_the_same_rows(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        splits = load_table(
            local(write(tmp_path, frame, "t.parquet")), target="target", features=None, **SPLIT
        )
        assert splits.fingerprint["format"] == "parquet"
        assert len(splits.train[1]) == 341 and len(splits.feature_columns) == 30

    def test_chosen_features_and_categoricals(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        table = frame[["mean radius", "mean texture", "target"]].copy()
        table["size"] = np.where(table["mean radius"] > 14, "large", "small")
        table.loc[::7, "mean texture"] = np.nan
        table["target"] = table["target"].map({0: "malignant", 1: "benign"})
        features = ["size", "mean radius", "mean texture"]
        splits = load_table(local(write(tmp_path, table)), target="target", features=features, **SPLIT)
        assert splits.feature_columns == features
        assert splits.numeric == ["mean radius", "mean texture"] and splits.categorical == ["size"]
        assert splits.classes == ["benign", "malignant"]


class TestBadData:
    def test_missing_target_lists_the_columns(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        path = write(tmp_path, frame[["mean radius", "target"]])
        with pytest.raises(
            DataError, match=r"target column 'label' not found; the columns are mean radius, target"
        ):
            load_table(local(path), target="label", features=None, **SPLIT)

    def test_missing_feature_column(self, breast_cancer_csv: Path) -> None:
        with pytest.raises(DataError, match=r"feature column 'radius' not found"):
            load_table(local(breast_cancer_csv), target="target", features=["radius"], **SPLIT)

    def test_single_class(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        path = write(tmp_path, frame[frame["target"] == 1])
        with pytest.raises(DataError, match=r"target column 'target' has a single class \(1\)"):
            load_table(local(path), target="target", features=None, **SPLIT)

    def test_empty_table(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        path = write(tmp_path, frame.iloc[:0])
        with pytest.raises(DataError, match=r"table\.csv: the table is empty"):
            load_table(local(path), target="target", features=None, **SPLIT)

    def test_empty_file(self, tmp_path: Path) -> None:
        path = tmp_path / "blank.csv"
        path.write_text("")
        with pytest.raises(DataError, match=r"blank\.csv is empty"):
            load_table(local(path), target="target", features=None, **SPLIT)

    def test_free_text_feature_is_refused(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        table = frame.assign(patient=[f"patient-{i}" for i in range(len(frame))])
        with pytest.raises(DataError, match=r"feature column 'patient' holds text with 569 distinct values"):
            load_table(local(write(tmp_path, table)), target="target", features=None, **SPLIT)

    def test_fractional_target(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        with pytest.raises(DataError, match=r"target column 'mean radius' holds fractional numbers"):
            load_table(local(write(tmp_path, frame)), target="mean radius", features=None, **SPLIT)

    def test_empty_target_cells(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        table = frame.astype({"target": "float64"})
        table.loc[:2, "target"] = np.nan
        with pytest.raises(DataError, match=r"target column 'target' is empty in 3 row\(s\)"):
            load_table(local(write(tmp_path, table)), target="target", features=None, **SPLIT)

    def test_rare_class(self, tmp_path: Path, frame: pd.DataFrame) -> None:
        table = frame.copy()
        table.loc[0, "target"] = 7
        with pytest.raises(DataError, match=r"class 7 of 'target' has only 1 row\(s\)"):
            load_table(local(write(tmp_path, table)), target="target", features=None, **SPLIT)

    def test_unparsable_parquet(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.parquet"
        path.write_bytes(b"PAR1 not really")
        with pytest.raises(DataError, match=r"bad\.parquet is not a readable PARQUET file"):
            load_table(local(path), target="target", features=None, **SPLIT)
