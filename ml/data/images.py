"""MNIST-style digit images: readers for the classic ``mnist.pkl.gz``, ``.npz`` archives and IDX
directories, validated and normalised to float32 ``Nx1x28x28`` in [0, 1] with int64 labels 0-9.

Pickles are read with an unpickler that only rebuilds numpy arrays, so a hostile file cannot run code.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ml.data.fingerprint import fingerprint, hash_files
from ml.data.sources import materialize
from ml.data.spec import DataError, DataSpec, guess_format

PIXELS = 28 * 28
Split = tuple[np.ndarray, np.ndarray]
IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class ImageSplits:
    """Train, validation and test images (float32 Nx1x28x28 in [0, 1]) and labels (int64 0-9)."""

    train: Split
    validation: Split
    test: Split
    fingerprint: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """The fingerprint plus the example count of each split (the ``data_loaded`` event body)."""
        return {
            **self.fingerprint,
            "train_examples": len(self.train[1]),
            "validation_examples": len(self.validation[1]),
            "test_examples": len(self.test[1]),
        }


def load_images(
    spec: DataSpec, *, seed: int, validation_fraction: float = 0.1, cache_dir: Path | None = None
) -> ImageSplits:
    """Read and validate digit images named by ``spec``.

    Data without a validation split gets one: a seeded random ``validation_fraction`` of the
    training images. Raises ``DataError`` naming the file and the problem for unusable data.
    """
    with materialize(spec, cache_dir) as local:
        fmt = spec.format or ("idx" if local.is_dir() else guess_format(local.name))
        readers = {"pkl": _read_pickle, "npz": _read_npz, "idx": _read_idx_dir}
        if fmt not in readers:
            raise DataError(
                f"{spec.where}: cannot read images from {local.name!r}; expected .pkl.gz, .npz or IDX"
            )
        raw, files = readers[fmt](local, spec.where)
        sha256, names = hash_files(files, local)
    train = _normalise(raw.train, f"{spec.where} (train)")
    test = _normalise(raw.test, f"{spec.where} (test)")
    if raw.validation is not None:
        validation = _normalise(raw.validation, f"{spec.where} (validation)")
    else:
        train, validation = _carve(train, validation_fraction, seed, spec.where)
    rows = sum(len(split[1]) for split in (train, validation, test))
    record = fingerprint(spec, sha256=sha256, files=names, rows=rows, columns=PIXELS, fmt=fmt)
    return ImageSplits(train, validation, test, record)


@dataclass(frozen=True)
class _Raw:
    """Splits as a file holds them, before validation."""

    train: Split
    validation: Split | None
    test: Split


class _ArrayUnpickler(pickle.Unpickler):
    _allowed = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"the pickle refers to {module}.{name}, which is not a numpy array")
        return super().find_class(module, name)


def _open(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")


def _read_pickle(path: Path, where: str) -> tuple[_Raw, list[Path]]:
    if path.is_dir():
        raise DataError(f"{where}: expected a .pkl.gz file, found a directory")
    try:
        with _open(path) as handle:
            content = _ArrayUnpickler(handle, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError, AttributeError) as error:
        raise DataError(f"{where}: {path.name} is not a readable MNIST pickle ({error})") from None
    if not (isinstance(content, tuple | list) and len(content) in (2, 3)):
        raise DataError(f"{where}: {path.name} must hold (train, validation, test) or (train, test) pairs")
    pairs = [_pair(item, f"{where}: {path.name} split {i + 1}") for i, item in enumerate(content)]
    return _Raw(pairs[0], pairs[1] if len(pairs) == 3 else None, pairs[-1]), [path]


def _pair(item: Any, where: str) -> Split:
    if not (isinstance(item, tuple | list) and len(item) == 2):
        raise DataError(f"{where} must be an (images, labels) pair")
    images, labels = item
    if not (isinstance(images, np.ndarray) and isinstance(labels, np.ndarray)):
        raise DataError(f"{where} must hold numpy arrays")
    return images, labels


def _read_npz(path: Path, where: str) -> tuple[_Raw, list[Path]]:
    if path.is_dir():
        raise DataError(f"{where}: expected an .npz file, found a directory")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError) as error:
        raise DataError(f"{where}: {path.name} is not a readable .npz archive ({error})") from None
    missing = [key for key in ("x_train", "y_train", "x_test", "y_test") if key not in arrays]
    if missing:
        found = ", ".join(sorted(arrays)) or "nothing"
        raise DataError(f"{where}: {path.name} lacks {', '.join(missing)} (found {found})")
    has_val = "x_val" in arrays and "y_val" in arrays
    validation = (arrays["x_val"], arrays["y_val"]) if has_val else None
    return _Raw((arrays["x_train"], arrays["y_train"]), validation, (arrays["x_test"], arrays["y_test"])), [
        path
    ]


def _read_idx_dir(path: Path, where: str) -> tuple[_Raw, list[Path]]:
    if not path.is_dir():
        raise DataError(f"{where}: IDX data must be a directory holding {', '.join(IDX_NAMES.values())}")
    files = {key: _find_idx(path, name, where) for key, name in IDX_NAMES.items()}
    arrays = {key: _read_idx(file, where) for key, file in files.items()}
    train = (arrays["train_images"], arrays["train_labels"])
    return _Raw(train, None, (arrays["test_images"], arrays["test_labels"])), list(files.values())


def _find_idx(directory: Path, name: str, where: str) -> Path:
    dotted = name.replace("-idx", ".idx")
    for candidate in (name, f"{name}.gz", dotted, f"{dotted}.gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    raise DataError(f"{where}: {name} (or {name}.gz) is missing")


def _read_idx(path: Path, where: str) -> np.ndarray:
    try:
        with _open(path) as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(f"{where}: {path.name} cannot be read ({error})") from None
    if len(raw) < 4 or raw[0:2] != b"\0\0" or raw[2] != 0x08:
        raise DataError(f"{where}: {path.name} is not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{where}: {path.name} has a truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(
            f"{where}: {path.name} holds {len(raw) - header} bytes of data, its header announces {expected}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _normalise(split: Split, where: str) -> Split:
    images, labels = split
    if images.ndim == 2 and images.shape[1] == PIXELS:
        images = images.reshape(-1, 1, 28, 28)
    elif images.ndim == 3 and images.shape[1:] == (28, 28):
        images = images[:, None, :, :]
    elif not (images.ndim == 4 and images.shape[1:] == (1, 28, 28)):
        raise DataError(
            f"{where}: images have shape {images.shape}; expected 28x28 pixels (Nx784, Nx28x28 or Nx1x28x28)"
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{where}: {len(images)} images but labels of shape {labels.shape}")
    if len(images) == 0:
        raise DataError(f"{where}: no images")
    return _pixels(images, where), _labels(labels, where)


def _pixels(images: np.ndarray, where: str) -> np.ndarray:
    if images.dtype == np.uint8:
        return images.astype(np.float32) / np.float32(255)
    if not np.issubdtype(images.dtype, np.number) or np.issubdtype(images.dtype, np.complexfloating):
        raise DataError(f"{where}: pixels are {images.dtype}, expected numbers")
    values = images.astype(np.float32, copy=False)
    if not np.isfinite(values).all():
        raise DataError(f"{where}: pixels contain NaN or infinite values")
    low, high = float(values.min()), float(values.max())
    if low < 0 or high > 255:
        raise DataError(f"{where}: pixel values span [{low:g}, {high:g}]; expected [0, 1] or [0, 255]")
    return values / np.float32(255) if high > 1 else values


def _labels(labels: np.ndarray, where: str) -> np.ndarray:
    if not np.issubdtype(labels.dtype, np.number) or (
        np.issubdtype(labels.dtype, np.floating) and not np.all(np.mod(labels, 1) == 0)
    ):
        raise DataError(f"{where}: labels must be whole numbers 0-9, found {labels.dtype}")
    outside = labels[(labels < 0) | (labels > 9)]
    if len(outside):
        shown = ", ".join(str(v) for v in np.unique(outside)[:5])
        raise DataError(f"{where}: {len(outside)} label(s) outside 0-9 (e.g. {shown})")
    return labels.astype(np.int64)


def _carve(train: Split, fraction: float, seed: int, where: str) -> tuple[Split, Split]:
    images, labels = train
    count = round(len(labels) * fraction)
    if count < 1 or count >= len(labels):
        raise DataError(f"{where}: {len(labels)} training images are too few to hold out a validation share")
    order = np.random.default_rng(seed).permutation(len(labels))
    keep, held = np.sort(order[:-count]), np.sort(order[-count:])
    return (images[keep], labels[keep]), (images[held], labels[held])
