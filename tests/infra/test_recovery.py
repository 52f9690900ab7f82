"""The infra service killed with SIGKILL: its replicas keep serving, and the restarted service adopts
them (same processes, no restart) and goes on managing the deployment."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.factories import service_process
from tests.infra.conftest import FAST, classes, deploy, infer_body, ready, register
from tests.ml.factories import Mnist

ENV = {f"MLOPS_{name.upper()}": str(value) for name, value in FAST.items()} | {"MLOPS_LEASE_SECONDS": "2"}


@pytest.mark.slow
async def test_replicas_outlive_a_killed_infra_service_and_are_adopted(
    platform_factory: Any, nats_url: str, tmp_path: Path, digit_models: list[Path], mnist: Mnist
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'infra.db'}"
    image, label = mnist.test[0][:1], int(mnist.test[1][0])
    async with platform_factory(services=("registry",)) as platform:
        http, home = platform.http, tmp_path / "home"
        async with service_process("infra", nats_url, database, home, **ENV) as first:
            deployment = await deploy(http, await register(platform, digit_models[0]))
            infer = f"{deployment['endpoint']}/v2/models/digits/infer"
            assert classes((await http.post(infer, json=infer_body(image))).json()) == [label]
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        for _ in range(20):  # the control plane is gone; the data plane is not
            answer = await http.post(infer, json=infer_body(image))
            assert answer.status_code == 200 and classes(answer.json()) == [label]
        async with service_process("infra", nats_url, database, home, **ENV):
            deployment_id = deployment["deployment_id"]
            scaled = await http.post(f"/api/deployments/{deployment_id}/scale", json={"replicas": 2})
            assert scaled.status_code == 200, scaled.text
            found = await ready(http, deployment_id)
    pids = {r["pid"] for r in found["replicas"] if r["status"] == "ready"}
    assert len(pids) == 2 and deployment["replicas"][0]["pid"] in pids, "the first replica was adopted"
    changes = [(e["event"], e["replicas_ready"]) for e in found["history"]]
    assert changes == [("deploying", 0), ("ready", 1), ("scaled", 1), ("ready", 2)], found["history"]
