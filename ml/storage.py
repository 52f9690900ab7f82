"""Object storage access shared by data sources and artifacts: S3 and GCS filesystems built from
environment variables only, and whole-tree copies between a filesystem and a local directory.

S3 settings come from ``<PREFIX>_ENDPOINT_URL``, ``<PREFIX>_ACCESS_KEY_ID``,
``<PREFIX>_SECRET_ACCESS_KEY`` and ``<PREFIX>_REGION`` with the prefix ``MLOPS_DATA_S3`` (data) or
``MLOPS_ARTIFACT_S3`` (artifacts). Without a key pair the default AWS credential chain is used,
and anonymous access when that chain finds nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_S3 = "MLOPS_DATA_S3"
ARTIFACT_S3 = "MLOPS_ARTIFACT_S3"


@dataclass(frozen=True)
class S3Settings:
    """S3 connection settings read from one family of environment variables."""

    endpoint_url: str | None
    access_key_id: str | None
    secret_access_key: str | None
    region: str | None

    @classmethod
    def from_env(cls, prefix: str) -> S3Settings:
        def read(name: str) -> str | None:
            return os.environ.get(f"{prefix}_{name}") or None

        return cls(read("ENDPOINT_URL"), read("ACCESS_KEY_ID"), read("SECRET_ACCESS_KEY"), read("REGION"))

    def dvc_remote_config(self) -> dict[str, str]:
        """The same settings in the names a DVC S3 remote uses (only those that are set)."""
        pairs = {
            "endpointurl": self.endpoint_url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "region": self.region,
        }
        return {key: value for key, value in pairs.items() if value}


def s3_filesystem(prefix: str) -> Any:
    """An ``s3fs.S3FileSystem`` configured from the ``prefix`` environment variables."""
    import s3fs

    settings = S3Settings.from_env(prefix)
    kwargs: dict[str, Any] = {"skip_instance_cache": True}
    if settings.access_key_id and settings.secret_access_key:
        kwargs.update(key=settings.access_key_id, secret=settings.secret_access_key)
    elif not _aws_default_chain_has_credentials():
        kwargs["anon"] = True
    if settings.endpoint_url:
        kwargs["endpoint_url"] = settings.endpoint_url
    if settings.region:
        kwargs["client_kwargs"] = {"region_name": settings.region}
    return s3fs.S3FileSystem(**kwargs)


def _aws_default_chain_has_credentials() -> bool:
    import botocore.session

    return botocore.session.get_session().get_credentials() is not None


def gcs_filesystem() -> Any:
    """A ``gcsfs.GCSFileSystem`` from ``MLOPS_DATA_GCS_TOKEN`` (service-account JSON content, kept
    in memory, never written to disk), ``MLOPS_DATA_GCS_PROJECT`` and the optional
    ``MLOPS_DATA_GCS_ENDPOINT_URL`` (an emulator or private endpoint). Without a token gcsfs tries
    the Google default credentials, then anonymous access. Raises ``ValueError`` for a token that is
    not a JSON object or that the token endpoint refuses."""
    import gcsfs
    import gcsfs.core

    raw = os.environ.get("MLOPS_DATA_GCS_TOKEN") or None
    token: dict[str, Any] | None = None
    if raw is not None:
        try:
            token = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(f"MLOPS_DATA_GCS_TOKEN is not valid JSON ({error.msg})") from None
        if not isinstance(token, dict):
            raise ValueError("MLOPS_DATA_GCS_TOKEN must hold a service-account JSON object")
    endpoint = os.environ.get("MLOPS_DATA_GCS_ENDPOINT_URL") or None
    # gcsfs's default class asks Google's gRPC control plane for each bucket's layout, which an
    # emulator or private endpoint does not serve: there, the JSON-API client is used alone.
    kind = gcsfs.core.GCSFileSystem if endpoint else gcsfs.GCSFileSystem
    fs = kind(
        project=os.environ.get("MLOPS_DATA_GCS_PROJECT") or None,
        token=token,
        endpoint_url=endpoint,
        skip_instance_cache=True,
    )
    if token is not None:
        _check_gcs_token(fs)
    return fs


def _check_gcs_token(fs: Any) -> None:
    """Get an access token now: gcsfs would retry a refused key for a minute on every request."""
    try:
        fs.credentials.maybe_refresh()
    except Exception as error:
        cause = error.__cause__ or error
        raise ValueError(f"the service account in MLOPS_DATA_GCS_TOKEN was refused ({cause})") from None


def download_tree(fs: Any, remote: str, dest: Path) -> Path:
    """Copy the file ``remote``, or every file below the directory ``remote``, into ``dest``.

    A file lands at ``dest/<its name>`` and that path is returned; a directory's files keep their
    relative paths below ``dest``, which is returned. Raises ``FileNotFoundError`` when nothing
    exists there.
    """
    remote = remote.rstrip("/")
    dest.mkdir(parents=True, exist_ok=True)
    if fs.isfile(remote):
        target = dest / Path(remote).name
        fs.get_file(remote, str(target))
        return target
    files = sorted(str(name) for name in fs.find(remote))
    if not files:
        raise FileNotFoundError(remote)
    base = str(fs._strip_protocol(remote)).rstrip("/") + "/"
    for name in files:
        target = dest / str(fs._strip_protocol(name)).removeprefix(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(name, str(target))
    return dest
