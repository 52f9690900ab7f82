"""Monitoring of the local runtime: collects replicas' ``/metrics`` and ``/drift``.

Counters become increments per 10-second bucket and deployment (``infra_metric_points``): requests,
errors, and the latency histogram's cumulative bucket counts (so percentiles of any window can be
computed by adding buckets). A replica's last counter values are kept on its row, so a restarted
infra service neither loses nor counts twice; a replica that restarts starts its counters at zero,
which is seen as a drop and counted from zero.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, select

from contracts.envelope import SYSTEM_ACTOR
from contracts.infra import METRICS_COLLECTED, MetricsCollected
from contracts.messages import spec
from services.infra.alerts import Alerts
from services.infra.models import Alert, Deployment, MetricPoint, Replica
from services.infra.settings import InfraSettings
from services.kit.runtime import Service
from services.kit.uow import UnitOfWork

log = logging.getLogger(__name__)

BUCKET_SECONDS = 10


class Monitor:
    """Collects metrics and drift of the deployments this instance runs."""

    def __init__(self, service: Service, settings: InfraSettings, alerts: Alerts) -> None:
        self.service = service
        self.settings = settings
        self.alerts = alerts
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(3.0, connect=1.0))
        self._next_metrics = 0.0
        self._next_drift = 0.0
        self._next_prune = 0.0
        alerts.resolved.append(self.reset_drift)

    async def close(self) -> None:
        await self.http.aclose()

    async def tick(self, owned: list[str]) -> None:
        now = time.monotonic()
        if now >= self._next_metrics:
            self._next_metrics = now + self.settings.metrics_interval_seconds
            await self.collect(owned)
        if now >= self._next_drift:
            self._next_drift = now + self.settings.drift_interval_seconds
            await self.check_drift(owned)
        if now >= self._next_prune:
            self._next_prune = now + 3600
            await self.prune()

    async def collect(self, owned: list[str]) -> None:
        """Scrape every serving replica of ``owned`` deployments and add the increments."""
        if not owned:
            return
        async with self.service.unit_of_work() as uow:
            replicas = list(
                await uow.session.scalars(
                    select(Replica).where(
                        Replica.deployment_id.in_(owned),
                        Replica.status.in_(("ready", "standby", "draining")),
                        Replica.url.is_not(None),
                    )
                )
            )
        texts = await asyncio.gather(*(self._get(f"{r.url}/metrics") for r in replicas))
        await self._add(list(zip(replicas, texts, strict=True)))

    async def final_scrape(self, replica: Replica) -> None:
        """The last counts of a replica about to stop."""
        if replica.url:
            await self._add([(replica, await self._get(f"{replica.url}/metrics"))])

    async def _add(self, scraped: list[tuple[Replica, str | None]]) -> None:
        bucket = int(time.time()) // BUCKET_SECONDS * BUCKET_SECONDS
        increments: dict[str, dict[str, Any]] = {}
        async with self.service.unit_of_work() as uow:
            for replica, text in scraped:
                if text is None:
                    continue
                current = parse(text)
                row = await uow.session.get(Replica, replica.id)
                if row is None:
                    continue
                delta = difference(current, row.scraped or {})
                row.scraped = current
                total = increments.setdefault(
                    replica.deployment_id, {"requests": 0, "errors": 0, "latency": {}}
                )
                total["requests"] += delta["requests"]
                total["errors"] += delta["errors"]
                for le, count in delta["latency"].items():
                    total["latency"][le] = total["latency"].get(le, 0) + count
            for deployment_id, total in increments.items():
                if total["requests"] or total["errors"]:
                    point = await _point(uow, deployment_id, bucket)
                    point.requests += total["requests"]
                    point.errors += total["errors"]
                    point.latency = add_buckets(point.latency or {}, total["latency"])
                    self._announce(uow, deployment_id, bucket, total)

    def _announce(self, uow: UnitOfWork, deployment_id: str, bucket: int, total: dict[str, Any]) -> None:
        """Tell live pages that new numbers are in (they refetch the series they show)."""
        data = MetricsCollected(
            deployment_id=deployment_id,
            bucket=datetime.fromtimestamp(bucket, UTC),
            requests=total["requests"],
            errors=total["errors"],
        )
        uow.record(
            spec(METRICS_COLLECTED).envelope(
                source=self.service.source, correlation_id=deployment_id, actor=SYSTEM_ACTOR, data=data
            )
        )

    async def check_drift(self, owned: list[str]) -> None:
        """Read each deployment's drift from its replicas; raise an alert where it drifted."""
        if not owned:
            return
        async with self.service.unit_of_work() as uow:
            deployments = list(
                await uow.session.scalars(
                    select(Deployment).where(Deployment.id.in_(owned), Deployment.deleted_at.is_(None))
                )
            )
            replicas = list(
                await uow.session.scalars(
                    select(Replica).where(Replica.deployment_id.in_(owned), Replica.status == "ready")
                )
            )
        by_deployment: dict[str, list[Replica]] = defaultdict(list)
        for replica in replicas:
            by_deployment[replica.deployment_id].append(replica)
        for deployment in deployments:
            serving = [r for r in by_deployment[deployment.id] if r.model_id == deployment.model_id and r.url]
            reports = await asyncio.gather(*(self._json(f"{r.url}/drift") for r in serving))
            combined = combine([r for r in reports if r])
            if combined is None:
                continue
            bucket = int(time.time()) // BUCKET_SECONDS * BUCKET_SECONDS
            async with self.service.unit_of_work() as uow:
                point = await _point(uow, deployment.id, bucket)
                point.drift_score = combined["drift_score"]
                point.avg_confidence = combined["avg_confidence"]
                point.drifted = combined["drifted"]
                if combined["drifted"]:
                    row = await uow.session.get(Deployment, deployment.id)
                    if row is not None:
                        await self.alerts.drift(uow, row, combined)

    async def reset_drift(self, alert: Alert) -> None:
        """After a drift alert is resolved, the replicas judge drift on fresh inputs only."""
        if alert.alert_type != "drift_detected" or alert.deployment_id is None:
            return
        async with self.service.unit_of_work() as uow:
            urls = list(
                await uow.session.scalars(
                    select(Replica.url).where(
                        Replica.deployment_id == alert.deployment_id,
                        Replica.status == "ready",
                        Replica.url.is_not(None),
                    )
                )
            )
        for url in urls:
            try:
                await self.http.post(f"{url}/drift/reset")
            except httpx.HTTPError as error:
                log.warning("could not reset drift window of %s: %s", url, error)

    async def prune(self) -> None:
        oldest = int(time.time() - self.settings.metrics_retention_days * 86400)
        async with self.service.unit_of_work() as uow:
            await uow.session.execute(delete(MetricPoint).where(MetricPoint.bucket < oldest))

    async def _get(self, url: str) -> str | None:
        try:
            response = await self.http.get(url)
        except httpx.HTTPError:
            return None
        return response.text if response.status_code == 200 else None

    async def _json(self, url: str) -> dict[str, Any] | None:
        try:
            response = await self.http.get(url)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None


def parse(text: str) -> dict[str, Any]:
    """Requests by outcome and the cumulative latency buckets of one replica's ``/metrics``."""
    out: dict[str, Any] = {"requests": 0.0, "errors": 0.0, "latency": {}}
    for family in text_string_to_metric_families(text):
        if family.name == "prediction_count":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    out["requests"] += sample.value
                    if sample.labels.get("outcome") != "success":
                        out["errors"] += sample.value
        elif family.name == "prediction_latency_seconds":
            for sample in family.samples:
                if sample.name.endswith("_bucket"):
                    le = sample.labels["le"]
                    out["latency"][le] = out["latency"].get(le, 0.0) + sample.value
    return out


def difference(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """What happened between two scrapes; a counter that went down was reset (count it from zero)."""
    reset = current["requests"] < previous.get("requests", 0)
    base: dict[str, Any] = {} if reset else previous
    latency = {le: value - base.get("latency", {}).get(le, 0) for le, value in current["latency"].items()}
    return {
        "requests": int(current["requests"] - base.get("requests", 0)),
        "errors": int(current["errors"] - base.get("errors", 0)),
        "latency": {le: int(v) for le, v in latency.items() if v > 0},
    }


def add_buckets(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {le: a.get(le, 0) + b.get(le, 0) for le in a.keys() | b.keys()}


def combine(reports: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One drift verdict from the replicas' reports (inputs are spread across replicas)."""
    judged = [r for r in reports if r.get("status") in ("ok", "drift")]
    if not judged:
        return None
    window = sum(int(r.get("window") or 0) for r in judged) or 1
    confidence = sum(float(r.get("avg_confidence") or 0) * int(r.get("window") or 0) for r in judged) / window
    features: dict[str, dict[str, Any]] = {}
    for report in judged:
        for name, score in (report.get("features") or {}).items():
            best = features.get(name)
            if best is None or score.get("psi", 0) > best.get("psi", 0):
                features[name] = score
    drifted = [r for r in judged if r.get("drifted")]
    names = sorted({f for r in drifted for f in r.get("drifted_features") or []})
    reference = judged[0].get("reference_confidence")
    return {
        "drifted": bool(drifted),
        "drifted_features": names,
        "features": features,
        "drift_score": max((s.get("psi", 0.0) for s in features.values()), default=0.0),
        "avg_confidence": confidence,
        "reference_confidence": reference,
        "confidence_drop": (reference - confidence) if reference is not None else None,
        "window": window,
        "thresholds": judged[0].get("thresholds", {}),
    }


async def _point(uow: UnitOfWork, deployment_id: str, bucket: int) -> MetricPoint:
    point = await uow.session.get(MetricPoint, (deployment_id, bucket))
    if point is None:
        point = MetricPoint(deployment_id=deployment_id, bucket=bucket, requests=0, errors=0, latency={})
        uow.session.add(point)
    return point
