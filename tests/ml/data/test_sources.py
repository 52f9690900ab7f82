"""Data sources against real servers: S3 on moto, a DVC repository with a local remote, PostgreSQL,
and GCS through a wire-level fake (no GCS emulator installs here)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from ml.data.images import load_images
from ml.data.sources import materialize
from ml.data.spec import DataError, DataSpec
from ml.data.tables import load_table, read_table
from tests.ml import factories
from tests.ml.factories import Mnist
from tests.ml.gcs_fake import FakeGcs

SPLIT = {"validation_fraction": 0.2, "test_fraction": 0.2, "seed": 5}


def spec(**fields: str | None) -> DataSpec:
    return DataSpec.parse(fields)


class TestSpec:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"data_source": "ftp", "path": "x"},
                "data_source 'ftp' is not one of local_path, s3, gcs, dvc, database",
            ),
            ({"data_source": "s3"}, "s3: no path given"),
            ({"data_source": "s3", "path": "b/k", "colour": "red"}, "unknown field(s) colour"),
            ({"data_source": "s3", "path": "b/k", "format": "xlsx"}, "format 'xlsx' is not one of"),
            ({"data_source": "s3", "path": "b/k", "repo": "x"}, "repo applies to the dvc source only"),
        ],
    )
    def test_bad_spec(self, raw: dict, message: str) -> None:
        with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
            DataSpec.parse(raw)


class TestS3:
    def test_reads_a_csv_object(self, s3_bucket: tuple, breast_cancer_csv: Path, data_cache: Path) -> None:
        client, bucket = s3_bucket
        client.upload_file(str(breast_cancer_csv), bucket, "tables/bc.csv")
        splits = load_table(
            spec(data_source="s3", path=f"s3://{bucket}/tables/bc.csv"),
            target="target",
            features=None,
            **SPLIT,
        )
        assert len(splits.train[1]) == 341
        assert splits.fingerprint["sha256"] == hashlib.sha256(breast_cancer_csv.read_bytes()).hexdigest()
        assert splits.fingerprint["source"] == "s3"
        assert list(data_cache.iterdir()) == [], "the fetched copy is removed after reading"

    def test_reads_an_idx_directory_without_the_scheme(
        self, s3_bucket: tuple, tmp_path: Path, mnist: Mnist
    ) -> None:
        client, bucket = s3_bucket
        directory = factories.write_idx_dir(tmp_path / "idx", mnist.subset(300, 0, 50), gz=True)
        for file in directory.iterdir():
            client.upload_file(str(file), bucket, f"mnist/raw/{file.name}")
        splits = load_images(spec(data_source="s3", path=f"{bucket}/mnist/raw"), seed=1)
        assert (len(splits.train[1]) + len(splits.validation[1]), len(splits.test[1])) == (300, 50)
        assert len(splits.fingerprint["files"]) == 4

    def test_missing_object(self, s3_bucket: tuple) -> None:
        _, bucket = s3_bucket
        with pytest.raises(DataError, match=rf"^s3 s3://{bucket}/nope\.csv: no such file or directory$"):
            read_table(spec(data_source="s3", path=f"s3://{bucket}/nope.csv"))


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory, breast_cancer_csv: Path) -> Path:
    """A git + DVC repository whose table was pushed to a local remote and removed from the workspace."""
    root = tmp_path_factory.mktemp("dvc")
    repo, remote = root / "repo", root / "remote"
    repo.mkdir()
    dvc = [sys.executable, "-m", "dvc"]
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    for command in (
        ["git", "init", "-q"],
        [*dvc, "init", "-q"],
        [*dvc, "remote", "add", "-d", "store", str(remote)],
    ):
        subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
    (repo / "data").mkdir()
    shutil.copy(breast_cancer_csv, repo / "data" / "bc.csv")
    for command in (
        [*dvc, "add", "-q", "data/bc.csv"],
        [*dvc, "push", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "data"],
    ):
        subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
    (repo / "data" / "bc.csv").unlink()
    return repo


class TestDvc:
    @pytest.fixture
    def repo(self, pushed: Path) -> Path:
        """The pushed repository with an empty cache, so reading must go to the remote."""
        shutil.rmtree(pushed / ".dvc" / "cache", ignore_errors=True)
        return pushed

    def test_reads_through_the_remote(self, repo: Path, breast_cancer_csv: Path) -> None:
        assert not (repo / "data" / "bc.csv").exists() and not (repo / ".dvc" / "cache").exists()
        frame, record = read_table(spec(data_source="dvc", path="data/bc.csv", repo=str(repo), rev="HEAD"))
        assert frame.shape == (569, 31)
        assert record["sha256"] == hashlib.sha256(breast_cancer_csv.read_bytes()).hexdigest()
        assert (record["source"], record["repo"], record["rev"]) == ("dvc", str(repo), "HEAD")

    def test_reads_from_a_git_url(self, repo: Path) -> None:
        frame, _ = read_table(spec(data_source="dvc", path="data/bc.csv", repo=f"file://{repo}"))
        assert frame.shape == (569, 31)

    def test_unknown_revision(self, repo: Path) -> None:
        with pytest.raises(
            DataError, match=r"dvc data/bc\.csv in .* at v9: could not be fetched .*unknown Git revision 'v9'"
        ):
            read_table(spec(data_source="dvc", path="data/bc.csv", repo=str(repo), rev="v9"))

    def test_missing_path(self, repo: Path) -> None:
        with pytest.raises(DataError, match=r"dvc data/other\.csv in .*: no such file or directory"):
            read_table(spec(data_source="dvc", path="data/other.csv", repo=str(repo)))


class TestDatabase:
    @pytest.fixture
    def table(self, database_table: str, breast_cancer_csv: Path) -> str:
        engine = sa.create_engine(os.environ["MLOPS_DATA_DATABASE_URL"])
        pd.read_csv(breast_cancer_csv).to_sql(database_table, engine, index=False)
        engine.dispose()
        return database_table

    def test_reads_a_table(self, table: str) -> None:
        splits = load_table(spec(data_source="database", path=table), target="target", features=None, **SPLIT)
        again = load_table(
            spec(data_source="database", path=f"public.{table}"), target="target", features=None, **SPLIT
        )
        assert len(splits.train[1]) == 341 and splits.fingerprint["format"] == "database"
        assert splits.fingerprint["sha256"] == again.fingerprint["sha256"]

    def test_reads_a_query(self, table: str) -> None:
        query = f'SELECT "mean radius", "mean texture", target FROM {table} WHERE "mean area" > 300'
        frame, record = read_table(spec(data_source="database", query=query))
        assert list(frame.columns) == ["mean radius", "mean texture", "target"] and 0 < len(frame) < 569
        assert record["query"] == query and record["rows"] == len(frame)

    def test_writes_are_refused(self, table: str) -> None:
        with pytest.raises(DataError, match="only one SELECT statement is allowed"):
            read_table(spec(data_source="database", query=f"DELETE FROM {table}"))
        sneaky = f"WITH gone AS (DELETE FROM {table} RETURNING *) SELECT * FROM gone"
        with pytest.raises(DataError, match=r"the database refused the read .*read-only transaction"):
            read_table(spec(data_source="database", query=sneaky))
        assert len(read_table(spec(data_source="database", path=table))[0]) == 569

    def test_bad_table_names(self, database_table: str) -> None:
        with pytest.raises(DataError, match=r"'x; DROP TABLE y' is not a table name"):
            read_table(spec(data_source="database", path="x; DROP TABLE y"))
        with pytest.raises(
            DataError, match=rf'the database refused the read \(relation "{database_table}" does not exist\)'
        ):
            read_table(spec(data_source="database", path=database_table))

    def test_needs_the_url_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("MLOPS_DATA_DATABASE_URL", raising=False)
        with pytest.raises(DataError, match="no database URL is set: an admin sets database_url in Settings"):
            read_table(spec(data_source="database", path="anything"))


class TestGcs:
    def test_reads_an_object_with_service_account_credentials(
        self, gcs: FakeGcs, mnist: Mnist, tmp_path: Path
    ) -> None:
        path = factories.write_npz(tmp_path / "digits.npz", mnist.subset(200, 0, 40))
        gcs.put("digits", "sets/digits.npz", path.read_bytes())
        splits = load_images(spec(data_source="gcs", path="gs://digits/sets/digits.npz"), seed=1)
        assert len(splits.test[1]) == 40 and gcs.token_requests >= 1
        assert splits.fingerprint["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    def test_reads_a_directory(self, gcs: FakeGcs, mnist: Mnist, tmp_path: Path) -> None:
        directory = factories.write_idx_dir(tmp_path / "idx", mnist.subset(100, 0, 20), gz=False)
        for file in directory.iterdir():
            gcs.put("digits", f"idx/{file.name}", file.read_bytes())
        with materialize(spec(data_source="gcs", path="gs://digits/idx")) as local:
            assert sorted(p.name for p in local.iterdir()) == sorted(p.name for p in directory.iterdir())
            np.testing.assert_array_equal(
                np.frombuffer((local / "t10k-labels-idx1-ubyte").read_bytes()[8:], np.uint8),
                mnist.test[1][:20],
            )

    def test_missing_object(self, gcs: FakeGcs) -> None:
        with pytest.raises(DataError, match=r"^gcs gs://digits/none\.csv: no such file or directory$"):
            read_table(spec(data_source="gcs", path="gs://digits/none.csv"))

    def test_wrong_key_is_an_access_error(self, gcs: FakeGcs, monkeypatch: pytest.MonkeyPatch) -> None:
        with FakeGcs() as other:  # a service account whose key the server does not know
            monkeypatch.setenv(
                "MLOPS_DATA_GCS_TOKEN", other.service_account_json().replace(other.url, gcs.url)
            )
        with pytest.raises(
            DataError,
            match=r"gcs gs://digits/a\.csv: the service account in MLOPS_DATA_GCS_TOKEN was refused",
        ):
            read_table(spec(data_source="gcs", path="gs://digits/a.csv"))

    def test_token_that_is_not_json(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MLOPS_DATA_GCS_TOKEN", "not json")
        with pytest.raises(DataError, match=r"gcs gs://b/a\.csv: MLOPS_DATA_GCS_TOKEN is not valid JSON"):
            read_table(spec(data_source="gcs", path="gs://b/a.csv"))

    def test_without_credentials_it_says_where_to_set_them(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("MLOPS_DATA_GCS_TOKEN", "MLOPS_DATA_GCS_ENDPOINT_URL"):
            monkeypatch.delenv(name, raising=False)
        with pytest.raises(
            DataError, match=r"gcs gs://b/a\.csv: no GCS service account is set: an admin sets"
        ):
            read_table(spec(data_source="gcs", path="gs://b/a.csv"))
