"""Drift and health alerts: raised by the platform, acknowledged and resolved by people.

One alert per deployment and type stays open at a time: the condition seen again while it is open
or acknowledged counts an occurrence and refreshes its details instead of raising another.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from contracts.envelope import SYSTEM_ACTOR, Actor, Envelope, new_id, utcnow
from contracts.infra import (
    ALERT_ACKNOWLEDGED,
    ALERT_RAISED,
    ALERT_RESOLVED,
    AcknowledgeAlert,
    AlertChanged,
    ResolveAlert,
)
from contracts.messages import spec
from services.infra.models import Alert, Deployment
from services.kit.errors import Conflict, NotFound
from services.kit.runtime import Service
from services.kit.uow import UnitOfWork

log = logging.getLogger(__name__)

ACTIVE = ("open", "acknowledged")


class Alerts:
    """The alert store and its commands."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.resolved: list[Any] = []
        """Callbacks ``(alert)`` run after an alert was resolved (the drift window restarts)."""

    async def raise_alert(
        self,
        uow: UnitOfWork,
        deployment: Deployment,
        alert_type: str,
        severity: str,
        message: str,
        details: dict[str, Any],
    ) -> Alert:
        """Open an alert, or count another occurrence of the one already open."""
        now = utcnow()
        existing = await uow.session.scalar(
            select(Alert).where(
                Alert.deployment_id == deployment.id,
                Alert.alert_type == alert_type,
                Alert.status.in_(ACTIVE),
            )
        )
        if existing is not None:
            existing.occurrences += 1
            existing.last_seen_at = now
            existing.details = details
            return existing
        alert = Alert(
            id=new_id(),
            alert_type=alert_type,
            severity=severity,
            status="open",
            message=message,
            details=details,
            deployment_id=deployment.id,
            model_name=deployment.model_name,
            occurrences=1,
            raised_at=now,
            last_seen_at=now,
        )
        uow.session.add(alert)
        self.emit(uow, alert, ALERT_RAISED, SYSTEM_ACTOR, deployment.correlation_id)
        log.warning("alert %s: %s", alert_type, message)
        return alert

    async def drift(self, uow: UnitOfWork, deployment: Deployment, drift: dict[str, Any]) -> Alert:
        features = drift.get("drifted_features") or []
        confidence = drift.get("avg_confidence")
        what = f"features {', '.join(features)}" if features else "prediction confidence"
        message = (
            f"drift detected on {deployment.model_name} v{deployment.model_version}: {what} moved away "
            "from the training data"
        )
        details = {
            "model_name": deployment.model_name,
            "model_version": deployment.model_version,
            "model_id": deployment.model_id,
            "avg_confidence": confidence,
            "reference_confidence": drift.get("reference_confidence"),
            "confidence_drop": drift.get("confidence_drop"),
            "features": features,
            "scores": drift.get("features", {}),
            "window": drift.get("window"),
            "thresholds": drift.get("thresholds", {}),
        }
        return await self.raise_alert(uow, deployment, "drift_detected", "warning", message, details)

    async def deployment_failed(self, uow: UnitOfWork, deployment: Deployment) -> None:
        message = (
            f"deployment of {deployment.model_name} v{deployment.model_version} failed: {deployment.reason}"
        )
        details = {
            "model_name": deployment.model_name,
            "model_version": deployment.model_version,
            "reason": deployment.reason,
        }
        await self.raise_alert(uow, deployment, "deployment_failed", "critical", message, details)

    async def replica_restarted(self, deployment: Deployment, replica_id: str, detail: str) -> None:
        async with self.service.unit_of_work() as uow:
            message = (
                f"a replica of {deployment.model_name} v{deployment.model_version} died and was restarted"
            )
            details = {"model_name": deployment.model_name, "replica_id": replica_id, "detail": detail}
            await self.raise_alert(uow, deployment, "replica_restarted", "warning", message, details)

    # Commands --------------------------------------------------------------------------------

    async def acknowledge(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, AcknowledgeAlert)
        alert = await _alert(uow, request.alert_id)
        if alert.status != "open":
            raise Conflict(
                f"alert {alert.id} is {alert.status}: only an open alert can be acknowledged",
                field="alert_id",
            )
        alert.status = "acknowledged"
        alert.acknowledged_by = command.actor.id
        alert.acknowledged_at = utcnow()
        alert.acknowledge_note = request.note
        self.emit(uow, alert, ALERT_ACKNOWLEDGED, command.actor, command.correlation_id, request.note)
        return {"alert_id": alert.id, "status": alert.status}

    async def resolve(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, ResolveAlert)
        alert = await _alert(uow, request.alert_id)
        if alert.status == "resolved":
            raise Conflict(f"alert {alert.id} is already resolved", field="alert_id")
        alert.status = "resolved"
        alert.resolved_by = command.actor.id
        alert.resolved_at = utcnow()
        alert.resolve_note = request.note
        self.emit(uow, alert, ALERT_RESOLVED, command.actor, command.correlation_id, request.note)
        for callback in self.resolved:
            await callback(alert)
        return {"alert_id": alert.id, "status": alert.status}

    def emit(
        self,
        uow: UnitOfWork,
        alert: Alert,
        message_type: str,
        actor: Actor,
        correlation_id: str,
        note: str | None = None,
    ) -> None:
        data = AlertChanged(
            alert_id=alert.id,
            alert_type=alert.alert_type,  # type: ignore[arg-type]
            severity=alert.severity,  # type: ignore[arg-type]
            status=alert.status,  # type: ignore[arg-type]
            message=alert.message,
            deployment_id=alert.deployment_id,
            model_name=alert.model_name,
            details=alert.details,
            by=None if actor.id == SYSTEM_ACTOR.id else actor.id,
            note=note,
        )
        uow.record(
            spec(message_type).envelope(
                source=self.service.source, correlation_id=correlation_id, actor=actor, data=data
            )
        )


async def _alert(uow: UnitOfWork, alert_id: str) -> Alert:
    alert = await uow.session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise NotFound(f"no alert {alert_id!r}", field="alert_id")
    return alert
