"""REST: readiness, system status, ping through the bus, command outcomes, problem+json."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts.envelope import Actor, Envelope
from contracts.messages import spec
from contracts.system import CommandSucceeded
from services.kit.errors import Conflict
from services.kit.uow import UnitOfWork
from tests.factories import wait_for

PROBLEM = "application/problem+json"


class TestReadiness:
    async def test_ready_when_every_service_answers(self, platform_factory: Any) -> None:
        async with platform_factory() as platform:

            async def ready() -> Any:
                response = await platform.http.get("/readyz")
                return response if response.status_code == 200 else None

            response = await wait_for(ready, what="/readyz to turn green")
            assert response.json()["checks"] == {
                "bus": True,
                "database": True,
                "consumers": True,
                "events": True,
                "gateway": True,
                "workflow": True,
                "registry": True,
                "infra": True,
                "assistant": True,
            }
            assert (await platform.http.get("/healthz")).json() == {"status": "ok"}

    async def test_not_ready_names_the_missing_service(self, platform_factory: Any) -> None:
        async with platform_factory(services=("workflow", "registry", "assistant")) as platform:

            async def only_infra_missing() -> Any:
                response = await platform.http.get("/readyz")
                failing = [k for k, ok in response.json()["checks"].items() if not ok]
                return response if failing == ["infra"] else None

            response = await wait_for(only_infra_missing, what="readiness to name infra alone")
            assert response.status_code == 503


class TestSystemStatus:
    async def test_every_service_with_version_and_replicas(self, platform_factory: Any) -> None:
        async with platform_factory() as platform:

            async def all_seen() -> Any:
                body = (await platform.http.get("/api/system/status")).json()
                return body if all(s["replicas"] == 1 for s in body["services"]) else None

            body = await wait_for(all_seen, what="a heartbeat from every service")
        assert [s["name"] for s in body["services"]] == [
            "gateway",
            "workflow",
            "registry",
            "infra",
            "assistant",
        ]
        assert all(s["up"] and s["version"] == body["version"] for s in body["services"])
        assert all(s["database"] == "sqlite" for s in body["services"])

    async def test_a_stopped_service_is_down(self, platform_factory: Any) -> None:
        async with platform_factory(services=("workflow",)) as platform:
            body = (await platform.http.get("/api/system/status")).json()
        by_name = {s["name"]: s for s in body["services"]}
        assert by_name["workflow"]["up"] is True
        assert by_name["registry"] | {"error": None} == {
            "name": "registry",
            "up": False,
            "version": None,
            "database": None,
            "replicas": 0,
            "instances": [],
            "error": None,
        }
        assert by_name["registry"]["error"] == "registry did not answer"


class TestPing:
    async def test_ping_is_answered_through_the_bus(self, platform_factory: Any) -> None:
        async with platform_factory() as platform:
            response = await platform.http.post(
                "/api/system/ping", json={"service": "registry", "echo": "hi"}
            )
            assert response.status_code == 200
            body = response.json()
            assert body["status"] == "succeeded"
            assert body["result"] == {
                "instance": platform.services["registry"].settings.instance_id,
                "echo": "hi",
            }
            assert body["command_id"] and body["correlation_id"]

            async def recorded() -> Any:
                view = (await platform.http.get(f"/api/commands/{body['command_id']}")).json()
                return view if view["status"] == "succeeded" else None

            view = await wait_for(recorded, what="the outcome to be persisted")
            assert view["result"] == body["result"]
            assert view["created_at"].endswith("Z") and view["completed_at"]

    async def test_the_gateway_pings_itself(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            response = await platform.http.post("/api/system/ping", json={"service": "gateway"})
        assert response.status_code == 200
        assert response.json()["type"] == "gateway.system.ping.v1"

    async def test_a_command_for_a_stopped_service_is_queued_and_completes_when_it_returns(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=(), command_wait_seconds=0.3) as platform:
            response = await platform.http.post("/api/system/ping", json={"service": "infra"})
            assert response.status_code == 202
            command_id = response.json()["command_id"]
            assert response.headers["location"] == f"/api/commands/{command_id}"
            assert (await platform.http.get(f"/api/commands/{command_id}")).json()["status"] == "pending"

            await platform.start_service("infra")

            async def done() -> Any:
                view = (await platform.http.get(f"/api/commands/{command_id}")).json()
                return view if view["status"] != "pending" else None

            view = await wait_for(done, what="the queued ping to complete")
        assert view["status"] == "succeeded"

    async def test_a_rejected_command_is_a_problem_with_the_owners_status(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=("workflow",)) as platform:

            async def refuse(envelope: Envelope, uow: UnitOfWork) -> None:
                raise Conflict("a run is already active", field="echo")

            platform.services["workflow"].command_handlers["workflow.system.ping.v1"] = refuse
            response = await platform.http.post("/api/system/ping", json={"service": "workflow"})
        assert response.status_code == 409
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["code"] == "conflict"
        assert body["detail"] == "a run is already active"
        assert body["field"] == "echo"
        assert body["command_id"] and body["correlation_id"]


class TestProblems:
    async def test_an_unknown_service_names_the_field(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            response = await platform.http.post("/api/system/ping", json={"service": "billing"})
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["field"] == "service"
        assert response.json()["detail"].startswith("service: Input should be 'gateway'")

    async def test_unknown_fields_are_refused(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            response = await platform.http.post(
                "/api/system/ping", json={"service": "infra", "colour": "red"}
            )
        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": "colour", "message": "Extra inputs are not permitted"}]

    async def test_a_body_that_is_not_json(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            response = await platform.http.post(
                "/api/system/ping", content=b"{nope", headers={"content-type": "application/json"}
            )
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM

    async def test_an_unknown_command(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            response = await platform.http.get("/api/commands/does-not-exist")
            unknown_api = await platform.http.get("/api/nothing-here")
        assert response.status_code == 404
        assert response.json()["field"] == "command_id"
        assert unknown_api.status_code == 404
        assert unknown_api.headers["content-type"] == PROBLEM


class TestConcurrency:
    async def test_many_pings_at_once_all_succeed(self, platform_factory: Any) -> None:
        async with platform_factory(services=("workflow",)) as platform:
            responses = await asyncio.gather(
                *(
                    platform.http.post("/api/system/ping", json={"service": "workflow", "echo": str(i)})
                    for i in range(50)
                )
            )
        assert [r.status_code for r in responses] == [200] * 50
        assert sorted(int(r.json()["result"]["echo"]) for r in responses) == list(range(50))


class TestOutcomeFirst:
    async def test_an_outcome_for_a_command_not_yet_recorded_creates_its_row(
        self, platform_factory: Any, bus: Any
    ) -> None:
        outcome = spec("infra.command.succeeded.v1").envelope(
            source="infra/x",
            correlation_id="corr-x",
            causation_id="cmd-x",
            actor=Actor(id="ada", role="editor"),
            data=CommandSucceeded(
                command_id="cmd-x", command_type="infra.system.ping.v1", result={"ok": True}
            ),
        )
        async with platform_factory(services=()) as platform:
            await bus.publish_envelope("evt", outcome)

            async def recorded() -> Any:
                response = await platform.http.get("/api/commands/cmd-x")
                return response.json() if response.status_code == 200 else None

            view = await wait_for(recorded, what="the outcome to create the command row")
        assert view["status"] == "succeeded"
        assert view["service"] == "infra"
        assert view["type"] == "infra.system.ping.v1"
        assert view["result"] == {"ok": True}
        assert view["correlation_id"] == "corr-x"
