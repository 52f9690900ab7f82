"""``mlops up``: NATS (unless one is given), then the five services as separate processes.

The embedded NATS refuses anonymous connections: each service connects as its own user, with a
password generated on every start (see ``services.cli.nats_auth`` for what each may do).
A child that exits is restarted with exponential backoff. SIGINT/SIGTERM stop every child
(gateway first, NATS last) and nothing is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from contracts.subjects import SERVICES
from ml import samples
from services.cli.children import spawn, terminate
from services.cli.nats_auth import generate_passwords
from services.cli.natsd import nats_server_config_argv, write_embedded_config
from services.cli.ports import free_port, port_in_use, wait_listening
from services.gateway.gateway import ADMIN_CREATED
from services.infra.local import stop_replicas
from services.workflow.runtime.local import stop_trainers

NATS_CREDENTIALS = ("MLOPS_NATS_USER", "MLOPS_NATS_PASSWORD")
MAX_BACKOFF = 30.0
HEALTHY_AFTER = 30.0


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    failures: int = 0
    started: float = field(default=0.0)


class Supervisor:
    """Runs and watches the platform's processes."""

    def __init__(
        self,
        home: Path,
        port: int,
        nats_url: str | None,
        database_url: str | None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.home = home.resolve()
        self.port = port
        self.nats_url = nats_url
        self.database_url = database_url
        self.say = say
        self.children: list[Child] = []
        self.generated_admin_password: str | None = None
        self.stopping = asyncio.Event()
        self.state_file = self.home / "run" / "state.json"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def plan(self) -> None:
        """Decide ports and commands of every child."""
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
        base_env.update(
            {k: v for k, v in os.environ.items() if k.startswith("MLOPS_") and k != "MLOPS_HTTP_PORT"}
        )
        base_env["MLOPS_HOME"] = str(self.home)
        base_env["MLOPS_HTTP_HOST"] = "127.0.0.1"
        base_env.setdefault("PYTHONUNBUFFERED", "1")
        if self.database_url:
            base_env["MLOPS_DATABASE_URL"] = self.database_url
        passwords: dict[str, str] = {}
        if self.nats_url is None:
            # Embedded NATS: new passwords on every start, one user per service, only in a 0600
            # file and in each child's environment (never on a command line or in a log).
            nats_port = free_port()
            self.nats_url = f"nats://127.0.0.1:{nats_port}"
            passwords = generate_passwords(SERVICES)
            config = write_embedded_config(self.home / "nats", nats_port, passwords)
            nats_env = {k: v for k, v in base_env.items() if k not in NATS_CREDENTIALS}
            argv = nats_server_config_argv(config)
            self.children.append(Child("nats", argv, nats_env, self._log("nats"), nats_port))
        # With an external NATS (MLOPS_NATS_URL) the children keep the MLOPS_NATS_USER and
        # MLOPS_NATS_PASSWORD of this environment, if any.
        base_env["MLOPS_NATS_URL"] = self.nats_url
        with contextlib.suppress(FileNotFoundError):
            (self.home / "run" / ADMIN_CREATED).unlink()  # left by a run that never showed its password
        admin_password = base_env.pop("MLOPS_ADMIN_PASSWORD", None)
        if admin_password is None:
            # Used only if the gateway finds no users; printed once, then forgotten.
            admin_password = self.generated_admin_password = secrets.token_urlsafe(12)
        for name in SERVICES:
            port = self.port if name == "gateway" else free_port()
            env = {**base_env, "MLOPS_HTTP_PORT": str(port)}
            if name == "gateway":
                env["MLOPS_ADMIN_PASSWORD"] = admin_password
            if passwords:
                env |= {"MLOPS_NATS_USER": name, "MLOPS_NATS_PASSWORD": passwords[name]}
            argv = [sys.executable, "-m", f"services.{name}"]
            self.children.append(Child(name, argv, env, self._log(name), port))

    def _log(self, name: str) -> Path:
        return self.home / "logs" / f"{name}.log"

    async def run(self) -> int:
        if port_in_use(self.port):
            self.say(f"error: port {self.port} is in use; pick another with --port or MLOPS_PORT")
            return 2
        self.home.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self._install_samples)
        self.plan()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        watchers = []
        for child in self.children:
            await self._start(child)
            if child.name == "nats" and not await asyncio.to_thread(wait_listening, child.port, 10):
                self.say("error: the embedded NATS server did not start; see " + str(child.log))
                await self._shutdown()
                return 1
            watchers.append(asyncio.create_task(self._watch(child)))
        self._write_state()
        ready = asyncio.create_task(self._announce_ready())
        await self.stopping.wait()
        self.say("stopping…")
        ready.cancel()
        self._announce_admin()  # stopped before ready: the password must not be lost
        for task in watchers:
            task.cancel()
        await asyncio.gather(ready, *watchers, return_exceptions=True)
        await self._shutdown()
        self.say("stopped; no process left running")
        return 0

    def _install_samples(self) -> None:
        """The datasets a run without data trains on, so a new ``MLOPS_HOME`` works at once."""
        try:
            samples.install(self.home)
        except (samples.SampleError, OSError, ImportError) as error:
            self.say(f"warning: the sample datasets are not installed ({error}); give runs a data source")

    async def _start(self, child: Child) -> None:
        child.process = await spawn(child.argv, child.env, child.log)
        child.started = time.monotonic()

    async def _watch(self, child: Child) -> None:
        while not self.stopping.is_set():
            assert child.process is not None
            code = await child.process.wait()
            if self.stopping.is_set():
                return
            ran = time.monotonic() - child.started
            child.failures = 1 if ran > HEALTHY_AFTER else child.failures + 1
            delay = min(MAX_BACKOFF, 0.5 * 2 ** (child.failures - 1))
            self.say(f"{child.name} exited with code {code} after {ran:.1f}s; restarting in {delay:.1f}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            if self.stopping.is_set():
                return
            try:
                await self._start(child)
            except OSError as error:
                self.say(f"could not restart {child.name}: {error}")
                continue  # the old process has exited: the next turn backs off further
            child.restarts += 1
            self._write_state()

    async def _announce_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if await asyncio.to_thread(_ready, f"http://127.0.0.1:{self.port}/readyz"):
                self.say(f"MLOps platform ready at {self.url}  (logs: {self.home / 'logs'}; Ctrl-C stops it)")
                self._announce_admin()
                return
            await asyncio.sleep(0.25)
        self.say(f"the platform is not ready after 120 s; see the logs in {self.home / 'logs'}")

    def _announce_admin(self) -> None:
        """Show the first admin's password once, if the gateway just created that user with it."""
        for child in self.children:
            if child.name == "gateway":
                child.env.pop("MLOPS_ADMIN_PASSWORD", None)  # a restarted gateway does not need it
        marker = self.home / "run" / ADMIN_CREATED
        if not marker.exists():
            return
        marker.unlink()
        if self.generated_admin_password:
            self.say(
                f"Sign in as admin with password {self.generated_admin_password}  "
                "(shown once, stored only as a hash: change it with PATCH /api/users/{id})"
            )
        else:
            self.say("Sign in as admin with the password in MLOPS_ADMIN_PASSWORD")
        self.generated_admin_password = None

    async def _shutdown(self) -> None:
        services = [c for c in self.children if c.name != "nats" and c.process is not None]
        await asyncio.gather(*(terminate(c.process) for c in reversed(services) if c.process))
        stopped = await stop_trainers(
            self.home / "runs", "the platform was stopped (mlops up ended) while it trained"
        )
        if stopped:
            self.say(
                f"stopped {stopped} running trainer(s): their runs show as failed "
                "(the platform was stopped while they trained) when it starts again"
            )
        served = await stop_replicas(self.home / "deployments")
        if served:
            self.say(
                f"stopped {served} inference replica(s): their deployments start again with the platform"
            )
        for child in self.children:
            if child.name == "nats" and child.process is not None:
                await terminate(child.process)
        with contextlib.suppress(FileNotFoundError):
            self.state_file.unlink()

    def _write_state(self) -> None:
        state = {
            "supervisor_pid": os.getpid(),
            "url": self.url,
            "nats_url": self.nats_url,
            "home": str(self.home),
            "children": {
                c.name: {
                    "pid": c.process.pid if c.process else None,
                    "port": c.port,
                    "restarts": c.restarts,
                    "log": str(c.log),
                }
                for c in self.children
            },
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
