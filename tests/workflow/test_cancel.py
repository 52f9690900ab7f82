"""Cancel: a running trainer's whole process group is gone within 5 s; a queued run never starts."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.factories import wait_for
from tests.workflow.conftest import execute, finished, until

MNIST = {"model_type": "mnist_pytorch_cnn", "training": {"epochs": 2}}


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
class TestCancel:
    async def test_cancel_during_epoch_one_stops_the_process_group(
        self, workflow_platform: Any, tmp_path: Path
    ) -> None:
        async with workflow_platform() as platform:
            job_id = await execute(platform.http, **MNIST)
            await until(platform.http, job_id, lambda r: 0 < r["progress"] < 0.5, timeout=90)
            handle = json.loads((tmp_path / "home" / "runs" / job_id / "handle.json").read_text())
            assert group_alive(handle["pgid"])
            asked = time.monotonic()
            response = await platform.http.post(
                f"/api/workflows/runs/{job_id}/cancel", json={"reason": "wrong data"}
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] in ("cancelling", "cancelled")
            await wait_for(lambda: not group_alive(handle["pgid"]), timeout=5, what="the group to go")
            gone = time.monotonic() - asked
            run = await finished(platform.http, job_id, timeout=10)
            logs = (await platform.http.get(f"/api/workflows/runs/{job_id}/logs")).json()
            again = await platform.http.post(f"/api/workflows/runs/{job_id}/cancel")
        assert gone <= 5
        assert run["status"] == "cancelled" and run["cancelled_by"] == "admin"
        assert run["cancel_reason"] == "wrong data"
        assert [s["status"] for s in run["steps"]] == ["cancelled", "cancelled", "cancelled", "skipped"]
        assert run["epochs"] == []
        assert "cancelled by admin" in logs["text"] and logs["complete"]
        assert again.status_code == 409

    async def test_a_queued_run_is_cancelled_before_it_starts(self, workflow_platform: Any) -> None:
        async with workflow_platform() as platform:
            first = await execute(platform.http, **MNIST)
            second = await execute(platform.http, **MNIST)
            queued = await until(platform.http, second, lambda r: r["status"] == "queued")
            response = await platform.http.post(f"/api/workflows/runs/{second}/cancel")
            await platform.http.post(f"/api/workflows/runs/{first}/cancel")
            run = await finished(platform.http, second, timeout=10)
        assert queued["queue_position"] == 1
        assert response.json()["status"] == "cancelled"
        assert run["status"] == "cancelled" and run["start_time"] is None
