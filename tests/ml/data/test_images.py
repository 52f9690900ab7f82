"""Digit image readers on the real MNIST: the sample pickle, IDX (gzipped or not), .npz, and bad data."""

from __future__ import annotations

import gzip
import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from ml.data.images import load_images
from ml.data.spec import DataError, DataSpec
from tests.ml import factories
from tests.ml.factories import Mnist


def local(path: Path, **extra: str) -> DataSpec:
    return DataSpec.parse({"data_source": "local_path", "path": str(path), **extra})


@pytest.fixture(scope="module")
def small(mnist: Mnist) -> Mnist:
    return mnist.subset(600, 100, 100)


class TestPickle:
    def test_reads_the_real_sample(self, home: Path, mnist: Mnist) -> None:
        path = home / "datasets/mnist/mnist.pkl.gz"
        splits = load_images(local(path), seed=1)
        assert [len(s[1]) for s in (splits.train, splits.validation, splits.test)] == [50000, 10000, 10000]
        assert splits.train[0].shape == (50000, 1, 28, 28) and splits.train[0].dtype == np.float32
        np.testing.assert_array_equal(splits.test[0].reshape(-1, 784), mnist.test[0])
        np.testing.assert_array_equal(splits.train[1], mnist.train[1])
        summary = splits.summary()
        assert summary["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert summary | {"path": None} == summary | {
            "source": "local_path", "format": "pkl", "files": ["mnist.pkl.gz"], "rows": 70000, "columns": 784,
            "train_examples": 50000, "validation_examples": 10000, "test_examples": 10000, "path": None,
        }  # fmt: skip

    def test_two_split_pickle_gets_a_seeded_validation_share(self, tmp_path: Path, small: Mnist) -> None:
        path = factories.write_pickle(tmp_path / "two.pkl.gz", small, splits=2)
        first = load_images(local(path), seed=7, validation_fraction=0.25)
        again = load_images(local(path), seed=7, validation_fraction=0.25)
        other = load_images(local(path), seed=8, validation_fraction=0.25)
        assert (len(first.train[1]), len(first.validation[1])) == (450, 150)
        np.testing.assert_array_equal(first.validation[1], again.validation[1])
        assert not np.array_equal(first.validation[0], other.validation[0])

    def test_refuses_code_in_a_pickle(self, tmp_path: Path) -> None:
        path = tmp_path / "evil.pkl"
        path.write_bytes(pickle.dumps(Path("/etc/passwd")))
        with pytest.raises(DataError, match=r"evil\.pkl is not a readable MNIST pickle .*not a numpy array"):
            load_images(local(path), seed=1)

    def test_corrupt_gzip(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.pkl.gz"
        path.write_bytes(gzip.compress(b"x" * 1000)[:50])
        with pytest.raises(
            DataError, match=r"local_path .*broken\.pkl\.gz: broken\.pkl\.gz is not a readable MNIST pickle"
        ):
            load_images(local(path), seed=1)


class TestIdx:
    @pytest.mark.parametrize("gz", [True, False])
    def test_reads_a_directory_of_idx_files(self, tmp_path: Path, small: Mnist, gz: bool) -> None:
        directory = factories.write_idx_dir(tmp_path / "idx", small, gz=gz)
        splits = load_images(local(directory), seed=3, validation_fraction=0.1)
        assert (len(splits.train[1]), len(splits.validation[1]), len(splits.test[1])) == (540, 60, 100)
        np.testing.assert_allclose(splits.test[0].reshape(-1, 784), small.test[0], atol=1 / 255)
        np.testing.assert_array_equal(splits.test[1], small.test[1])
        suffix = ".gz" if gz else ""
        assert splits.fingerprint["format"] == "idx"
        assert splits.fingerprint["files"] == sorted(
            f"{p}-{k}{suffix}" for p, k in [("t10k", "images-idx3-ubyte"), ("t10k", "labels-idx1-ubyte"),
                                           ("train", "images-idx3-ubyte"), ("train", "labels-idx1-ubyte")]
        )  # fmt: skip

    def test_missing_file_is_named(self, tmp_path: Path, small: Mnist) -> None:
        directory = factories.write_idx_dir(tmp_path / "idx", small, gz=True)
        (directory / "t10k-labels-idx1-ubyte.gz").unlink()
        with pytest.raises(
            DataError, match=r"t10k-labels-idx1-ubyte \(or t10k-labels-idx1-ubyte\.gz\) is missing"
        ):
            load_images(local(directory), seed=1)

    def test_label_count_differs_from_image_count(self, tmp_path: Path, small: Mnist) -> None:
        directory = factories.write_idx_dir(tmp_path / "idx", small, gz=False)
        factories.write_idx_file(
            directory / "train-labels-idx1-ubyte", small.train[1][:-5].astype(np.uint8), gz=False
        )
        with pytest.raises(DataError, match=r"\(train\): 600 images but labels of shape \(595,\)"):
            load_images(local(directory), seed=1)

    def test_truncated_file(self, tmp_path: Path, small: Mnist) -> None:
        directory = factories.write_idx_dir(tmp_path / "idx", small, gz=False)
        images = directory / "t10k-images-idx3-ubyte"
        images.write_bytes(images.read_bytes()[:-10])
        with pytest.raises(
            DataError, match=r"t10k-images-idx3-ubyte holds 78390 bytes of data, its header announces 78400"
        ):
            load_images(local(directory), seed=1)

    def test_images_that_are_not_28_by_28(self, tmp_path: Path, small: Mnist) -> None:
        directory = factories.write_idx_dir(tmp_path / "idx", small, gz=False)
        wrong = small.as_uint8(small.test)[0][:, :27, :27]
        factories.write_idx_file(directory / "t10k-images-idx3-ubyte", np.ascontiguousarray(wrong), gz=False)
        with pytest.raises(
            DataError, match=r"\(test\): images have shape \(100, 27, 27\); expected 28x28 pixels"
        ):
            load_images(local(directory), seed=1)

    def test_labels_outside_0_to_9(self, tmp_path: Path, small: Mnist) -> None:
        directory = factories.write_idx_dir(tmp_path / "idx", small, gz=True)
        labels = small.train[1].astype(np.uint8).copy()
        labels[[3, 4]] = [10, 12]
        factories.write_idx_file(directory / "train-labels-idx1-ubyte", labels, gz=True)
        with pytest.raises(DataError, match=r"\(train\): 2 label\(s\) outside 0-9 \(e\.g\. 10, 12\)"):
            load_images(local(directory), seed=1)

    def test_a_single_file_is_not_an_idx_dataset(self, tmp_path: Path, small: Mnist) -> None:
        path = factories.write_idx_file(
            tmp_path / "train-images-idx3-ubyte", small.as_uint8(small.train)[0], gz=False
        )
        with pytest.raises(DataError, match="IDX data must be a directory"):
            load_images(local(path), seed=1)


class TestNpz:
    def test_uint8_archive(self, tmp_path: Path, small: Mnist) -> None:
        path = factories.write_npz(tmp_path / "digits.npz", small, uint8=True)
        splits = load_images(local(path), seed=1, validation_fraction=0.2)
        assert (len(splits.train[1]), len(splits.validation[1]), len(splits.test[1])) == (480, 120, 100)
        assert 0.0 <= splits.train[0].min() and splits.train[0].max() <= 1.0

    def test_float_archive_with_validation(self, tmp_path: Path, small: Mnist) -> None:
        path = factories.write_npz(tmp_path / "digits.npz", small, uint8=False, validation=True)
        splits = load_images(local(path), seed=1)
        assert (len(splits.train[1]), len(splits.validation[1])) == (600, 100)
        np.testing.assert_array_equal(splits.validation[0].reshape(-1, 784), small.validation[0])

    def test_missing_arrays_are_listed(self, tmp_path: Path, small: Mnist) -> None:
        path = tmp_path / "partial.npz"
        np.savez(path, x_train=small.train[0], y_train=small.train[1])
        with pytest.raises(DataError, match=r"partial\.npz lacks x_test, y_test \(found x_train, y_train\)"):
            load_images(local(path), seed=1)

    def test_pixels_out_of_range(self, tmp_path: Path, small: Mnist) -> None:
        path = tmp_path / "bright.npz"
        np.savez(
            path,
            x_train=small.train[0] * 300,
            y_train=small.train[1],
            x_test=small.test[0],
            y_test=small.test[1],
        )
        with pytest.raises(
            DataError, match=r"\(train\): pixel values span \[0, 29\d\.\d+\]; expected \[0, 1\] or \[0, 255\]"
        ):
            load_images(local(path), seed=1)

    def test_not_an_archive(self, tmp_path: Path) -> None:
        path = tmp_path / "text.npz"
        path.write_text("hello")
        with pytest.raises(DataError, match=r"text\.npz is not a readable \.npz archive"):
            load_images(local(path), seed=1)


class TestLocalPath:
    def test_missing_path(self, tmp_path: Path) -> None:
        with pytest.raises(
            DataError, match=rf"^local_path {tmp_path}/nope\.pkl\.gz: no such file or directory$"
        ):
            load_images(local(tmp_path / "nope.pkl.gz"), seed=1)

    def test_unknown_format(self, tmp_path: Path) -> None:
        path = tmp_path / "digits.bin"
        path.write_bytes(b"\0" * 10)
        with pytest.raises(
            DataError, match=r"cannot read images from 'digits\.bin'; expected \.pkl\.gz, \.npz or IDX"
        ):
            load_images(local(path), seed=1)

    def test_explicit_format_overrides_the_name(self, tmp_path: Path, small: Mnist) -> None:
        path = factories.write_npz(tmp_path / "digits.npz", small)
        renamed = path.rename(tmp_path / "digits.bin")
        assert load_images(local(renamed, format="npz"), seed=1).fingerprint["format"] == "npz"
