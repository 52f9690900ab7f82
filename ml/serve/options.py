"""The command line of ``python -m ml.serve``: what the infra service passes when it launches one."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Options:
    """Everything the server is told at start; see ``parse`` for the flags."""

    artifact: str
    name: str
    version: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    port_file: Path | None = None
    max_batch_size: int = 32
    max_batch_wait_ms: float = 2.0
    max_body_bytes: int = 16 * 1024 * 1024
    drift_window: int = 10_000
    drift_min_window: int = 200
    drift_interval: float = 10.0
    psi_threshold: float = 0.25
    confidence_drop: float = 0.1
    threads: int | None = None


def parse(argv: list[str] | None = None) -> Options:
    """Parse the command line; exits with status 2 and a usage message on bad flags."""
    defaults = Options(artifact="", name="")
    parser = argparse.ArgumentParser(
        prog="python -m ml.serve",
        description="Serve one trained model over the Open Inference Protocol (KServe V2 REST).",
    )
    add = parser.add_argument
    add("--artifact", required=True, help="Artifact directory or s3:// prefix of the trained model.")
    add("--name", required=True, help="Model name in the /v2/models/{name} paths.")
    add("--version", default=None, help="Model version (/v2/models/{name}/versions/{version}).")
    add("--host", default=defaults.host, help="Address to listen on.")
    add("--port", type=_at_least(0), default=defaults.port, help="Port; 0 picks a free one.")
    add("--port-file", type=Path, default=None, help='Where to write {"pid","port","host"} once listening.')
    add(
        "--max-batch-size",
        type=_at_least(1),
        default=defaults.max_batch_size,
        help="Instances per model call.",
    )
    add("--max-batch-wait-ms", type=_non_negative, default=defaults.max_batch_wait_ms,
        help="Longest wait for more requests to join a batch when more are on their way.")  # fmt: skip
    add("--max-body-bytes", type=_at_least(1), default=defaults.max_body_bytes, help="Larger bodies get 413.")
    add("--drift-window", type=_at_least(1), default=defaults.drift_window, help="Instances kept for drift.")
    add("--drift-min-window", type=_at_least(1), default=defaults.drift_min_window,
        help="Instances needed before drift is judged.")  # fmt: skip
    add("--drift-interval", type=_positive, default=defaults.drift_interval, help="Seconds between checks.")
    add(
        "--psi-threshold",
        type=_positive,
        default=defaults.psi_threshold,
        help="PSI at which a feature drifted.",
    )
    add("--confidence-drop", type=_positive, default=defaults.confidence_drop,
        help="Drop of the mean top-class probability below the reference that counts as drift.")  # fmt: skip
    add("--threads", type=_at_least(1), default=None, help="Threads of one model call (default 1).")
    args = parser.parse_args(argv)
    return Options(**{name.replace("-", "_"): value for name, value in vars(args).items()})


def _at_least(minimum: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return convert


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value
