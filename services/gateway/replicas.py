"""Which instances of each service are alive, from their heartbeats on ``hb.<service>``."""

from __future__ import annotations

import time

from nats.aio.msg import Msg
from pydantic import ValidationError

from contracts.system import ServiceStatus
from services.kit.bus import Bus


class ReplicaTracker:
    """Remembers the last heartbeat of every instance."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._seen: dict[tuple[str, str], tuple[float, ServiceStatus]] = {}

    async def start(self, bus: Bus) -> None:
        await bus.nc.subscribe("hb.*", cb=self._on_heartbeat)

    async def _on_heartbeat(self, msg: Msg) -> None:
        try:
            status = ServiceStatus.model_validate_json(msg.data)
        except ValidationError:
            return
        self._seen[(status.service, status.instance)] = (time.monotonic(), status)

    def alive(self, service: str) -> list[tuple[float, ServiceStatus]]:
        """``(seconds since last heartbeat, status)`` of each live instance of ``service``."""
        now = time.monotonic()
        for key in [k for k, (at, _) in self._seen.items() if now - at > 6 * self.window]:
            del self._seen[key]
        return sorted(
            (
                (round(now - at, 3), status)
                for (name, _), (at, status) in self._seen.items()
                if name == service and now - at <= self.window
            ),
            key=lambda item: item[1].instance,
        )
