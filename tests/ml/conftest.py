"""Fixtures of the ml tests: the real sample datasets, a moto S3 server, PostgreSQL, a GCS fake."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from ml import samples
from tests.ml import factories
from tests.ml.gcs_fake import FakeGcs


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A platform home with the sample datasets installed (the real MNIST and breast-cancer table)."""
    directory = tmp_path_factory.mktemp("home")
    samples.install(directory)
    return directory


@pytest.fixture(scope="session")
def mnist(home: Path) -> factories.Mnist:
    return factories.read_mnist(home / samples.MNIST_PATH)


@pytest.fixture(scope="session")
def breast_cancer_csv(home: Path) -> Path:
    return home / samples.BREAST_CANCER_PATH


@pytest.fixture(autouse=True)
def data_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Remote data is fetched below the test's own directory."""
    cache = tmp_path / "data-cache"
    monkeypatch.setenv("MLOPS_DATA_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, str]:
    """A new bucket on the moto server, with the data and artifact S3 settings pointing at it."""
    for prefix in ("MLOPS_DATA_S3", "MLOPS_ARTIFACT_S3"):
        monkeypatch.setenv(f"{prefix}_ENDPOINT_URL", moto_endpoint)
        monkeypatch.setenv(f"{prefix}_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv(f"{prefix}_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv(f"{prefix}_REGION", "us-east-1")
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
        region_name="us-east-1",
    )  # fmt: skip
    bucket = f"bucket-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


@pytest.fixture
def database_table(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A table name in a new test database (dropped afterwards), with the data URL set to it."""
    import sqlalchemy as sa

    name = f"ml_test_{uuid.uuid4().hex[:10]}"
    url = postgres_url.replace("+asyncpg", "+psycopg", 1)
    monkeypatch.setenv("MLOPS_DATA_DATABASE_URL", url)
    engine = sa.create_engine(url)
    try:
        yield name
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
        engine.dispose()


@pytest.fixture
def gcs(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGcs]:
    """A fake GCS JSON API and OAuth token endpoint, with the MLOPS_DATA_GCS_* settings pointing at it."""
    with FakeGcs() as fake:
        monkeypatch.setenv("MLOPS_DATA_GCS_TOKEN", fake.service_account_json())
        monkeypatch.setenv("MLOPS_DATA_GCS_PROJECT", "test-project")
        monkeypatch.setenv("MLOPS_DATA_GCS_ENDPOINT_URL", fake.url)
        yield fake
