"""WebSocket /ws/events: live events by topic, resume with no gap and no duplicate, slow clients."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from contracts.envelope import SYSTEM_ACTOR
from contracts.messages import spec
from contracts.system import Pinged
from services.gateway.hub import Frame, Subscriber
from services.kit.bus import Bus
from tests.factories import wait_for


async def frames(ws: Any, kind: str = "event", count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
    """The next ``count`` frames of ``kind`` (others are skipped)."""
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            frame = json.loads(await ws.recv())
            if frame["kind"] == kind:
                found.append(frame)
    return found


async def quiet(ws: Any, seconds: float = 0.5) -> list[dict[str, Any]]:
    """Event frames that arrive within ``seconds``."""
    found = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                frame = json.loads(await ws.recv())
                if frame["kind"] == "event":
                    found.append(frame)
    except TimeoutError:
        return found


async def publish_events(bus: Bus, count: int, prefix: str = "e") -> list[str]:
    """Publish ``count`` workflow.system.pinged events straight to the stream; returns their ids."""
    envelopes = [
        spec("workflow.system.pinged.v1").envelope(
            source="test",
            correlation_id=f"{prefix}-{i}",
            actor=SYSTEM_ACTOR,
            data=Pinged(instance="t", echo=str(i)),
        )
        for i in range(count)
    ]
    for start in range(0, count, 200):
        await asyncio.gather(*(bus.publish_envelope("evt", e) for e in envelopes[start : start + 200]))
    return [e.id for e in envelopes]


class TestLive:
    async def test_a_ping_over_rest_is_seen_on_the_websocket(self, platform_factory: Any) -> None:
        async with platform_factory(services=("registry",)) as platform:
            async with websockets.connect(platform.ws_url, additional_headers=platform.ws_headers) as ws:
                subscribed = (await frames(ws, "subscribed"))[0]
                assert subscribed["topics"] == [">"]
                body = (await platform.http.post("/api/system/ping", json={"service": "registry"})).json()
                received = await frames(ws, count=2)
        assert {f["type"] for f in received} == {"registry.system.pinged.v1", "registry.command.succeeded.v1"}
        for frame in received:
            assert frame["correlation_id"] == body["correlation_id"]
            assert frame["causation_id"] == body["command_id"]
            assert frame["seq"] > subscribed["seq"]
            assert frame["subject"] == "evt." + frame["type"].removesuffix(".v1")
            assert {"id", "source", "time", "actor", "data"} <= frame.keys()

    async def test_topic_filters_choose_what_arrives(self, platform_factory: Any) -> None:
        async with platform_factory(services=("registry", "workflow")) as platform:
            async with websockets.connect(
                platform.ws_url + "?topics=registry.system.*", additional_headers=platform.ws_headers
            ) as ws:
                await frames(ws, "subscribed")
                await platform.http.post("/api/system/ping", json={"service": "workflow"})
                await platform.http.post("/api/system/ping", json={"service": "registry"})
                received = await frames(ws) + await quiet(ws)
                assert [f["type"] for f in received] == ["registry.system.pinged.v1"]

                await ws.send(json.dumps({"action": "subscribe", "topics": ["*.command.succeeded"]}))
                await frames(ws, "subscribed")
                await platform.http.post("/api/system/ping", json={"service": "workflow"})
                received = await frames(ws) + await quiet(ws)
                assert [f["type"] for f in received] == ["workflow.command.succeeded.v1"]

    async def test_client_messages_are_answered(self, platform_factory: Any) -> None:
        async with (
            platform_factory(services=()) as platform,
            websockets.connect(platform.ws_url, additional_headers=platform.ws_headers) as ws,
        ):
            await ws.send(json.dumps({"action": "ping"}))
            assert (await frames(ws, "pong"))[0] == {"kind": "pong"}
            await ws.send(json.dumps({"action": "subscribe", "topics": ["a..b"]}))
            error = (await frames(ws, "error"))[0]
            assert error["field"] == "topics" and "a..b" in error["detail"]
            await ws.send("not json")
            assert (await frames(ws, "error"))[0]["detail"] == "messages must be JSON objects"

    async def test_heartbeats_carry_the_stream_position(self, platform_factory: Any) -> None:
        async with platform_factory(services=(), ws_heartbeat_seconds=0.2) as platform:
            async with websockets.connect(platform.ws_url, additional_headers=platform.ws_headers) as ws:
                beats = await frames(ws, "heartbeat", count=2, timeout=3)
        assert all(isinstance(b["seq"], int) for b in beats)

    async def test_an_invalid_topic_closes_the_handshake(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            with pytest.raises(ConnectionClosed) as closed:
                async with websockets.connect(
                    platform.ws_url + "?topics=>.x", additional_headers=platform.ws_headers
                ) as ws:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


class TestResume:
    async def test_reconnecting_with_the_last_seen_seq_replays_the_missed_events_once(
        self, platform_factory: Any, bus: Bus
    ) -> None:
        async with platform_factory(services=("workflow",)) as platform:
            async with websockets.connect(
                platform.ws_url + "?topics=workflow.>", additional_headers=platform.ws_headers
            ) as ws:
                await frames(ws, "subscribed")
                await platform.http.post("/api/system/ping", json={"service": "workflow"})
                seen = await frames(ws, count=2)
            last = max(f["seq"] for f in seen)

            missed = await publish_events(bus, 30, "missed")
            await publish_events(bus, 5, "elsewhere")  # also missed, but published on another topic below
            async with websockets.connect(
                f"{platform.ws_url}?topics=workflow.>&since={last}", additional_headers=platform.ws_headers
            ) as ws:
                await frames(ws, "subscribed")
                replayed = await frames(ws, count=35)
                live = await publish_events(bus, 3, "live")
                after = await frames(ws, count=3) + await quiet(ws)
        assert [f["id"] for f in replayed][:30] == missed
        assert [f["seq"] for f in replayed] == sorted({f["seq"] for f in replayed})
        assert replayed[0]["seq"] == last + 1
        assert [f["id"] for f in after] == live

    async def test_replay_respects_topics(self, platform_factory: Any, bus: Bus) -> None:
        async with platform_factory(services=("registry", "workflow")) as platform:
            await platform.http.post("/api/system/ping", json={"service": "workflow"})
            await platform.http.post("/api/system/ping", json={"service": "registry"})
            async with websockets.connect(
                f"{platform.ws_url}?topics=registry.>&since=0", additional_headers=platform.ws_headers
            ) as ws:
                replayed = await frames(ws, count=2) + await quiet(ws)
        assert {f["type"] for f in replayed} == {"registry.system.pinged.v1", "registry.command.succeeded.v1"}


class TestSlowClients:
    def test_an_overflowing_subscriber_is_marked_without_blocking_others(self) -> None:
        slow = Subscriber(topics=(">",), queue=asyncio.Queue(3))
        fast = Subscriber(topics=(">",), queue=asyncio.Queue(100))
        for seq in range(1, 11):
            frame = Frame(seq=seq, topic="workflow.system.pinged", text="{}")
            slow.offer(frame)
            fast.offer(frame)
        assert slow.overflowed and slow.queue.qsize() == 3
        assert not fast.overflowed and fast.queue.qsize() == 10

    async def test_a_slow_client_is_closed_with_its_resume_position_and_loses_nothing(
        self, platform_factory: Any, bus: Bus
    ) -> None:
        async with platform_factory(services=(), ws_queue_size=10) as platform:
            async with websockets.connect(
                platform.ws_url + "?topics=workflow.>", max_queue=None, additional_headers=platform.ws_headers
            ) as ws:
                await frames(ws, "subscribed")
                published = await publish_events(bus, 2000)
                received: list[dict[str, Any]] = []
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                        if frame["kind"] == "event":
                            received.append(frame)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
            since = int(closed.value.rcvd.reason.rsplit("since=", 1)[1])
            assert since == received[-1]["seq"]
            async with websockets.connect(
                f"{platform.ws_url}?topics=workflow.>&since={since}", additional_headers=platform.ws_headers
            ) as ws:
                rest = await frames(ws, count=len(published) - len(received), timeout=20)
        ids = [f["id"] for f in received + rest]
        assert ids == published


class TestResumeEdges:
    async def test_a_position_past_the_stream_end_is_reset(self, platform_factory: Any, bus: Bus) -> None:
        async with platform_factory(services=()) as platform:
            _, last = await platform.gateway.hub.stream_bounds()
            async with websockets.connect(
                f"{platform.ws_url}?since={last + 1000}", additional_headers=platform.ws_headers
            ) as ws:
                reset = (await frames(ws, "reset"))[0]
                live = await publish_events(bus, 2, "after-reset")
                received = await frames(ws, count=2)
        assert reset["seq"] == last
        assert [f["id"] for f in received] == live

    async def test_replay_leaves_no_consumer_behind(self, platform_factory: Any, bus: Bus) -> None:
        async with platform_factory(services=()) as platform:
            await publish_events(bus, 10)
            before = {c.name for c in await bus.js.consumers_info("EVT")}
            async with websockets.connect(
                f"{platform.ws_url}?since=0", additional_headers=platform.ws_headers
            ) as ws:
                await frames(ws, count=10)

            async def only_before() -> bool:
                return {c.name for c in await bus.js.consumers_info("EVT")} == before

            await wait_for(only_before, timeout=5, what="the replay consumer to be deleted")


class TestWhoMayListen:
    async def test_a_cross_origin_handshake_with_the_session_cookie_is_refused(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=()) as platform:
            cookie = f"mlops_session={platform.http.cookies['mlops_session']}"
            host = platform.url.removeprefix("http://")
            headers = {"Cookie": cookie, "Origin": "http://evil.example"}
            async with websockets.connect(platform.ws_url, additional_headers=headers, origin=None) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.recv()
            same = {"Cookie": cookie, "Origin": f"http://{host}"}
            async with websockets.connect(platform.ws_url, additional_headers=same, origin=None) as ws:
                assert json.loads(await ws.recv())["kind"] == "subscribed"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

    async def test_a_revoked_token_ends_an_open_stream_at_the_next_heartbeat(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=(), ws_heartbeat_seconds=0.3) as platform:
            created = (await platform.http.post("/api/auth/tokens", json={"name": "brief"})).json()
            headers = {"Authorization": f"Bearer {created['token']}"}
            async with websockets.connect(platform.ws_url, additional_headers=headers) as ws:
                await frames(ws, "heartbeat")
                await platform.http.delete(f"/api/auth/tokens/{created['id']}")
                with pytest.raises(ConnectionClosed) as closed:
                    await frames(ws, "never", timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
