"""Every SQL statement of the registry service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Float, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import ListModels, SearchVersions
from services.registry.models import ModelAlias, ModelVersion, RegisteredModel, VersionChange

LISTED = (
    ModelVersion.id,
    ModelVersion.model_name,
    ModelVersion.version,
    ModelVersion.status,
    ModelVersion.model_type,
    ModelVersion.run_id,
    ModelVersion.metrics,
    ModelVersion.tags,
    ModelVersion.created_at,
    ModelVersion.created_by,
)
"""The columns a version list shows."""


class RegistryRepository:
    """Models, versions, aliases and timelines, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def model_by_name(self, name: str, lock: bool = False) -> RegisteredModel | None:
        query = select(RegisteredModel).where(RegisteredModel.name == name)
        if lock:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def model(self, model_id: str, lock: bool = False) -> RegisteredModel | None:
        query = select(RegisteredModel).where(RegisteredModel.id == model_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def version(self, version_id: str) -> ModelVersion | None:
        return await self.session.get(ModelVersion, version_id, populate_existing=True)

    async def version_of_run(self, run_id: str) -> ModelVersion | None:
        query = select(ModelVersion).where(ModelVersion.run_id == run_id)
        return (await self.session.scalars(query)).one_or_none()

    async def version_number(self, model: RegisteredModel, number: int) -> ModelVersion | None:
        query = select(ModelVersion).where(
            ModelVersion.registered_model_id == model.id, ModelVersion.version == number
        )
        return (await self.session.scalars(query)).one_or_none()

    async def versions_of(self, model: RegisteredModel) -> list[ModelVersion]:
        query = (
            select(ModelVersion)
            .where(ModelVersion.registered_model_id == model.id)
            .order_by(ModelVersion.version.desc())
        )
        return list(await self.session.scalars(query))

    async def production(self, model: RegisteredModel) -> ModelVersion | None:
        query = select(ModelVersion).where(
            ModelVersion.registered_model_id == model.id, ModelVersion.status == "production"
        )
        return (await self.session.scalars(query)).first()

    async def alias(self, model: RegisteredModel, alias: str) -> ModelAlias | None:
        return await self.session.get(ModelAlias, (model.id, alias))

    async def aliases(self, version_ids: Iterable[str]) -> dict[str, list[str]]:
        """Aliases per version id."""
        ids = list(version_ids)
        found: dict[str, list[str]] = {}
        if not ids:
            return found
        query = select(ModelAlias).where(ModelAlias.version_id.in_(ids)).order_by(ModelAlias.alias)
        for row in await self.session.scalars(query):
            found.setdefault(row.version_id, []).append(row.alias)
        return found

    async def changes(self, version_ids: Iterable[str]) -> list[VersionChange]:
        query = (
            select(VersionChange)
            .where(VersionChange.version_id.in_(list(version_ids)))
            .order_by(VersionChange.at, VersionChange.id)
        )
        return list(await self.session.scalars(query))

    async def search(self, request: SearchVersions) -> tuple[list[Row[Any]], int]:
        """The page of versions as rows of :data:`LISTED` columns (no big JSON columns), and the total."""
        conditions = _version_conditions(request)
        total = await self.session.scalar(select(func.count()).select_from(ModelVersion).where(*conditions))
        query = (
            select(*LISTED)
            .where(*conditions)
            .order_by(*_version_order(request))
            .limit(request.limit)
            .offset(request.offset)
        )
        return list((await self.session.execute(query)).all()), int(total or 0)

    async def models(self, request: ListModels) -> tuple[list[RegisteredModel], int]:
        conditions: list[ColumnElement[bool]] = []
        if request.name_contains:
            conditions.append(RegisteredModel.name.contains(request.name_contains, autoescape=True))
        if request.model_type:
            conditions.append(RegisteredModel.model_type == request.model_type)
        for key, value in (request.tag or {}).items():
            conditions.append(RegisteredModel.tags[key].as_string() == value)
        total = await self.session.scalar(
            select(func.count()).select_from(RegisteredModel).where(*conditions)
        )
        order: Any = {
            "name": RegisteredModel.name.asc(),
            "updated_at": RegisteredModel.updated_at.asc(),
            "-updated_at": RegisteredModel.updated_at.desc(),
        }[request.sort]
        query = (
            select(RegisteredModel)
            .where(*conditions)
            .order_by(order, RegisteredModel.id)
            .limit(request.limit)
            .offset(request.offset)
        )
        return list(await self.session.scalars(query)), int(total or 0)

    async def latest_and_production(
        self, models: list[RegisteredModel]
    ) -> dict[str, tuple[ModelVersion | None, ModelVersion | None]]:
        """The latest and the production version of each model."""
        ids = [m.id for m in models]
        if not ids:
            return {}
        numbers = {(m.id, m.latest_version) for m in models}
        query = select(ModelVersion).where(
            ModelVersion.registered_model_id.in_(ids),
            (ModelVersion.status == "production")
            | ModelVersion.version.in_([m.latest_version for m in models]),
        )
        found: dict[str, tuple[ModelVersion | None, ModelVersion | None]] = {i: (None, None) for i in ids}
        for version in await self.session.scalars(query):
            latest, production = found[version.registered_model_id]
            if (version.registered_model_id, version.version) in numbers:
                latest = version
            if version.status == "production":
                production = version
            found[version.registered_model_id] = (latest, production)
        return found

    async def alias_map(self, model_ids: list[str]) -> dict[str, dict[str, int]]:
        """Alias to version number, per model."""
        if not model_ids:
            return {}
        query = (
            select(ModelAlias.registered_model_id, ModelAlias.alias, ModelVersion.version)
            .join(ModelVersion, ModelVersion.id == ModelAlias.version_id)
            .where(ModelAlias.registered_model_id.in_(model_ids))
        )
        found: dict[str, dict[str, int]] = {}
        for model_id, alias, number in await self.session.execute(query):
            found.setdefault(model_id, {})[alias] = number
        return found

    async def versions_by(
        self, *, run_id: str | None = None, dataset: str | None = None
    ) -> list[ModelVersion]:
        query = select(ModelVersion)
        if run_id:
            query = query.where(ModelVersion.run_id == run_id)
        if dataset:
            query = query.where(ModelVersion.dataset_fingerprint == dataset)
        return list(await self.session.scalars(query.order_by(ModelVersion.created_at).limit(1000)))


def _metric(name: str) -> Any:
    return ModelVersion.metrics[name].as_float().cast(Float)


def _version_conditions(request: SearchVersions) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if request.name:
        conditions.append(ModelVersion.model_name == request.name)
    if request.name_contains:
        conditions.append(ModelVersion.model_name.contains(request.name_contains, autoescape=True))
    if request.status:
        conditions.append(ModelVersion.status.in_(request.status))
    if request.model_type:
        conditions.append(ModelVersion.model_type == request.model_type)
    if request.run_id:
        conditions.append(ModelVersion.run_id == request.run_id)
    for key, value in (request.tag or {}).items():
        conditions.append(ModelVersion.tags[key].as_string() == value)
    if request.metric and request.metric_min is not None:
        conditions.append(_metric(request.metric) >= request.metric_min)
    if request.metric and request.metric_max is not None:
        conditions.append(_metric(request.metric) <= request.metric_max)
    return conditions


def _version_order(request: SearchVersions) -> list[Any]:
    descending = request.sort.startswith("-")
    key = request.sort.lstrip("-")
    column: Any = {
        "created_at": ModelVersion.created_at,
        "version": ModelVersion.version,
        "name": ModelVersion.model_name,
    }.get(key)
    if key == "metric":
        column = _metric(request.metric or "test_accuracy")
        column = column.desc().nulls_last() if descending else column.asc().nulls_last()
        return [column, ModelVersion.id]
    return [column.desc() if descending else column.asc(), ModelVersion.id]
