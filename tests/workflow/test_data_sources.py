"""Runs on remote data and a remote artifact store, with the credentials from Settings only."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import sqlalchemy as sa

from tests.workflow.conftest import execute, finished

SECRET = "moto-secret-key-for-tests-0123456789"


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )  # fmt: skip


class TestRemoteData:
    async def test_s3_data_and_s3_artifacts_with_credentials_from_settings(
        self, workflow_platform: Any, moto_endpoint: str, datasets: Path, tmp_path: Path
    ) -> None:
        client = s3_client(moto_endpoint)
        bucket = f"data-{uuid.uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket)
        client.upload_file(str(datasets / "breast_cancer" / "breast_cancer.csv"), bucket, "tables/bc.csv")
        async with workflow_platform() as platform:
            for group, values in (
                (
                    "data_sources",
                    {"s3_endpoint_url": moto_endpoint, "s3_region": "us-east-1"}
                    | {"s3_access_key_id": "testing", "s3_secret_access_key": SECRET},
                ),
                (
                    "artifact_store",
                    {"kind": "s3", "s3_endpoint_url": moto_endpoint, "bucket": bucket, "region": "us-east-1"}
                    | {"access_key_id": "testing", "secret_access_key": SECRET},
                ),
            ):
                response = await platform.http.put(f"/api/settings/{group}", json=values)
                assert response.status_code == 200, response.text
            job_id = await execute(
                platform.http,
                model_type="tabular_sklearn_classifier",
                training={"epochs": 2},
                data={"data_source": "s3", "path": f"s3://{bucket}/tables/bc.csv"},
            )
            run = await finished(platform.http, job_id)
        assert run["status"] == "succeeded", run
        assert run["dataset"]["source"] == "s3"
        assert run["artifact_uri"] == f"s3://{bucket}/runs/{job_id}"
        stored = {
            o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=f"runs/{job_id}/")["Contents"]
        }
        assert {
            f"runs/{job_id}/{name}" for name in ("model.joblib", "manifest.json", "reference.json")
        } <= stored
        run_dir = tmp_path / "home" / "runs" / job_id
        for name in ("job.json", "output.log", "events.jsonl"):
            assert SECRET not in (run_dir / name).read_text(), name

    async def test_a_database_table_with_the_url_from_settings(
        self, workflow_platform: Any, postgres_url: str, datasets: Path
    ) -> None:
        url = postgres_url.replace("+asyncpg", "+psycopg", 1)
        engine = sa.create_engine(url)
        pd.read_csv(datasets / "breast_cancer" / "breast_cancer.csv").to_sql("patients", engine, index=False)
        engine.dispose()
        async with workflow_platform() as platform:
            response = await platform.http.put("/api/settings/data_sources", json={"database_url": url})
            assert response.status_code == 200, response.text
            job_id = await execute(
                platform.http,
                model_type="tabular_sklearn_classifier",
                training={"epochs": 1, "params": {"estimator": "logistic_regression"}},
                data={"data_source": "database", "path": "patients"},
            )
            run = await finished(platform.http, job_id)
            masked = (await platform.http.get("/api/settings/data_sources")).json()
        assert run["status"] == "succeeded", run
        assert run["dataset"]["source"] == "database" and run["dataset"]["rows"] == 569
        assert masked["database_url"]["set"] is True and "postgres" not in str(masked)
