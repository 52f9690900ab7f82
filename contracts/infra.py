"""Messages of the infra service: deployments of model versions."""

from __future__ import annotations

from pydantic import Field

from contracts.catalog import MessageSpec
from contracts.envelope import Payload
from contracts.workflow_params import Namespace, Resources

DEPLOYMENT_CREATE = "infra.deployment.create.v1"


class CreateDeployment(Payload):
    """Deploy a registered model version (the seed's ``mlops_deploy_registered_model``)."""

    model_id: str = Field(min_length=1, max_length=64, description="Registered version to serve.")
    namespace: Namespace = "default"
    replicas: int = Field(default=1, ge=1, le=50, description="Inference replicas.")
    resource_requests: Resources = Field(default_factory=Resources, description="Per replica.")
    resource_limits: Resources = Field(default_factory=Resources, description="Per replica.")
    run_id: str | None = Field(default=None, description="Run that asked for it, when a workflow did.")


INFRA_MESSAGES = [
    MessageSpec("cmd", DEPLOYMENT_CREATE, CreateDeployment, "Deploy a registered model version."),
]
