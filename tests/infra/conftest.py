"""Infra tests: real MNIST models trained once, registered in a real registry, served by real
``ml.serve`` replicas that the infra service starts; requests go through the gateway's proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from contracts.envelope import Actor, new_id
from contracts.messages import spec
from contracts.registry import MODEL_REGISTER, RegisterModelVersion
from ml import samples
from tests.factories import outcome_of, wait_for
from tests.gateway.conftest import platform_factory  # noqa: F401 - a fixture used here
from tests.ml import factories
from tests.ml.factories import Mnist

MNIST = "mnist_pytorch_cnn"
EDITOR = Actor(id="admin", role="admin")
FAST = {
    "reconcile_interval_seconds": 0.2,
    "metrics_interval_seconds": 0.5,
    "drift_interval_seconds": 1.0,
    "drain_seconds": 1.5,
    "drift_min_window": 500,
    "max_batch_wait_ms": 1.0,
}
"""Infra settings that make the tests quick: the same code paths, shorter intervals."""


@pytest.fixture(scope="session")
def mnist(tmp_path_factory: pytest.TempPathFactory) -> Mnist:
    home = tmp_path_factory.mktemp("samples")
    samples.install(home)
    return factories.read_mnist(home / samples.MNIST_PATH)


@pytest.fixture(scope="session")
def digit_models(mnist: Mnist, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two versions of a digit CNN, trained on 12,000 real MNIST digits (one epoch each)."""
    root = tmp_path_factory.mktemp("digit-models")
    data = factories.write_npz(root / "digits.npz", mnist.subset(12000, 0, 1000))
    outs = [root / f"v{n}" for n in (1, 2)]
    processes = [
        factories.start_trainer(
            factories.job(
                MNIST, {"data_source": "local_path", "path": str(data)}, out,
                epochs=1, seed=n, threads=1, params={"learning_rate": 0.002},
            )
        )
        for n, out in enumerate(outs, 1)
    ]  # fmt: skip
    for process in processes:
        run = factories.finish(process, timeout=280)
        assert run.code == 0, run.stderr
    return outs


@pytest.fixture
def infra_platform(platform_factory: Any) -> Callable[..., Any]:  # noqa: F811
    """``async with infra_platform() as platform``: gateway, registry and infra with quick intervals."""

    @asynccontextmanager
    async def make(**settings: Any):  # type: ignore[no-untyped-def]
        async with platform_factory(
            services=("registry", "infra"), service_settings=FAST | settings
        ) as platform:
            yield platform

    return make


async def register(platform: Any, artifact: Path, name: str = "digits") -> str:
    """Register ``artifact`` as a version of ``name`` the way a finished run does; its model_id."""
    bus = platform.services["registry"].bus
    data = RegisterModelVersion(
        model_name=name, model_type=MNIST, run_id=new_id(), artifact_uri=str(artifact),
        metrics={"test_accuracy": 0.97},
    )  # fmt: skip
    command = spec(MODEL_REGISTER).envelope(source="test/1", correlation_id=new_id(), actor=EDITOR, data=data)
    await bus.publish_envelope("cmd", command)
    outcome = await outcome_of(bus, command.id)
    assert outcome["type"] == "registry.command.succeeded.v1", outcome
    model_id: str = outcome["data"]["result"]["model_id"]
    return model_id


async def deploy(http: httpx.AsyncClient, model_id: str, replicas: int = 1, **extra: Any) -> dict[str, Any]:
    """Deploy through the seed's route and wait until every replica is ready; the deployment."""
    response = await http.post(
        "/api/mlops/deploy_model",
        json={"model_id": model_id, "namespace": "default", "replicas": replicas, **extra},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "pending" and body["endpoint"] == f"/api/deployments/{body['deployment_id']}"
    return await ready(http, body["deployment_id"])


async def ready(http: httpx.AsyncClient, deployment_id: str, timeout: float = 60) -> dict[str, Any]:
    """The deployment once it is ready with all its replicas and no rollout running."""

    async def check() -> dict[str, Any] | None:
        found: dict[str, Any] = (await http.get(f"/api/deployments/{deployment_id}")).json()
        done = found["status"] == "ready" and found["replicas_ready"] == found["replicas_desired"]
        return found if done and found["rolling_from"] is None else None

    found: dict[str, Any] = await wait_for(check, timeout, 0.1, f"deployment {deployment_id} ready")
    return found


def infer_body(images: np.ndarray) -> dict[str, Any]:
    """An Open Inference Protocol request for a batch of 28x28 images."""
    batch = np.asarray(images, dtype=np.float32).reshape(-1, 1, 28, 28)
    return {
        "inputs": [
            {"name": "input", "shape": list(batch.shape), "datatype": "FP32", "data": batch.ravel().tolist()}
        ]
    }


def classes(answer: dict[str, Any]) -> list[int]:
    output = next(o for o in answer["outputs"] if o["name"] == "classes")
    return [int(c) for c in output["data"]]


class Loop:
    """Requests through the proxy, one after another, until stopped: every answer kept."""

    def __init__(self, http: httpx.AsyncClient, path: str, images: np.ndarray) -> None:
        self.http, self.path, self.images = http, path, images
        self.answers: list[tuple[int, dict[str, Any] | str]] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    async def _run(self) -> None:
        n = 0
        while not self._stop:
            response = await self.http.post(
                self.path, json=infer_body(self.images[n % len(self.images)][None])
            )
            body = (
                response.json()
                if response.headers.get("content-type", "").startswith("application/")
                else response.text
            )
            self.answers.append((response.status_code, body))
            n += 1

    def __enter__(self) -> Loop:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        self._stop = True
        assert self._task is not None
        await self._task

    def __exit__(self, *_: Any) -> None:
        self._stop = True

    @property
    def failures(self) -> list[tuple[int, Any]]:
        return [(status, body) for status, body in self.answers if status != 200]

    def versions(self) -> list[str]:
        return [
            str(body.get("model_version"))
            for status, body in self.answers
            if status == 200 and isinstance(body, dict)
        ]
