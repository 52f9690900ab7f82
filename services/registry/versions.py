"""Registering model versions: one version per training run, numbered per model."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.envelope import Envelope, new_id, utcnow
from contracts.registry import VERSION_REGISTERED, RegisterModelVersion, VersionRegistered
from services.kit.runtime import Service
from services.kit.uow import UnitOfWork
from services.registry.models import ModelVersion, RegisteredModel, VersionChange


class Versions:
    """The registry's rules for versions."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def register(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, RegisterModelVersion)
        session = uow.session
        existing = (
            (
                await session.scalars(select(ModelVersion).where(ModelVersion.run_id == request.run_id))
            ).one_or_none()
            if request.run_id is not None
            else None
        )
        if existing is not None:
            # The same run registered again (a redelivered or repeated command): same version.
            model = await session.get(RegisteredModel, existing.registered_model_id)
            return _result(existing, model.name if model else request.model_name)
        now = utcnow()
        query = select(RegisteredModel).where(RegisteredModel.name == request.model_name).with_for_update()
        model = (await session.scalars(query)).one_or_none()
        if model is None:
            model = RegisteredModel(
                id=new_id(),
                name=request.model_name,
                model_type=request.model_type,
                tags={},
                latest_version=0,
                created_by=command.actor.id,
                created_at=now,
                updated_at=now,
            )
            session.add(model)
            await session.flush()
        model.latest_version += 1
        model.updated_at = now
        version = ModelVersion(
            id=new_id(),
            registered_model_id=model.id,
            model_name=model.name,
            version=model.latest_version,
            status="registered",
            model_type=request.model_type,
            run_id=request.run_id,
            artifact_uri=request.artifact_uri,
            input_signature=request.input_signature,
            metrics=request.metrics,
            metric_history=request.metric_history,
            params=request.params,
            dataset=request.dataset,
            dataset_fingerprint=request.dataset.get("sha256") or request.dataset.get("fingerprint"),
            tags=request.tags,
            description=request.description,
            created_by=command.actor.id,
            created_at=now,
        )
        session.add(version)
        await session.flush()
        session.add(
            VersionChange(
                version_id=version.id,
                action="register",
                from_status=None,
                to_status="registered",
                actor=command.actor.id,
                note=f"from run {request.run_id}" if request.run_id else "uploaded",
                at=now,
            )
        )
        uow.record(
            self.service.event(
                VERSION_REGISTERED,
                command,
                VersionRegistered(
                    model_id=version.id,
                    model_name=model.name,
                    version=version.version,
                    model_type=version.model_type,
                    run_id=version.run_id,
                    status="registered",
                    artifact_uri=version.artifact_uri,
                    metrics=request.metrics,
                ),
            )
        )
        return _result(version, model.name)


def _result(version: ModelVersion, name: str) -> dict[str, Any]:
    return {"model_id": version.id, "model_name": name, "version": version.version, "status": version.status}
