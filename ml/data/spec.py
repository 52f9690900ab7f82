"""The data spec a job names its data with, and the error raised for bad data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

Source = Literal["local_path", "s3", "gcs", "dvc", "database"]
SOURCES: tuple[str, ...] = ("local_path", "s3", "gcs", "dvc", "database")
FORMATS: tuple[str, ...] = ("csv", "parquet", "pkl", "npz", "idx")


class DataError(Exception):
    """Data that cannot be used. The message says where (source and path, file or column) and
    what was wrong, in words meant for the person who chose the data."""


@dataclass(frozen=True)
class DataSpec:
    """Where a job's data lives.

    ``path`` is a file or directory (``local_path``; a relative path is taken from the working
    directory: run the trainer in the platform home for the catalog's sample paths), ``s3://bucket/key`` or ``bucket/key`` (``s3``),
    ``gs://bucket/key`` (``gcs``), a path inside a DVC repository (``dvc``, with ``repo`` a git URL or
    local directory and ``rev`` any git revision), or a table name (``database``, unless ``query``
    holds a SELECT). ``format`` is guessed from the name when omitted.
    """

    data_source: Source
    path: str = ""
    repo: str | None = None
    rev: str | None = None
    query: str | None = None
    format: str | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> DataSpec:
        """Build a spec from its JSON form; raises ``DataError`` for unknown keys or sources."""
        if not isinstance(raw, Mapping):
            raise DataError("the data spec must be an object with data_source and path")
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise DataError(f"data spec: unknown field(s) {', '.join(unknown)}")
        source = raw.get("data_source")
        if source not in SOURCES:
            raise DataError(f"data spec: data_source {source!r} is not one of {', '.join(SOURCES)}")
        spec = cls(**{key: raw[key] for key in raw if raw[key] is not None})
        spec._check()
        return spec

    def _check(self) -> None:
        for name in ("path", "repo", "rev", "query", "format"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise DataError(f"data spec: {name} must be text")
        if not self.path and not (self.data_source == "database" and self.query):
            raise DataError(f"{self.data_source}: no path given")
        if self.format is not None and self.format not in FORMATS:
            raise DataError(f"{self.where}: format {self.format!r} is not one of {', '.join(FORMATS)}")
        if self.repo and self.data_source != "dvc":
            raise DataError(f"{self.where}: repo applies to the dvc source only")

    @property
    def where(self) -> str:
        """The source and location in words, as error messages start."""
        if self.data_source == "dvc":
            at = f" at {self.rev}" if self.rev else ""
            return f"dvc {self.path} in {self.repo or 'the current repository'}{at}"
        if self.data_source == "database" and self.query:
            return "database query"
        return f"{self.data_source} {self.path}"

    def describe(self) -> dict[str, Any]:
        """The spec's fields for lineage records (``None`` where unset)."""
        return asdict(self)


def guess_format(name: str) -> str | None:
    """The format a file or directory name suggests, or ``None``."""
    lowered = PurePosixPath(name.rstrip("/")).name.lower()
    for suffix in (".gz", ".bz2", ".xz", ".zip"):
        lowered = lowered.removesuffix(suffix)
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".parquet", ".pq")):
        return "parquet"
    if lowered.endswith((".pkl", ".pickle")):
        return "pkl"
    if lowered.endswith(".npz"):
        return "npz"
    if "ubyte" in lowered or lowered.endswith(".idx"):
        return "idx"
    return None
