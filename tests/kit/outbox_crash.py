"""Run as a separate process by test_relay.py: commits events, then dies by SIGKILL.

``python -m tests.kit.outbox_crash before-publish URL NATS N``: commit N events, die before any relay runs.
``python -m tests.kit.outbox_crash after-publish URL NATS N``: relay publishes them, dies before deleting the rows.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from contracts.envelope import SYSTEM_ACTOR
from contracts.messages import spec
from contracts.system import Pinged
from services.kit.bus import Bus
from services.kit.db import create_engine
from services.kit.migrate import upgrade
from services.kit.relay import OutboxRelay
from services.kit.uow import UnitOfWork
from services.workflow.models import KIT


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main(mode: str, url: str, nats_url: str, count: int) -> None:
    engine = create_engine(url)
    if mode == "before-publish":
        await asyncio.to_thread(upgrade, "workflow", url)
        async with UnitOfWork(async_sessionmaker(engine), KIT) as uow:
            for i in range(count):
                data = Pinged(instance="crash", echo=str(i))
                uow.record(
                    spec("workflow.system.pinged.v1").envelope(
                        source="crash", correlation_id=f"crash-{i}", actor=SYSTEM_ACTOR, data=data
                    )
                )
        print("committed", flush=True)
        die()
    bus = await Bus.connect(nats_url, "crash")
    relay = OutboxRelay(engine, KIT, bus, "workflow")
    original = relay._publish

    async def publish_then_die(rows: Any) -> None:
        await original(rows)
        await bus.nc.flush()
        print("published", flush=True)
        die()

    relay._publish = publish_then_die  # type: ignore[method-assign]
    await relay.drain()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
