"""Deployments on the local runtime, used as a person would: through the gateway's REST API."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import events, wait_for
from tests.infra.conftest import Loop, classes, deploy, infer_body, ready, register
from tests.ml.factories import Mnist

pytestmark = pytest.mark.slow


def prediction_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "prediction_count"
        for sample in family.samples
        if sample.name == "prediction_count_total"
    )


class TestServing:
    async def test_two_replicas_answer_200_digits_correctly_and_the_aggregates_count_them(
        self, infra_platform: Any, digit_models: list[Path], mnist: Mnist
    ) -> None:
        images, labels = mnist.test[0][:200], mnist.test[1][:200]
        async with infra_platform() as platform:
            http = platform.http
            model_id = await register(platform, digit_models[0])
            deployment = await deploy(http, model_id, replicas=2)
            assert deployment["model_name"] == "digits" and deployment["model_version"] == 1
            assert [e["event"] for e in deployment["history"]] == ["deploying", "ready"]
            infer = f"{deployment['endpoint']}/v2/models/digits/infer"
            limit = asyncio.Semaphore(8)

            async def one(n: int) -> list[int]:
                async with limit:
                    response = await http.post(infer, json=infer_body(images[n][None]))
                assert response.status_code == 200, response.text
                return classes(response.json())

            predicted = [c for cs in await asyncio.gather(*(one(n) for n in range(200))) for c in cs]
            accuracy = sum(int(p == y) for p, y in zip(predicted, labels, strict=True)) / 200
            assert accuracy >= 0.95, accuracy
            urls = [r["url"] for r in deployment["replicas"] if r["status"] == "ready"]
            async with httpx.AsyncClient() as direct:
                counts = [prediction_count((await direct.get(f"{url}/metrics")).text) for url in urls]
            assert sum(counts) == 200 and all(c > 0 for c in counts), counts

            async def aggregated() -> dict[str, Any] | None:
                series = (
                    await http.get(
                        f"/api/deployments/{deployment['deployment_id']}/metrics?window=600&step=10"
                    )
                ).json()
                return series if series["totals"]["requests"] == 200 else None

            series = await wait_for(aggregated, 15, 0.2, "200 requests in the aggregates")
            totals = series["totals"]
            assert totals["errors"] == 0 and totals["latency_p50_ms"] > 0
            assert totals["latency_p99_ms"] >= totals["latency_p50_ms"]
            assert sum(p["requests"] for p in series["points"]) == 200
            overall = (await http.get("/api/monitoring/metrics?window=600&step=60")).json()
            assert overall["totals"]["requests"] == 200
            # Live pages hear of new numbers: one event per collection that found traffic, adding up.
            bus = platform.services["infra"].bus
            deployment_id = deployment["deployment_id"]
            collected = await events(bus, f"evt.infra.metrics.collected.{deployment_id}")
            assert collected and sum(e["data"]["requests"] for e in collected) == 200

    async def test_an_unmodified_triton_client_gets_correct_answers(
        self, infra_platform: Any, digit_models: list[Path], mnist: Mnist
    ) -> None:
        tritonclient = pytest.importorskip("tritonclient.http")
        images, labels = mnist.test[0][:64], mnist.test[1][:64]
        async with infra_platform() as platform:
            deployment = await deploy(platform.http, await register(platform, digit_models[0]))
            host = platform.url.removeprefix("http://")
            headers = {"Authorization": f"Bearer {platform.admin_token}"}

            def call() -> Any:
                client = tritonclient.InferenceServerClient(url=f"{host}{deployment['endpoint']}")
                assert client.is_server_ready(headers=headers)
                assert client.is_model_ready("digits", headers=headers)
                metadata = client.get_model_metadata("digits", headers=headers)
                tensor = tritonclient.InferInput("input", [64, 1, 28, 28], "FP32")
                tensor.set_data_from_numpy(images.reshape(64, 1, 28, 28).astype("float32"))
                wanted = [tritonclient.InferRequestedOutput("classes")]
                result = client.infer("digits", [tensor], outputs=wanted, headers=headers)
                return metadata, result.as_numpy("classes")

            metadata, predicted = await asyncio.to_thread(call)
        assert metadata["name"] == "digits"
        assert (predicted == labels).mean() >= 0.95

    async def test_bad_requests_are_named_and_the_deployment_stays_ready(
        self, infra_platform: Any, digit_models: list[Path]
    ) -> None:
        async with infra_platform() as platform:
            http = platform.http
            missing = await http.post(
                "/api/mlops/deploy_model", json={"model_id": "no-such-version", "replicas": 1}
            )
            assert missing.status_code == 404 and missing.json()["field"] == "model_id"
            too_many = await http.post("/api/mlops/deploy_model", json={"model_id": "x", "replicas": 99})
            assert too_many.status_code == 422 and too_many.json()["field"] == "replicas"
            limits = {"cpu": "1", "memory": "3Gi"}
            deployment = await deploy(http, await register(platform, digit_models[0]), resource_limits=limits)
            assert deployment["resource_limits"] == limits
            process = psutil.Process(deployment["replicas"][0]["pid"])
            assert len(process.cpu_affinity()) == 1 and process.rlimit(psutil.RLIMIT_AS)[0] == 3 << 30
            infer = f"{deployment['endpoint']}/v2/models/digits/infer"
            body = {
                "inputs": [{"name": "input", "shape": [1, 27, 28], "datatype": "FP32", "data": [0.0] * 756}]
            }
            wrong = await http.post(infer, json=body)
            assert wrong.status_code == 400 and "28" in wrong.json()["error"]
            unknown = await http.get("/api/deployments/nope/v2/health/ready")
            assert unknown.status_code == 404 and unknown.json()["field"] == "deployment_id"
            assert (await http.get(f"{deployment['endpoint']}/v2/health/ready")).status_code == 200


class TestLifecycle:
    async def test_scale_then_delete_stops_every_replica(
        self, infra_platform: Any, digit_models: list[Path]
    ) -> None:
        async with infra_platform() as platform:
            http = platform.http
            deployment = await deploy(http, await register(platform, digit_models[0]))
            deployment_id = deployment["deployment_id"]
            scaled = await http.post(f"/api/deployments/{deployment_id}/scale", json={"replicas": 2})
            assert scaled.status_code == 200, scaled.text
            found = await ready(http, deployment_id)
            assert found["replicas_ready"] == 2
            pids = [r["pid"] for r in found["replicas"] if r["status"] == "ready"]
            assert (await http.delete(f"/api/deployments/{deployment_id}")).status_code == 200

            def gone() -> bool:
                return not any(_alive(pid) for pid in pids)

            await wait_for(gone, 15, 0.1, "replicas stopped")
            history = (await http.get(f"/api/deployments/{deployment_id}")).json()
            assert history["status"] == "deleted"
            changes = [e["event"] for e in history["history"]]
            assert changes[:2] == ["deploying", "ready"] and "scaled" in changes and changes[-1] == "deleted"
            listed = (await http.get("/api/deployments")).json()
            assert deployment_id not in [d["deployment_id"] for d in listed["items"]]
            details = (await http.get(f"/api/mlops/model_details/{deployment['model_id']}")).json()
            assert [(d["deployment_id"], d["status"]) for d in details["model_details"]["deployments"]] == [
                (deployment_id, "deleted")
            ]
            lineage = (await http.get(f"/api/lineage?model_id={deployment['model_id']}")).json()
            assert [d["deployment_id"] for d in lineage["deployments"]] == [deployment_id]
            bus = platform.services["infra"].bus
            published = [e["type"] for e in await events(bus, f"evt.infra.deployment.*.{deployment_id}")]
            assert (
                published[0] == "infra.deployment.deploying.v1"
                and published[-1] == "infra.deployment.deleted.v1"
            )
            assert {"infra.deployment.ready.v1", "infra.deployment.scaled.v1"} <= set(published)
            assert (await http.get(f"{deployment['endpoint']}/v2/health/ready")).status_code == 404

    async def test_promote_rolls_without_a_failed_request_and_rollback_follows_within_10s(
        self, infra_platform: Any, digit_models: list[Path], mnist: Mnist
    ) -> None:
        async with infra_platform() as platform:
            http = platform.http
            v1 = await register(platform, digit_models[0])
            v2 = await register(platform, digit_models[1])
            promoted = await http.post(
                "/api/mlops/promote_model", json={"model_id": v1, "new_status": "production"}
            )
            assert promoted.status_code == 200, promoted.text
            deployment = await deploy(http, v1, replicas=2)
            deployment_id = deployment["deployment_id"]
            loop = Loop(http, f"{deployment['endpoint']}/v2/models/digits/infer", mnist.test[0][:2000])
            with loop:
                await asyncio.sleep(1)
                promote = await http.post(
                    "/api/mlops/promote_model", json={"model_id": v2, "new_status": "production"}
                )
                assert promote.status_code == 200, promote.text
                rolled = await ready(http, deployment_id)
                assert rolled["model_id"] == v2
                warm = [r for r in rolled["replicas"] if r["model_id"] == v1 and r["status"] == "standby"]
                assert len(warm) == 2, "the replaced version stays warm for a quick rollback"
                await asyncio.sleep(2.5)  # past the old replicas' drain
                await loop.stop()
            assert loop.failures == [] and len(loop.answers) > 20
            versions = loop.versions()
            assert versions[0] == "1" and versions[-1] == "2", set(versions)

            started = time.monotonic()
            back = await http.post(
                "/api/mlops/rollback_model", json={"current_model_id": v2, "target_model_id": v1}
            )
            assert back.status_code == 200, back.text

            async def serves_v1() -> bool:
                answers = [
                    await http.post(
                        f"{deployment['endpoint']}/v2/models/digits/infer", json=infer_body(mnist.test[0][:1])
                    )
                    for _ in range(4)
                ]
                return all(a.status_code == 200 and a.json()["model_version"] == "1" for a in answers)

            await wait_for(serves_v1, 10, 0.1, "v1 served again")
            assert time.monotonic() - started <= 10
            found = await ready(http, deployment_id)
            events = [(e["event"], e["model_version"]) for e in found["history"]]
            assert ("updated", 2) in events and ("updated", 1) in events
            assert found["history"][-1]["event"] == "ready" and found["history"][-1]["model_version"] == 1

    async def test_a_killed_replica_is_restarted_and_no_request_is_lost(
        self, infra_platform: Any, digit_models: list[Path], mnist: Mnist
    ) -> None:
        async with infra_platform() as platform:
            http = platform.http
            deployment = await deploy(http, await register(platform, digit_models[0]), replicas=2)
            deployment_id = deployment["deployment_id"]
            victim = next(r for r in deployment["replicas"] if r["status"] == "ready")
            loop = Loop(http, f"{deployment['endpoint']}/v2/models/digits/infer", mnist.test[0][:2000])
            with loop:
                await asyncio.sleep(0.5)
                os.kill(victim["pid"], signal.SIGKILL)

                async def degraded_then_ready() -> dict[str, Any] | None:
                    found: dict[str, Any] = (await http.get(f"/api/deployments/{deployment_id}")).json()
                    events = [e["event"] for e in found["history"]]
                    return found if "degraded" in events and found["status"] == "ready" else None

                found = await wait_for(degraded_then_ready, 30, 0.1, "degraded, then ready again")
                await asyncio.sleep(0.5)
                await loop.stop()
            assert loop.failures == [] and len(loop.answers) > 10
            live = [r for r in found["replicas"] if r["status"] == "ready"]
            assert len(live) == 2 and victim["replica_id"] not in [r["replica_id"] for r in live]
            dead = next(r for r in found["replicas"] if r["replica_id"] == victim["replica_id"])
            assert dead["status"] == "dead"
            degraded = next(e for e in found["history"] if e["event"] == "degraded")
            assert victim["replica_id"] in degraded["detail"] and "restarting it" in degraded["detail"]
            alerts = (
                await http.get(f"/api/alerts?deployment_id={deployment_id}&alert_type=replica_restarted")
            ).json()
            assert (
                alerts["total"] == 1 and alerts["items"][0]["details"]["replica_id"] == victim["replica_id"]
            )

    async def test_a_version_that_cannot_start_fails_with_the_reason_and_an_alert(
        self, infra_platform: Any, digit_models: list[Path], tmp_path: Path
    ) -> None:
        broken = tmp_path / "broken"
        broken.mkdir()
        for name in ("manifest.json", "signature.json", "reference.json"):
            (broken / name).write_bytes((digit_models[0] / name).read_bytes())
        (broken / "model.pt").write_bytes(b"not a TorchScript archive")
        async with infra_platform() as platform:
            http = platform.http
            model_id = await register(platform, broken)
            answer = await http.post("/api/mlops/deploy_model", json={"model_id": model_id, "replicas": 1})
            deployment_id = answer.json()["deployment_id"]

            async def failed() -> dict[str, Any] | None:
                found: dict[str, Any] = (await http.get(f"/api/deployments/{deployment_id}")).json()
                return found if found["status"] == "failed" else None

            found = await wait_for(failed, 60, 0.2, "the deployment to fail")
            alerts = (await http.get(f"/api/alerts?deployment_id={deployment_id}")).json()["items"]
        reason = found["reason"]
        assert (
            reason.startswith("replicas of v1 failed to start: replica ") and "exited with code 1" in reason
        )
        assert "ERROR ml.serve: cannot load the model" in reason and " INFO " not in reason, reason
        assert [r["status"] for r in found["replicas"]] == ["dead"] * 3
        assert [e["event"] for e in found["history"]] == ["deploying", "failed"]
        assert [(a["alert_type"], a["severity"]) for a in alerts] == [("deployment_failed", "critical")]
        assert alerts[0]["details"]["reason"] == found["reason"]


class TestDrift:
    async def test_shifted_inputs_raise_a_drift_alert_that_people_acknowledge_and_resolve(
        self, infra_platform: Any, digit_models: list[Path], mnist: Mnist
    ) -> None:
        async with infra_platform() as platform:
            http = platform.http
            deployment = await deploy(http, await register(platform, digit_models[0]))
            deployment_id, endpoint = deployment["deployment_id"], deployment["endpoint"]
            infer = f"{endpoint}/v2/models/digits/infer"
            images = mnist.test[0][:1000]
            for start in range(0, 1000, 100):  # normal digits first: no drift
                assert (
                    await http.post(infer, json=infer_body(images[start : start + 100]))
                ).status_code == 200

            async def judged() -> dict[str, Any] | None:
                series = (
                    await http.get(f"/api/deployments/{deployment_id}/metrics?window=600&step=10")
                ).json()
                return series if series["totals"]["drift_status"] != "unknown" else None

            verdict = await wait_for(judged, 15, 0.2, "a drift verdict")
            assert verdict["totals"]["drift_status"] == "ok"
            assert (await http.get("/api/alerts")).json()["total"] == 0
            await http.post(f"{endpoint}/predict", json={"image": images[0].reshape(28, 28).tolist()})
            for start in range(0, 1000, 100):  # then inverted ones: white digits became black on white
                shifted = 1.0 - images[start : start + 100]
                assert (await http.post(infer, json=infer_body(shifted))).status_code == 200

            async def raised() -> list[dict[str, Any]]:
                page = (await http.get(f"/api/alerts?status=open&deployment_id={deployment_id}")).json()
                return [a for a in page["items"] if a["alert_type"] == "drift_detected"]

            alert = (await wait_for(raised, 20, 0.2, "a drift alert"))[0]
            details = alert["details"]
            assert details["model_name"] == "digits" and "mean_intensity" in details["features"]
            assert details["scores"]["mean_intensity"]["psi"] >= 0.25
            assert isinstance(details["avg_confidence"], float) and alert["timestamp"]
            assert alert["message"].startswith("drift detected on digits v1")

            acknowledged = await http.post(
                f"/api/alerts/{alert['alert_id']}/acknowledge", json={"note": "looking"}
            )
            assert acknowledged.status_code == 200, acknowledged.text
            again = await http.post(f"/api/alerts/{alert['alert_id']}/acknowledge", json={})
            assert again.status_code == 409 and again.json()["field"] == "alert_id"
            resolved = await http.post(f"/api/alerts/{alert['alert_id']}/resolve", json={"note": "retrained"})
            assert resolved.status_code == 200, resolved.text
            final = (await http.get(f"/api/alerts/{alert['alert_id']}")).json()
        assert final["status"] == "resolved"
        assert (final["acknowledged_by"], final["acknowledge_note"]) == ("admin", "looking")
        assert (final["resolved_by"], final["resolve_note"]) == ("admin", "retrained")
        assert final["acknowledged_at"] <= final["resolved_at"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"
