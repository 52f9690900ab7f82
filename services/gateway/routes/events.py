"""``/ws/events``: live events by topic, heartbeats, and resume from the last seen position.

Clients authenticate on the handshake with the session cookie or an ``Authorization: Bearer``
header; without either the socket is closed with code 4401. Each client sees only the topics its
role may see (the permission table).

Query parameters: ``topics`` (comma separated NATS patterns over the event subject without
``evt.``, default everything) and ``since`` (the last ``seq`` the client saw; the missed events
are replayed once each before live ones). Frames are JSON objects with a ``kind``: ``event``
(the envelope fields plus ``seq`` and ``subject``), ``heartbeat``, ``gap`` (events older than the
stream keeps were asked for), ``reset`` (``since`` is past the stream's end: the stream was
recreated, refetch state), ``subscribed`` and ``pong``. Client messages:
``{"action": "subscribe", "topics": [...]}`` and ``{"action": "ping"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from services.gateway.auth.http import CurrentCaller, authenticate
from services.gateway.gateway import Gateway, GatewayDep, websocket_gateway
from services.gateway.hub import HEARTBEAT, EventHub, Subscriber, parse_topics
from services.gateway.permissions import WEBSOCKETS, may, may_see
from services.kit.errors import InvalidRequest

router = APIRouter(tags=["events"])

SLOW_CLIENT = 4008
UNAUTHENTICATED = 4401
FORBIDDEN_ORIGIN = 4403


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: nothing rides along uninvited
    return urlsplit(origin).netloc == websocket.headers.get("host")


@router.websocket("/ws/events")
async def events(
    websocket: WebSocket,
    gateway: Annotated[Gateway, Depends(websocket_gateway)],
    topics: Annotated[str, Query(description="Comma separated topic patterns.")] = ">",
    since: Annotated[int | None, Query(ge=0, description="Last seq seen; replay after it.")] = None,
) -> None:
    await websocket.accept()
    caller = await authenticate(websocket, gateway.auth)
    if caller is None or not may(caller.role, WEBSOCKETS["/ws/events"]):
        await websocket.close(
            code=UNAUTHENTICATED, reason="sign in first: session cookie or Authorization: Bearer"
        )
        return
    if caller.via == "session" and not _same_origin(websocket):
        # A cookie rides along from any page; only pages of this origin may use it here.
        await websocket.close(code=FORBIDDEN_ORIGIN, reason="cross-origin WebSocket with a session cookie")
        return

    async def still_allowed() -> bool:
        again = await authenticate(websocket, gateway.auth)
        return again is not None and may(again.role, WEBSOCKETS["/ws/events"])

    try:
        patterns = parse_topics(topics)
    except ValueError as error:
        await websocket.close(code=1008, reason=f"topics: {error}"[:120])
        return
    hub = gateway.hub
    assert hub is not None
    subscriber = hub.subscribe(patterns, functools.partial(may_see, caller.role))
    sender = asyncio.create_task(
        _stream(websocket, hub, subscriber, since, gateway.settings.ws_heartbeat_seconds, still_allowed)
    )
    receiver = asyncio.create_task(_receive(websocket, subscriber))
    try:
        # Whichever ends first (client gone, or the stream closed a slow client) ends both.
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.unsubscribe(subscriber)
        for task in (sender, receiver):
            task.cancel()
        await asyncio.gather(sender, receiver, return_exceptions=True)


async def _stream(
    websocket: WebSocket,
    hub: EventHub,
    subscriber: Subscriber,
    since: int | None,
    heartbeat: float,
    still_allowed: Callable[[], Awaitable[bool]],
) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await _send(websocket, {"kind": "subscribed", "topics": list(subscriber.topics), "seq": hub.last_seq})
        if since is not None:
            await _replay(websocket, hub, subscriber, since)
        await _live(websocket, subscriber, heartbeat, hub, still_allowed)


async def _replay(websocket: WebSocket, hub: EventHub, subscriber: Subscriber, since: int) -> None:
    # The subscriber is registered before the bounds are read, so every event after `last`
    # reaches its queue and every event up to `last` is replayed: no gap, and `_live` skips
    # what the replay already sent.
    first, last = await hub.stream_bounds()
    start = since + 1
    if since > last:
        # The stream was recreated (its store wiped): what the client holds is stale.
        await _send(
            websocket, {"kind": "reset", "seq": last, "detail": f"since={since} is past the stream's end"}
        )
        subscriber.last_seq = last
        return
    if start < first and since < last:
        await _send(websocket, {"kind": "gap", "from_seq": start, "to_seq": first - 1})
        start = first
    subscriber.last_seq = since
    async for frame in hub.replay(start, last, subscriber.topics):
        if not subscriber.wants(frame.topic):
            continue
        await websocket.send_text(frame.text)
        subscriber.last_seq = frame.seq
    subscriber.last_seq = max(subscriber.last_seq, last)


async def _live(
    websocket: WebSocket,
    subscriber: Subscriber,
    heartbeat: float,
    hub: EventHub,
    still_allowed: Callable[[], Awaitable[bool]],
) -> None:
    beats = asyncio.create_task(_beat(subscriber, heartbeat))
    queue = subscriber.queue
    try:
        while True:
            if subscriber.overflowed and queue.empty():
                reason = f"slow consumer; resume with since={subscriber.last_seq}"
                await websocket.close(code=SLOW_CLIENT, reason=reason)
                return
            frame = await queue.get()
            if frame is HEARTBEAT:
                # Signed out, disabled or revoked since the handshake: the stream ends here.
                if not await still_allowed():
                    await websocket.close(code=UNAUTHENTICATED, reason="signed out, disabled or revoked")
                    return
                await _send(websocket, {"kind": "heartbeat", "seq": hub.last_seq})
                continue
            if frame.seq <= subscriber.last_seq:
                continue
            await websocket.send_text(frame.text)
            subscriber.last_seq = frame.seq
    finally:
        beats.cancel()


async def _beat(subscriber: Subscriber, interval: float) -> None:
    """Queue a heartbeat every ``interval``; a full queue needs none (frames are flowing)."""
    while True:
        await asyncio.sleep(interval)
        with contextlib.suppress(asyncio.QueueFull):
            subscriber.queue.put_nowait(HEARTBEAT)


async def _receive(websocket: WebSocket, subscriber: Subscriber) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await _answer(websocket, subscriber)


async def _answer(websocket: WebSocket, subscriber: Subscriber) -> None:
    while True:
        try:
            message = json.loads(await websocket.receive_text())
        except ValueError:
            await _send(websocket, {"kind": "error", "detail": "messages must be JSON objects"})
            continue
        action = message.get("action") if isinstance(message, dict) else None
        if action == "ping":
            await _send(websocket, {"kind": "pong"})
        elif action == "subscribe":
            try:
                subscriber.topics = parse_topics(message.get("topics") or [])
            except (ValueError, TypeError) as error:
                await _send(websocket, {"kind": "error", "field": "topics", "detail": str(error)})
                continue
            await _send(websocket, {"kind": "subscribed", "topics": list(subscriber.topics)})
        else:
            await _send(
                websocket, {"kind": "error", "field": "action", "detail": "expected 'ping' or 'subscribe'"}
            )


async def _send(websocket: WebSocket, body: dict[str, Any]) -> None:
    await websocket.send_text(json.dumps(body))


QUIET = (
    "workflow.run.progressed.",
    "workflow.run.logged.",
    "workflow.run.epoch_completed.",
    "infra.metrics.",
)
"""Events too frequent for an activity feed (live progress, log lines, metric collections)."""


class RecentEvent(BaseModel):
    """One event of the platform, as the WebSocket sends it."""

    seq: int = Field(description="Position in the event stream (resume a WebSocket with since=seq).")
    subject: str = Field(description="NATS subject, e.g. evt.workflow.run.succeeded.<job_id>.")
    id: str = Field(description="Event id.")
    type: str = Field(description="Message type, e.g. workflow.run.succeeded.v1.")
    source: str = Field(description="Service instance that published it.")
    time: datetime = Field(description="When it happened.")
    actor: dict[str, Any] | None = Field(default=None, description="Who caused it, when a person did.")
    correlation_id: str | None = Field(default=None, description="Correlation id (the command's).")
    data: dict[str, Any] = Field(description="The event's payload (see contracts/schemas).")


class RecentEvents(BaseModel):
    """The latest events the caller may see, newest first."""

    items: list[RecentEvent] = Field(description="Events, newest first.")
    seq: int = Field(description="The stream's last position when read.")


@router.get("/api/events/recent", summary="The latest events you may see, newest first (an activity feed).")
async def recent_events(
    caller: CurrentCaller,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Most events to return.")] = 30,
    topics: Annotated[
        str, Query(max_length=500, description="Comma separated topic patterns, as on /ws/events.")
    ] = ">",
    scan: Annotated[
        int, Query(ge=1, le=20000, description="How many of the stream's latest positions to look through.")
    ] = 3000,
) -> RecentEvents:
    try:
        patterns = parse_topics(topics)
    except ValueError as error:
        raise InvalidRequest(str(error), field="topics") from error
    hub = gateway.hub
    assert hub is not None
    first, last = await hub.stream_bounds()
    found: list[dict[str, Any]] = []
    async for frame in hub.replay(max(first, last - scan + 1, 1), last, patterns):
        if frame.topic.startswith(QUIET) or not may_see(caller.role, frame.topic):
            continue
        if frame.topic.split(".")[1:2] == ["command"] or ".system." in frame.topic:
            continue
        found.append(json.loads(frame.text))
    items = [RecentEvent.model_validate(body) for body in reversed(found[-limit:])]
    return RecentEvents(items=items, seq=last)
