"""The bus enforces who may publish and subscribe what: a real nats-server with the configuration
``mlops up`` generates, and the real services connecting with their own credentials."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout

from contracts.envelope import SYSTEM_ACTOR, Envelope, new_id
from contracts.messages import spec
from contracts.subjects import SERVICES, command_stream
from contracts.system import StatusRequest
from services.cli.nats_auth import GRANTS, SECRETS_QUERY, generate_passwords, may_publish, permissions
from services.cli.natsd import nats_server_config_argv, write_embedded_config
from services.cli.ports import free_port
from services.gateway.hub import EventHub
from services.kit.bus import Bus, inbox_prefix, provisioned_services
from services.kit.runtime import Service
from tests.factories import build_service, outcome_of, ping, running, settings, stream_messages, wait_for
from tests.servers import serving


@dataclass
class AuthServer:
    """A nats-server configured exactly as ``mlops up`` configures the embedded one."""

    url: str
    passwords: dict[str, str]
    log: Path

    async def bus(self, service: str, password: str | None = None) -> Bus:
        return await Bus.connect(
            self.url,
            f"{service}/test",
            service=service,
            user=service,
            password=password if password is not None else self.passwords[service],
        )

    def violations(self) -> list[str]:
        """Permission violations the server logged so far."""
        return [
            line
            for line in self.log.read_text().splitlines()
            if "Publish Violation" in line or "Subscription Violation" in line
        ]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AuthServer]:
    port = free_port()
    passwords = generate_passwords()
    config = write_embedded_config(tmp_path / "nats", port, passwords)
    log = tmp_path / "nats.log"
    with serving(nats_server_config_argv(config), port, log):
        yield AuthServer(f"nats://127.0.0.1:{port}", passwords, log)


@pytest.fixture
async def gateway_bus(server: AuthServer) -> AsyncIterator[Bus]:
    """The gateway's connection; it provisions every stream, as the gateway does."""
    bus = await server.bus("gateway")
    await bus.provision()
    yield bus
    await bus.close()


async def wait_violation(server: AuthServer, subject: str, user: str) -> str:
    found: str = await wait_for(
        lambda: next(
            (v for v in server.violations() if f'Subject "{subject}"' in v and f"user:{user}" in v), None
        ),
        timeout=5,
        what=f"the server to report {user} publishing {subject}",
    )
    return found


# --- the table ------------------------------------------------------------------------------------


def test_the_table_covers_every_service_and_keeps_commands_with_their_owner() -> None:
    assert set(GRANTS) == set(SERVICES)
    for service in SERVICES:
        perms = permissions(service)
        assert f"{inbox_prefix(service)}.>" in perms.subscribe
        assert f"qry.{service}.>" in perms.subscribe
        assert perms.allow_responses
        for other in SERVICES:
            command = f"cmd.{other}.system.ping"
            assert may_publish(service, command) == (service == "gateway"), (service, command)
            if other != service:
                assert not may_publish(service, f"evt.{other}.system.pinged")
                assert f"qry.{other}.>" not in perms.subscribe
    assert [s for s in SERVICES if may_publish(s, SECRETS_QUERY)] == [
        "gateway",
        "workflow",
        "infra",
        "assistant",
    ]
    assert SECRETS_QUERY == "qry.gateway.settings.secret"
    # A service provisions its own command stream; the gateway, which issues commands, all of them.
    assert provisioned_services("registry") == ("registry",)
    assert provisioned_services("gateway") == provisioned_services(None) == SERVICES


# --- what is refused ------------------------------------------------------------------------------


async def test_registry_cannot_publish_the_workflows_commands(server: AuthServer, gateway_bus: Bus) -> None:
    registry = await server.bus("registry")
    try:
        with pytest.raises((NatsTimeout, TimeoutError)):
            await registry.js.publish("cmd.workflow.system.ping", ping("workflow").to_bytes(), timeout=1)
        await wait_violation(server, "cmd.workflow.system.ping", "registry")
        # Nor through the JetStream API: its own streams only.
        with pytest.raises((NatsTimeout, TimeoutError)):
            await registry.nc.jetstream(timeout=1).stream_info(command_stream("workflow"))
        # The registry still works for what it owns.
        assert (await registry.js.stream_info(command_stream("registry"))).config.name == "CMD_REGISTRY"
        await registry.publish("evt.registry.system.pinged", b"{}")
    finally:
        await registry.close()
    info = await gateway_bus.js.stream_info(command_stream("workflow"))
    assert info.state.messages == 0


@pytest.mark.parametrize("asker", ["workflow", "infra", "assistant"])
async def test_secrets_query_is_answered_for_workflow_infra_and_assistant(
    server: AuthServer, gateway_bus: Bus, asker: str
) -> None:
    async def answer(msg: Msg) -> None:
        await msg.respond(b"the secret")

    await gateway_bus.serve(SECRETS_QUERY, "gateway", answer)
    bus = await server.bus(asker)
    try:
        reply = await bus.nc.request(SECRETS_QUERY, b"{}", timeout=2)
        assert reply.data == b"the secret"
        assert reply.subject.startswith(f"{inbox_prefix(asker)}.")
    finally:
        await bus.close()
    assert server.violations() == []


async def test_registry_may_not_ask_for_secrets(server: AuthServer, gateway_bus: Bus) -> None:
    asked: list[bytes] = []

    async def answer(msg: Msg) -> None:
        asked.append(msg.data)
        await msg.respond(b"the secret")

    await gateway_bus.serve(SECRETS_QUERY, "gateway", answer)
    registry = await server.bus("registry")
    try:
        with pytest.raises((NatsTimeout, TimeoutError)):
            await registry.nc.request(SECRETS_QUERY, b"{}", timeout=1)
        await wait_violation(server, SECRETS_QUERY, "registry")
    finally:
        await registry.close()
    assert asked == []


async def test_no_one_listens_to_another_services_inbox_or_queries(server: AuthServer) -> None:
    registry = await server.bus("registry")
    try:
        await registry.nc.subscribe(f"{inbox_prefix('gateway')}.>")
        await registry.nc.subscribe("qry.gateway.>")
        await registry.nc.flush()
        await wait_for(
            lambda: sum("Subscription Violation" in v for v in server.violations()) >= 2,
            timeout=5,
            what="two refused subscriptions",
        )
    finally:
        await registry.close()


@pytest.mark.parametrize(
    ("user", "password"), [(None, None), ("registry", "wrong"), ("registry", "gateway's"), ("nobody", "x")]
)
async def test_anonymous_and_wrong_credentials_are_refused(
    server: AuthServer, user: str | None, password: str | None
) -> None:
    if password == "gateway's":
        password = server.passwords["gateway"]
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        nc = await nats.connect(
            server.url,
            user=user,
            password=password,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            connect_timeout=2,
        )
        await nc.close()
    assert "authentication error" in server.log.read_text()


# --- the real services, with the real permissions -------------------------------------------------

SLOW = 0.5


async def test_every_service_runs_and_answers_with_its_own_credentials(
    server: AuthServer, gateway_bus: Bus, tmp_path: Path
) -> None:
    """Proves the table matches what the code does: provisioning, pull consumers on commands and
    events, acks, the outbox relay, dead letters, heartbeats, queries, and the gateway's ordered
    consumer, replays and reads of the dead-letter stream."""
    seen: dict[str, list[str]] = {name: [] for name in SERVICES}

    def watch(service: Service) -> None:
        """Handle commands and events slowly enough that each message is answered several times:
        "in progress" twice, then acked. A reply subject may be answered once only
        (``allow_responses``), so this needs the explicit ack permissions."""
        handle_ping = service.command_handlers[f"{service.name}.system.ping.v1"]

        async def slow_ping(command: Envelope, uow: Any) -> Any:
            await asyncio.sleep(SLOW)
            return await handle_ping(command, uow)

        async def on_pinged(event: Envelope, _uow: Any) -> None:
            await asyncio.sleep(SLOW)
            seen[service.name].append(event.id)

        service.command_handlers[f"{service.name}.system.ping.v1"] = slow_ping
        service.on_event("registry.system.pinged.v1")(on_pinged)

    async with AsyncExitStack() as stack:
        services: dict[str, Service] = {}
        for name in SERVICES:
            config = settings(
                server.url,
                f"sqlite+aiosqlite:///{tmp_path / name}.db",
                nats_user=name,
                nats_password=server.passwords[name],
                ack_wait_seconds=SLOW * 1.2,  # "in progress" every 0.4 * SLOW
            )
            service = build_service(name, config)
            watch(service)
            services[name] = await stack.enter_async_context(running(service))

        # Commands through each service's work queue, sent with the gateway's credentials.
        commands = {name: ping(name, echo=name) for name in SERVICES}
        for command in commands.values():
            await gateway_bus.publish_envelope("cmd", command)
        for name, command in commands.items():
            outcome = await outcome_of(gateway_bus, command.id)
            assert outcome["type"] == f"{name}.command.succeeded.v1", outcome
            assert outcome["data"]["result"]["echo"] == name

        # Status queries, answered by each service's queue group.
        for name in SERVICES:
            query = spec(f"{name}.system.status.v1")
            envelope = query.envelope(
                source="gateway/test", correlation_id=new_id(), actor=SYSTEM_ACTOR, data=StatusRequest()
            )
            reply = await gateway_bus.query(query, envelope)
            assert reply.ok, (name, reply.error)
            assert reply.data is not None and reply.data["service"] == name

        # Heartbeats of every service reach the gateway.
        beats: set[str] = set()

        async def heard(msg: Msg) -> None:
            beats.add(json.loads(msg.data)["service"])

        await gateway_bus.nc.subscribe("hb.*", cb=heard)
        await wait_for(lambda: beats == set(SERVICES), what="a heartbeat from every service")

        # Every service read the registry's event through its own durable consumer on EVT.
        await wait_for(lambda: all(seen.values()), what="every service to see registry.system.pinged")

        # A command nobody can decode is dead-lettered by its owner; the gateway reads DLQ.
        await gateway_bus.publish("cmd.registry.system.ping", b"not json", {"Nats-Msg-Id": new_id()})
        dead = await wait_for(lambda: stream_messages(gateway_bus, "DLQ"), what="a dead letter")
        assert dead[0].subject == "dlq.registry.cmd.registry.system.ping"

        # The gateway's event hub, on the gateway service's own connection: a live ordered
        # consumer on EVT, and replay from a position with an ephemeral consumer it deletes after.
        assert services["gateway"].bus is not None
        hub = EventHub(services["gateway"].bus, 100)
        await hub.start()
        try:
            later = ping("workflow", echo="live")
            waiter = hub.expect(later.id)
            await gateway_bus.publish_envelope("cmd", later)
            assert (await asyncio.wait_for(waiter, 10))["data"]["result"]["echo"] == "live"
            first, last = await hub.stream_bounds()
            replayed = [frame async for frame in hub.replay(first, last, ("*.system.pinged",))]
            assert {json.loads(f.text)["data"]["echo"] for f in replayed} >= {*SERVICES, "live"}
        finally:
            await hub.stop()
    assert server.violations() == []


async def test_a_service_cannot_change_the_event_stream_to_capture_another_services_inbox(
    server: AuthServer, gateway_bus: Bus
) -> None:
    registry = await server.bus("registry")
    try:
        config = (await registry.js.stream_info("EVT")).config
        config.subjects = [*(config.subjects or []), "_INBOX_infra.>"]
        with pytest.raises(Exception):  # noqa: B017 - a refused JetStream API call surfaces as a timeout
            await registry.js.update_stream(config, timeout=1)
    finally:
        await registry.close()
    assert (await gateway_bus.js.stream_info("EVT")).config.subjects == ["evt.>"]


async def test_a_service_waits_for_the_gateway_to_create_its_streams(server: AuthServer) -> None:
    infra = await server.bus("infra")
    try:
        waiting = asyncio.create_task(infra.provision())
        await asyncio.sleep(0.6)
        assert not waiting.done()
        gateway = await server.bus("gateway")
        await gateway.provision()
        await asyncio.wait_for(waiting, 5)
        await gateway.close()
    finally:
        await infra.close()
