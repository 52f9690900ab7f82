"""Dataset fingerprints for lineage: a sha256 over the bytes actually read plus where they came from.

Files are hashed in sorted order of their path relative to the data root (their bytes only, so a
copy of the same data elsewhere has the same hash); a database result is hashed over a canonical
CSV serialisation (columns in result order, ``\\n`` line ends, no index).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ml.data.spec import DataSpec

_CHUNK = 1 << 20


def hash_files(files: Iterable[Path], root: Path) -> tuple[str, list[str]]:
    """The sha256 over ``files`` in sorted order of their path relative to ``root`` (a directory,
    or the single file itself), and those relative names."""
    base = root if root.is_dir() else root.parent
    named = sorted((path.relative_to(base).as_posix(), path) for path in files)
    digest = hashlib.sha256()
    for _, path in named:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest(), [name for name, _ in named]


def hash_bytes(payload: bytes) -> str:
    """The sha256 of ``payload`` (a canonical serialisation of a query result)."""
    return hashlib.sha256(payload).hexdigest()


def fingerprint(
    spec: DataSpec, *, sha256: str, files: list[str], rows: int, columns: int, fmt: str, **extra: Any
) -> dict[str, Any]:
    """The lineage record of one dataset: hash, origin (source, path, repo, rev, query), format,
    files read, and the shape (rows across every split, columns per row)."""
    return {
        "sha256": sha256,
        "source": spec.data_source,
        "path": spec.path,
        "repo": spec.repo,
        "rev": spec.rev,
        "query": spec.query,
        "format": fmt,
        "files": files,
        "rows": rows,
        "columns": columns,
        **extra,
    }
