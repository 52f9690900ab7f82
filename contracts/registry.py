"""Messages of the registry service: registered models, their versions, stages and aliases.

A version's ``model_id`` is the seed's model_id: the id of one registered version. Version events
are keyed by it (``evt.registry.model_version.<verb>.<model_id>``); model-wide events by the model's
name token (``evt.registry.model.<verb>.<model_key>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.catalog import MessageSpec
from contracts.envelope import Payload

VersionStatus = Literal["registered", "staging", "production", "archived"]
ModelName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"),
    Field(description="Registered model name: letters, digits, '_', '-', '.' (at most 100)."),
]
Alias = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,62}$"),
    Field(description="Alias such as champion or candidate: lowercase letters, digits, '_', '-'."),
]
Tags = Annotated[dict[str, str], Field(max_length=50, description="Free tags, key to value.")]
ModelRef = Field(
    min_length=1, max_length=100, description="A version's model_id, or a registered model name."
)
VersionId = Field(
    min_length=1, max_length=64, description="Id of one registered version (the seed's model_id)."
)
Note = Field(default=None, max_length=1000, description="Why, for the version's timeline.")

MODEL_REGISTER = "registry.model.register.v1"
VERSION_PROMOTE = "registry.model_version.promote.v1"
VERSION_ROLLBACK = "registry.model_version.rollback.v1"
VERSION_ARCHIVE = "registry.model_version.archive.v1"
VERSION_UPDATE = "registry.model_version.update.v1"
MODEL_UPDATE = "registry.model.update.v1"
ALIAS_SET = "registry.model_alias.set.v1"
ALIAS_REMOVE = "registry.model_alias.remove.v1"

VERSION_REGISTERED = "registry.model_version.registered.v1"
VERSION_STATUS_CHANGED = "registry.model_version.status_changed.v1"
VERSION_UPDATED = "registry.model_version.updated.v1"
PRODUCTION_CHANGED = "registry.model.production_changed.v1"
MODEL_UPDATED = "registry.model.updated.v1"
ALIAS_CHANGED = "registry.model.alias_changed.v1"

VERSION_SEARCH = "registry.model_version.search.v1"
VERSION_GET = "registry.model_version.get.v1"
VERSION_COMPARE = "registry.model_version.compare.v1"
MODEL_LIST = "registry.model.list.v1"
MODEL_GET = "registry.model.get.v1"
LINEAGE_GET = "registry.lineage.get.v1"


def model_key(name: str) -> str:
    """A model name as one subject token ('.' is a token separator)."""
    return name.replace(".", "_")


# Commands ------------------------------------------------------------------------------------


class RegisterModelVersion(Payload):
    """Register the model a successful run trained. Idempotent per ``run_id``."""

    model_name: ModelName
    model_type: str = Field(description="Model type of the catalog.")
    run_id: str | None = Field(
        default=None, description="Run that trained it (one version per run); null for an uploaded model."
    )
    source: Literal["run", "upload"] = Field(default="run", description="A training run, or an upload.")
    artifact_uri: str = Field(description="Where the model and its files are.")
    metrics: dict[str, float] = Field(default_factory=dict, description="Final metrics.")
    metric_history: list[dict[str, Any]] = Field(
        default_factory=list, description="Per-epoch metrics: [{epoch, metrics}]."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Training parameters.")
    input_signature: dict[str, Any] = Field(default_factory=dict, description="Inputs and outputs.")
    dataset: dict[str, Any] = Field(default_factory=dict, description="Fingerprint of the training data.")
    tags: dict[str, str] = Field(default_factory=dict, description="Free tags.")
    description: str | None = Field(default=None, max_length=5000, description="For people.")


class PromoteVersion(Payload):
    """Move a version to a new status (the seed's promote: ``model_id``, ``new_status``, ``new_version``).

    Promoting to production archives the model's previous production version."""

    model_id: str = ModelRef
    new_status: VersionStatus = Field(description="Status to move the version to.")
    new_version: int | None = Field(
        default=None, ge=1, description="Version number of the same model to move instead of model_id's own."
    )
    note: str | None = Note


class RollbackVersion(Payload):
    """Make ``target_model_id`` production again and archive ``current_model_id``."""

    current_model_id: str = VersionId
    target_model_id: str = VersionId
    note: str | None = Note


class ArchiveVersion(Payload):
    """Archive a version (a production version leaves its model without one)."""

    model_id: str = VersionId
    note: str | None = Note


class UpdateVersion(Payload):
    """Change a version's description or tags (tags given replace them all)."""

    model_id: str = VersionId
    description: str | None = Field(default=None, max_length=5000, description="New description.")
    tags: Tags | None = None


class UpdateModel(Payload):
    """Change a registered model's description or tags."""

    model_name: ModelName
    description: str | None = Field(default=None, max_length=5000, description="New description.")
    tags: Tags | None = None


class SetAlias(Payload):
    """Point an alias of a model at one of its versions (it moves if it pointed elsewhere)."""

    model_name: ModelName
    alias: Alias
    version: int = Field(ge=1, description="Version number the alias points at.")


class RemoveAlias(Payload):
    """Remove an alias of a model."""

    model_name: ModelName
    alias: Alias


# Events --------------------------------------------------------------------------------------


class VersionRegistered(Payload):
    """A new version of a model was registered."""

    model_id: str = Field(description="Id of the version (the seed's model_id).")
    model_name: str = Field(description="Registered model name.")
    version: int = Field(description="Version number within the model, from 1.")
    model_type: str = Field(description="Model type.")
    run_id: str | None = Field(description="Run that trained it.")
    status: VersionStatus = Field(description="Its status: registered.")
    artifact_uri: str = Field(description="Where the model is.")
    metrics: dict[str, float] = Field(description="Final metrics.")


class VersionStatusChanged(Payload):
    """A version's status changed, and who changed it."""

    model_id: str = Field(description="Id of the version.")
    model_name: str = Field(description="Registered model name.")
    version: int = Field(description="Version number.")
    from_status: VersionStatus = Field(description="Status before.")
    to_status: VersionStatus = Field(description="Status after.")
    action: str = Field(
        description="promote, rollback, archive, or replaced (archived by a newer production)."
    )
    note: str | None = Field(default=None, description="Why, if given.")


class ProductionChanged(Payload):
    """The production version of a model changed: what infra follows with its deployments."""

    model_name: str = Field(description="Registered model name.")
    model_id: str | None = Field(description="The new production version; null when there is none now.")
    version: int | None = Field(description="Its number.")
    previous_model_id: str | None = Field(description="The production version before, if any.")
    previous_version: int | None = Field(description="Its number.")
    reason: Literal["promote", "rollback", "archive"] = Field(description="What changed it.")
    artifact_uri: str | None = Field(description="Where the new production model is.")
    model_key: str = Field(description="The model name as a subject token.")


class VersionUpdated(Payload):
    """A version's description or tags changed."""

    model_id: str = Field(description="Id of the version.")
    fields: list[str] = Field(description="What changed.")


class ModelUpdated(Payload):
    """A registered model's description or tags changed."""

    model_name: str = Field(description="Registered model name.")
    model_key: str = Field(description="The model name as a subject token.")
    fields: list[str] = Field(description="What changed.")


class AliasChanged(Payload):
    """An alias was set, moved or removed."""

    model_name: str = Field(description="Registered model name.")
    model_key: str = Field(description="The model name as a subject token.")
    alias: str = Field(description="The alias.")
    model_id: str | None = Field(description="Version it points at now; null when removed.")
    version: int | None = Field(description="Its number.")
    previous_version: int | None = Field(description="Version it pointed at before, if any.")


# Queries -------------------------------------------------------------------------------------

VersionSort = Literal[
    "created_at", "-created_at", "version", "-version", "name", "-name", "metric", "-metric"
]


class SearchVersions(Payload):
    """Registered versions (the seed's "Registered Models" table), filtered, sorted, paged."""

    name: str | None = Field(default=None, max_length=100, description="Exactly this model name.")
    name_contains: str | None = Field(default=None, max_length=100, description="Model name contains this.")
    status: list[VersionStatus] | None = Field(default=None, description="Only these statuses.")
    model_type: str | None = Field(default=None, max_length=100, description="Only this model type.")
    run_id: str | None = Field(default=None, max_length=64, description="Only the version of this run.")
    tag: dict[str, str] | None = Field(default=None, max_length=5, description="Tags that must match.")
    metric: str | None = Field(
        default=None, max_length=64, description="Metric the min/max filter and sort use."
    )
    metric_min: float | None = Field(default=None, description="Only versions whose metric is at least this.")
    metric_max: float | None = Field(default=None, description="Only versions whose metric is at most this.")
    sort: VersionSort = Field(default="-created_at", description="Order; '-' is descending.")
    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    offset: int = Field(default=0, ge=0, description="Versions to skip.")


class ListModels(Payload):
    """Registered models with their latest and production versions."""

    name_contains: str | None = Field(default=None, max_length=100, description="Name contains this.")
    model_type: str | None = Field(default=None, max_length=100, description="Only this model type.")
    tag: dict[str, str] | None = Field(default=None, max_length=5, description="Tags that must match.")
    sort: Literal["name", "-updated_at", "updated_at"] = Field(default="-updated_at", description="Order.")
    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    offset: int = Field(default=0, ge=0, description="Models to skip.")


class GetVersion(Payload):
    """One version in full."""

    model_id: str = VersionId


class GetModel(Payload):
    """A model in full (the seed's model details): by a version's model_id or by name."""

    model_id: str = ModelRef


class CompareVersions(Payload):
    """Versions side by side."""

    model_ids: list[str] = Field(min_length=2, max_length=10, description="Versions to compare.")


class GetLineage(Payload):
    """Lineage from any end: a run, a dataset fingerprint, or a version."""

    run_id: str | None = Field(default=None, max_length=64, description="A training run.")
    dataset: str | None = Field(default=None, max_length=128, description="A dataset fingerprint (sha256).")
    model_id: str | None = Field(default=None, max_length=64, description="A registered version.")


class VersionView(BaseModel):
    """One registered version: a row of the seed's "Registered Models" table, and more."""

    model_config = ConfigDict(extra="ignore")

    model_id: str = Field(description="Id of the version.")
    model_name: str = Field(description="Registered model name.")
    version: int = Field(description="Version number within the model.")
    status: VersionStatus = Field(description="registered, staging, production or archived.")
    model_type: str = Field(description="Model type.")
    job_id: str | None = Field(description="Run that trained it.")
    metrics: dict[str, float] = Field(description="Final metrics.")
    aliases: list[str] = Field(description="Aliases pointing at it.")
    tags: dict[str, str] = Field(description="Tags.")
    registered_at: datetime = Field(description="When it was registered.")
    registered_by: str = Field(description="Who registered it.")


class ChangeView(BaseModel):
    """One entry of a version's timeline."""

    model_config = ConfigDict(extra="ignore")

    model_id: str = Field(description="Version changed.")
    version: int = Field(description="Its number.")
    action: str = Field(
        description="register, promote, rollback, archive, replaced, alias_set, alias_removed."
    )
    from_status: VersionStatus | None = Field(description="Status before.")
    to_status: VersionStatus = Field(description="Status after.")
    actor: str = Field(description="Who did it.")
    note: str | None = Field(description="Why, if given.")
    at: datetime = Field(description="When.")


class VersionDetail(VersionView):
    """A version in full."""

    artifact_uri: str = Field(description="Where the model and its files are.")
    input_signature: dict[str, Any] = Field(description="Inputs and outputs.")
    metric_history: list[dict[str, Any]] = Field(description="Per-epoch metrics.")
    params: dict[str, Any] = Field(description="Training parameters.")
    dataset: dict[str, Any] = Field(description="Fingerprint and shape of the training data.")
    description: str | None = Field(description="For people.")
    timeline: list[ChangeView] = Field(description="Every status change, oldest first.")


class VersionPage(BaseModel):
    """A page of versions."""

    model_config = ConfigDict(extra="ignore")

    items: list[VersionView] = Field(description="Versions.")
    total: int = Field(description="Versions matching the filter.")


class ModelSummary(BaseModel):
    """A registered model as listed."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(description="Registered model name.")
    model_type: str = Field(description="Model type.")
    latest_version: int = Field(description="Highest version number.")
    latest_model_id: str | None = Field(description="Id of the latest version.")
    production_version: int | None = Field(description="Version in production, if any.")
    production_model_id: str | None = Field(description="Its id.")
    status: VersionStatus = Field(description="Status of the latest version.")
    metrics: dict[str, float] = Field(description="Metrics of the production version, else the latest.")
    aliases: dict[str, int] = Field(description="Alias to version number.")
    tags: dict[str, str] = Field(description="Tags.")
    description: str | None = Field(description="For people.")
    registered_at: datetime = Field(description="When the latest version was registered.")
    updated_at: datetime = Field(description="Last change.")


class ModelPage(BaseModel):
    """A page of models."""

    model_config = ConfigDict(extra="ignore")

    items: list[ModelSummary] = Field(description="Models.")
    total: int = Field(description="Models matching the filter.")


class ModelDetail(ModelSummary):
    """A model in full (the seed's ``mlops_get_model_details``)."""

    versions: list[VersionDetail] = Field(description="Every version, newest first, with its timeline.")
    timeline: list[ChangeView] = Field(description="Every change of every version, oldest first.")
    metric_history: list[dict[str, Any]] = Field(
        description="Final metrics per version, oldest first: [{version, model_id, metrics, registered_at}]."
    )
    deployments: list[dict[str, Any]] = Field(description="Deployment history as infra reports it.")


class Comparison(BaseModel):
    """Versions side by side."""

    model_config = ConfigDict(extra="ignore")

    versions: list[VersionView] = Field(description="The versions, in the order asked.")
    metrics: dict[str, list[float | None]] = Field(description="Metric name to one value per version.")
    params: dict[str, list[Any]] = Field(description="Parameters that differ: name to one value per version.")
    same_dataset: bool = Field(description="Whether every version was trained on the same data.")


class Lineage(BaseModel):
    """What is connected to what: runs, datasets, versions, deployments."""

    model_config = ConfigDict(extra="ignore")

    runs: list[str] = Field(description="Training runs.")
    datasets: list[dict[str, Any]] = Field(description="Datasets (fingerprint, source, path).")
    versions: list[VersionView] = Field(description="Registered versions.")
    deployments: list[dict[str, Any]] = Field(
        description="Deployments of those versions, as infra reports them."
    )


def _cmd(message_type: str, data: type[Payload], summary: str) -> MessageSpec:
    return MessageSpec("cmd", message_type, data, summary)


def _qry(message_type: str, data: type[Payload], reply: type[BaseModel], summary: str) -> MessageSpec:
    return MessageSpec("qry", message_type, data, summary, reply=reply, role="viewer")


REGISTRY_MESSAGES = [
    _cmd(MODEL_REGISTER, RegisterModelVersion, "Register a trained model version."),
    _cmd(VERSION_PROMOTE, PromoteVersion, "Move a version to a new status (the seed's promote)."),
    _cmd(VERSION_ROLLBACK, RollbackVersion, "Roll production back to another version."),
    _cmd(VERSION_ARCHIVE, ArchiveVersion, "Archive a version."),
    _cmd(VERSION_UPDATE, UpdateVersion, "Change a version's description or tags."),
    _cmd(MODEL_UPDATE, UpdateModel, "Change a model's description or tags."),
    _cmd(ALIAS_SET, SetAlias, "Point an alias at a version."),
    _cmd(ALIAS_REMOVE, RemoveAlias, "Remove an alias."),
    MessageSpec(
        "evt", VERSION_REGISTERED, VersionRegistered, "A model version was registered.", key="model_id"
    ),
    MessageSpec(
        "evt", VERSION_STATUS_CHANGED, VersionStatusChanged, "A version's status changed.", key="model_id"
    ),
    MessageSpec(
        "evt", VERSION_UPDATED, VersionUpdated, "A version's description or tags changed.", key="model_id"
    ),
    MessageSpec(
        "evt", PRODUCTION_CHANGED, ProductionChanged, "A model's production version changed.", key="model_key"
    ),
    MessageSpec(
        "evt", MODEL_UPDATED, ModelUpdated, "A model's description or tags changed.", key="model_key"
    ),
    MessageSpec("evt", ALIAS_CHANGED, AliasChanged, "An alias was set, moved or removed.", key="model_key"),
    _qry(VERSION_SEARCH, SearchVersions, VersionPage, "Versions, filtered, sorted and paged."),
    _qry(VERSION_GET, GetVersion, VersionDetail, "One version in full."),
    _qry(VERSION_COMPARE, CompareVersions, Comparison, "Versions side by side."),
    _qry(MODEL_LIST, ListModels, ModelPage, "Registered models."),
    _qry(MODEL_GET, GetModel, ModelDetail, "A model in full (the seed's model details)."),
    _qry(LINEAGE_GET, GetLineage, Lineage, "Lineage from a run, a dataset or a version."),
]
