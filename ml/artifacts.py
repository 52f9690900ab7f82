"""Artifact files: writing them, the manifest that lists them, and moving them to and from storage.

An artifact directory holds the model file(s), ``metrics.json``, ``signature.json``,
``reference.json``, ``dataset.json`` and ``manifest.json``. ``manifest.json`` is written and
published last, so a directory that has it is complete. Storage is an absolute local directory or
``s3://bucket/prefix`` reached with the ``MLOPS_ARTIFACT_S3_*`` environment variables.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ml.storage import ARTIFACT_S3, download_tree, s3_filesystem

MANIFEST = "manifest.json"
_VERSIONED = ("torch", "scikit-learn", "numpy", "pandas")


def write_json(path: Path, content: Any) -> Path:
    """Write ``content`` as indented, key-sorted JSON; returns ``path``."""
    path.write_text(json.dumps(content, indent=2, sort_keys=True, allow_nan=False) + "\n")
    return path


def read_json(path: Path) -> Any:
    """Parse the JSON file at ``path``."""
    return json.loads(path.read_text())


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(directory: Path, **fields: Any) -> Path:
    """Write ``manifest.json`` listing every other file of ``directory`` (name, size, sha256), the
    installed versions of the ML libraries and of Python, plus ``fields``."""
    files = [
        {"name": path.name, "size": path.stat().st_size, "sha256": sha256_file(path)}
        for path in sorted(directory.iterdir())
        if path.is_file() and path.name != MANIFEST
    ]
    versions = {name: _version(name) for name in _VERSIONED}
    versions["python"] = platform.python_version()
    return write_json(directory / MANIFEST, {**fields, "versions": versions, "files": files})


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def publish(source: Path, artifact_uri: str) -> list[str]:
    """Copy the files of ``source`` to ``artifact_uri`` (the manifest last); returns their names."""
    names = sorted(p.name for p in source.iterdir() if p.is_file())
    ordered = [n for n in names if n != MANIFEST] + ([MANIFEST] if MANIFEST in names else [])
    if artifact_uri.startswith("s3://"):
        fs = s3_filesystem(ARTIFACT_S3)
        prefix = artifact_uri.removeprefix("s3://").rstrip("/")
        for name in ordered:
            fs.put_file(str(source / name), f"{prefix}/{name}")
        return ordered
    target = Path(artifact_uri)
    target.mkdir(parents=True, exist_ok=True)
    for name in ordered:
        shutil.copyfile(source / name, target / f".{name}.partial")
        (target / f".{name}.partial").replace(target / name)
    return ordered


@contextmanager
def fetched(artifact_uri: str) -> Iterator[Path]:
    """Yield a local directory with the artifacts of ``artifact_uri`` (a temporary copy for S3,
    removed when the block ends). Raises ``FileNotFoundError`` when there is no manifest."""
    if not artifact_uri.startswith("s3://"):
        directory = Path(artifact_uri)
        if not (directory / MANIFEST).is_file():
            raise FileNotFoundError(f"{artifact_uri}: no {MANIFEST}; not a complete artifact directory")
        yield directory
        return
    with tempfile.TemporaryDirectory(prefix="mlops-artifacts-") as tmp:
        fs = s3_filesystem(ARTIFACT_S3)
        prefix = artifact_uri.removeprefix("s3://").rstrip("/")
        if not fs.exists(f"{prefix}/{MANIFEST}"):
            raise FileNotFoundError(f"{artifact_uri}: no {MANIFEST}; not a complete artifact directory")
        yield download_tree(fs, prefix, Path(tmp) / "artifacts")
