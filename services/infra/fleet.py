"""The fleet: makes each deployment's replicas match what it asks for, and says how it stands.

Every ``reconcile_interval`` each infra instance renews its lease on the deployments it runs, adopts
those whose owner went silent, and for each of them:

1. observes its replicas: process alive, port known, ``/v2/health/ready`` answering;
2. starts replicas of the served version up to the replica count (a dead one is replaced),
   stops extra ones, and once the new version has all its replicas ready, drains the old ones
   (out of the endpoints at once, stopped after ``drain_seconds``, so no request is cut);
3. records the deployment's status when it changes: ready, degraded, failed (with the reason).

Processes and HTTP calls happen between two short units of work, never inside one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update

from contracts.envelope import new_id, utcnow
from contracts.infra import DEPLOYMENT_DEGRADED, DEPLOYMENT_FAILED, DEPLOYMENT_READY
from services.infra.alerts import Alerts
from services.infra.history import record
from services.infra.local import LocalReplicas
from services.infra.models import Deployment, Replica
from services.infra.monitor import Monitor
from services.infra.settings import InfraSettings
from services.kit.platform_settings import artifact_env, read_settings
from services.kit.runtime import Service

log = logging.getLogger(__name__)

LIVE = ("starting", "ready")
WATCHED = ("starting", "ready", "standby")
"""Replicas whose health is checked (a standby one must be healthy to serve again)."""
HEALTH_FAILURES = 3
"""Failed health checks in a row after which a ready replica is replaced."""
_EVENT_OF = {"ready": DEPLOYMENT_READY, "degraded": DEPLOYMENT_DEGRADED, "failed": DEPLOYMENT_FAILED}


@dataclass
class Plan:
    """What one reconcile pass of a deployment decided."""

    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Replica id to the columns to set."""
    start: int = 0
    stop: list[Replica] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    start_failures: int = 0
    health: dict[str, tuple[str | None, bool]] = field(default_factory=dict)
    """Replica id to (url, answers ready)."""


class Fleet:
    """The reconcile loop of the local runtime."""

    def __init__(
        self,
        service: Service,
        settings: InfraSettings,
        replicas: LocalReplicas,
        monitor: Monitor,
        alerts: Alerts,
    ) -> None:
        self.service = service
        self.settings = settings
        self.replicas = replicas
        self.monitor = monitor
        self.alerts = alerts
        self.owner = service.source
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(2.0, connect=1.0))
        self._health_failures: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="infra-fleet")

    def wake(self) -> None:
        """Reconcile now (a command changed something)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop watching; the replicas keep serving (another instance, or this one restarted, adopts them)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.gather(*self._stopping, return_exceptions=True)
        await self.http.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                owned = await self.claim()
                for deployment_id in owned:
                    await self.reconcile(deployment_id)
                await self.monitor.tick(owned)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reconcile pass failed; trying again")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.reconcile_interval_seconds)

    async def claim(self) -> list[str]:
        """Renew the lease on this instance's deployments and adopt unowned or abandoned ones."""
        now = utcnow()
        recent = now - timedelta(minutes=10)
        async with self.service.unit_of_work() as uow:
            await uow.session.execute(
                update(Deployment)
                .where(
                    or_(Deployment.deleted_at.is_(None), Deployment.deleted_at > recent),
                    or_(
                        Deployment.owner == self.owner,
                        Deployment.owner.is_(None),
                        Deployment.lease_expires_at < now,
                    ),
                )
                .values(
                    owner=self.owner, lease_expires_at=now + timedelta(seconds=self.settings.lease_seconds)
                )
            )
        async with self.service.unit_of_work() as uow:
            rows = await uow.session.scalars(
                select(Deployment.id).where(
                    Deployment.owner == self.owner,
                    or_(Deployment.deleted_at.is_(None), Deployment.deleted_at > recent),
                )
            )
            return list(rows)

    async def reconcile(self, deployment_id: str) -> None:
        async with self.service.unit_of_work() as uow:
            deployment = await uow.session.get(Deployment, deployment_id)
            if deployment is None:
                return
            replicas = list(
                await uow.session.scalars(
                    select(Replica).where(
                        Replica.deployment_id == deployment_id,
                        Replica.status.in_((*WATCHED, "draining")),
                    )
                )
            )
        plan = await self.observe(deployment, replicas)
        self.decide(deployment, replicas, plan)
        started = await self.launch(deployment, plan.start)
        for replica in plan.stop:
            await self.monitor.final_scrape(replica)
            task = asyncio.create_task(self.replicas.stop(replica.pid, replica.create_time))
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)
        await self.save(deployment, replicas, plan, started)

    async def observe(self, deployment: Deployment, replicas: list[Replica]) -> Plan:
        """Which replicas died, which became ready, which stopped answering, whose time is up."""
        plan = Plan(start_failures=deployment.start_failures)
        now = utcnow()
        checked = [r for r in replicas if r.status in WATCHED]
        results = await asyncio.gather(*(self._health(r) for r in checked))
        plan.health = dict(zip([r.id for r in checked], results, strict=True))
        for key in [k for k in self._health_failures if k.startswith(f"{deployment.id}/")]:
            if key.split("/", 1)[1] not in plan.health:
                del self._health_failures[key]  # a replica no longer watched
        for replica in replicas:
            if replica.status in ("draining", "standby") and (replica.drain_until or now) <= now:
                plan.stop.append(replica)
                plan.changed[replica.id] = {"status": "stopped", "ended_at": now}
            elif replica.status == "draining":
                continue
            elif not self.replicas.alive(replica.pid, replica.create_time):
                detail = self.replicas.exit_detail(replica.pid, replica.directory)
                plan.changed[replica.id] = {"status": "dead", "ended_at": now}
                if self.replicas.stopped_by_platform(replica.directory):
                    plan.changed[replica.id]["status"] = "stopped"  # mlops up ended: start it again quietly
                elif replica.status == "ready":
                    plan.notes.append(f"replica {replica.id} {detail}; restarting it")
                    plan.restarted.append(replica.id)
                elif replica.status == "starting" and replica.model_id == deployment.model_id:
                    plan.start_failures += 1
                    plan.notes.append(f"replica {replica.id} {detail}")
            elif replica.status == "starting":
                self._starting(deployment, replica, plan, now)
            elif replica.status == "ready":
                ready = plan.health[replica.id][1]
                key = f"{deployment.id}/{replica.id}"
                failures = 0 if ready else self._health_failures.get(key, 0) + 1
                self._health_failures[key] = failures
                if failures >= HEALTH_FAILURES:
                    plan.stop.append(replica)
                    plan.changed[replica.id] = {"status": "dead", "ended_at": now}
                    plan.restarted.append(replica.id)
                    plan.notes.append(
                        f"replica {replica.id} stopped answering its health check; replacing it"
                    )
        return plan

    def _starting(self, deployment: Deployment, replica: Replica, plan: Plan, now: Any) -> None:
        url, ready = plan.health[replica.id]
        if ready:
            plan.changed[replica.id] = {"status": "ready", "url": url, "ready_at": now}
            plan.start_failures = 0
        elif now - replica.started_at > timedelta(seconds=self.settings.startup_timeout_seconds):
            plan.stop.append(replica)
            plan.changed[replica.id] = {"status": "dead", "ended_at": now}
            plan.start_failures += replica.model_id == deployment.model_id
            plan.notes.append(
                f"replica {replica.id} was not ready after {self.settings.startup_timeout_seconds:g} s"
            )
        elif url and url != replica.url:
            plan.changed[replica.id] = {"url": url}

    def decide(self, deployment: Deployment, replicas: list[Replica], plan: Plan) -> None:
        """How many replicas to start, which to reuse, drain or keep warm, given what ``observe`` saw."""
        now = utcnow()
        state = {r.id: plan.changed.get(r.id, {}).get("status", r.status) for r in replicas}
        drain = {"status": "draining", "drain_until": now + timedelta(seconds=self.settings.drain_seconds)}
        if deployment.deleted_at is not None:
            for replica in replicas:
                if state[replica.id] in (*LIVE, "standby"):
                    plan.stop.append(replica)
                    plan.changed[replica.id] = {"status": "stopped", "ended_at": now}
            return
        current = [r for r in replicas if r.model_id == deployment.model_id and state[r.id] in LIVE]
        warm = [
            r
            for r in replicas
            if r.model_id == deployment.model_id
            and state[r.id] == "standby"
            and plan.health.get(r.id, (None, False))[1]
        ]
        for replica in warm[
            : max(0, deployment.replicas - len(current))
        ]:  # a rollback: serve the warm ones again
            plan.changed[replica.id] = {"status": "ready", "drain_until": None}
            state[replica.id] = "ready"
            current.append(replica)
            plan.notes.append(f"replica {replica.id} of v{deployment.model_version} was warm: serving again")
        ready = [r for r in current if state[r.id] == "ready"]
        if len(current) < deployment.replicas and plan.start_failures < self.settings.max_start_failures:
            plan.start = deployment.replicas - len(current)
        extra = len(current) - deployment.replicas
        if extra > 0:  # scale down: starting ones first, then the oldest
            for replica in sorted(current, key=lambda r: (state[r.id] == "ready", r.started_at))[:extra]:
                plan.changed[replica.id] = dict(drain)
        old = [r for r in replicas if r.model_id != deployment.model_id and state[r.id] in LIVE]
        standby = self.settings.standby_seconds
        keep = {"status": "standby", "drain_until": now + timedelta(seconds=standby)}
        for replica in old:
            if state[replica.id] == "starting":  # of no use any more
                plan.stop.append(replica)
                plan.changed[replica.id] = {"status": "stopped", "ended_at": now}
            elif len(ready) >= deployment.replicas:  # the new version serves in full: the old one leaves
                plan.changed[replica.id] = dict(keep if standby > self.settings.drain_seconds else drain)

    async def launch(self, deployment: Deployment, count: int) -> list[Replica]:
        """Start ``count`` replicas of the version ``deployment`` serves."""
        if count <= 0:
            return []
        env: dict[str, str] = {}
        if deployment.artifact_uri.startswith("s3://"):
            assert self.service.bus is not None
            env = artifact_env(await read_settings(self.service.bus, "artifact_store"))
        model = {
            "artifact_uri": deployment.artifact_uri,
            "model_name": deployment.model_name,
            "model_version": deployment.model_version,
        }
        started = []
        for _ in range(count):
            replica_id = new_id()
            process = self.replicas.start(deployment.id, replica_id, model, deployment.resource_limits, env)
            started.append(
                Replica(
                    id=replica_id,
                    deployment_id=deployment.id,
                    model_id=deployment.model_id,
                    status="starting",
                    pid=process.pid,
                    create_time=process.create_time,
                    url=None,
                    directory=str(process.directory),
                    restarts=0,
                    scraped={},
                    started_at=utcnow(),
                )
            )
        return started

    async def save(
        self, seen: Deployment, replicas: list[Replica], plan: Plan, started: list[Replica]
    ) -> None:
        """Write what changed and, when the deployment's standing changed, record it."""
        async with self.service.unit_of_work() as uow:
            deployment = await uow.session.get(Deployment, seen.id, with_for_update=True)
            if deployment is None:
                return
            for replica in replicas:
                if replica.id in plan.changed:
                    row = await uow.session.get(Replica, replica.id)
                    if row is not None:
                        for column, value in plan.changed[replica.id].items():
                            setattr(row, column, value)
            restarts = len(plan.restarted)
            for replica in started:
                replica.restarts = restarts
                uow.session.add(replica)
            await uow.session.flush()
            moved = deployment.model_id != seen.model_id or deployment.replicas != seen.replicas
            deployment.start_failures = plan.start_failures
            if moved:
                self.wake()  # a command changed it meanwhile: judge it on a fresh look, at once
            else:
                await self.judge(uow, deployment, plan)
        for replica_id in plan.restarted:
            await self.alerts.replica_restarted(seen, replica_id, "; ".join(plan.notes))

    async def judge(self, uow: Any, deployment: Deployment, plan: Plan) -> None:
        """The deployment's status from its replicas; an event and a history row when it changed."""
        if deployment.deleted_at is not None:
            return
        rows = list(
            await uow.session.scalars(
                select(Replica).where(Replica.deployment_id == deployment.id, Replica.status.in_(LIVE))
            )
        )
        ready = sum(r.status == "ready" and r.model_id == deployment.model_id for r in rows)
        old_live = [r for r in rows if r.model_id != deployment.model_id]
        serving = ready + sum(r.status == "ready" for r in old_live)
        starting = sum(r.status == "starting" and r.model_id == deployment.model_id for r in rows)
        before, reason = deployment.status, deployment.reason
        reason_before = reason
        if plan.start_failures >= self.settings.max_start_failures:
            status = "failed"
            reason = f"replicas of v{deployment.model_version} failed to start: {plan.notes[-1] if plan.notes else ''}"
            if not plan.notes:
                reason = deployment.reason or reason
        elif ready >= deployment.replicas and not old_live:
            status, reason = "ready", None
        elif serving >= deployment.replicas:
            status, reason = "ready", None  # a rollout with the old version still serving in full
        elif (
            before in ("pending", "ready", "degraded")
            and not plan.notes
            and serving + starting >= deployment.replicas
        ):
            status = before  # the missing replicas are starting (a scale-up, a replacement): no change
        elif before == "pending":
            status = "pending"
        else:
            status = "degraded"
            reason = "; ".join(plan.notes) or f"{serving} of {deployment.replicas} replicas ready"
        finished_rollout = (
            deployment.rolling_from is not None and not old_live and ready >= deployment.replicas
        )
        if finished_rollout:
            deployment.rolling_from = None
        deployment.status, deployment.reason = status, reason
        settled = status == "ready" and reason is None and reason_before is not None  # a scale-up finished
        if status != before or finished_rollout or settled:
            if status in _EVENT_OF:
                detail = reason if status != "ready" else f"serving v{deployment.model_version}"
                await record(self.service, uow, deployment, _EVENT_OF[status], ready=ready, detail=detail)
            if status == "failed":
                await self.alerts.deployment_failed(uow, deployment)

    async def _health(self, replica: Replica) -> tuple[str | None, bool]:
        url = replica.url or self.replicas.url(replica.directory)
        if url is None:
            return None, False
        try:
            response = await self.http.get(f"{url}/v2/health/ready", timeout=1.0)
        except httpx.HTTPError:
            return url, False
        return url, response.status_code == 200
