"""Workflow tests: a platform whose home holds the sample datasets, and helpers to follow runs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ml import samples
from tests.factories import wait_for
from tests.gateway.conftest import platform_factory  # noqa: F401 - a fixture used here

TERMINAL = ("succeeded", "failed", "cancelled")


@pytest.fixture(scope="session")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample datasets, installed once per session."""
    home = tmp_path_factory.mktemp("samples")
    samples.install(home)
    return home / "datasets"


@pytest.fixture
def workflow_platform(platform_factory: Any, datasets: Path, tmp_path: Path) -> Callable[..., Any]:  # noqa: F811
    """``async with workflow_platform(**platform_options) as platform``: its home has the samples."""

    @asynccontextmanager
    async def make(**options: Any):  # type: ignore[no-untyped-def]
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        if not (home / "datasets").exists():
            (home / "datasets").symlink_to(datasets)
        options.setdefault("services", ("workflow", "registry"))
        async with platform_factory(**options) as platform:
            yield platform

    return make


async def execute(http: httpx.AsyncClient, **params: Any) -> str:
    """Start a run with ``workflow_params`` ``params``; its job id."""
    response = await http.post("/api/mlops/execute_workflow", json={"workflow_params": params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "queued"
    job_id: str = body["job_id"]
    return job_id


async def run_of(http: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/workflows/runs/{job_id}")
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


async def until(
    http: httpx.AsyncClient, job_id: str, check: Callable[[dict[str, Any]], bool], timeout: float = 120
) -> dict[str, Any]:
    """The run, once ``check`` holds for it."""

    async def probe() -> dict[str, Any] | None:
        run = await run_of(http, job_id)
        return run if check(run) else None

    run: dict[str, Any] = await wait_for(probe, timeout, interval=0.1, what=f"run {job_id}")
    return run


async def finished(http: httpx.AsyncClient, job_id: str, timeout: float = 120) -> dict[str, Any]:
    return await until(http, job_id, lambda run: run["status"] in TERMINAL, timeout)
