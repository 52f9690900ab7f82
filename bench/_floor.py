"""Item 2, the floor: raw nats-py request/reply and JetStream publish->ack on the platform's NATS."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import nats
from _common import say, summary_ms, table
from nats.errors import NoRespondersError
from nats.js.api import StorageType, StreamConfig


async def floor(nats_url: str, quick: bool) -> None:
    n = 1000 if quick else 3000
    payload = b"x" * 400
    client = await nats.connect(nats_url, name="bench-floor")
    responder = await nats.connect(nats_url, name="bench-echo")

    async def echo(msg: Any) -> None:
        await msg.respond(msg.data)

    await responder.subscribe("bench.echo", cb=echo)
    await responder.flush()
    for attempt in range(50):  # the server may still be applying the bench user's reload
        try:
            await client.request("bench.echo", payload, timeout=2)
            break
        except NoRespondersError:
            if attempt == 49:
                raise
            await asyncio.sleep(0.1)
    for _ in range(100):
        await client.request("bench.echo", payload, timeout=2)
    rr = []
    for _ in range(n):
        t = time.perf_counter()
        await client.request("bench.echo", payload, timeout=2)
        rr.append(time.perf_counter() - t)

    js = client.jetstream()
    await js.add_stream(
        StreamConfig(
            name="BENCHFLOOR", subjects=["benchfloor.>"], storage=StorageType.FILE, duplicate_window=120
        )
    )
    try:
        for i in range(100):
            await js.publish("benchfloor.warm", payload, headers={"Nats-Msg-Id": f"w{i}"})
        acks = []
        for _ in range(n):
            t = time.perf_counter()
            await js.publish("benchfloor.seq", payload, headers={"Nats-Msg-Id": uuid.uuid4().hex})
            acks.append(time.perf_counter() - t)
        total, window = (3000 if quick else 10000), asyncio.Semaphore(256)

        async def pub() -> None:
            async with window:
                await js.publish("benchfloor.pipe", payload, headers={"Nats-Msg-Id": uuid.uuid4().hex})

        t = time.perf_counter()
        await asyncio.gather(*(pub() for _ in range(total)))
        pipelined = total / (time.perf_counter() - t)
    finally:
        await js.delete_stream("BENCHFLOOR")
        await responder.close()
        await client.close()
    a, b = summary_ms(rr), summary_ms(acks)
    nan = float("nan")
    say(
        table(
            "2. Floor: raw nats-py on the platform's NATS server (400 B payload, sequential, responder in the "
            "bench process)",
            ["path", "n", "p50 ms", "p99 ms", "max ms", "msgs/s"],
            [
                [
                    "core request/reply (echo responder)",
                    a["n"],
                    a["p50"],
                    a["p99"],
                    a["max"],
                    a["n"] / sum(rr),
                ],
                [
                    "JetStream publish->ack (file stream)",
                    b["n"],
                    b["p50"],
                    b["p99"],
                    b["max"],
                    b["n"] / sum(acks),
                ],
                ["JetStream publish, 256 acks in flight", total, nan, nan, nan, pipelined],
            ],
        )
    )
