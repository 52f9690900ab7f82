"""Queries of the infra service: deployments, endpoints, monitoring series and alerts."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from contracts.envelope import Envelope
from contracts.infra import (
    AlertPage,
    AlertView,
    DeploymentDetail,
    DeploymentPage,
    DeploymentView,
    Endpoints,
    GetAlert,
    GetDeployment,
    HistoryEntry,
    ListAlerts,
    ListDeployments,
    MetricsPoint,
    MetricsSeries,
    MetricsTotals,
    ReplicaView,
    Series,
)
from services.infra.alerts import ACTIVE
from services.infra.deployments import ENDPOINT
from services.infra.history import ready_counts
from services.infra.models import Alert, Deployment, HistoryRow, MetricPoint, Replica
from services.infra.monitor import add_buckets
from services.kit.errors import NotFound
from services.kit.runtime import Service


class InfraViews:
    """Read models of deployments and alerts."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def list(self, query: Envelope) -> DeploymentPage:
        request = query.data
        assert isinstance(request, ListDeployments)
        where: list[Any] = []
        if not request.include_deleted:
            where.append(Deployment.deleted_at.is_(None))
        if request.status:
            where.append(Deployment.status == request.status)
        if request.model_name:
            where.append(Deployment.model_name == request.model_name)
        if request.model_ids:
            where.append(Deployment.model_id.in_(request.model_ids))
        async with self.service.unit_of_work() as uow:
            total = await uow.session.scalar(select(func.count()).select_from(Deployment).where(*where))
            rows = list(
                await uow.session.scalars(
                    select(Deployment)
                    .where(*where)
                    .order_by(Deployment.created_at.desc(), Deployment.id)
                    .limit(request.limit)
                    .offset(request.offset)
                )
            )
            ready = await ready_counts(uow, [r.id for r in rows])
        return DeploymentPage(items=[_view(r, ready.get(r.id, 0)) for r in rows], total=int(total or 0))

    async def get(self, query: Envelope) -> DeploymentDetail:
        request = query.data
        assert isinstance(request, GetDeployment)
        async with self.service.unit_of_work() as uow:
            deployment = await uow.session.get(Deployment, request.deployment_id)
            if deployment is None:
                raise NotFound(f"no deployment {request.deployment_id!r}", field="deployment_id")
            replicas = list(
                await uow.session.scalars(
                    select(Replica)
                    .where(Replica.deployment_id == deployment.id)
                    .order_by(Replica.started_at.desc())
                    .limit(100)
                )
            )
            history = list(
                await uow.session.scalars(
                    select(HistoryRow)
                    .where(HistoryRow.deployment_id == deployment.id)
                    .order_by(HistoryRow.id)
                )
            )
            ready = await ready_counts(uow, [deployment.id])
        live_first = sorted(
            replicas, key=lambda r: r.status not in ("ready", "starting", "standby", "draining")
        )
        return DeploymentDetail(
            **_view(deployment, ready.get(deployment.id, 0)).model_dump(),
            replicas=[_replica(r) for r in live_first],
            history=[HistoryEntry.model_validate(h, from_attributes=True) for h in history],
            run_id=deployment.run_id,
        )

    async def endpoints(self, query: Envelope) -> Endpoints:
        request = query.data
        assert isinstance(request, GetDeployment)
        async with self.service.unit_of_work() as uow:
            deployment = await uow.session.get(Deployment, request.deployment_id)
            if deployment is None or deployment.deleted_at is not None:
                raise NotFound(f"no deployment {request.deployment_id!r}", field="deployment_id")
            urls = list(
                await uow.session.scalars(
                    select(Replica.url).where(
                        Replica.deployment_id == deployment.id,
                        Replica.status == "ready",
                        Replica.url.is_not(None),
                    )
                )
            )
        return Endpoints(
            deployment_id=deployment.id,
            model_name=deployment.model_name,
            model_version=deployment.model_version,
            status=deployment.status,  # type: ignore[arg-type]
            urls=[u for u in urls if u],
        )

    async def series(self, query: Envelope) -> Series:
        request = query.data
        assert isinstance(request, MetricsSeries)
        step = request.step_seconds
        now = int(time.time())
        start = (now - request.window_seconds) // step * step + step
        where: list[Any] = [MetricPoint.bucket >= start]
        alerts: list[Any] = [Alert.status.in_(ACTIVE)]
        if request.deployment_id:
            where.append(MetricPoint.deployment_id == request.deployment_id)
            alerts.append(Alert.deployment_id == request.deployment_id)
        async with self.service.unit_of_work() as uow:
            if request.deployment_id and await uow.session.get(Deployment, request.deployment_id) is None:
                raise NotFound(f"no deployment {request.deployment_id!r}", field="deployment_id")
            rows = list(
                await uow.session.scalars(select(MetricPoint).where(*where).order_by(MetricPoint.bucket))
            )
            open_alerts = await uow.session.scalar(select(func.count()).select_from(Alert).where(*alerts))
        steps: dict[int, list[MetricPoint]] = defaultdict(list)
        for row in rows:
            steps[row.bucket // step * step].append(row)
        points = [_point(at, steps.get(at, []), step) for at in range(start, now + 1, step)]
        drift = [r.drifted for r in rows if r.drifted is not None]
        totals = _summary(rows, request.window_seconds)
        return Series(
            deployment_id=request.deployment_id,
            window_seconds=request.window_seconds,
            step_seconds=step,
            points=points,
            totals=MetricsTotals(
                **totals,
                drift_status=("drift" if drift[-1] else "ok") if drift else "unknown",
                open_alerts=int(open_alerts or 0),
            ),
        )

    async def alerts(self, query: Envelope) -> AlertPage:
        request = query.data
        assert isinstance(request, ListAlerts)
        where: list[Any] = []
        if request.status:
            where.append(Alert.status == request.status)
        if request.model_name:
            where.append(Alert.model_name == request.model_name)
        if request.deployment_id:
            where.append(Alert.deployment_id == request.deployment_id)
        if request.alert_type:
            where.append(Alert.alert_type == request.alert_type)
        async with self.service.unit_of_work() as uow:
            total = await uow.session.scalar(select(func.count()).select_from(Alert).where(*where))
            rows = await uow.session.scalars(
                select(Alert)
                .where(*where)
                .order_by(Alert.raised_at.desc(), Alert.id)
                .limit(request.limit)
                .offset(request.offset)
            )
            return AlertPage(items=[alert_view(a) for a in rows], total=int(total or 0))

    async def alert(self, query: Envelope) -> AlertView:
        request = query.data
        assert isinstance(request, GetAlert)
        async with self.service.unit_of_work() as uow:
            alert = await uow.session.get(Alert, request.alert_id)
            if alert is None:
                raise NotFound(f"no alert {request.alert_id!r}", field="alert_id")
            return alert_view(alert)


def alert_view(alert: Alert) -> AlertView:
    return AlertView.model_validate(
        {c.key: getattr(alert, c.key) for c in Alert.__table__.columns}
        | {"alert_id": alert.id, "timestamp": alert.raised_at}
    )


def percentile(buckets: dict[str, float], q: float) -> float | None:
    """The ``q`` quantile (0-1) in milliseconds of a cumulative Prometheus histogram."""
    bounds = sorted((float(le), count) for le, count in buckets.items())
    if not bounds or bounds[-1][1] <= 0:
        return None
    target = q * bounds[-1][1]
    low, below = 0.0, 0.0
    for le, count in bounds:
        if count >= target:
            if math.isinf(le):
                return low * 1000
            share = (target - below) / (count - below) if count > below else 1.0
            return (low + (le - low) * share) * 1000
        low, below = le, count
    return low * 1000


def _point(at: int, rows: list[MetricPoint], step: int) -> MetricsPoint:
    summary = _summary(rows, step)
    scores = [r.drift_score for r in rows if r.drift_score is not None]
    confidence = [r.avg_confidence for r in rows if r.avg_confidence is not None]
    return MetricsPoint(
        at=datetime.fromtimestamp(at, UTC),
        **summary,
        drift_score=max(scores) if scores else None,
        avg_confidence=confidence[-1] if confidence else None,
    )


def _summary(rows: list[MetricPoint], seconds: int) -> dict[str, Any]:
    requests = sum(r.requests for r in rows)
    errors = sum(r.errors for r in rows)
    latency: dict[str, float] = {}
    for row in rows:
        latency = add_buckets(latency, row.latency or {})
    return {
        "requests": requests,
        "errors": errors,
        "request_rate": requests / seconds,
        "error_rate": errors / requests if requests else 0.0,
        "latency_p50_ms": percentile(latency, 0.5),
        "latency_p99_ms": percentile(latency, 0.99),
    }


def _view(deployment: Deployment, ready: int) -> DeploymentView:
    return DeploymentView(
        deployment_id=deployment.id,
        status=deployment.status,  # type: ignore[arg-type]
        model_id=deployment.model_id,
        model_name=deployment.model_name,
        model_version=deployment.model_version,
        model_type=deployment.model_type,
        namespace=deployment.namespace,
        runtime=deployment.runtime,
        replicas_desired=deployment.replicas,
        replicas_ready=ready,
        resource_requests=deployment.resource_requests,
        resource_limits=deployment.resource_limits,
        follow_production=deployment.follow_production,
        endpoint=ENDPOINT.format(id=deployment.id),
        reason=deployment.reason,
        rolling_from=deployment.rolling_from,
        created_by=deployment.created_by,
        created_at=deployment.created_at,
        updated_at=deployment.updated_at,
    )


def _replica(replica: Replica) -> ReplicaView:
    return ReplicaView(
        replica_id=replica.id,
        model_id=replica.model_id,
        status=replica.status,  # type: ignore[arg-type]
        url=replica.url,
        pid=replica.pid,
        restarts=replica.restarts,
        started_at=replica.started_at,
        ready_at=replica.ready_at,
    )
