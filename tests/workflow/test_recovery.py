"""A workflow service killed with SIGKILL mid-run: after a restart the run still completes, or
fails with the reason when its trainer is gone too."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.factories import service_process, wait_for
from tests.ml.factories import read_mnist, write_npz
from tests.workflow.conftest import execute, finished, until


@pytest.fixture(scope="module")
def small_mnist(datasets: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A run on 8k real MNIST digits (3 epochs): seconds per epoch even on a busy machine."""
    data = read_mnist(datasets / "mnist" / "mnist.pkl.gz").subset(8000, 1000, 2000)
    path = write_npz(tmp_path_factory.mktemp("small") / "digits.npz", data, validation=True)
    return {
        "model_type": "mnist_pytorch_cnn",
        "training": {"epochs": 3, "resource_limits": {"cpu": "1"}},
        "data": {"data_source": "local_path", "path": str(path)},
    }


def workflow_process(nats_url: str, database_url: str, home: Path) -> Any:
    """``python -m services.workflow`` as its own process, ready when entered."""
    return service_process("workflow", nats_url, database_url, home, MLOPS_LEASE_SECONDS="2")


@pytest.mark.slow
class TestKilledService:
    async def test_a_restarted_service_adopts_the_live_trainer_and_the_run_completes(
        self, workflow_platform: Any, nats_url: str, tmp_path: Path, small_mnist: dict[str, Any]
    ) -> None:
        database = f"sqlite+aiosqlite:///{tmp_path / 'workflow.db'}"
        async with workflow_platform(services=("registry",)) as platform:
            async with workflow_process(nats_url, database, tmp_path / "home") as first:
                job_id = await execute(platform.http, **small_mnist)
                await until(platform.http, job_id, lambda r: r["progress"] > 0.05, timeout=90)
                first.send_signal(signal.SIGKILL)
                first.wait(5)
            handle = json.loads((tmp_path / "home" / "runs" / job_id / "handle.json").read_text())
            os.killpg(handle["pgid"], 0)  # the trainer lives on without the service
            async with workflow_process(nats_url, database, tmp_path / "home"):
                run = await finished(platform.http, job_id, timeout=180)
        assert run["status"] == "succeeded", run
        assert [e["epoch"] for e in run["epochs"]] == [1, 2, 3]
        assert run["model_id"] and run["metrics"]["test_accuracy"] >= 0.9

    async def test_a_trainer_lost_with_the_service_fails_the_run_with_the_reason(
        self, workflow_platform: Any, nats_url: str, tmp_path: Path, small_mnist: dict[str, Any]
    ) -> None:
        database = f"sqlite+aiosqlite:///{tmp_path / 'workflow.db'}"
        async with workflow_platform(services=("registry",)) as platform:
            async with workflow_process(nats_url, database, tmp_path / "home") as first:
                job_id = await execute(platform.http, **small_mnist)
                await until(platform.http, job_id, lambda r: r["progress"] > 0.05, timeout=90)
                first.send_signal(signal.SIGKILL)
                first.wait(5)
            handle = json.loads((tmp_path / "home" / "runs" / job_id / "handle.json").read_text())
            os.killpg(handle["pgid"], signal.SIGKILL)
            await wait_for(lambda: not _alive(handle["pgid"]), 5, what="the trainer to die")
            async with workflow_process(nats_url, database, tmp_path / "home"):
                run = await finished(platform.http, job_id, timeout=60)
        assert run["status"] == "failed"
        assert run["error_code"] == "trainer_lost"
        assert "stopped without finishing" in run["error"]
        assert run["steps"][0]["status"] == "failed"


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
