"""The event hub: one live subscription to the event stream, fanned out to WebSocket clients.

Each client has a bounded queue: a client too slow to keep up is disconnected with the stream
position to resume from, so it never stalls the others and never loses an event. Outcome events
also resolve the futures of POSTs waiting for their command.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts.subjects import EVENT_STREAM, event_subjects, subject_matches
from services.kit.bus import Bus

log = logging.getLogger(__name__)

OUTCOME_SUFFIXES = (".command.succeeded.v1", ".command.rejected.v1")


@dataclass(frozen=True)
class Frame:
    """One event as sent to WebSocket clients, serialized once for all of them."""

    seq: int
    topic: str
    text: str


HEARTBEAT = Frame(seq=0, topic="", text="")
"""Queued by a connection's heartbeat timer, so one loop sends everything in order."""


def to_frame(seq: int, subject: str, envelope: dict[str, Any]) -> Frame:
    topic = subject.removeprefix("evt.")
    body = {"kind": "event", "seq": seq, "subject": subject, **envelope}
    return Frame(seq=seq, topic=topic, text=json.dumps(body, separators=(",", ":")))


def parse_topics(raw: str | Iterable[str]) -> tuple[str, ...]:
    """Topic filters: NATS wildcard patterns over event subjects without ``evt.``."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    topics = tuple(t.strip() for t in items if t.strip())
    for topic in topics:
        tokens = topic.split(".")
        if any(not t for t in tokens) or (">" in tokens[:-1]):
            raise ValueError(f"topic {topic!r} is not a valid pattern (tokens separated by '.', '>' last)")
    return topics or EVERYTHING


EVERYTHING = (">",)
_matches = functools.lru_cache(maxsize=65536)(subject_matches)


@dataclass(eq=False)
class Subscriber:
    """A WebSocket client's view of the hub."""

    topics: tuple[str, ...]
    queue: asyncio.Queue[Frame]
    visible: Callable[[str], bool] = lambda _topic: True
    overflowed: bool = False
    last_seq: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, topic: str) -> bool:
        chosen = self.topics == EVERYTHING or any(_matches(pattern, topic) for pattern in self.topics)
        return chosen and self.visible(topic)

    def offer(self, frame: Frame) -> None:
        if self.overflowed or not self.wants(frame.topic):
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True
            self.changed.set()


class EventHub:
    """Live fan-out of ``evt.>`` to subscribers, plus replay from a stream position."""

    def __init__(self, bus: Bus, queue_size: int) -> None:
        self.bus = bus
        self.queue_size = queue_size
        self.subscribers: set[Subscriber] = set()
        self.waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.last_seq = 0
        self._sub: Any = None

    async def start(self) -> None:
        info = await self.bus.js.stream_info(EVENT_STREAM)
        self.last_seq = info.state.last_seq
        self._sub = await self.bus.js.subscribe(
            event_subjects(),
            stream=EVENT_STREAM,
            ordered_consumer=True,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self.last_seq + 1
            ),
            cb=self._on_message,
            pending_msgs_limit=-1,
            pending_bytes_limit=-1,
        )

    async def stop(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
        for waiter in self.waiters.values():
            waiter.cancel()

    @property
    def running(self) -> bool:
        return self._sub is not None

    def subscribe(self, topics: tuple[str, ...], visible: Callable[[str], bool]) -> Subscriber:
        """A new subscriber to ``topics``, of which it receives those ``visible`` allows."""
        subscriber = Subscriber(topics=topics, queue=asyncio.Queue(self.queue_size), visible=visible)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def expect(self, command_id: str) -> asyncio.Future[dict[str, Any]]:
        """A future resolved with the outcome event of ``command_id`` (register before publishing)."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiters[command_id] = future
        return future

    def forget(self, command_id: str) -> None:
        self.waiters.pop(command_id, None)

    async def _on_message(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self.last_seq:
            return  # an ordered consumer recreated after a reconnect may start over
        try:
            envelope = json.loads(msg.data)
        except ValueError:
            log.warning("skipping an event that is not JSON at seq %d", seq)
            self.last_seq = seq
            return
        self.last_seq = seq
        if not isinstance(envelope, dict):
            return
        if str(envelope.get("type", "")).endswith(OUTCOME_SUFFIXES):
            data = envelope.get("data") or {}
            waiter = self.waiters.pop(str(data.get("command_id")), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(envelope)
        frame = to_frame(seq, msg.subject, envelope)
        for subscriber in self.subscribers:
            subscriber.offer(frame)

    async def stream_bounds(self) -> tuple[int, int]:
        """``(first, last)`` sequence currently held by the event stream."""
        state = (await self.bus.js.stream_info(EVENT_STREAM)).state
        return state.first_seq, state.last_seq

    async def replay(self, start: int, until: int, topics: tuple[str, ...]) -> AsyncIterator[Frame]:
        """Frames with ``start <= seq <= until`` matching ``topics``, in order."""
        if start > until:
            return
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=30,
            filter_subject=f"evt.{topics[0]}" if len(topics) == 1 else event_subjects(),
        )
        sub = await self.bus.js.pull_subscribe(
            config.filter_subject or "", stream=EVENT_STREAM, config=config
        )
        name = ""
        try:
            seq = start - 1
            while seq < until:
                info = await sub.consumer_info()
                name, pending = info.name, info.num_pending or 0
                if pending == 0:
                    return  # nothing more matches the filter
                try:
                    messages = await sub.fetch(batch=min(500, pending), timeout=2.0)
                except (NatsTimeout, TimeoutError):
                    continue
                for msg in messages:
                    seq = msg.metadata.sequence.stream
                    if seq > until:
                        return
                    with contextlib.suppress(ValueError):
                        frame = to_frame(seq, msg.subject, json.loads(msg.data))
                        if any(_matches(p, frame.topic) for p in topics):
                            yield frame
        finally:
            # Shielded: a client that leaves mid-replay cancels us, and the consumer must still go.
            await asyncio.shield(self._drop_consumer(sub, name))

    async def _drop_consumer(self, sub: Any, name: str) -> None:
        with contextlib.suppress(Exception):
            await self.bus.js.delete_consumer(EVENT_STREAM, name or (await sub.consumer_info()).name)
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
