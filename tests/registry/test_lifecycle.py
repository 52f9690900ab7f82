"""Promote, rollback, archive and aliases through REST: the rules, the timeline, the events."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path
from typing import Any

from services.kit.bus import Bus
from tests.factories import events
from tests.registry.conftest import register


async def details(http: Any, model_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/mlops/model_details/{model_id}")
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()["model_details"]
    return detail


def statuses(detail: dict[str, Any]) -> dict[int, str]:
    return {v["version"]: v["status"] for v in detail["versions"]}


class TestPromote:
    async def test_promoting_to_production_archives_the_old_production(
        self, platform_factory: Any, bus: Bus
    ) -> None:
        async with platform_factory(services=("registry",)) as platform:
            v1, v2 = await register(bus, "digits"), await register(bus, "digits", accuracy=0.95)
            http = platform.http
            for body in (
                {"model_id": v1["model_id"], "new_status": "production"},
                {"model_id": v2["model_id"], "new_status": "staging", "note": "looks better"},
                {"model_id": "digits", "new_version": 2, "new_status": "production"},
            ):
                response = await http.post("/api/mlops/promote_model", json=body)
                assert response.status_code == 200, response.text
            detail = await details(http, v1["model_id"])
            changed = await events(bus, "evt.registry.model.production_changed.*")
        assert statuses(detail) == {1: "archived", 2: "production"}
        assert detail["production_version"] == 2 and detail["metrics"]["test_accuracy"] == 0.95
        v1_timeline = [(c["action"], c["to_status"], c["actor"]) for c in detail["versions"][1]["timeline"]]
        assert v1_timeline == [
            ("register", "registered", "ada"),
            ("promote", "production", "admin"),
            ("replaced", "archived", "admin"),
        ]
        assert [c["note"] for c in detail["versions"][0]["timeline"]][1] == "looks better"
        last = changed[-1]["data"]
        assert (last["version"], last["previous_version"], last["reason"]) == (2, 1, "promote")

    async def test_invalid_moves_are_refused_naming_the_field(self, platform_factory: Any, bus: Bus) -> None:
        async with platform_factory(services=("registry",)) as platform:
            v1 = await register(bus, "digits")
            http = platform.http
            await http.post(f"/api/model-versions/{v1['model_id']}/archive", json={"note": "old"})
            back = await http.post(
                "/api/mlops/promote_model", json={"model_id": v1["model_id"], "new_status": "production"}
            )
            again = await http.post(f"/api/model-versions/{v1['model_id']}/archive")
            by_name = await http.post(
                "/api/mlops/promote_model", json={"model_id": "digits", "new_status": "staging"}
            )
            unknown = await http.post(
                "/api/mlops/promote_model", json={"model_id": "nope", "new_status": "staging"}
            )
            bad = await http.post(
                "/api/mlops/promote_model", json={"model_id": v1["model_id"], "new_status": "live"}
            )
        assert back.status_code == 409 and back.json()["field"] == "new_status"
        assert "use rollback" in back.json()["detail"]
        assert again.status_code == 409 and "already archived" in again.json()["detail"]
        assert by_name.status_code == 422 and by_name.json()["field"] == "new_version"
        assert unknown.status_code == 404 and unknown.json()["field"] == "model_id"
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "new_status"

    async def test_concurrent_promotes_leave_one_production_version(
        self, platform_factory: Any, bus: Bus, postgres_url: str
    ) -> None:
        async with platform_factory(services=("registry",), database=postgres_url) as platform:
            await platform.start_service("registry")  # a second replica: two consumers, two sessions
            versions = [await register(bus, "digits") for _ in range(6)]
            for _ in range(3):
                answers = await asyncio.gather(
                    *(
                        platform.http.post(
                            "/api/mlops/promote_model",
                            json={"model_id": v["model_id"], "new_status": "production"},
                        )
                        for v in versions
                    )
                )
                assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
                detail = await details(platform.http, versions[0]["model_id"])
                assert list(statuses(detail).values()).count("production") == 1
                for v in versions:  # back to staging for the next round
                    await platform.http.post(
                        f"/api/model-versions/{v['model_id']}/promote", json={"new_status": "staging"}
                    )


class TestRollback:
    async def test_rollback_makes_the_target_production_and_says_so(
        self, platform_factory: Any, bus: Bus
    ) -> None:
        async with platform_factory(services=("registry",)) as platform:
            v1, v2 = await register(bus, "digits"), await register(bus, "digits")
            http = platform.http
            await http.post(
                "/api/mlops/promote_model", json={"model_id": v1["model_id"], "new_status": "production"}
            )
            await http.post(
                "/api/mlops/promote_model", json={"model_id": v2["model_id"], "new_status": "production"}
            )
            response = await http.post(
                "/api/mlops/rollback_model",
                json={
                    "current_model_id": v2["model_id"],
                    "target_model_id": v1["model_id"],
                    "note": "v2 drifts",
                },
            )
            detail = await details(http, v2["model_id"])
            wrong = await http.post(
                "/api/mlops/rollback_model",
                json={"current_model_id": v2["model_id"], "target_model_id": v1["model_id"]},
            )
            changed = await events(bus, "evt.registry.model.production_changed.*")
        assert response.status_code == 200, response.text
        assert response.json()["result"]["version"] == 1
        assert statuses(detail) == {1: "production", 2: "archived"}
        rollback = [c for c in detail["timeline"] if c["action"] == "rollback"]
        assert [(c["version"], c["to_status"], c["actor"], c["note"]) for c in rollback] == [
            (2, "archived", "admin", "v2 drifts"),
            (1, "production", "admin", "v2 drifts"),
        ]
        last = changed[-1]["data"]
        assert (last["reason"], last["model_id"], last["previous_version"]) == ("rollback", v1["model_id"], 2)
        assert wrong.status_code == 409 and wrong.json()["field"] == "current_model_id"


class TestAliasesAndDetails:
    async def test_aliases_move_and_show_in_lists(self, platform_factory: Any, bus: Bus) -> None:
        async with platform_factory(services=("registry",)) as platform:
            v1, _ = await register(bus, "digits"), await register(bus, "digits")
            http = platform.http
            assert (
                await http.put("/api/models/digits/aliases/champion", json={"version": 1})
            ).status_code == 200
            assert (
                await http.put("/api/models/digits/aliases/champion", json={"version": 2})
            ).status_code == 200
            await http.put("/api/models/digits/aliases/candidate", json={"version": 1})
            listed = (await http.get("/api/models")).json()
            await http.delete("/api/models/digits/aliases/candidate")
            version = (await http.get(f"/api/model-versions/{v1['model_id']}")).json()
            missing = await http.put("/api/models/digits/aliases/champion", json={"version": 9})
            bad = await http.put("/api/models/digits/aliases/Champion!", json={"version": 1})
        assert listed["items"][0]["aliases"] == {"champion": 2, "candidate": 1}
        assert version["aliases"] == []
        assert [(c["action"], c["note"]) for c in version["timeline"]] == [
            ("register", "from run " + version["job_id"]),
            ("alias_set", "alias champion"),
            ("alias_removed", "alias champion moved to version 2"),
            ("alias_set", "alias candidate"),
            ("alias_removed", "alias candidate"),
        ]
        assert missing.status_code == 404 and missing.json()["field"] == "version"
        assert bad.status_code == 422

    async def test_compare_lineage_and_artifact_download(
        self, platform_factory: Any, bus: Bus, tmp_path: Path
    ) -> None:
        artifact = tmp_path / "run-a"
        artifact.mkdir()
        (artifact / "model.joblib").write_bytes(b"model bytes")
        (artifact / "metrics.json").write_text('{"test_accuracy": 0.9}')
        async with platform_factory(services=("registry",)) as platform:
            a = await register(bus, "digits", run_id="run-a", artifact=artifact, accuracy=0.9)
            b = await register(bus, "digits", run_id="run-b", accuracy=0.8, dataset="e" * 64)
            http = platform.http
            comparison = (
                await http.get(
                    "/api/model-versions/compare",
                    params=[("model_id", a["model_id"]), ("model_id", b["model_id"])],
                )
            ).json()
            by_run = (await http.get("/api/lineage", params={"run_id": "run-a"})).json()
            by_data = (await http.get("/api/lineage", params={"dataset": "e" * 64})).json()
            download = await http.get(f"/api/model-versions/{a['model_id']}/artifact")
            viewer = await platform.user("viewer")
            refused = await viewer.get(f"/api/model-versions/{a['model_id']}/artifact")
            gone = await http.get(f"/api/model-versions/{b['model_id']}/artifact")
        assert comparison["metrics"]["test_accuracy"] == [0.9, 0.8]
        assert (
            comparison["params"] == {"params.n_estimators": [90, 80]} and comparison["same_dataset"] is False
        )
        assert [v["model_id"] for v in by_run["versions"]] == [a["model_id"]] and by_run["datasets"][0][
            "sha256"
        ] == "d" * 64
        assert by_data["runs"] == ["run-b"]
        assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
        names = sorted(zipfile.ZipFile(io.BytesIO(download.content)).namelist())
        assert names == ["metrics.json", "model.joblib"]
        assert refused.status_code == 403
        assert gone.status_code == 404
