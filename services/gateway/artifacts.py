"""A version's artifact files as one zip, read from the artifact store the settings name.

Local store: a directory on this machine. S3-compatible store: read with fsspec/s3fs and the
store's credentials from the settings (the gateway keeps them). The zip is built in a thread into
a spooled temporary file (memory up to 8 MiB, disk beyond) and streamed from there.
"""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from services.gateway.gateway import Gateway
from services.kit.errors import NotFound, Unavailable

CHUNK = 256 * 1024


async def artifact_archive(gateway: Gateway, uri: str) -> AsyncIterator[bytes]:
    """The files under ``uri`` as zip bytes; ``NotFound`` when nothing is there."""
    if uri.startswith("s3://"):
        options = await _s3_options(gateway)
        spooled = await asyncio.to_thread(_zip_s3, uri, options)
    else:
        spooled = await asyncio.to_thread(_zip_directory, Path(uri))
    return _stream(spooled)


async def _s3_options(gateway: Gateway) -> dict[str, Any]:
    platform_settings = gateway.platform_settings
    if platform_settings is None:
        raise Unavailable("the settings are not loaded yet")
    return s3_options((await platform_settings.reveal("artifact_store", None)).values)


def s3_options(values: dict[str, Any]) -> dict[str, Any]:
    """fsspec options for the S3 artifact store described by the ``artifact_store`` settings."""
    options: dict[str, Any] = {"key": values.get("access_key_id"), "secret": values.get("secret_access_key")}
    client: dict[str, Any] = {}
    if values.get("s3_endpoint_url"):
        client["endpoint_url"] = values["s3_endpoint_url"]
    if values.get("region"):
        client["region_name"] = values["region"]
    return {**{k: v for k, v in options.items() if v}, "client_kwargs": client}


def _zip_directory(root: Path) -> IO[bytes]:
    if not root.is_dir():
        raise NotFound(f"the artifact files are not at {root} any more", field="model_id")
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)
    with zipfile.ZipFile(spooled, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    spooled.seek(0)
    return spooled


def _zip_s3(uri: str, options: dict[str, Any]) -> IO[bytes]:
    try:
        import fsspec
    except ImportError:  # the control plane image may come without the storage clients
        raise Unavailable("reading the S3 artifact store needs s3fs (the ml extra) on the gateway") from None
    filesystem = fsspec.filesystem("s3", **options)
    prefix = uri.removeprefix("s3://").rstrip("/")
    files = [f for f in filesystem.find(prefix) if not f.endswith("/")]
    if not files:
        raise NotFound(f"no artifact files under {uri}", field="model_id")
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)
    with zipfile.ZipFile(spooled, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            archive.writestr(name[len(prefix) + 1 :], filesystem.cat_file(name))
    spooled.seek(0)
    return spooled


async def _stream(spooled: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(spooled.read, CHUNK):
            yield chunk
    finally:
        spooled.close()
