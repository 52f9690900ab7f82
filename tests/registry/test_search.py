"""Search on 100k versions of 1k models: filters, sorting and paging through REST."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.kit.migrate import upgrade
from tests.factories import build_service, running, settings
from tests.registry.seed import TEAMS, accuracy, seed, status

MODELS, PER_MODEL = 1000, 100


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A registry database holding 1k models with 100 versions each (async URL)."""
    path = tmp_path_factory.mktemp("registry") / "registry.db"
    upgrade("registry", f"sqlite+aiosqlite:///{path}")
    seed(f"sqlite:///{path}", MODELS, PER_MODEL)
    return f"sqlite+aiosqlite:///{path}"


async def all_pages(http: Any, params: dict[str, Any], limit: int = 200) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    offset, total = 0, None
    while total is None or offset < total:
        page = (
            await http.get("/api/mlops/models", params=params | {"limit": limit, "offset": offset})
        ).json()
        rows += page["models"]
        total = page["total"]
        offset += limit
    return rows, total


@pytest.mark.slow
class TestSearch:
    async def test_filters_sorting_and_paging_are_exact(
        self, platform_factory: Any, seeded: str, tmp_path: Path
    ) -> None:
        async with platform_factory(services=()) as platform:
            service = build_service("registry", settings(platform.gateway.settings.nats_url, seeded))
            async with running(service):
                http = platform.http
                one, total = await all_pages(http, {"name": "model-0042", "sort": "version"})
                first = (await http.get("/api/mlops/models", params={"limit": 50})).json()
                second = (await http.get("/api/mlops/models", params={"limit": 50, "offset": 50})).json()
                production = (
                    await http.get("/api/mlops/models", params={"status": "production", "limit": 1})
                ).json()
                vision = (
                    await http.get("/api/mlops/models", params={"tag": "team=vision", "limit": 1})
                ).json()
                good = (
                    await http.get(
                        "/api/mlops/models",
                        params={
                            "metric": "test_accuracy",
                            "metric_min": 0.99,
                            "sort": "-metric",
                            "limit": 200,
                        },
                    )
                ).json()
                contains = (await http.get("/api/mlops/models", params={"q": "model-00", "limit": 1})).json()
                models = (await http.get("/api/models", params={"q": "model-004", "sort": "name"})).json()
        assert total == PER_MODEL and [r["version"] for r in one] == list(range(1, PER_MODEL + 1))
        assert [r["status"] for r in one] == [status(42, v, PER_MODEL) for v in range(1, PER_MODEL + 1)]
        assert first["total"] == MODELS * PER_MODEL
        newest = [r["model_id"] for r in first["models"]] + [r["model_id"] for r in second["models"]]
        assert len(set(newest)) == 100 and newest[0] == f"v{MODELS - 1:06d}{PER_MODEL:04d}"
        assert production["total"] == MODELS // 2
        assert vision["total"] == MODELS // len(TEAMS) * PER_MODEL
        expected = sorted(
            (
                accuracy(i, v)
                for i in range(MODELS)
                for v in range(1, PER_MODEL + 1)
                if accuracy(i, v) >= 0.99
            ),
            reverse=True,
        )
        assert good["total"] == len(expected)
        assert [r["metrics"]["test_accuracy"] for r in good["models"]] == expected[:200]
        assert contains["total"] == 100 * PER_MODEL
        assert [m["name"] for m in models["items"]] == [f"model-004{d}" for d in range(10)]
        assert (
            models["items"][0]["production_version"] == PER_MODEL
            and models["items"][1]["production_version"] is None
        )
