"""Messages of the registry service: registered models and their versions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from contracts.catalog import MessageSpec
from contracts.envelope import Payload

MODEL_REGISTER = "registry.model.register.v1"
VERSION_REGISTERED = "registry.model_version.registered.v1"


class RegisterModelVersion(Payload):
    """Register the model a successful run trained. Idempotent per ``run_id``."""

    model_name: str = Field(min_length=1, max_length=100, description="Registered model name.")
    model_type: str = Field(description="Model type of the catalog.")
    run_id: str = Field(description="Run that trained it (one version per run).")
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


class VersionRegistered(Payload):
    """A new version of a model was registered."""

    model_id: str = Field(description="Id of the version (the seed's model_id).")
    model_name: str = Field(description="Registered model name.")
    version: int = Field(description="Version number within the model, from 1.")
    model_type: str = Field(description="Model type.")
    run_id: str | None = Field(description="Run that trained it.")
    status: str = Field(description="registered, staging, production or archived.")
    artifact_uri: str = Field(description="Where the model is.")
    metrics: dict[str, float] = Field(description="Final metrics.")


REGISTRY_MESSAGES = [
    MessageSpec("cmd", MODEL_REGISTER, RegisterModelVersion, "Register a trained model version."),
    MessageSpec(
        "evt", VERSION_REGISTERED, VersionRegistered, "A model version was registered.", key="model_id"
    ),
]
