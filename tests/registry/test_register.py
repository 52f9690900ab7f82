"""Registering versions: one per run, whatever the deliveries; numbered per model."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from contracts.envelope import new_id
from contracts.messages import spec
from contracts.registry import MODEL_REGISTER, RegisterModelVersion
from services.kit.bus import Bus
from services.registry.models import ModelVersion, VersionChange
from tests.factories import EDITOR, build_service, events, outcome_of, running, settings


def register(run_id: str, name: str = "digits") -> RegisterModelVersion:
    return RegisterModelVersion(
        model_name=name,
        model_type="mnist_pytorch_cnn",
        run_id=run_id,
        artifact_uri=f"/artifacts/runs/{run_id}",
        metrics={"test_accuracy": 0.98},
        dataset={"sha256": "ab" * 32, "source": "local_path"},
    )


def command(data: RegisterModelVersion):  # type: ignore[no-untyped-def]
    return spec(MODEL_REGISTER).envelope(source="test/1", correlation_id=new_id(), actor=EDITOR, data=data)


class TestRegister:
    async def test_the_same_run_registered_twice_gives_one_version(
        self, bus: Bus, nats_url: str, database_url: str
    ) -> None:
        service = build_service("registry", settings(nats_url, database_url))
        first, again = command(register("run-1")), command(register("run-1"))
        async with running(service):
            await bus.publish_envelope("cmd", first)
            await bus.publish_envelope("cmd", again)  # a second command for the same run
            await bus.publish("cmd.registry.model.register", first.to_bytes(), {})  # a redelivery
            outcomes = [await outcome_of(bus, c.id) for c in (first, again)]
            await asyncio.sleep(0.5)
            async with service.unit_of_work() as uow:
                versions = await uow.session.scalar(select(func.count()).select_from(ModelVersion))
                changes = await uow.session.scalar(select(func.count()).select_from(VersionChange))
        assert [o["type"] for o in outcomes] == ["registry.command.succeeded.v1"] * 2
        assert outcomes[0]["data"]["result"] == outcomes[1]["data"]["result"]
        assert outcomes[0]["data"]["result"]["version"] == 1
        assert (versions, changes) == (1, 1)
        registered = [e for e in await events(bus, "evt.registry.model_version.registered.*")]
        assert len([e for e in registered if e["data"]["run_id"] == "run-1"]) == 1

    async def test_versions_are_numbered_per_model(self, bus: Bus, nats_url: str, sqlite_url: str) -> None:
        service = build_service("registry", settings(nats_url, sqlite_url))
        commands = [command(register(f"run-{i}", "a" if i % 2 else "b")) for i in range(5)]
        async with running(service):
            for item in commands:
                await bus.publish_envelope("cmd", item)
            results = [(await outcome_of(bus, c.id))["data"]["result"] for c in commands]
        numbered = sorted((r["model_name"], r["version"]) for r in results)
        assert numbered == [("a", 1), ("a", 2), ("b", 1), ("b", 2), ("b", 3)]
