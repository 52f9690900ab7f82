"""Every change of a deployment: an event on the bus and a row of its history, in one unit of work."""

from __future__ import annotations

from sqlalchemy import func, select

from contracts.envelope import SYSTEM_ACTOR, Actor, utcnow
from contracts.infra import DeploymentChanged
from contracts.messages import spec
from contracts.subjects import split_type
from services.infra.models import Deployment, HistoryRow, Replica
from services.kit.runtime import Service
from services.kit.uow import UnitOfWork


async def record(
    service: Service,
    uow: UnitOfWork,
    deployment: Deployment,
    message_type: str,
    *,
    ready: int | None = None,
    detail: str | None = None,
    actor: Actor | None = None,
    previous: tuple[str, int] | None = None,
) -> None:
    """Record ``message_type`` (an ``infra.deployment.*`` event) of ``deployment`` as it is now."""
    verb = split_type(message_type)[2]
    if ready is None:
        ready = await ready_replicas(uow, deployment)
    now = utcnow()
    deployment.updated_at = now
    data = DeploymentChanged(
        deployment_id=deployment.id,
        model_id=deployment.model_id,
        model_name=deployment.model_name,
        model_version=deployment.model_version,
        namespace=deployment.namespace,
        status=deployment.status,  # type: ignore[arg-type]
        replicas_desired=deployment.replicas,
        replicas_ready=ready,
        reason=detail,
        previous_model_id=previous[0] if previous else None,
        previous_version=previous[1] if previous else None,
    )
    uow.record(
        spec(message_type).envelope(
            source=service.source,
            correlation_id=deployment.correlation_id,
            actor=actor or SYSTEM_ACTOR,
            data=data,
        )
    )
    uow.session.add(
        HistoryRow(
            deployment_id=deployment.id,
            event=verb,
            status=deployment.status,
            model_id=deployment.model_id,
            model_version=deployment.model_version,
            replicas_desired=deployment.replicas,
            replicas_ready=ready,
            detail=detail,
            actor=actor.id if actor is not None and actor.id != SYSTEM_ACTOR.id else None,
            at=now,
        )
    )


async def ready_replicas(uow: UnitOfWork, deployment: Deployment) -> int:
    """Replicas of the version ``deployment`` serves that answer ready."""
    return (await ready_counts(uow, [deployment.id])).get(deployment.id, 0)


async def ready_counts(uow: UnitOfWork, deployment_ids: list[str]) -> dict[str, int]:
    """Ready replicas of the served version, per deployment."""
    if not deployment_ids:
        return {}
    rows = await uow.session.execute(
        select(Replica.deployment_id, func.count())
        .join(Deployment, Deployment.id == Replica.deployment_id)
        .where(
            Replica.deployment_id.in_(deployment_ids),
            Replica.status == "ready",
            Replica.model_id == Deployment.model_id,
        )
        .group_by(Replica.deployment_id)
    )
    return {deployment_id: int(count) for deployment_id, count in rows}
