"""Bad workflow_params are refused with a 4xx problem naming the field; nothing is queued."""

from __future__ import annotations

from typing import Any

import pytest

BAD = [
    ({"model_type": "no_such_model"}, "workflow_params.model_type", "unknown model type"),
    ({"model_type": "mnist_pytorch_cnn", "training": {"epochs": 0}}, "workflow_params.training.epochs", ""),
    (
        {"model_type": "mnist_pytorch_cnn", "training": {"resource_limits": {"memory": "-1Gi"}}},
        "workflow_params.training.resource_limits.memory",
        "",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "training": {"resource_requests": {"cpu": "0"}}},
        "workflow_params.training.resource_requests.cpu",
        "must be more than 0",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "training": {"resource_limits": {"memory": "4GB"}}},
        "workflow_params.training.resource_limits.memory",
        "'4GB' is not a memory quantity: use e.g. '4Gi'",
    ),
    (
        {
            "model_type": "mnist_pytorch_cnn",
            "training": {"resource_requests": {"cpu": "2"}, "resource_limits": {"cpu": "1"}},
        },
        "workflow_params.training.resource_limits",
        "cpu 1 is less than resource_requests.cpu 2",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "trainig": {"epochs": 1}},
        "workflow_params.trainig",
        "Extra inputs",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "training": {"params": {"learning_rat": 0.1}}},
        "workflow_params.training.params.learning_rat",
        "unknown parameter",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "training": {"params": {"learning_rate": -1}}},
        "workflow_params.training.params.learning_rate",
        "",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "training": {"params": {"optimizer": "rmsprop"}}},
        "workflow_params.training.params.optimizer",
        "adam",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "data": {"data_source": "dvc", "path": "data/mnist"}},
        "workflow_params.data.repo",
        "required when data_source is dvc",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "data": {"data_source": "ftp", "path": "x"}},
        "workflow_params.data.data_source",
        "",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "deployment": {"replicas": 0}},
        "workflow_params.deployment.replicas",
        "",
    ),
    (
        {"model_type": "mnist_pytorch_cnn", "evaluation": {"metric": "f2_score"}},
        "workflow_params.evaluation.metric",
        "reports no metric",
    ),
]


class TestRefused:
    @pytest.mark.parametrize(
        ("params", "field", "words"), BAD, ids=[b[1] + ":" + str(i) for i, b in enumerate(BAD)]
    )
    async def test_bad_params_name_the_field(
        self, workflow_platform: Any, params: dict[str, Any], field: str, words: str
    ) -> None:
        async with workflow_platform() as platform:
            response = await platform.http.post(
                "/api/mlops/execute_workflow", json={"workflow_params": params}
            )
            runs = (await platform.http.get("/api/workflows/runs")).json()
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["field"] == field, body
        assert words in body["detail"], body
        assert "Value error" not in body["detail"]
        assert runs["total"] == 0

    async def test_a_viewer_may_watch_but_not_start_or_cancel(self, workflow_platform: Any) -> None:
        async with workflow_platform() as platform:
            viewer = await platform.user("viewer")
            started = await viewer.post(
                "/api/mlops/execute_workflow", json={"workflow_params": {"model_type": "mnist_pytorch_cnn"}}
            )
            cancelled = await viewer.post("/api/workflows/runs/abc/cancel")
            listed = await viewer.get("/api/workflows/runs")
            types = await viewer.get("/api/model-types")
        assert started.status_code == 403 and cancelled.status_code == 403
        assert listed.status_code == 200 and listed.json()["total"] == 0
        names = {t["name"] for t in types.json()}
        assert {"mnist_pytorch_cnn", "tabular_sklearn_classifier"} <= names

    async def test_unknown_runs_are_404(self, workflow_platform: Any) -> None:
        async with workflow_platform() as platform:
            detail = await platform.http.get("/api/workflows/runs/nosuchrun")
            logs = await platform.http.get("/api/workflows/runs/nosuchrun/logs")
            cancel = await platform.http.post("/api/workflows/runs/nosuchrun/cancel")
        assert [detail.status_code, logs.status_code, cancel.status_code] == [404, 404, 404]
        assert cancel.json()["field"] == "job_id"
