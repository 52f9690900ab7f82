"""The local runtime: limits, files that outlive the trainer, and stopping a whole process group."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil
import pytest

from services.workflow.runtime.base import JobSpec
from services.workflow.runtime.local import LocalRuntime, stop_trainers
from tests.factories import wait_for


def mnist_job(datasets: Path, tmp_path: Path, epochs: int = 1) -> dict[str, Any]:
    return {
        "job_id": "job1",
        "model_type": "mnist_pytorch_cnn",
        "epochs": epochs,
        "batch_size": 64,
        "params": {},
        "data": {"data_source": "local_path", "path": str(datasets / "mnist" / "mnist.pkl.gz")},
        "artifact_uri": str(tmp_path / "artifacts"),
        "seed": 1,
        "threads": 1,
    }


@pytest.mark.slow
class TestLocalRuntime:
    async def test_a_trainer_runs_pinned_to_its_threads_and_its_files_outlive_it(
        self, datasets: Path, tmp_path: Path
    ) -> None:
        runtime = LocalRuntime(tmp_path / "runs")
        handle = await runtime.start(
            JobSpec("job1", mnist_job(datasets, tmp_path), threads=1, memory_limit_bytes=None),
            runtime.prepare("job1"),
        )
        assert (await runtime.status(handle)).state == "running"
        assert len(os.sched_getaffinity(handle["pid"])) == 1
        trainer = (await wait_for(lambda: psutil.Process(handle["pid"]).children(), 10))[0]
        assert trainer.environ()["OMP_NUM_THREADS"] == "1"
        assert "MLOPS_NATS_PASSWORD" not in trainer.environ()
        await wait_for(
            lambda: b'"event": "progress"' in (tmp_path / "runs/job1/events.jsonl").read_bytes(), 60
        )
        stopped = await stop_trainers(tmp_path / "runs", "the platform was stopped")
        status = await runtime.status(handle)
        assert stopped == 1
        assert status.state == "lost" and status.detail == "the platform was stopped"
        assert not any(p.pid == handle["pid"] for p in psutil.process_iter())
        assert b"stopping the trainer: the platform was stopped" in await runtime.read_log(handle, 0, 1 << 20)
        assert await runtime.read_events(handle, 0)

    async def test_the_memory_limit_is_enforced(self, datasets: Path, tmp_path: Path) -> None:
        runtime = LocalRuntime(tmp_path / "runs")
        handle = await runtime.start(
            JobSpec("job1", mnist_job(datasets, tmp_path), threads=1, memory_limit_bytes=300 * 2**20),
            runtime.prepare("job1"),
        )
        await wait_for(lambda: (tmp_path / "runs/job1/exit_code").exists(), 60, what="the trainer to end")
        status = await runtime.status(handle)
        log = (await runtime.read_log(handle, 0, 1 << 20)).decode()
        assert status.state == "exited" and status.exit_code != 0
        assert any(sign in log for sign in ("MemoryError", "failed to map segment")), log[-2000:]

    async def test_cancel_kills_the_group_within_the_grace_period(
        self, datasets: Path, tmp_path: Path
    ) -> None:
        runtime = LocalRuntime(tmp_path / "runs")
        handle = await runtime.start(
            JobSpec("job1", mnist_job(datasets, tmp_path), threads=1, memory_limit_bytes=None),
            runtime.prepare("job1"),
        )
        assert await runtime.cancel(handle, grace_seconds=1.0)
        assert (await runtime.status(handle)).state == "lost"
        assert await runtime.cancel(handle, grace_seconds=1.0)  # nothing left to stop
