"""Training runs through REST: the pipeline, its events, logs, and the registered version."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets

from tests.workflow.conftest import execute, finished, run_of

TABULAR = {"model_type": "tabular_sklearn_classifier", "training": {"epochs": 3}}


async def run_events(ws: Any, job_id: str, last: str, timeout: float = 120) -> list[dict[str, Any]]:
    """Event frames of one run until one of type ``last``."""
    found: list[dict[str, Any]] = []
    async with __import__("asyncio").timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["kind"] != "event":
                continue
            found.append(frame)
            if frame["type"] == last:
                return found


class TestExecute:
    async def test_a_tabular_run_trains_evaluates_and_registers(
        self, workflow_platform: Any, tmp_path: Any
    ) -> None:
        async with workflow_platform() as platform:
            topics = "?topics=workflow.run.>,registry.model_version.>"
            async with websockets.connect(
                platform.ws_url + topics, additional_headers=platform.ws_headers
            ) as ws:
                job_id = await execute(platform.http, **TABULAR)
                seen = await run_events(ws, job_id, "workflow.run.succeeded.v1")
            run = await finished(platform.http, job_id)
            logs = (await platform.http.get(f"/api/workflows/runs/{job_id}/logs")).json()
            listed = (await platform.http.get("/api/workflows/runs", params={"status": "succeeded"})).json()

        assert run["status"] == "succeeded", run
        assert [(s["name"], s["status"]) for s in run["steps"]] == [
            ("train", "succeeded"),
            ("evaluate", "succeeded"),
            ("register", "succeeded"),
            ("deploy", "skipped"),
        ]
        assert [e["epoch"] for e in run["epochs"]] == [1, 2, 3]
        assert run["metrics"]["test_accuracy"] > 0.9
        assert run["model_id"] and run["dataset"]["sha256"]
        assert run["workflow_params"]["data"]["path"].endswith("breast_cancer.csv")
        assert run["duration_seconds"] > 0 and run["end_time"] >= run["start_time"]
        assert run["artifact_uri"] == str(tmp_path / "home" / "artifacts" / "runs" / job_id)

        types = [f["type"] for f in seen if f["data"].get("job_id", f["data"].get("run_id")) == job_id]
        first = {t: types.index(t) for t in reversed(types)}
        assert first["workflow.run.queued.v1"] < first["workflow.run.started.v1"]
        assert first["workflow.run.started.v1"] < first["workflow.run.epoch_completed.v1"]
        assert first["workflow.run.epoch_completed.v1"] < first["registry.model_version.registered.v1"]
        assert types[-1] == "workflow.run.succeeded.v1"
        assert types.count("workflow.run.epoch_completed.v1") == 3
        assert types.count("registry.model_version.registered.v1") == 1
        assert all(f["subject"].endswith(job_id) for f in seen if f["type"].startswith("workflow.run."))
        assert "epoch 3" in logs["text"].lower() and "[platform]" in logs["text"]
        assert job_id in [item["job_id"] for item in listed["items"]]

    @pytest.mark.slow
    async def test_mnist_one_epoch_on_postgres_reaches_97_percent(
        self, workflow_platform: Any, postgres_url: str
    ) -> None:
        async with workflow_platform(database=postgres_url) as platform:
            job_id = await execute(
                platform.http, model_type="mnist_pytorch_cnn", training={"epochs": 1, "batch_size": 64}
            )
            run = await finished(platform.http, job_id, timeout=240)
            detail = await run_of(platform.http, job_id)
        assert run["status"] == "succeeded", run
        assert run["metrics"]["test_accuracy"] >= 0.97
        assert detail["model_id"]


class TestFailures:
    async def test_missing_data_fails_the_run_saying_where(
        self, workflow_platform: Any, tmp_path: Any
    ) -> None:
        missing = tmp_path / "nowhere" / "digits.csv"
        async with workflow_platform() as platform:
            job_id = await execute(
                platform.http,
                model_type="tabular_sklearn_classifier",
                data={"data_source": "local_path", "path": str(missing)},
            )
            run = await finished(platform.http, job_id)
        assert run["status"] == "failed"
        assert run["error_code"] == "data_error"
        assert str(missing) in run["error"]
        assert [s["status"] for s in run["steps"]] == ["failed", "skipped", "skipped", "skipped"]
        assert run["model_id"] is None

    async def test_a_trainer_over_its_memory_limit_fails_saying_so(self, workflow_platform: Any) -> None:
        async with workflow_platform() as platform:
            job_id = await execute(
                platform.http,
                model_type="mnist_pytorch_cnn",
                training={"resource_requests": {"memory": "300Mi"}, "resource_limits": {"memory": "300Mi"}},
            )
            run = await finished(platform.http, job_id)
        assert run["status"] == "failed" and run["error_code"] == "out_of_memory"
        assert "limit 300 MiB" in run["error"]

    async def test_the_quality_gate_stops_a_weak_model_before_registration(
        self, workflow_platform: Any
    ) -> None:
        async with workflow_platform() as platform:
            job_id = await execute(
                platform.http,
                model_type="tabular_sklearn_classifier",
                training={"epochs": 1},
                evaluation={"metric": "test_accuracy", "minimum": 0.999},
            )
            run = await finished(platform.http, job_id)
        assert run["status"] == "failed" and run["error_code"] == "gate_failed"
        assert "below the minimum 0.999" in run["error"]
        assert [s["status"] for s in run["steps"]] == ["succeeded", "failed", "skipped", "skipped"]

    async def test_deploy_if_trained_success_deploys_the_registered_version(
        self, workflow_platform: Any
    ) -> None:
        async with workflow_platform(services=("workflow", "registry", "infra")) as platform:
            job_id = await execute(
                platform.http,
                model_type="tabular_sklearn_classifier",
                training={"epochs": 1},
                deployment={"replicas": 2, "deploy_if_trained_success": True},
            )
            run = await finished(platform.http, job_id)
            assert run["status"] == "succeeded", run
            assert [s["status"] for s in run["steps"]] == ["succeeded"] * 4
            deployment = (await platform.http.get(f"/api/deployments/{run['deployment_id']}")).json()
        assert deployment["model_id"] == run["model_id"] and deployment["run_id"] == job_id
        assert deployment["replicas_desired"] == 2 and deployment["created_by"] == "admin"
