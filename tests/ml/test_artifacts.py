"""Artifacts published to S3 (moto) and local directories, and loaded back for prediction."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from ml import predict
from ml.artifacts import MANIFEST, fetched, publish, write_json, write_manifest
from ml.events import Reporter
from ml.job import TrainingJob
from ml.train import run
from tests.ml import factories


class TestS3:
    def test_trainer_publishes_and_predictor_loads(self, s3_bucket: tuple, breast_cancer_csv: Path) -> None:
        client, bucket = s3_bucket
        uri = f"s3://{bucket}/runs/r1"
        spec = factories.job(
            "tabular_sklearn_classifier", {"data_source": "local_path", "path": str(breast_cancer_csv)}, uri,
            epochs=2, params={"n_estimators": 10},
        )  # fmt: skip
        events = io.StringIO()
        assert run(TrainingJob.parse(spec), Reporter(events)) == 0
        succeeded = json.loads(events.getvalue().splitlines()[-1])
        keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="runs/r1/")["Contents"])
        assert keys == sorted(f"runs/r1/{name}" for name in succeeded["files"])
        predictor = predict.load(uri)
        rows = pd.read_csv(breast_cancer_csv).drop(columns="target").head(5)
        assert len(predictor.predict(rows)["classes"]) == 5

    def test_incomplete_prefix_is_refused(self, s3_bucket: tuple) -> None:
        client, bucket = s3_bucket
        client.put_object(Bucket=bucket, Key="half/model.joblib", Body=b"x")
        with pytest.raises(FileNotFoundError, match=r"no manifest\.json"), fetched(f"s3://{bucket}/half"):
            pass


class TestLocal:
    def test_publish_copies_every_file_manifest_last(self, tmp_path: Path) -> None:
        source = tmp_path / "build"
        source.mkdir()
        write_json(source / "metrics.json", {"final": {}})
        (source / "model.bin").write_bytes(b"weights")
        write_manifest(source, model_type="x")
        names = publish(source, str(tmp_path / "out"))
        assert names == ["metrics.json", "model.bin", MANIFEST]
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names)
        manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
        assert [f["name"] for f in manifest["files"]] == ["metrics.json", "model.bin"]
        assert manifest["files"][1]["size"] == 7

    def test_directory_without_manifest_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(FileNotFoundError, match="not a complete artifact directory"):
            predict.load(str(tmp_path))
