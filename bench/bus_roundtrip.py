"""Bus round-trip benchmark of the running platform; prints tables, asserts nothing.

    .venv/bin/python bench/bus_roundtrip.py [--quick]

Starts ``mlops up`` (temporary MLOPS_HOME, free port, SQLite per service), measures, stops it:
1. REST ``POST /api/system/ping`` -> ``workflow.system.pinged.v1`` on a WebSocket, open loop at
   50, 200 and 500 commands/s, after a sequential run that splits the round trip into hops;
2. the floor: nats-py request/reply and JetStream publish->ack on the same NATS server;
3. the kit's outbox relay in-process (SQLite, and PostgreSQL at 127.0.0.1:5432 when reachable);
4. WebSocket fan-out of events published on ``evt.bench.system.tick`` to 1,000 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform as pyplatform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from _common import say  # noqa: E402
from _fanout_bench import fanout  # noqa: E402
from _floor import floor  # noqa: E402
from _ping_bench import roundtrip  # noqa: E402
from _platform import Platform  # noqa: E402
from _relay_bench import relay  # noqa: E402

COMMAND_WAIT_SECONDS = "10"  # a POST waits this long for its outcome (202 after it)


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    nats_bin = Path(sys.executable).parent / "nats-server"
    version = subprocess.run([str(nats_bin), "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"machine: nproc {os.cpu_count()} ({model}), Python {pyplatform.python_version()} "
        f"({pyplatform.python_implementation()}), {pyplatform.system()} {pyplatform.release()}, {version}"
    )


def load() -> str:
    return f"loadavg {os.getloadavg()[0]:.2f} (other work on the box skews results)"


async def run_all(plat: Platform, args: argparse.Namespace) -> None:
    await floor(plat.nats_url, args.quick)
    say(f"   {load()}")
    await roundtrip(plat, args.quick)
    say(f"   {load()}")
    await relay(plat.nats_url, plat.home, args.quick, not args.no_postgres)
    say(f"   {load()}")
    await fanout(
        plat,
        args.clients,
        args.fanout_rate,
        3.0 if args.quick else 10.0,
        args.fanout_client,
        deadline=10.0 if args.quick else 25.0,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short steps (about a minute in all)")
    parser.add_argument("--clients", type=int, default=1000, help="WebSocket clients of the fan-out bench")
    parser.add_argument("--fanout-rate", type=int, default=100, help="events/s of the fan-out bench")
    parser.add_argument(
        "--fanout-client",
        choices=("raw", "websockets"),
        default="raw",
        help="raw: minimal RFC 6455 reader (light); websockets: the websockets library",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL outbox run")
    parser.add_argument("--keep-home", action="store_true", help="keep MLOPS_HOME (logs) after the run")
    args = parser.parse_args()
    began = time.monotonic()
    say(machine())
    say(load())
    plat = Platform(env={"MLOPS_COMMAND_WAIT_SECONDS": COMMAND_WAIT_SECONDS}, keep_home=args.keep_home)
    try:
        ready = plat.start()
        say(
            f"mlops up: ready in {ready:.1f}s at {plat.base_url} (MLOPS_HOME {plat.home}, SQLite, "
            f"MLOPS_COMMAND_WAIT_SECONDS={COMMAND_WAIT_SECONDS})"
        )
        try:
            import uvloop
        except ImportError:
            asyncio.run(run_all(plat, args))
        else:
            uvloop.run(run_all(plat, args))
        restarts = plat.restarts()
        if restarts:
            say(f"   WARNING: the supervisor restarted children during the run: {restarts}")
    finally:
        t = time.monotonic()
        killed = plat.stop()
        left = [pid for pid in plat.pids() if Path(f"/proc/{pid}").exists()]
        say(
            f"\nplatform stopped in {time.monotonic() - t:.1f}s (SIGINT); had to SIGKILL: {killed or 'none'}; "
            f"processes left: {left or 'none'}; bench took {time.monotonic() - began:.0f}s; {load()}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
