"""The lifecycle of versions: promote, rollback, archive, aliases, descriptions and tags.

Statuses are the seed's: registered → staging → production → archived. A model has at most one
production version: promoting another archives it (action ``replaced`` in its timeline). Every
change takes the model's row lock first, so concurrent changes of one model apply one after the
other (and a partial unique index refuses a second production version whatever happens).
"""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope, utcnow
from contracts.registry import (
    ALIAS_CHANGED,
    MODEL_UPDATED,
    PRODUCTION_CHANGED,
    VERSION_STATUS_CHANGED,
    VERSION_UPDATED,
    AliasChanged,
    ArchiveVersion,
    ModelUpdated,
    ProductionChanged,
    PromoteVersion,
    RemoveAlias,
    RollbackVersion,
    SetAlias,
    UpdateModel,
    UpdateVersion,
    VersionStatusChanged,
    VersionUpdated,
    model_key,
)
from services.kit.errors import Conflict, InvalidRequest, NotFound
from services.kit.runtime import Service
from services.kit.uow import UnitOfWork
from services.registry.models import ModelAlias, ModelVersion, RegisteredModel, VersionChange
from services.registry.repository import RegistryRepository

ALLOWED = {
    "registered": {"staging", "production", "archived"},
    "staging": {"production", "archived", "registered"},
    "production": {"staging", "archived"},
    "archived": {"staging", "registered"},
}
"""Status moves a promote may make. An archived version returns to production only by rollback."""


class Lifecycle:
    """The registry's rules for moving versions between statuses and naming them."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def promote(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, PromoteVersion)
        repository = RegistryRepository(uow.session)
        model, version = await self._target(repository, request.model_id, request.new_version)
        if version.status == request.new_status:
            raise Conflict(f"{_name(model, version)} is already {version.status}", field="new_status")
        if request.new_status not in ALLOWED[version.status]:
            allowed = ", ".join(sorted(ALLOWED[version.status]))
            hint = "; use rollback to bring an archived version back" if version.status == "archived" else ""
            raise Conflict(
                f"{_name(model, version)} is {version.status}: it may become {allowed}{hint}",
                field="new_status",
            )
        previous = await repository.production(model) if request.new_status == "production" else None
        if previous is not None:
            self._move(
                uow,
                command,
                model,
                previous,
                "archived",
                "replaced",
                f"replaced by version {version.version}",
            )
            await uow.session.flush()  # the old production leaves before the new one arrives
        was_production = version.status == "production"
        self._move(uow, command, model, version, request.new_status, "promote", request.note)
        if request.new_status == "production":
            self._production(uow, command, model, version, previous, "promote")
        elif was_production:
            self._production(uow, command, model, None, version, "archive")
        return _result(model, version, previous)

    async def rollback(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, RollbackVersion)
        repository = RegistryRepository(uow.session)
        current = await _version(repository, request.current_model_id, "current_model_id")
        model = await repository.model(current.registered_model_id, lock=True)
        assert model is not None
        current = await _version(repository, request.current_model_id, "current_model_id")  # after the lock
        target = await _version(repository, request.target_model_id, "target_model_id")
        if target.registered_model_id != model.id:
            raise InvalidRequest(
                f"target_model_id is a version of another model than {model.name}", field="target_model_id"
            )
        if target.id == current.id:
            raise InvalidRequest("target_model_id is the current version itself", field="target_model_id")
        if current.status != "production":
            raise Conflict(
                f"{_name(model, current)} is {current.status}, not production: nothing to roll back",
                field="current_model_id",
            )
        note = request.note or f"rollback from version {current.version} to {target.version}"
        self._move(uow, command, model, current, "archived", "rollback", note)
        await uow.session.flush()  # the old production leaves before the new one arrives
        self._move(uow, command, model, target, "production", "rollback", note)
        self._production(uow, command, model, target, current, "rollback")
        return _result(model, target, current)

    async def archive(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, ArchiveVersion)
        repository = RegistryRepository(uow.session)
        model, version = await self._target(repository, request.model_id, None)
        if version.status == "archived":
            raise Conflict(f"{_name(model, version)} is already archived", field="model_id")
        was_production = version.status == "production"
        self._move(uow, command, model, version, "archived", "archive", request.note)
        if was_production:
            self._production(uow, command, model, None, version, "archive")
        return _result(model, version, None)

    async def set_alias(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, SetAlias)
        repository = RegistryRepository(uow.session)
        model = await _model(repository, request.model_name)
        version = await repository.version_number(model, request.version)
        if version is None:
            raise NotFound(f"{model.name} has no version {request.version}", field="version")
        row = await repository.alias(model, request.alias)
        previous = await repository.version(row.version_id) if row is not None else None
        if row is None:
            row = ModelAlias(registered_model_id=model.id, alias=request.alias, version_id=version.id)
            uow.session.add(row)
        row.version_id, row.updated_by, row.updated_at = version.id, command.actor.id, utcnow()
        if previous is not None and previous.id != version.id:
            moved = f"alias {request.alias} moved to version {version.version}"
            self._note(uow, command, previous, "alias_removed", moved)
        self._note(uow, command, version, "alias_set", f"alias {request.alias}")
        self._alias_event(uow, command, model, request.alias, version, previous)
        return {
            "model_name": model.name,
            "alias": request.alias,
            "version": version.version,
            "model_id": version.id,
        }

    async def remove_alias(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, RemoveAlias)
        repository = RegistryRepository(uow.session)
        model = await _model(repository, request.model_name)
        row = await repository.alias(model, request.alias)
        if row is None:
            raise NotFound(f"{model.name} has no alias {request.alias}", field="alias")
        previous = await repository.version(row.version_id)
        await uow.session.delete(row)
        if previous is not None:
            self._note(uow, command, previous, "alias_removed", f"alias {request.alias}")
        self._alias_event(uow, command, model, request.alias, None, previous)
        return {"model_name": model.name, "alias": request.alias, "version": None}

    async def update_version(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, UpdateVersion)
        version = await _version(RegistryRepository(uow.session), request.model_id, "model_id")
        fields = _apply(version, request.description, request.tags)
        uow.record(
            self.service.event(VERSION_UPDATED, command, VersionUpdated(model_id=version.id, fields=fields))
        )
        return {"model_id": version.id, "fields": fields}

    async def update_model(self, command: Envelope, uow: UnitOfWork) -> dict[str, Any]:
        request = command.data
        assert isinstance(request, UpdateModel)
        model = await _model(RegistryRepository(uow.session), request.model_name)
        fields = _apply(model, request.description, request.tags)
        model.updated_at = utcnow()
        event = ModelUpdated(model_name=model.name, model_key=model_key(model.name), fields=fields)
        uow.record(self.service.event(MODEL_UPDATED, command, event))
        return {"model_name": model.name, "fields": fields}

    # Helpers -------------------------------------------------------------------------------

    async def _target(
        self, repository: RegistryRepository, reference: str, number: int | None
    ) -> tuple[RegisteredModel, ModelVersion]:
        """The model (locked) and the version a promote or archive names: by id, or by name + number."""
        version = await repository.version(reference)
        model = await (
            repository.model(version.registered_model_id, lock=True)
            if version is not None
            else repository.model_by_name(reference, lock=True)
        )
        if model is None:
            raise NotFound(f"no model version or model named {reference}", field="model_id")
        if number is not None:
            version = await repository.version_number(model, number)
            if version is None:
                raise NotFound(f"{model.name} has no version {number}", field="new_version")
        elif version is None:
            raise InvalidRequest(
                f"{reference} is a model name: say which version with new_version", field="new_version"
            )
        else:
            version = await repository.version(version.id)  # re-read under the model's lock
        assert version is not None
        return model, version

    def _move(
        self,
        uow: UnitOfWork,
        command: Envelope,
        model: RegisteredModel,
        version: ModelVersion,
        status: str,
        action: str,
        note: str | None,
    ) -> None:
        before = version.status
        version.status = status
        model.updated_at = utcnow()
        self._note(uow, command, version, action, note, before)
        changed = VersionStatusChanged.model_validate(
            {
                "model_id": version.id,
                "model_name": model.name,
                "version": version.version,
                "from_status": before,
                "to_status": status,
                "action": action,
                "note": note,
            }
        )
        uow.record(self.service.event(VERSION_STATUS_CHANGED, command, changed))

    def _note(
        self,
        uow: UnitOfWork,
        command: Envelope,
        version: ModelVersion,
        action: str,
        note: str | None,
        before: str | None = None,
    ) -> None:
        """An entry of the version's timeline (``before``: its status before a move; none for a note)."""
        uow.session.add(
            VersionChange(
                version_id=version.id,
                action=action,
                from_status=before or version.status,
                to_status=version.status,
                actor=command.actor.id,
                note=note,
                at=utcnow(),
            )
        )

    def _production(
        self,
        uow: UnitOfWork,
        command: Envelope,
        model: RegisteredModel,
        version: ModelVersion | None,
        previous: ModelVersion | None,
        reason: str,
    ) -> None:
        event = ProductionChanged.model_validate(
            {
                "model_name": model.name,
                "model_id": version.id if version else None,
                "version": version.version if version else None,
                "previous_model_id": previous.id if previous else None,
                "previous_version": previous.version if previous else None,
                "reason": reason,
                "artifact_uri": version.artifact_uri if version else None,
                "model_key": model_key(model.name),
            }
        )
        uow.record(self.service.event(PRODUCTION_CHANGED, command, event))

    def _alias_event(
        self,
        uow: UnitOfWork,
        command: Envelope,
        model: RegisteredModel,
        alias: str,
        version: ModelVersion | None,
        previous: ModelVersion | None,
    ) -> None:
        event = AliasChanged(
            model_name=model.name,
            model_key=model_key(model.name),
            alias=alias,
            model_id=version.id if version else None,
            version=version.version if version else None,
            previous_version=previous.version if previous else None,
        )
        uow.record(self.service.event(ALIAS_CHANGED, command, event))


async def _model(repository: RegistryRepository, name: str) -> RegisteredModel:
    model = await repository.model_by_name(name, lock=True)
    if model is None:
        raise NotFound(f"no model named {name}", field="model_name")
    return model


async def _version(repository: RegistryRepository, version_id: str, field: str) -> ModelVersion:
    version = await repository.version(version_id)
    if version is None:
        raise NotFound(f"no model version {version_id}", field=field)
    return version


def _apply(row: Any, description: str | None, tags: dict[str, str] | None) -> list[str]:
    fields = []
    if description is not None:
        row.description = description
        fields.append("description")
    if tags is not None:
        row.tags = dict(tags)
        fields.append("tags")
    if not fields:
        raise InvalidRequest("nothing to change: give description or tags", field="description")
    return fields


def _name(model: RegisteredModel, version: ModelVersion) -> str:
    return f"{model.name} version {version.version}"


def _result(model: RegisteredModel, version: ModelVersion, previous: ModelVersion | None) -> dict[str, Any]:
    return {
        "model_name": model.name,
        "model_id": version.id,
        "version": version.version,
        "status": version.status,
        "previous_model_id": previous.id if previous else None,
        "previous_version": previous.version if previous else None,
    }
