"""The rules of deployments: create, scale, roll out, delete, and following the registry.

Commands change the desired state and record what changed; the fleet (:mod:`services.infra.fleet`)
starts and stops replicas until the actual state matches.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.envelope import Actor, Envelope, new_id, utcnow
from contracts.infra import (
    DEPLOYMENT_DELETED,
    DEPLOYMENT_DEPLOYING,
    DEPLOYMENT_SCALED,
    DEPLOYMENT_UPDATED,
    CreateDeployment,
    DeleteDeployment,
    RolloutDeployment,
    ScaleDeployment,
)
from contracts.registry import VERSION_GET, GetVersion, ProductionChanged, VersionDetail
from services.infra.history import record
from services.infra.models import Deployment
from services.kit.errors import Conflict, NotFound, TransientError
from services.kit.runtime import Service
from services.kit.uow import UnitOfWork

ENDPOINT = "/api/deployments/{id}"
"""Where the gateway proxies a deployment's inference routes."""


class Deployments:
    """Command handlers of deployments."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def create(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, CreateDeployment)
        version = await self.version(request.model_id, command.actor)
        now = utcnow()
        deployment = Deployment(
            id=new_id(),
            model_id=version.model_id,
            model_name=version.model_name,
            model_version=version.version,
            model_type=version.model_type,
            artifact_uri=version.artifact_uri,
            namespace=request.namespace,
            runtime="local",
            replicas=request.replicas,
            resource_requests=request.resource_requests.model_dump(exclude_none=True),
            resource_limits=request.resource_limits.model_dump(exclude_none=True),
            follow_production=request.follow_production,
            status="pending",
            start_failures=0,
            run_id=request.run_id,
            created_by=command.actor.id,
            correlation_id=command.correlation_id,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(deployment)
        detail = f"{version.model_name} v{version.version}, {request.replicas} replica(s)"
        await record(
            self.service, uow, deployment, DEPLOYMENT_DEPLOYING, ready=0, detail=detail, actor=command.actor
        )
        return {
            "deployment_id": deployment.id,
            "status": "pending",
            "endpoint": ENDPOINT.format(id=deployment.id),
            "model_name": version.model_name,
            "model_version": version.version,
        }

    async def scale(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, ScaleDeployment)
        deployment = await live(uow, request.deployment_id)
        before = deployment.replicas
        if before == request.replicas:
            return {"deployment_id": deployment.id, "replicas": before}
        deployment.replicas = request.replicas
        reopen(deployment)
        deployment.reason = f"scaling from {before} to {request.replicas} replicas"
        await record(
            self.service, uow, deployment, DEPLOYMENT_SCALED,
            detail=f"{before} → {request.replicas} replica(s)", actor=command.actor,
        )  # fmt: skip
        return {"deployment_id": deployment.id, "replicas": request.replicas}

    async def rollout(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, RolloutDeployment)
        deployment = await live(uow, request.deployment_id)
        version = await self.version(request.model_id, command.actor)
        if version.model_name != deployment.model_name:
            raise Conflict(
                f"deployment {deployment.id} serves {deployment.model_name}; "
                f"{version.model_id} is a version of {version.model_name}: deploy it separately",
                field="model_id",
            )
        await roll(self.service, uow, deployment, version.model_id, version.version, version.artifact_uri,
             f"rollout asked by {command.actor.id}", command.actor)  # fmt: skip
        return {
            "deployment_id": deployment.id,
            "model_id": version.model_id,
            "model_version": version.version,
        }

    async def delete(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, DeleteDeployment)
        deployment = await live(uow, request.deployment_id)
        deployment.status = "deleted"
        deployment.deleted_at = utcnow()
        deployment.rolling_from = None
        await record(self.service, uow, deployment, DEPLOYMENT_DELETED, ready=0, actor=command.actor,
               detail="replicas stop")  # fmt: skip
        return {"deployment_id": deployment.id, "status": "deleted"}

    async def on_production_changed(self, event: Envelope, uow: UnitOfWork) -> None:
        """Deployments that follow the model's production version roll to the new one."""
        change = event.data
        assert isinstance(change, ProductionChanged)
        if change.model_id is None or change.version is None or change.artifact_uri is None:
            return  # no production version now: deployments keep serving what they serve
        rows = await uow.session.scalars(
            select(Deployment).where(
                Deployment.model_name == change.model_name,
                Deployment.follow_production.is_(True),
                Deployment.deleted_at.is_(None),
            )
        )
        for deployment in rows:
            if deployment.model_id != change.model_id:
                detail = f"{change.reason} in the registry by {event.actor.id}"
                await roll(self.service, uow, deployment, change.model_id, change.version, change.artifact_uri,
                     detail, event.actor)  # fmt: skip

    async def version(self, model_id: str, actor: Actor) -> VersionDetail:
        """The registered version ``model_id``, from the registry."""
        assert self.service.bus is not None
        reply = await self.service.bus.ask(VERSION_GET, GetVersion(model_id=model_id), actor, timeout=5.0)
        if not reply.ok:
            error = reply.error
            if error is not None and error.status == 404:
                raise NotFound(f"no registered model version {model_id!r}", field="model_id")
            raise TransientError(f"the registry did not answer: {error.reason if error else 'no reply'}")
        version = VersionDetail.model_validate(reply.data)
        if version.status == "archived":
            raise Conflict(
                f"{version.model_name} v{version.version} is archived: promote it again to deploy it",
                field="model_id",
            )
        return version


async def live(uow: UnitOfWork, deployment_id: str) -> Deployment:
    """Deployment ``deployment_id``, locked; ``NotFound`` when there is none or it was deleted."""
    deployment = await uow.session.get(Deployment, deployment_id, with_for_update=True)
    if deployment is None or deployment.deleted_at is not None:
        raise NotFound(f"no deployment {deployment_id!r}", field="deployment_id")
    return deployment


def reopen(deployment: Deployment) -> None:
    """A failed deployment is tried again after a change someone asked for."""
    deployment.start_failures = 0
    if deployment.status == "failed":
        deployment.status = "pending"
        deployment.reason = None


async def roll(
    service: Service,
    uow: UnitOfWork,
    deployment: Deployment,
    model_id: str,
    version: int,
    artifact_uri: str,
    why: str,
    actor: Actor,
) -> None:
    """Point ``deployment`` at another version; the fleet replaces replicas without downtime."""
    previous = (deployment.model_id, deployment.model_version)
    if deployment.rolling_from is None:
        deployment.rolling_from = deployment.model_id
    elif deployment.rolling_from == model_id:
        deployment.rolling_from = None  # rolled back before the rollout finished
    deployment.model_id = model_id
    deployment.model_version = version
    deployment.artifact_uri = artifact_uri
    reopen(deployment)
    detail = f"v{previous[1]} → v{version}: {why}"
    await record(service, uow, deployment, DEPLOYMENT_UPDATED, detail=detail, actor=actor, previous=previous)
