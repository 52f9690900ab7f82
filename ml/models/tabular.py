"""``tabular_sklearn_classifier``: classify table rows with scikit-learn.

Numeric columns are median-imputed and standardised; categorical columns are one-hot encoded (an
empty cell is its own category, unseen categories encode as all zeros). Epochs are real rounds:
random forest and gradient boosting grow ``n_estimators·e/E`` trees by epoch ``e`` (warm start, in
up to ten steps per epoch); logistic regression (``SGDClassifier(loss="log_loss")``) makes one
shuffled mini-batch pass of ``partial_fit`` per epoch. The saved ``model.joblib`` is the whole
pipeline (preprocessing + estimator).
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ml.artifacts import read_json
from ml.data.tables import TableSplits, load_table
from ml.events import Reporter
from ml.job import TrainingJob, TrainingResult
from ml.models.tabular_files import write_reference, write_signature

log = logging.getLogger(__name__)
NAME = "tabular_sklearn_classifier"
TREE_STEPS = 10


def as_float(frame: Any) -> np.ndarray:
    """Numeric and boolean columns as float64 (missing values become NaN)."""
    return np.asarray(pd.DataFrame(frame).astype("float64"))


def as_text(frame: Any) -> np.ndarray:
    """Categorical columns as strings, so mixed types and empty cells become plain categories."""
    return np.asarray(pd.DataFrame(frame).astype("string").fillna("<empty>").astype(str))


def preprocessor(splits: TableSplits) -> ColumnTransformer:
    """The (unfitted) feature preparation for the table's numeric and categorical columns."""
    numeric = make_pipeline(
        FunctionTransformer(as_float, feature_names_out="one-to-one"),
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
    )
    categorical = make_pipeline(
        FunctionTransformer(as_text, feature_names_out="one-to-one"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [("numeric", numeric, splits.numeric), ("categorical", categorical, splits.categorical)]
    )


def train(job: TrainingJob, reporter: Reporter, outdir: Path) -> TrainingResult:
    """Train on the job's table, report each epoch, write model.joblib, signature.json and
    reference.json into ``outdir``. Raises ``DataError`` for unusable data."""
    params = job.params
    splits = load_table(
        job.data, target=params["target_column"], features=params["feature_columns"],
        validation_fraction=params["validation_fraction"], test_fraction=params["test_fraction"], seed=job.seed,
    )  # fmt: skip
    reporter.data_loaded(splits.summary())
    prepare = preprocessor(splits).fit(splits.train[0])
    data = {name: (prepare.transform(x), y.to_numpy()) for name, (x, y) in _named(splits).items()}
    rounds = _Rounds(job, splits.classes, data, reporter)
    history: list[dict[str, Any]] = []
    for epoch in range(1, job.epochs + 1):
        started = time.perf_counter()
        rounds.run(epoch)
        metrics = {**rounds.scores("train", ""), **rounds.scores("validation", "val_")}
        seconds = time.perf_counter() - started
        reporter.epoch(epoch, metrics, seconds)
        history.append({"epoch": epoch, "metrics": metrics, "seconds": round(seconds, 3)})
        log.info("epoch %d/%d: %s (%.2f s)", epoch, job.epochs, metrics, seconds)
    test = rounds.scores("test", "test_")
    x_test, y_test = data["test"]
    test["test_f1"] = float(f1_score(y_test, rounds.model.predict(x_test), average="macro"))
    final = {**history[-1]["metrics"], **test}
    log.info("test: %s", test)
    pipeline = Pipeline([("prepare", prepare), ("model", rounds.model)])
    joblib.dump(pipeline, outdir / "model.joblib")
    write_signature(outdir, NAME, splits)
    write_reference(outdir, splits, rounds.model.predict_proba(data["validation"][0]))
    return TrainingResult(metrics=final, history=history, dataset=splits.summary())


def _named(splits: TableSplits) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    return {"train": splits.train, "validation": splits.validation, "test": splits.test}


class _Rounds:
    """The estimator and how one epoch of it is trained."""

    def __init__(
        self, job: TrainingJob, classes: list[Any], data: dict[str, Any], reporter: Reporter
    ) -> None:
        self.job, self.params, self.classes = job, job.params, np.asarray(classes)
        self.data, self.reporter = data, reporter
        self.model = self._estimator()
        self.rng = np.random.default_rng(job.seed)

    def _estimator(self) -> Any:
        p, seed = self.params, self.job.seed
        if p["estimator"] == "random_forest":
            return RandomForestClassifier(
                n_estimators=0,
                max_depth=p["max_depth"],
                warm_start=True,
                random_state=seed,
                n_jobs=self.job.threads,
            )
        if p["estimator"] == "gradient_boosting":
            return GradientBoostingClassifier(
                n_estimators=0, learning_rate=p["learning_rate"], max_depth=p["max_depth"] or 3, warm_start=True,
                random_state=seed,
            )  # fmt: skip
        return SGDClassifier(
            loss="log_loss", learning_rate="constant", eta0=p["learning_rate"], random_state=seed
        )

    def run(self, epoch: int) -> None:
        """Train epoch ``epoch`` (1-based), reporting progress."""
        if isinstance(self.model, SGDClassifier):
            self._sgd_pass(epoch)
        else:
            self._grow(epoch)

    def _grow(self, epoch: int) -> None:
        x, y = self.data["train"]
        have = self.model.n_estimators
        goal = max(math.ceil(self.params["n_estimators"] * epoch / self.job.epochs), have + 1)
        targets = sorted({have + math.ceil((goal - have) * s / TREE_STEPS) for s in range(1, TREE_STEPS + 1)})
        for step, count in enumerate(targets, start=1):
            self.model.set_params(n_estimators=count)
            self.model.fit(x, y)
            self.reporter.progress(epoch, step, len(targets), lambda: self._loss(x, y))

    def _sgd_pass(self, epoch: int) -> None:
        x, y = self.data["train"]
        order = self.rng.permutation(len(y))
        batch = self.job.batch_size
        steps = math.ceil(len(y) / batch)
        total = 0.0
        for step in range(1, steps + 1):
            index = order[(step - 1) * batch : step * batch]
            self.model.partial_fit(x[index], y[index], classes=self.classes)
            total += self._loss(x[index], y[index]) * len(index)
            self.reporter.progress(epoch, step, steps, total / min(step * batch, len(y)))

    def _loss(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(log_loss(y, self.model.predict_proba(x), labels=self.model.classes_))

    def scores(self, split: str, prefix: str) -> dict[str, float]:
        """Cross-entropy and accuracy of the current model on one split, with names prefixed."""
        x, y = self.data[split]
        probabilities = self.model.predict_proba(x)
        predicted = self.model.classes_[probabilities.argmax(1)]
        return {
            f"{prefix}loss": float(log_loss(y, probabilities, labels=self.model.classes_)),
            f"{prefix}accuracy": float(accuracy_score(y, predicted)),
        }


class TablePredictor:
    """Predictions of a trained table classifier; batches are a DataFrame or a list of row dicts
    holding at least the feature columns the model was trained on."""

    model_type = NAME

    def __init__(self, pipeline: Pipeline, signature: dict[str, Any], reference: dict[str, Any]) -> None:
        self.pipeline = pipeline
        self.signature = signature
        self.reference = reference
        self.feature_columns: list[str] = [c["name"] for c in signature["feature_columns"]]

    def frame(self, batch: Any) -> pd.DataFrame:
        """The batch as a DataFrame of the feature columns in training order; raises ``ValueError``
        naming missing columns."""
        frame = batch if isinstance(batch, pd.DataFrame) else pd.DataFrame(list(batch))
        missing = [c for c in self.feature_columns if c not in frame.columns]
        if missing:
            raise ValueError(f"missing feature column(s): {', '.join(missing)}")
        return frame[self.feature_columns]

    def predict(self, batch: Any) -> dict[str, list[Any]]:
        """Predicted class labels and the probability of each class (in ``signature["classes"]`` order)."""
        probabilities = self.pipeline.predict_proba(self.frame(batch))
        classes = self.pipeline.classes_[probabilities.argmax(1)]
        return {
            "classes": [c.item() if hasattr(c, "item") else c for c in classes],
            "probabilities": probabilities.tolist(),
        }

    def drift_features(self, batch: Any) -> dict[str, np.ndarray]:
        """The numeric feature columns of a batch, the features ``reference.json`` holds histograms of."""
        frame = self.frame(batch)
        numeric = [name for name, stored in self.reference["features"].items() if "edges" in stored]
        return {name: as_float(frame[[name]]).ravel() for name in numeric}


def load_predictor(directory: Path) -> TablePredictor:
    """Load the pipeline and its signature and reference from an artifact directory.

    Estimators trained with several jobs predict with one: a serving process answers many
    requests at once and batches them, so threads of its own per call only contend."""
    pipeline = joblib.load(directory / "model.joblib")
    single = {
        name: 1 for name, value in pipeline.get_params().items() if name.endswith("n_jobs") and value != 1
    }
    if single:
        pipeline.set_params(**single)
    return TablePredictor(
        pipeline, read_json(directory / "signature.json"), read_json(directory / "reference.json")
    )
