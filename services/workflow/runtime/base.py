"""The runtime interface the workflow service drives trainer jobs through.

A runtime starts a trainer with a job spec and limits, tells whether it still runs, hands over
what the trainer wrote (its JSON-line events and its log) from a byte offset, and stops it. The
handle it returns is plain JSON, stored with the run, so a restarted service finds the job again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

JobState = Literal["running", "exited", "lost"]


@dataclass(frozen=True)
class JobSpec:
    """A trainer job: the trainer's own spec plus what the runtime enforces around it."""

    job_id: str
    job: dict[str, Any]
    """Given to ``python -m ml.train --job`` as JSON."""
    threads: int
    memory_limit_bytes: int | None
    env: dict[str, str] = field(default_factory=dict, repr=False)
    """Extra environment (data and artifact credentials); never logged."""


@dataclass(frozen=True)
class JobStatus:
    """What the runtime knows of a job now."""

    state: JobState
    exit_code: int | None = None
    detail: str | None = None


class Runtime(Protocol):
    """Runs trainer jobs. Every method may be called by a replica that did not start the job."""

    name: str

    def prepare(self, job_id: str) -> dict[str, Any]:
        """The handle of a job not started yet: enough to keep its log while it waits."""
        ...

    async def start(self, spec: JobSpec, handle: dict[str, Any]) -> dict[str, Any]:
        """Start the job prepared as ``handle``; the handle (JSON) that finds it once it runs."""
        ...

    async def status(self, handle: dict[str, Any]) -> JobStatus:
        """Whether the job runs, exited (with its code) or was lost (gone without an exit code)."""
        ...

    async def read_events(self, handle: dict[str, Any], offset: int) -> bytes:
        """The trainer's event output (JSON lines) from byte ``offset``."""
        ...

    async def read_log(self, handle: dict[str, Any], offset: int, limit: int) -> bytes:
        """At most ``limit`` bytes of the job's log from byte ``offset``."""
        ...

    async def log_size(self, handle: dict[str, Any]) -> int:
        """Bytes in the job's log now."""
        ...

    async def append_log(self, handle: dict[str, Any], line: str) -> None:
        """Add a platform line (queued, started, cancelled, ...) to the job's log."""
        ...

    async def cancel(self, handle: dict[str, Any], grace_seconds: float) -> bool:
        """Stop the job and everything it started; True once nothing of it runs."""
        ...
