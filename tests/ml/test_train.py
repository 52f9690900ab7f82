"""The trainer as the platform runs it: a subprocess with pipes, JSON events on stdout, artifacts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ml import catalog, predict
from ml.artifacts import sha256_file
from ml.data.spec import DataSpec
from ml.data.tables import load_table
from tests.ml import factories
from tests.ml.factories import Mnist, TrainerRun

MNIST = "mnist_pytorch_cnn"
TABULAR = "tabular_sklearn_classifier"
ARTIFACTS = {"dataset.json", "manifest.json", "metrics.json", "reference.json", "signature.json"}


def local(path: Path) -> dict[str, str]:
    return {"data_source": "local_path", "path": str(path)}


def check_stream(run: TrainerRun, epochs: int) -> None:
    """The event stream's shape: order, timestamps, progress bounds and frequency, epoch events."""
    assert run.code == 0, run.stderr
    assert run.kinds[:2] == ["started", "data_loaded"] and run.kinds[-1] == "succeeded"
    assert set(run.kinds) == {"started", "data_loaded", "progress", "epoch", "succeeded"}
    for event in run.events:
        assert datetime.fromisoformat(event["time"]).utcoffset().total_seconds() == 0
    progress = [e for e in run.events if e["event"] == "progress"]
    fractions = [e["fraction"] for e in progress]
    assert fractions == sorted(fractions) and 0 < fractions[0] and fractions[-1] == 1.0
    for epoch in range(1, epochs + 1):
        steps = [e for e in progress if e["epoch"] == epoch]
        assert len(steps) >= min(10, steps[0]["steps"]), "at least every tenth of an epoch"
    assert [e["epoch"] for e in run.events if e["event"] == "epoch"] == list(range(1, epochs + 1))
    assert all(not line.startswith("{") for line in run.stderr.splitlines()), "stderr is for people"


def check_artifacts(directory: Path, model_file: str) -> dict[str, Any]:
    """Every artifact is there and the manifest's hashes match; returns the manifest."""
    assert {p.name for p in directory.iterdir()} >= ARTIFACTS | {model_file}
    manifest = json.loads((directory / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert sha256_file(directory / entry["name"]) == entry["sha256"]
    assert {"torch", "scikit-learn", "numpy", "python"} <= set(manifest["versions"])
    return manifest


@pytest.fixture(scope="module")
def digits(mnist: Mnist, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Mnist]:
    subset = mnist.subset(640, 200, 300)
    return factories.write_pickle(tmp_path_factory.mktemp("digits") / "digits.pkl.gz", subset), subset


@pytest.fixture(scope="module")
def runs(
    digits: tuple[Path, Mnist], tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[TrainerRun, Path]]:
    """Two concurrent runs of the same job and seed."""
    path, _ = digits
    outs = [tmp_path_factory.mktemp("art") / "model" for _ in range(2)]
    spec = {"epochs": 2, "batch_size": 64, "seed": 11, "threads": 1, "params": {"lr_schedule": "cosine"}}
    processes = [factories.start_trainer(factories.job(MNIST, local(path), out, **spec)) for out in outs]
    return [(factories.finish(p), out) for p, out in zip(processes, outs, strict=True)]


class TestMnistTrainer:
    def test_reports_every_event(
        self, runs: list[tuple[TrainerRun, Path]], digits: tuple[Path, Mnist]
    ) -> None:
        run, out = runs[0]
        check_stream(run, epochs=2)
        started = run.last("started")
        assert started | {"pid": 0, "time": ""} == {
            "event": "started", "time": "", "job_id": "job-test", "model_type": MNIST, "device": "cpu",
            "threads": 1, "seed": 11, "pid": 0,
        }  # fmt: skip
        dataset = run.last("data_loaded")["dataset"]
        counts = [dataset[f"{split}_examples"] for split in ("train", "validation", "test")]
        assert counts == [640, 200, 300]
        assert dataset["sha256"] == sha256_file(digits[0])
        assert set(run.last("epoch")["metrics"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        succeeded = run.last("succeeded")
        assert succeeded["artifact_uri"] == str(out)
        assert set(succeeded["files"]) == ARTIFACTS | {"model.pt", "model.json"}
        assert succeeded["metrics"]["test_accuracy"] > 0.6

    def test_same_seed_same_metrics(self, runs: list[tuple[TrainerRun, Path]]) -> None:
        (first, _), (second, _) = runs
        assert first.last("succeeded")["metrics"] == second.last("succeeded")["metrics"]
        assert [e["metrics"] for e in first.events if e["event"] == "epoch"] == [
            e["metrics"] for e in second.events if e["event"] == "epoch"
        ]

    def test_writes_loadable_artifacts(
        self, runs: list[tuple[TrainerRun, Path]], digits: tuple[Path, Mnist]
    ) -> None:
        run, out = runs[0]
        manifest = check_artifacts(out, "model.pt")
        assert (
            manifest["model_type"] == MNIST
            and manifest["seed"] == 11
            and manifest["params"]["lr_schedule"] == "cosine"
        )
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["final"] == run.last("succeeded")["metrics"] and len(metrics["history"]) == 2
        assert json.loads((out / "dataset.json").read_text()) == run.last("data_loaded")["dataset"]
        reference = json.loads((out / "reference.json").read_text())
        assert set(reference["features"]) == {
            "mean_intensity",
            "std_intensity",
            "ink_fraction",
            "center_x",
            "center_y",
        }
        for histogram in reference["features"].values():
            assert sum(histogram["proportions"]) == pytest.approx(1.0)
            assert len(histogram["edges"]) == len(histogram["proportions"]) + 1
        assert 0.1 <= reference["confidence"]["mean"] <= 1.0 and sum(
            reference["confidence"]["proportions"]
        ) == pytest.approx(1)

    def test_predictor_matches_the_test_accuracy(
        self, runs: list[tuple[TrainerRun, Path]], digits: tuple[Path, Mnist]
    ) -> None:
        run, out = runs[0]
        predictor = predict.load(str(out))
        assert predictor.model_type == MNIST and predictor.signature["inputs"][0]["shape"] == [-1, 1, 28, 28]
        images, labels = digits[1].test
        result = predictor.predict(images)
        assert len(result["probabilities"][0]) == 10 and sum(result["probabilities"][0]) == pytest.approx(
            1.0, abs=1e-5
        )
        accuracy = float(np.mean(np.asarray(result["classes"]) == labels))
        assert accuracy == pytest.approx(
            run.last("succeeded")["metrics"]["test_accuracy"], abs=1 / len(labels)
        )
        assert set(predictor.drift_features(images[:5].reshape(5, 28, 28))) == set(
            predictor.reference["features"]
        )
        with pytest.raises(ValueError, match="expected images of 28x28 pixels"):
            predictor.predict(np.zeros((2, 100)))


class TestTabularTrainer:
    def test_trains_on_the_breast_cancer_csv(self, breast_cancer_csv: Path, tmp_path: Path) -> None:
        out = tmp_path / "model"
        spec = factories.job(
            TABULAR, local(breast_cancer_csv), out, epochs=4, params={"n_estimators": 40}, min_metric=0.9
        )
        run = factories.run_trainer(spec)
        check_stream(run, epochs=4)
        assert run.last("started")["device"] == "cpu"
        epochs = [e for e in run.events if e["event"] == "epoch"]
        assert len({e["metrics"]["val_loss"] for e in epochs}) > 1, "each epoch grows the forest"
        final = run.last("succeeded")
        assert final["metrics"]["test_accuracy"] > 0.9 and final["metrics"]["test_f1"] > 0.9
        assert final["quality_gate"] == {
            "metric": "test_accuracy", "value": final["metrics"]["test_accuracy"], "min": 0.9, "passed": True
        }  # fmt: skip
        check_artifacts(out, "model.joblib")
        signature = json.loads((out / "signature.json").read_text())
        assert signature["classes"] == [0, 1] and len(signature["inputs"]) == 30
        assert signature["inputs"][0] == {"name": "mean radius", "datatype": "FP64", "shape": [-1]}
        reference = json.loads((out / "reference.json").read_text())
        assert (
            len(reference["features"]) == 30
            and len(reference["features"]["mean radius"]["proportions"]) == 10
        )

        splits = load_table(
            DataSpec.parse(local(breast_cancer_csv)), target="target", features=None,
            validation_fraction=0.15, test_fraction=0.15, seed=42,
        )  # fmt: skip
        predictor = predict.load(str(out))
        rows = splits.test[0].to_dict(orient="records")
        result = predictor.predict(rows)
        accuracy = float(np.mean(np.asarray(result["classes"]) == splits.test[1].to_numpy()))
        assert accuracy == final["metrics"]["test_accuracy"]
        assert set(predictor.drift_features(rows)) == set(reference["features"])


class TestBadJobs:
    def test_invalid_parameters_exit_2_naming_the_fields(
        self, breast_cancer_csv: Path, tmp_path: Path
    ) -> None:
        spec = factories.job(MNIST, local(breast_cancer_csv), tmp_path / "m", epochs=0, params={"bogus": 1})
        run = factories.run_trainer(spec)
        assert run.code == 2 and run.kinds == ["failed"]
        failed = run.last("failed")
        assert failed["error"] == "invalid_parameters"
        assert (
            "epochs: must be at least 1" in failed["reason"]
            and "params.bogus: unknown parameter" in failed["reason"]
        )

    def test_missing_fields_and_relative_artifact_uri(self, tmp_path: Path) -> None:
        run = factories.run_trainer({"job_id": "j", "model_type": "nope", "artifact_uri": "models/x"})
        assert run.code == 2 and run.last("failed")["error"] == "invalid_parameters"
        reason = run.last("failed")["reason"]
        assert "data: is required" in reason and "model_type: unknown model type 'nope'" in reason
        assert "artifact_uri: must be an absolute directory or an s3:// address" in reason

    def test_unusable_data_exit_2(self, tmp_path: Path, breast_cancer_csv: Path) -> None:
        spec = factories.job(
            TABULAR, local(breast_cancer_csv), tmp_path / "m", params={"target_column": "label"}
        )
        run = factories.run_trainer(spec)
        assert run.code == 2 and run.kinds == ["started", "failed"]
        assert run.last("failed")["error"] == "data_error"
        assert "target column 'label' not found; the columns are mean radius" in run.last("failed")["reason"]
        assert not (tmp_path / "m").exists()

    def test_job_file_that_is_not_json(self, tmp_path: Path) -> None:
        path = tmp_path / "job.json"
        path.write_text("{nope")
        result = subprocess.run(
            [sys.executable, "-m", "ml.train", "--job", str(path)], capture_output=True, text=True,
            cwd=factories.REPO, env=factories.trainer_env(),
        )  # fmt: skip
        event = json.loads(result.stdout)
        assert result.returncode == 2 and event["error"] == "invalid_parameters"
        assert event["reason"].startswith("the job is not valid JSON")


class TestSignals:
    @pytest.mark.parametrize(("signum", "after"), [(signal.SIGTERM, "progress"), (signal.SIGINT, "started")])
    def test_stops_cleanly(self, digits: tuple[Path, Mnist], tmp_path: Path, signum: int, after: str) -> None:
        out = tmp_path / "model"
        process = factories.start_trainer(factories.job(MNIST, local(digits[0]), out, epochs=20, threads=1))
        assert process.stdout is not None
        for line in process.stdout:
            if json.loads(line)["event"] == after:
                break
        process.send_signal(signum)
        run = factories.finish(process, timeout=30)
        assert run.code == 128 + signum
        assert run.events[-1]["event"] == "failed" and run.events[-1]["error"] == "cancelled"
        assert run.events[-1]["reason"] == f"stopped by {signal.Signals(signum).name}"
        assert not out.exists(), "nothing is published for a stopped run"


@pytest.mark.slow
class TestFullMnist:
    def test_one_epoch_of_defaults_on_the_sample_reaches_097(
        self, home: Path, tmp_path: Path, record_property: Any
    ) -> None:
        """The catalog's own sample spec (a path relative to the home), run from the home directory."""
        sample = catalog.get(MNIST).sample_data
        started = time.perf_counter()
        run = factories.run_trainer(factories.job(MNIST, sample, tmp_path / "model"), cwd=home, timeout=900)
        seconds = time.perf_counter() - started
        check_stream(run, epochs=1)
        metrics = run.last("succeeded")["metrics"]
        record_property("seconds", round(seconds, 1))
        record_property("test_accuracy", metrics["test_accuracy"])
        print(f"full MNIST, 1 epoch, defaults: {seconds:.1f} s, test accuracy {metrics['test_accuracy']:.4f}")
        assert run.last("data_loaded")["dataset"]["train_examples"] == 50000
        assert metrics["test_accuracy"] >= 0.97
