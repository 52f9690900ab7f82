"""Factories for the ml tests: real-MNIST subsets in every file format, jobs, trainer runs."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Mnist:
    """The real MNIST as the classic pickle holds it: float32 Nx784 in [0, 1), int64 labels."""

    train: Split
    validation: Split
    test: Split

    def subset(self, train: int, validation: int, test: int) -> Mnist:
        """The first ``n`` examples of each split."""
        return Mnist(_head(self.train, train), _head(self.validation, validation), _head(self.test, test))

    def as_uint8(self, split: Split) -> Split:
        """A split with pixels back in 0-255 bytes, as IDX and many .npz files hold them."""
        return (np.round(split[0] * 255).astype(np.uint8).reshape(-1, 28, 28), split[1].astype(np.uint8))


def _head(split: Split, count: int) -> Split:
    return split[0][:count], split[1][:count]


def read_mnist(path: Path) -> Mnist:
    with gzip.open(path, "rb") as handle:
        train, validation, test = pickle.load(handle, encoding="latin1")
    return Mnist(tuple(train), tuple(validation), tuple(test))  # type: ignore[arg-type]


def write_pickle(path: Path, data: Mnist, *, splits: int = 3) -> Path:
    """The classic ``(train, validation, test)`` pickle, gzipped (``splits=2`` leaves out validation)."""
    content = (data.train, data.validation, data.test) if splits == 3 else (data.train, data.test)
    with gzip.open(path, "wb") as handle:
        pickle.dump(content, handle, protocol=2)
    return path


def write_npz(path: Path, data: Mnist, *, uint8: bool = True, validation: bool = False) -> Path:
    """An ``.npz`` with x_train, y_train, x_test, y_test (and x_val, y_val when asked)."""

    def pixels(split: Split) -> Split:
        return data.as_uint8(split) if uint8 else (split[0].reshape(-1, 28, 28), split[1])

    arrays = {}
    for name, split in (("train", data.train), ("test", data.test)) + (
        (("val", data.validation),) if validation else ()
    ):
        arrays[f"x_{name}"], arrays[f"y_{name}"] = pixels(split)
    np.savez_compressed(path, **arrays)
    return path


def write_idx_file(path: Path, array: np.ndarray, *, gz: bool) -> Path:
    """One IDX file of unsigned bytes (images Nx28x28 or labels N)."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload, mtime=0))
    else:
        path.write_bytes(payload)
    return path


def write_idx_dir(directory: Path, data: Mnist, *, gz: bool) -> Path:
    """The four classic MNIST IDX files (train and t10k) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for prefix, split in (("train", data.train), ("t10k", data.test)):
        images, labels = data.as_uint8(split)
        write_idx_file(directory / f"{prefix}-images-idx3-ubyte", images, gz=gz)
        write_idx_file(directory / f"{prefix}-labels-idx1-ubyte", labels, gz=gz)
    return directory


def job(model_type: str, data: dict[str, Any], artifact_uri: str | Path, **overrides: Any) -> dict[str, Any]:
    """A trainer job spec."""
    return {
        "job_id": overrides.pop("job_id", "job-test"),
        "model_type": model_type,
        "data": data,
        "artifact_uri": str(artifact_uri),
        **overrides,
    }


def trainer_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a trainer subprocess: this checkout importable, plus ``extra``."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **(extra or {})}
    env.pop("PYTHONWARNINGS", None)
    return env


def start_trainer(
    spec: dict[str, Any], env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.Popen[str]:
    """``python -m ml.train --job-json …`` with pipes on stdout and stderr."""
    return subprocess.Popen(
        [sys.executable, "-m", "ml.train", "--job-json", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=trainer_env(env),
    )


@dataclass
class TrainerRun:
    """A finished trainer process: exit code, parsed stdout events, stderr text."""

    code: int
    events: list[dict[str, Any]]
    stderr: str
    kinds: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.kinds = [event["event"] for event in self.events]

    def last(self, kind: str) -> dict[str, Any]:
        return [event for event in self.events if event["event"] == kind][-1]


def finish(process: subprocess.Popen[str], timeout: float = 120) -> TrainerRun:
    """Wait for a trainer and parse its stdout; every stdout line must be a JSON object."""
    stdout, stderr = process.communicate(timeout=timeout)
    events = [json.loads(line) for line in stdout.splitlines()]
    return TrainerRun(process.returncode, events, stderr)


def run_trainer(
    spec: dict[str, Any], env: dict[str, str] | None = None, cwd: Path = REPO, timeout: float = 120
) -> TrainerRun:
    return finish(start_trainer(spec, env, cwd), timeout)
