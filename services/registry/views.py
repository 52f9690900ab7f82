"""Answers to the registry's queries: versions, models, details, comparisons, lineage."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope
from contracts.registry import (
    ChangeView,
    CompareVersions,
    Comparison,
    GetLineage,
    GetModel,
    GetVersion,
    Lineage,
    ListModels,
    ModelDetail,
    ModelPage,
    ModelSummary,
    SearchVersions,
    VersionDetail,
    VersionPage,
    VersionView,
)
from services.kit.errors import InvalidRequest, NotFound
from services.kit.runtime import Service
from services.registry.models import ModelVersion, RegisteredModel, VersionChange
from services.registry.repository import RegistryRepository


class RegistryViews:
    """Read side of the registry."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def search(self, query: Envelope) -> VersionPage:
        request = query.data
        assert isinstance(request, SearchVersions)
        if request.sort.lstrip("-") == "metric" and not request.metric:
            raise InvalidRequest("sorting by metric needs metric (e.g. test_accuracy)", field="metric")
        async with self.service.unit_of_work() as uow:
            repository = RegistryRepository(uow.session)
            rows, total = await repository.search(request)
            aliases = await repository.aliases(row.id for row in rows)
        return VersionPage.model_construct(items=[_view(row, aliases) for row in rows], total=total)

    async def version(self, query: Envelope) -> VersionDetail:
        request = query.data
        assert isinstance(request, GetVersion)
        async with self.service.unit_of_work() as uow:
            repository = RegistryRepository(uow.session)
            version = await repository.version(request.model_id)
            if version is None:
                raise NotFound(f"no model version {request.model_id}", field="model_id")
            aliases = await repository.aliases([version.id])
            changes = await repository.changes([version.id])
        return _detail(version, aliases, changes)

    async def models(self, query: Envelope) -> ModelPage:
        request = query.data
        assert isinstance(request, ListModels)
        async with self.service.unit_of_work() as uow:
            repository = RegistryRepository(uow.session)
            models, total = await repository.models(request)
            versions = await repository.latest_and_production(models)
            aliases = await repository.alias_map([m.id for m in models])
        return ModelPage(
            items=[_summary(m, *versions[m.id], aliases.get(m.id, {})) for m in models], total=total
        )

    async def model(self, query: Envelope) -> ModelDetail:
        request = query.data
        assert isinstance(request, GetModel)
        async with self.service.unit_of_work() as uow:
            repository = RegistryRepository(uow.session)
            version = await repository.version(request.model_id)
            model = await (
                repository.model(version.registered_model_id)
                if version is not None
                else repository.model_by_name(request.model_id)
            )
            if model is None:
                raise NotFound(f"no model version or model named {request.model_id}", field="model_id")
            versions = await repository.versions_of(model)
            aliases = await repository.aliases(v.id for v in versions)
            changes = await repository.changes(v.id for v in versions)
            alias_map = await repository.alias_map([model.id])
        latest = versions[0] if versions else None
        production = next((v for v in versions if v.status == "production"), None)
        by_version: dict[str, list[VersionChange]] = {}
        for change in changes:
            by_version.setdefault(change.version_id, []).append(change)
        numbers = {v.id: v.version for v in versions}
        return ModelDetail(
            **_summary(model, latest, production, alias_map.get(model.id, {})).model_dump(),
            versions=[_detail(v, aliases, by_version.get(v.id, [])) for v in versions],
            timeline=[_change(c, numbers[c.version_id]) for c in changes],
            metric_history=[
                {"version": v.version, "model_id": v.id, "metrics": v.metrics, "registered_at": v.created_at}
                for v in reversed(versions)
            ],
            deployments=[],
        )

    async def compare(self, query: Envelope) -> Comparison:
        request = query.data
        assert isinstance(request, CompareVersions)
        async with self.service.unit_of_work() as uow:
            repository = RegistryRepository(uow.session)
            versions = []
            for model_id in request.model_ids:
                version = await repository.version(model_id)
                if version is None:
                    raise NotFound(f"no model version {model_id}", field="model_ids")
                versions.append(version)
            aliases = await repository.aliases(v.id for v in versions)
        names = sorted({name for v in versions for name in v.metrics})
        params = _flatten_all([v.params for v in versions])
        return Comparison(
            versions=[_view(v, aliases) for v in versions],
            metrics={n: [_float(v.metrics.get(n)) for v in versions] for n in names},
            params={k: values for k, values in params.items() if len({repr(x) for x in values}) > 1},
            same_dataset=len({v.dataset_fingerprint for v in versions}) == 1
            and versions[0].dataset_fingerprint is not None,
        )

    async def lineage(self, query: Envelope) -> Lineage:
        request = query.data
        assert isinstance(request, GetLineage)
        given = [x for x in (request.run_id, request.dataset, request.model_id) if x]
        if len(given) != 1:
            raise InvalidRequest("give exactly one of run_id, dataset, model_id", field="run_id")
        async with self.service.unit_of_work() as uow:
            repository = RegistryRepository(uow.session)
            if request.model_id:
                version = await repository.version(request.model_id)
                versions = [version] if version is not None else []
            else:
                versions = await repository.versions_by(run_id=request.run_id, dataset=request.dataset)
            aliases = await repository.aliases(v.id for v in versions)
        datasets = {v.dataset_fingerprint: _dataset(v) for v in versions if v.dataset_fingerprint}
        if request.dataset and not datasets:
            datasets[request.dataset] = {"sha256": request.dataset}
        return Lineage(
            runs=sorted(
                {v.run_id for v in versions if v.run_id} | ({request.run_id} if request.run_id else set())
            ),
            datasets=list(datasets.values()),
            versions=[_view(v, aliases) for v in versions],
            deployments=[],
        )


def _view(version: Any, aliases: dict[str, list[str]]) -> VersionView:
    """The list view of a version (an entity, or a row of the listed columns)."""
    return VersionView.model_construct(**_fields(version, aliases))


def _fields(version: Any, aliases: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "model_id": version.id,
        "model_name": version.model_name,
        "version": version.version,
        "status": version.status,
        "model_type": version.model_type,
        "job_id": version.run_id,
        "metrics": {k: float(v) for k, v in version.metrics.items() if isinstance(v, int | float)},
        "aliases": aliases.get(version.id, []),
        "tags": version.tags,
        "registered_at": version.created_at,
        "registered_by": version.created_by,
    }


def _detail(
    version: ModelVersion, aliases: dict[str, list[str]], changes: list[VersionChange]
) -> VersionDetail:
    return VersionDetail(
        **_fields(version, aliases),
        artifact_uri=version.artifact_uri,
        input_signature=version.input_signature,
        metric_history=version.metric_history,
        params=version.params,
        dataset=version.dataset,
        description=version.description,
        timeline=[_change(c, version.version) for c in changes if c.version_id == version.id],
    )


def _change(change: VersionChange, number: int) -> ChangeView:
    return ChangeView.model_validate(
        {
            "model_id": change.version_id,
            "version": number,
            "action": change.action,
            "from_status": change.from_status,
            "to_status": change.to_status,
            "actor": change.actor,
            "note": change.note,
            "at": change.at,
        }
    )


def _summary(
    model: RegisteredModel,
    latest: ModelVersion | None,
    production: ModelVersion | None,
    aliases: dict[str, int],
) -> ModelSummary:
    shown = production or latest
    return ModelSummary.model_validate(
        {
            "name": model.name,
            "model_type": model.model_type,
            "latest_version": model.latest_version,
            "latest_model_id": latest.id if latest else None,
            "production_version": production.version if production else None,
            "production_model_id": production.id if production else None,
            "status": latest.status if latest else "registered",
            "metrics": {
                k: float(v) for k, v in (shown.metrics if shown else {}).items() if isinstance(v, int | float)
            },
            "aliases": aliases,
            "tags": model.tags,
            "description": model.description,
            "registered_at": latest.created_at if latest else model.created_at,
            "updated_at": model.updated_at,
        }
    )


def _dataset(version: ModelVersion) -> dict[str, Any]:
    keep = ("sha256", "source", "path", "repo", "rev", "rows", "train_examples", "test_examples")
    return {k: version.dataset[k] for k in keep if k in version.dataset}


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _flatten_all(params: list[dict[str, Any]]) -> dict[str, list[Any]]:
    flat = [_flatten(p) for p in params]
    keys = sorted({k for f in flat for k in f})
    return {k: [f.get(k) for f in flat] for k in keys}


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            out.update(_flatten(item, f"{name}."))
        else:
            out[name] = item
    return out
