"""Request and answer bodies of the registry routes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from contracts.envelope import Input
from contracts.registry import ModelDetail, VersionStatus, VersionView
from contracts.workflow_params import Namespace, Resources


class PromoteRequest(Input):
    """The seed's promote: ``model_id`` (a version, or a model name with ``new_version``)."""

    model_id: str = Field(min_length=1, max_length=100, description="A version's model_id, or a model name.")
    new_status: VersionStatus = Field(description="registered, staging, production or archived.")
    new_version: int | None = Field(default=None, ge=1, description="Version number of that model to move.")
    note: str | None = Field(default=None, max_length=1000, description="Why, for the timeline.")


class RollbackRequest(Input):
    """The seed's rollback: the target becomes production, the current one is archived."""

    current_model_id: str = Field(min_length=1, max_length=64, description="The production version now.")
    target_model_id: str = Field(min_length=1, max_length=64, description="The version to go back to.")
    note: str | None = Field(default=None, max_length=1000, description="Why, for the timeline.")


class DeployRequest(Input):
    """The seed's deploy: a registered version with replicas (and optional resources)."""

    model_id: str = Field(min_length=1, max_length=64, description="Version to deploy.")
    namespace: Namespace = "default"
    replicas: int = Field(default=1, ge=1, le=50, description="Inference replicas.")
    resource_requests: Resources = Field(default_factory=Resources, description="Per replica.")
    resource_limits: Resources = Field(default_factory=Resources, description="Per replica.")
    follow_production: bool = Field(
        default=True, description="Roll to the model's new production version on promote and rollback."
    )


class StatusRequest(Input):
    """Move this version to a new status."""

    new_status: VersionStatus = Field(description="registered, staging, production or archived.")
    note: str | None = Field(default=None, max_length=1000, description="Why, for the timeline.")


class NoteRequest(Input):
    """Why (optional)."""

    note: str | None = Field(default=None, max_length=1000, description="Why, for the timeline.")


class DescribeRequest(Input):
    """New description and/or tags (tags replace the old ones)."""

    description: str | None = Field(default=None, max_length=5000, description="New description.")
    tags: dict[str, str] | None = Field(default=None, max_length=50, description="New tags.")


class AliasRequest(Input):
    """Which version the alias points at."""

    version: int = Field(ge=1, description="Version number.")


class ModelsAnswer(BaseModel):
    """The seed's answer: ``{"models": [...]}``, one row per registered version, with paging."""

    models: list[VersionView] = Field(description="Registered versions.")
    total: int = Field(description="Versions matching the filter.")
    limit: int = Field(description="The limit asked for.")
    offset: int = Field(description="The offset asked for.")


class ModelDetailsAnswer(BaseModel):
    """The seed's answer: ``{"model_details": {...}}``."""

    model_details: ModelDetail = Field(description="All metadata, versions, timeline, metric history.")
