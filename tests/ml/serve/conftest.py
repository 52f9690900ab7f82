"""Fixtures of the inference server tests: real models trained once per session on real data (a
digit CNN on 6,000 MNIST digits, a breast-cancer forest), and one running server for each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.ml import factories
from tests.ml.factories import Mnist
from tests.ml.serve import serving
from tests.ml.serve.serving import Served

DIGITS = "digits"
TABLE = "cancer"
MIXED = "clinics"


@dataclass(frozen=True)
class Artifacts:
    digits: Path
    table: Path
    mixed: Path


@pytest.fixture(scope="session")
def digits(mnist: Mnist) -> Mnist:
    """The training subset and the test images the tests send (never seen in training)."""
    return mnist.subset(6000, 500, 1000)


@pytest.fixture(scope="session")
def artifacts(digits: Mnist, breast_cancer_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    """The three models, trained concurrently (about 15 s on two busy cores)."""
    root = tmp_path_factory.mktemp("serve-artifacts")
    data = factories.write_pickle(root / "digits.pkl.gz", digits)
    mixed = mixed_table(breast_cancer_csv, root / "mixed.csv")
    paths = Artifacts(root / "digits", root / "table", root / "mixed")
    cnn = {"learning_rate": 0.003, "dropout": 0.1, "dense_dropout": 0.2}
    jobs = [
        factories.job("mnist_pytorch_cnn", _local(data), paths.digits, epochs=1, batch_size=32, threads=1, params=cnn),
        factories.job(
            "tabular_sklearn_classifier", _local(breast_cancer_csv), paths.table, epochs=1, threads=1,
            params={"n_estimators": 30},
        ),
        factories.job(
            "tabular_sklearn_classifier", _local(mixed), paths.mixed, epochs=1, threads=1,
            params={"n_estimators": 20, "target_column": "diagnosis"},
        ),
    ]  # fmt: skip
    for run in [factories.finish(factories.start_trainer(job), timeout=300) for job in jobs]:
        assert run.code == 0, run.stderr
    return paths


def mixed_table(breast_cancer_csv: Path, path: Path) -> Path:
    """A table with text columns and text classes, from the breast-cancer one: four measurements,
    a size category, a clinic (sometimes missing), and the diagnosis in words."""
    frame = pd.read_csv(breast_cancer_csv)
    table = frame[["mean radius", "mean texture", "worst area", "worst smoothness"]].copy()
    table["size"] = pd.cut(
        frame["mean area"], [0, 500, 800, np.inf], labels=["small", "medium", "large"]
    ).astype(str)
    table["clinic"] = np.random.default_rng(0).choice(
        np.array(["north", "south", None], dtype=object), size=len(frame)
    )
    table["diagnosis"] = np.where(frame["target"] == 1, "benign", "malignant")
    table.to_csv(path, index=False)
    return path


def _local(path: Path) -> dict[str, str]:
    return {"data_source": "local_path", "path": str(path)}


@pytest.fixture(scope="session")
def servers(artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    """One server per model, started together (each spends seconds importing and warming up)."""
    root = tmp_path_factory.mktemp("servers")
    launched = {
        DIGITS: serving.launch(artifacts.digits, DIGITS, root / DIGITS, version="3"),
        TABLE: serving.launch(artifacts.table, TABLE, root / TABLE, version="1"),
        MIXED: serving.launch(artifacts.mixed, MIXED, root / MIXED),
    }
    try:
        yield {name: serving.wait_ready(served) for name, served in launched.items()}
    finally:
        for served in launched.values():
            serving.kill(served)


@pytest.fixture(scope="session")
def digits_server(servers: dict[str, Served]) -> Served:
    return servers[DIGITS]


@pytest.fixture(scope="session")
def table_server(servers: dict[str, Served]) -> Served:
    return servers[TABLE]


@pytest.fixture(scope="session")
def mixed_server(servers: dict[str, Served]) -> Served:
    return servers[MIXED]


@pytest.fixture(scope="session")
def table_rows(breast_cancer_csv: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of the breast-cancer table (features and labels), the last 150 of the file."""
    frame = pd.read_csv(breast_cancer_csv).tail(150)
    return frame.drop(columns=["target"]), frame["target"].to_numpy()
