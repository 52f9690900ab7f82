"""Registering an uploaded model: a zip of a trainer's files, checked and stored."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ml import samples


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real tabular model trained by the trainer on the breast-cancer sample: its artifact folder."""
    home = tmp_path_factory.mktemp("upload")
    samples.install(home)
    out = home / "artifact"
    job = {
        "job_id": "upload-1",
        "model_type": "tabular_sklearn_classifier",
        "epochs": 1,
        "batch_size": 64,
        "params": {"estimator": "logistic_regression"},
        "data": {"data_source": "local_path", "path": str(home / samples.BREAST_CANCER_PATH)},
        "artifact_uri": str(out),
        "seed": 3,
        "threads": 1,
    }
    subprocess.run(
        [sys.executable, "-m", "ml.train", "--job-json", json.dumps(job)], check=True, capture_output=True
    )
    return out


def zipped(folder: Path, skip: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.name not in skip:
                archive.write(path, f"model/{path.name}")
    return buffer.getvalue()


class TestUpload:
    async def test_an_uploaded_zip_becomes_a_version_whose_files_download_back(
        self, platform_factory: Any, trained: Path
    ) -> None:
        async with platform_factory(services=("registry",)) as platform:
            http = platform.http
            response = await http.post(
                "/api/models/cancer/versions",
                params={"model_type": "tabular_sklearn_classifier", "description": "from a notebook"},
                content=zipped(trained),
                headers={"content-type": "application/zip"},
            )
            assert response.status_code == 200, response.text
            model_id = response.json()["result"]["model_id"]
            version = (await http.get(f"/api/model-versions/{model_id}")).json()
            download = await http.get(f"/api/model-versions/{model_id}/artifact")
            again = await http.post(
                "/api/models/cancer/versions",
                params={"model_type": "tabular_sklearn_classifier"},
                content=zipped(trained),
            )
        expected = json.loads((trained / "metrics.json").read_text())["final"]
        assert version["job_id"] is None and version["description"] == "from a notebook"
        assert version["metrics"] == pytest.approx(expected)
        assert version["timeline"][0]["note"] == "uploaded"
        files = zipfile.ZipFile(io.BytesIO(download.content))
        assert files.read("model.joblib") == (trained / "model.joblib").read_bytes()
        assert again.json()["result"]["version"] == 2

    async def test_bad_uploads_are_refused_saying_why(self, platform_factory: Any, trained: Path) -> None:
        async with platform_factory(services=("registry",), max_upload_bytes=200_000) as platform:
            http = platform.http

            async def upload(body: bytes, model_type: str = "tabular_sklearn_classifier") -> Any:
                return await http.post(
                    "/api/models/cancer/versions", params={"model_type": model_type}, content=body
                )

            not_zip = await upload(b"just text")
            no_model = await upload(zipped(trained, skip=("model.joblib",)))
            wrong_type = await upload(zipped(trained), "mnist_pytorch_cnn")
            unknown = await upload(zipped(trained), "no_such_type")
            too_big = await upload(b"x" * 300_000)
            listed = (await http.get("/api/mlops/models")).json()
        assert not_zip.status_code == 422 and not_zip.json()["field"] == "body"
        assert no_model.status_code == 422 and "lacks model.joblib" in no_model.json()["detail"]
        assert wrong_type.status_code == 422 and "model.pt" in wrong_type.json()["detail"]
        assert unknown.status_code == 422 and unknown.json()["field"] == "model_type"
        assert too_big.status_code == 413
        assert listed["total"] == 0
