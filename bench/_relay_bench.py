"""Outbox relay bench: units of work commit events, the kit's OutboxRelay publishes them to JetStream,
a core NATS subscriber on the same server timestamps their arrival.

Three phases per database:
- ``sustained``: C committers as fast as they can, relay running (woken by each commit);
- ``paced``: commits at a fixed offered event rate, relay running;
- ``drain``: a backlog committed with the relay stopped, then one relay publishes it all.
Commit→arrival latency is measured from the moment the commit returned to the arrival of the
message at the subscriber (keyed by its ``Nats-Msg-Id``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

import nats
from _common import cpu_seconds, say, summary_ms, table
from sqlalchemy.ext.asyncio import async_sessionmaker

from contracts.envelope import SYSTEM_ACTOR, Envelope
from services.kit.bus import Bus
from services.kit.db import create_engine
from services.kit.migrate import upgrade
from services.kit.relay import OutboxRelay
from services.kit.uow import UnitOfWork
from services.workflow.models import KIT

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
EVENT_TYPE = "bench.outbox.recorded.v1"  # subject evt.bench.outbox.recorded (EVT stream)


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:160])


def _envelope(unit: int, n: int) -> Envelope:
    return Envelope(
        type=EVENT_TYPE,
        source="bench/relay",
        correlation_id=f"bench-{unit}",
        actor=SYSTEM_ACTOR,
        data={"unit": unit, "n": n, "pad": "x" * 64},
    )


class RelayBench:
    def __init__(self, nats_url: str, db_url: str) -> None:
        self.nats_url = nats_url
        self.db_url = db_url
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0  # arrivals of an id already seen: the relay published a row twice

    async def __aenter__(self) -> RelayBench:
        await asyncio.to_thread(upgrade, "workflow", self.db_url)
        self.engine = create_engine(self.db_url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.bus = await Bus.connect(self.nats_url, "bench-relay")
        self.listener = await nats.connect(self.nats_url, name="bench-relay-listener")
        await self.listener.subscribe(
            "evt.bench.outbox.>", cb=self._arrived, pending_msgs_limit=-1, pending_bytes_limit=-1
        )
        await self.listener.flush()
        self.log = _Counter()
        logging.getLogger("services.kit.relay").addHandler(self.log)
        self._cpu, self._wall = cpu_seconds(os.getpid()), time.perf_counter()
        return self

    async def __aexit__(self, *exc: object) -> None:
        logging.getLogger("services.kit.relay").removeHandler(self.log)
        await self.listener.close()
        bus_log = logging.getLogger("services.kit.bus")
        level = bus_log.level
        bus_log.setLevel(logging.ERROR)  # Bus.close() logs "nats disconnected; reconnecting"
        await self.bus.close()
        bus_log.setLevel(level)
        await self.engine.dispose()

    async def _arrived(self, msg: Any) -> None:
        now = time.perf_counter()
        key = msg.headers.get("Nats-Msg-Id") if msg.headers else None
        if key in self.arrivals:
            self.duplicates += 1
        else:
            self.arrivals[key] = now

    async def _commit(
        self, relay: OutboxRelay | None, unit: int, per_unit: int, commits: dict[str, float]
    ) -> None:
        async with UnitOfWork(self.sessions, KIT, relay.committed if relay else None) as uow:
            for n in range(per_unit):
                uow.record(_envelope(unit, n))
            ids = [e.id for e in uow.recorded]
        now = time.perf_counter()
        for key in ids:
            commits[key] = now

    async def _wait_arrivals(self, commits: dict[str, float], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and any(k not in self.arrivals for k in commits):  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    def _result(
        self, phase: str, commits: dict[str, float], started: float, extra: dict[str, Any]
    ) -> dict[str, Any]:
        dups, self.duplicates = self.duplicates, 0
        warnings, self.log.messages = self.log.messages, []
        cpu, wall = cpu_seconds(os.getpid()), time.perf_counter()
        cpu_percent = (cpu - self._cpu) / (wall - self._wall) * 100
        self._cpu, self._wall = cpu, wall
        lat = [self.arrivals[k] - t for k, t in commits.items() if k in self.arrivals]
        arrived = [self.arrivals[k] for k in commits if k in self.arrivals]
        span = (max(arrived) - started) if arrived else float("nan")
        return {
            "phase": phase,
            "events": len(commits),
            "missing": len(commits) - len(lat),
            "events_per_s": len(lat) / span if arrived else 0.0,
            "duplicates": dups,
            "cpu_percent": cpu_percent,
            "warnings": warnings,
            **{k: v for k, v in summary_ms([max(0.0, x) for x in lat]).items() if k != "n"},
            **extra,
        }

    async def sustained(self, units: int, per_unit: int, concurrency: int) -> dict[str, Any]:
        relay = OutboxRelay(self.engine, KIT, self.bus, "workflow")
        relay.start()
        commits: dict[str, float] = {}
        started = time.perf_counter()

        async def worker(first: int) -> None:
            for unit in range(first, units, concurrency):
                await self._commit(relay, unit, per_unit, commits)

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        committed = time.perf_counter() - started
        await self._wait_arrivals(commits, 30)
        await relay.stop()
        return self._result(
            f"max: {concurrency} committers, {per_unit} ev/UoW",
            commits,
            started,
            {"commit_per_s": len(commits) / committed},
        )

    async def paced(self, events_per_s: float, seconds: float, per_unit: int) -> dict[str, Any]:
        """Open loop: a unit of work of ``per_unit`` events is due every ``per_unit / events_per_s`` s."""
        relay = OutboxRelay(self.engine, KIT, self.bus, "workflow")
        relay.start()
        commits: dict[str, float] = {}
        units = int(events_per_s * seconds / per_unit)
        interval = per_unit / events_per_s
        started = time.perf_counter()
        tasks = []
        for unit in range(units):
            delay = started + unit * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._commit(relay, unit, per_unit, commits)))
        await asyncio.gather(*tasks)
        committed = time.perf_counter() - started
        await self._wait_arrivals(commits, 30)
        await relay.stop()
        return self._result(
            f"paced {events_per_s:.0f} ev/s ({per_unit} ev/UoW)",
            commits,
            started,
            {"commit_per_s": len(commits) / committed},
        )

    async def drain(self, events: int, per_unit: int = 10, concurrency: int = 8) -> dict[str, Any]:
        commits: dict[str, float] = {}
        units = events // per_unit
        began = time.perf_counter()

        async def worker(first: int) -> None:
            for unit in range(first, units, concurrency):
                await self._commit(None, unit, per_unit, commits)

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        committed = time.perf_counter() - began
        relay = OutboxRelay(self.engine, KIT, self.bus, "workflow")
        started = time.perf_counter()
        relay.start()
        await self._wait_arrivals(commits, 60)
        await relay.stop()
        result = self._result(
            f"drain backlog of {len(commits)}", commits, started, {"commit_per_s": len(commits) / committed}
        )
        for key in ("p50", "p95", "p99", "max"):  # latency includes the backlog wait: not meaningful
            result[key] = float("nan")
        return result


async def run_relay_bench(nats_url: str, db_url: str, quick: bool) -> list[dict[str, Any]]:
    async with RelayBench(nats_url, db_url) as bench:
        return [
            await bench.sustained(units=1000 if quick else 4000, per_unit=2, concurrency=16),
            await bench.sustained(units=150 if quick else 500, per_unit=20, concurrency=8),
            await bench.paced(events_per_s=1000, seconds=2 if quick else 4, per_unit=2),
            await bench.paced(events_per_s=5000, seconds=2 if quick else 4, per_unit=10),
            await bench.drain(events=5000 if quick else 20000),
        ]


async def _postgres_database() -> tuple[str | None, str]:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    except Exception as error:
        return None, f"PostgreSQL at {PG_ADMIN} not reachable ({type(error).__name__}); skipped"
    name = f"bench_outbox_{os.getpid()}"
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def _drop_postgres(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def relay(nats_url: str, home: Path, quick: bool, with_postgres: bool) -> None:
    targets: list[tuple[str, str, str | None]] = [
        ("SQLite", f"sqlite+aiosqlite:///{home / 'bench-outbox.db'}", None)
    ]
    if with_postgres:
        url, name = await _postgres_database()
        if url is None:
            say(f"   {name}")
        else:
            targets.append(("PostgreSQL", url, name))
    rows, notes = [], []
    for label, url, pg_name in targets:
        try:
            results = await run_relay_bench(nats_url, url, quick)
        finally:
            if pg_name:
                await _drop_postgres(pg_name)
        for r in results:
            rows.append(
                [
                    f"{label}: {r['phase']}",
                    r["events"],
                    r["commit_per_s"],
                    r["events_per_s"],
                    r["p50"],
                    r["p95"],
                    r["p99"],
                    r["max"],
                    r["missing"],
                    r["duplicates"],
                    len(r["warnings"]),
                    r["cpu_percent"],
                ]
            )
            if r["warnings"]:
                notes.append(f"   {label} {r['phase']}: relay warning {r['warnings'][0]!r}")
    say(
        table(
            "3. Outbox relay in-process: UnitOfWork commits -> OutboxRelay -> JetStream EVT -> core NATS subscriber "
            "(latency from commit return to arrival, ms); goal >= 5000 ev/s with p95 <= 50 ms; "
            "bench CPU% = this process (committers + relay + subscriber share one event loop)",
            [
                "database: phase",
                "events",
                "commit ev/s",
                "published ev/s",
                "p50",
                "p95",
                "p99",
                "max",
                "missing",
                "dup",
                "warn",
                "bench CPU%",
            ],
            rows,
        )
    )
    for note in notes:
        say(note)
