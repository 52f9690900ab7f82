"""The durable consumer on a real NATS server: dedup, redelivery, dead letters, replicas."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from contracts.envelope import Envelope
from services.kit.bus import Bus
from services.kit.errors import Conflict
from services.kit.uow import UnitOfWork
from tests.factories import (
    build_service,
    count_calls,
    events,
    outcome_of,
    ping,
    running,
    settings,
    stream_messages,
    wait_for,
)

PING = "workflow.system.ping.v1"


class TestDeduplication:
    async def test_same_message_id_published_twice_is_stored_and_handled_once(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        service = build_service("workflow", settings(nats_url, sqlite_url))
        calls = count_calls(service, PING)
        command = ping()
        first = await bus.publish_envelope("cmd", command)
        second = await bus.publish_envelope("cmd", command)
        assert (first.duplicate, second.duplicate) == (None, True)
        async with running(service):
            await outcome_of(bus, command.id)
            await asyncio.sleep(0.3)
        assert calls == [command.id]
        related = [e for e in await events(bus) if e["correlation_id"] == command.correlation_id]
        assert sorted(e["type"] for e in related) == [
            "workflow.command.succeeded.v1",
            "workflow.system.pinged.v1",
        ]

    async def test_a_redelivered_message_is_applied_once(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        # Published twice without Nats-Msg-Id, as after a crash past the dedup window: the inbox
        # still recognises the envelope id.
        service = build_service("workflow", settings(nats_url, sqlite_url))
        calls = count_calls(service, PING)
        command = ping()
        for _ in range(2):
            await bus.publish("cmd.workflow.system.ping", command.to_bytes(), {})
        async with running(service):
            await outcome_of(bus, command.id)
            await wait_for(lambda: _consumer_idle(service), what="both deliveries settled")
        assert calls == [command.id]
        outcomes = [
            e for e in await events(bus, "evt.workflow.command.*") if e["data"]["command_id"] == command.id
        ]
        assert len(outcomes) == 1


async def _consumer_idle(service) -> bool:  # type: ignore[no-untyped-def]
    info = await service.bus.js.consumer_info("CMD_WORKFLOW", "workflow-commands")
    return info.num_ack_pending == 0 and info.num_pending == 0


class TestRedelivery:
    async def test_a_handler_that_raises_is_retried_until_it_succeeds(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        service = build_service("workflow", settings(nats_url, sqlite_url))
        attempts: list[int] = []
        original = service.command_handlers[PING]

        async def flaky(envelope: Envelope, uow: UnitOfWork) -> dict[str, object] | None:
            attempts.append(1)
            if len(attempts) < 3:
                raise ConnectionError("database briefly away")
            return await original(envelope, uow)

        service.command_handlers[PING] = flaky
        command = ping()
        async with running(service):
            await bus.publish_envelope("cmd", command)
            outcome = await outcome_of(bus, command.id)
        assert outcome["type"] == "workflow.command.succeeded.v1"
        assert len(attempts) == 3
        assert await stream_messages(bus, "DLQ") == []

    async def test_a_handler_that_always_fails_is_dead_lettered_and_rejected(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        service = build_service("workflow", settings(nats_url, sqlite_url, max_deliveries=3))

        async def broken(envelope: Envelope, uow: UnitOfWork) -> None:
            raise RuntimeError("disk on fire")

        service.command_handlers[PING] = broken
        command = ping()
        async with running(service):
            await bus.publish_envelope("cmd", command)
            outcome = await outcome_of(bus, command.id)
            dead = await wait_for(lambda: stream_messages(bus, "DLQ"), what="dead letter")
        assert outcome["type"] == "workflow.command.rejected.v1"
        assert outcome["data"]["code"] == "internal_error"
        assert outcome["data"]["status"] == 500
        assert len(dead) == 1
        assert dead[0].subject == "dlq.workflow.cmd.workflow.system.ping"
        assert "failed 3 times" in dead[0].headers["Mlops-Dead-Letter-Reason"]
        assert "disk on fire" in dead[0].headers["Mlops-Dead-Letter-Reason"]
        assert json.loads(dead[0].data)["id"] == command.id


class TestPoison:
    async def test_an_undecodable_message_is_dead_lettered_while_the_service_keeps_serving(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        service = build_service("workflow", settings(nats_url, sqlite_url))
        async with running(service):
            await bus.publish("cmd.workflow.system.ping", b"\x00 definitely not json", {})
            dead = await wait_for(lambda: stream_messages(bus, "DLQ"), what="dead letter")
            command = ping()
            await bus.publish_envelope("cmd", command)
            outcome = await outcome_of(bus, command.id)
        assert dead[0].data == b"\x00 definitely not json"
        assert dead[0].headers["Mlops-Dead-Letter-Reason"].startswith("undecodable: (message): Invalid JSON")
        assert outcome["type"] == "workflow.command.succeeded.v1"

    async def test_an_unknown_command_type_is_dead_lettered_and_answered(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        service = build_service("workflow", settings(nats_url, sqlite_url))
        body = json.loads(ping().to_bytes())
        body["type"] = "workflow.system.explode.v1"
        async with running(service):
            await bus.publish("cmd.workflow.system.explode", json.dumps(body).encode(), {})
            outcome = await outcome_of(bus, body["id"])
            dead = await wait_for(lambda: stream_messages(bus, "DLQ"), what="dead letter")
        assert outcome["type"] == "workflow.command.rejected.v1"
        assert outcome["data"]["code"] == "invalid_message"
        assert "unknown message type 'workflow.system.explode.v1'" in outcome["data"]["reason"]
        assert outcome["correlation_id"] == body["correlation_id"]
        assert "unknown message type" in dead[0].headers["Mlops-Dead-Letter-Reason"]


class TestRejection:
    async def test_a_business_rule_violation_is_rejected_once_and_not_retried(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        service = build_service("workflow", settings(nats_url, sqlite_url))
        calls: list[str] = []

        async def refuse(envelope: Envelope, uow: UnitOfWork) -> None:
            calls.append(envelope.id)
            uow.record(service.event("workflow.system.pinged.v1", envelope, {"instance": "must not leak"}))
            raise Conflict("already running", field="echo")

        service.command_handlers[PING] = refuse
        command = ping()
        async with running(service):
            await bus.publish_envelope("cmd", command)
            outcome = await outcome_of(bus, command.id)
            await asyncio.sleep(0.3)
        assert outcome["data"] | {"command_id": None} == {
            "command_id": None,
            "command_type": PING,
            "code": "conflict",
            "reason": "already running",
            "status": 409,
            "field": "echo",
        }
        assert calls == [command.id]
        assert [
            e for e in await events(bus, "evt.workflow.system.pinged") if e["causation_id"] == command.id
        ] == []


class TestReplicas:
    async def test_two_replicas_share_one_consumer_without_double_handling(
        self, bus: Bus, nats_url: str, postgres_url: str
    ) -> None:
        first = build_service("workflow", settings(nats_url, postgres_url, instance_id="replica-a"))
        second = build_service("workflow", settings(nats_url, postgres_url, instance_id="replica-b"))
        calls = {"a": count_calls(first, PING), "b": count_calls(second, PING)}
        commands = [ping(echo=str(i)) for i in range(200)]
        async with running(first), running(second):
            await asyncio.gather(*(bus.publish_envelope("cmd", c) for c in commands))

            async def all_answered() -> bool:
                return len(await events(bus, "evt.workflow.command.succeeded")) >= len(commands)

            await wait_for(all_answered, timeout=30, what="200 outcomes")
            await asyncio.sleep(0.3)
        handled = Counter(calls["a"] + calls["b"])
        assert set(handled) == {c.id for c in commands}
        assert max(handled.values()) == 1
        assert calls["a"] and calls["b"], "both replicas should take part"
        pinged = await events(bus, "evt.workflow.system.pinged")
        assert {e["data"]["instance"] for e in pinged} == {"replica-a", "replica-b"}
        assert len(pinged) == len(commands)


class TestSlowHandlers:
    async def test_a_handler_longer_than_ack_wait_is_neither_redelivered_nor_rejected(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        service = build_service("workflow", settings(nats_url, sqlite_url, ack_wait_seconds=1.0))
        calls: list[str] = []
        original = service.command_handlers[PING]

        async def slow(envelope: Envelope, uow: UnitOfWork) -> dict[str, object] | None:
            calls.append(envelope.id)
            await asyncio.sleep(3.5)
            return await original(envelope, uow)

        service.command_handlers[PING] = slow
        command = ping()
        async with running(service):
            await bus.publish_envelope("cmd", command)
            outcome = await outcome_of(bus, command.id)
        assert outcome["type"] == "workflow.command.succeeded.v1"
        assert calls == [command.id]
        assert await stream_messages(bus, "DLQ") == []


class TestOutages:
    async def test_a_database_outage_is_retried_past_the_handler_budget(
        self, bus: Bus, nats_url: str, sqlite_url: str
    ) -> None:
        from sqlalchemy.exc import OperationalError

        service = build_service("workflow", settings(nats_url, sqlite_url, max_deliveries=2))
        attempts: list[int] = []
        original = service.command_handlers[PING]

        async def database_away(envelope: Envelope, uow: UnitOfWork) -> dict[str, object] | None:
            attempts.append(1)
            if len(attempts) <= 4:
                raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
            return await original(envelope, uow)

        service.command_handlers[PING] = database_away
        command = ping()
        async with running(service):
            await bus.publish_envelope("cmd", command)
            outcome = await outcome_of(bus, command.id, timeout=20)
        assert outcome["type"] == "workflow.command.succeeded.v1"
        assert len(attempts) == 5
