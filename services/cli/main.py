"""``mlops``: ``up`` runs the platform on this machine; ``status`` says how it is doing."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from contracts.subjects import SERVICES
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
    """The supervisor's children and what the gateway says of each service.

    Readiness (public) says which services answer; with ``MLOPS_TOKEN`` (a personal API token) it
    also shows versions and replicas from ``/api/system/status``.
    """
    state_file = home.resolve() / "run" / "state.json"
    if not state_file.is_file():
        print(f"not running (no {state_file})")
        return 1
    state = json.loads(state_file.read_text())
    token = os.environ.get("MLOPS_TOKEN")
    try:
        ready = _get_json(f"{state['url']}/readyz")
        status = _get_json(f"{state['url']}/api/system/status", token) if token else None
    except OSError as error:
        print(f"supervisor pid {state['supervisor_pid']} at {state['url']}: gateway not answering ({error})")
        return 1
    if raw:
        print(json.dumps({"supervisor": state, "ready": ready, "status": status}, indent=2))
        return 0
    if status is not None and "services" not in status:
        print(f"MLOPS_TOKEN was refused: {status.get('detail', status)}")
        status = None
    services = {s["name"]: s for s in (status or {}).get("services", [])}
    print(f"MLOps platform at {state['url']} (supervisor pid {state['supervisor_pid']})")
    print(f"{'service':<10} {'up':<4} {'replicas':<8} {'restarts':<8} log")
    checks = ready["checks"]
    for name in SERVICES:
        child = state["children"].get(name, {})
        up = "yes" if checks.get(name) else "NO"
        replicas = services[name]["replicas"] if name in services else "-"
        print(f"{name:<10} {up:<4} {replicas!s:<8} {child.get('restarts', '-')!s:<8} {child.get('log', '')}")
    if not token:
        print("(set MLOPS_TOKEN to a personal API token to see versions and replicas)")
    return 0 if ready["ready"] else 1


def _get_json(url: str, token: str | None = None) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)  # /readyz answers 503 with its checks


if __name__ == "__main__":
    sys.exit(main())
