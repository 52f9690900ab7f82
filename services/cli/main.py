"""``mlops``: ``up`` runs the platform on this machine; ``status`` says how it is doing."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.request
from pathlib import Path

from services.cli.supervisor import Supervisor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlops", description="Self-hosted, no-code MLOps platform.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start everything on this machine (Ctrl-C stops it)")
    up.add_argument(
        "--port", type=int, default=int(os.environ.get("MLOPS_PORT", "8000")), help="web and API port"
    )
    up.add_argument(
        "--home", type=Path, default=_home(), help="where data lives (MLOPS_HOME, default ./.mlops)"
    )
    status = commands.add_parser("status", help="is the platform running, and how are its services")
    status.add_argument("--home", type=Path, default=_home())
    status.add_argument("--json", action="store_true", help="print the raw status")
    args = parser.parse_args(argv)
    if args.command == "up":
        supervisor = Supervisor(
            args.home, args.port, os.environ.get("MLOPS_NATS_URL"), os.environ.get("MLOPS_DATABASE_URL")
        )
        return asyncio.run(supervisor.run())
    return show_status(args.home, args.json)


def _home() -> Path:
    return Path(os.environ.get("MLOPS_HOME", ".mlops"))


def show_status(home: Path, raw: bool) -> int:
    state_file = home.resolve() / "run" / "state.json"
    if not state_file.is_file():
        print(f"not running (no {state_file})")
        return 1
    state = json.loads(state_file.read_text())
    try:
        with urllib.request.urlopen(f"{state['url']}/api/system/status", timeout=5) as response:
            status = json.load(response)
    except OSError as error:
        print(f"supervisor pid {state['supervisor_pid']} at {state['url']}: gateway not answering ({error})")
        return 1
    if raw:
        print(json.dumps({"supervisor": state, "status": status}, indent=2))
        return 0
    print(f"MLOps platform {status['version']} at {state['url']} (supervisor pid {state['supervisor_pid']})")
    print(f"{'service':<10} {'up':<4} {'replicas':<8} {'restarts':<8} log")
    for service in status["services"]:
        child = state["children"].get(service["name"], {})
        up = "yes" if service["up"] else "NO"
        print(
            f"{service['name']:<10} {up:<4} {service['replicas']:<8} {child.get('restarts', '-')!s:<8} {child.get('log', '')}"
        )
    return 0 if all(s["up"] for s in status["services"]) else 1


if __name__ == "__main__":
    sys.exit(main())
