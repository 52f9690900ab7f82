"""Bring the files a data spec names to local disk: local paths as they are, S3, GCS and DVC
objects copied into a fresh directory under the cache directory first (removed after reading).

The cache directory is ``MLOPS_DATA_CACHE_DIR``, else ``${XDG_CACHE_HOME:-~/.cache}/mlops-platform/data``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ml.data.spec import DataError, DataSpec
from ml.storage import DATA_S3, S3Settings, download_tree, gcs_filesystem, s3_filesystem

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """Where remote data is fetched to before it is read."""
    explicit = os.environ.get("MLOPS_DATA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlops-platform" / "data"


@contextmanager
def materialize(spec: DataSpec, cache_dir: Path | None = None) -> Iterator[Path]:
    """Yield a local file or directory holding the data of a file-based ``spec``.

    Remote data is copied into a new directory below ``cache_dir`` and removed when the block
    ends. Raises ``DataError`` when the path does not exist or cannot be read.
    """
    if spec.data_source == "local_path":
        yield _local(spec)
        return
    if spec.data_source == "database":
        raise DataError(f"{spec.where}: a database holds tables, not files")
    root = cache_dir or default_cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"{spec.data_source}-", dir=root))
    try:
        yield _fetch(spec, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _local(spec: DataSpec) -> Path:
    path = Path(spec.path).expanduser()
    if not path.exists():
        raise DataError(f"{spec.where}: no such file or directory")
    if not os.access(path, os.R_OK):
        raise DataError(f"{spec.where}: not readable (permission denied)")
    return path.resolve()


def _fetch(spec: DataSpec, workdir: Path) -> Path:
    try:
        fs, remote = _filesystem(spec)
    except ValueError as error:
        raise DataError(f"{spec.where}: {error}") from None
    dest = workdir / "data"
    log.info("fetching %s into %s", spec.where, dest)
    try:
        return download_tree(fs, remote, dest)
    except FileNotFoundError:
        raise DataError(f"{spec.where}: no such file or directory") from None
    except PermissionError as error:
        raise DataError(f"{spec.where}: access denied ({error})") from None
    except Exception as error:  # storage clients raise many kinds; all mean "could not fetch"
        raise DataError(
            f"{spec.where}: could not be fetched ({type(error).__name__}: {error}){_hint(spec)}"
        ) from None


def _hint(spec: DataSpec) -> str:
    """What to set when a fetch failed without any credentials or endpoint configured."""
    if spec.data_source == "s3" and not any(
        os.environ.get(f"{DATA_S3}_{n}") for n in ("ENDPOINT_URL", "ACCESS_KEY_ID")
    ):
        return (
            "; no S3 endpoint or credentials are set, so AWS was tried anonymously: "
            "an admin sets them in Settings, data sources (s3_endpoint_url, s3_access_key_id, ...)"
        )
    return ""


def _filesystem(spec: DataSpec) -> tuple[Any, str]:
    if spec.data_source == "s3":
        return s3_filesystem(DATA_S3), spec.path.removeprefix("s3://")
    if spec.data_source == "gcs":
        if not os.environ.get("MLOPS_DATA_GCS_TOKEN") and not os.environ.get("MLOPS_DATA_GCS_ENDPOINT_URL"):
            # Without them gcsfs retries Google's default credentials for minutes before failing.
            raise DataError(
                f"{spec.where}: no GCS service account is set: an admin sets it in Settings, "
                "data sources (gcs_service_account_json)"
            )
        return gcs_filesystem(), spec.path.removeprefix("gs://").removeprefix("gcs://")
    if spec.data_source == "dvc":
        return _dvc_filesystem(spec), spec.path
    raise DataError(f"{spec.where}: unsupported data source")


def _dvc_filesystem(spec: DataSpec) -> Any:
    """A DVC filesystem over ``repo`` at ``rev``; its S3 remote may take the MLOPS_DATA_S3_* settings."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    from dvc.api import DVCFileSystem
    from dvc.exceptions import DvcException
    from scmrepo.exceptions import SCMError

    remote_config = S3Settings.from_env(DATA_S3).dvc_remote_config() or None
    try:
        return DVCFileSystem(spec.repo, rev=spec.rev, remote_config=remote_config)
    except (DvcException, SCMError, OSError) as error:
        raise DataError(f"{spec.where}: cannot open the repository ({error})") from None
