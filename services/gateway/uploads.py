"""Models uploaded by people: a zip of a model's files, checked, stored in the artifact store.

The zip holds what a trainer writes (``model.pt`` + ``model.json`` for PyTorch types,
``model.joblib`` for scikit-learn ones; ``metrics.json``, ``signature.json``, ``dataset.json``
when there are). It lands under ``<store>/uploads/<sha256 of the zip>/``, so the same bytes are
stored once; each upload still registers a new version.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from starlette.requests import Request

from ml import catalog
from services.gateway.artifacts import s3_options
from services.gateway.gateway import Gateway
from services.kit.errors import InvalidRequest

MAX_FILES = 1000
REQUIRED = {"pytorch": ("model.pt", "model.json"), "sklearn": ("model.joblib",)}


@dataclass
class Upload:
    """A stored upload: where it is and what its files say about the model."""

    artifact_uri: str
    sha256: str
    metrics: dict[str, float] = field(default_factory=dict)
    signature: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=dict)


async def receive(request: Request) -> tuple[IO[bytes], str]:
    """The request body in a spooled file, and its sha256 (``BodyLimit`` bounds its size)."""
    spooled = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)
    digest = hashlib.sha256()
    async for chunk in request.stream():
        digest.update(chunk)
        await asyncio.to_thread(spooled.write, chunk)
    spooled.seek(0)
    return spooled, digest.hexdigest()


async def store(gateway: Gateway, body: IO[bytes], sha256: str, model_type: str) -> Upload:
    """Check the zip against ``model_type`` and put its files in the artifact store."""
    try:
        framework = catalog.get(model_type).framework
    except catalog.UnknownModelType:
        known = ", ".join(sorted(catalog.MODEL_CONFIGURATIONS))
        raise InvalidRequest(
            f"unknown model type {model_type!r}; known: {known}", field="model_type"
        ) from None
    try:
        files = await asyncio.to_thread(_read_zip, body, REQUIRED.get(framework, ()))
    finally:
        body.close()
    values = (
        (await gateway.platform_settings.reveal("artifact_store", None)).values
        if gateway.platform_settings
        else {}
    )
    name = f"uploads/{sha256[:32]}"
    if values.get("kind") == "s3":
        uri = f"s3://{values['bucket']}/{name}"
        await asyncio.to_thread(_put_s3, uri, files, s3_options(values))
    else:
        root = (
            Path(values["local_path"])
            if values.get("local_path")
            else gateway.settings.home.resolve() / "artifacts"
        )
        uri = str(root / name)
        await asyncio.to_thread(_put_local, Path(uri), files)
    return Upload(
        artifact_uri=uri,
        sha256=sha256,
        metrics=_numbers(_json(files, "metrics.json").get("final", _json(files, "metrics.json"))),
        signature=_json(files, "signature.json"),
        dataset=_json(files, "dataset.json"),
    )


def _read_zip(body: IO[bytes], required: tuple[str, ...]) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(body)
    except zipfile.BadZipFile:
        raise InvalidRequest("the body is not a zip file", field="body") from None
    entries = [e for e in archive.infolist() if not e.is_dir()]
    if len(entries) > MAX_FILES:
        raise InvalidRequest(f"the zip holds more than {MAX_FILES} files", field="body")
    files: dict[str, bytes] = {}
    for entry in entries:
        path = PurePosixPath(entry.filename)
        if path.is_absolute() or ".." in path.parts:
            raise InvalidRequest(f"{entry.filename}: paths in the zip must stay inside it", field="body")
        files[path.as_posix()] = archive.read(entry)
    if files and all("/" in n for n in files) and len({n.split("/", 1)[0] for n in files}) == 1:
        files = {n.split("/", 1)[1]: data for n, data in files.items()}  # a zipped folder: drop it
    missing = [name for name in required if name not in files]
    if missing:
        raise InvalidRequest(
            f"the zip lacks {', '.join(missing)}: this model type needs {', '.join(required)}", field="body"
        )
    return files


def _put_local(directory: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _put_s3(uri: str, files: dict[str, bytes], options: dict[str, Any]) -> None:
    import fsspec

    filesystem = fsspec.filesystem("s3", **options)
    prefix = uri.removeprefix("s3://")
    for name, data in files.items():
        filesystem.pipe_file(f"{prefix}/{name}", data)


def _json(files: dict[str, bytes], name: str) -> dict[str, Any]:
    try:
        value = json.loads(files[name])
    except (KeyError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _numbers(values: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)}
