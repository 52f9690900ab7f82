"""Messages of the infra service: deployments of model versions, their monitoring, and alerts.

Deployment events are keyed by deployment (``evt.infra.deployment.<verb>.<deployment_id>``),
alert events by alert (``evt.infra.alert.<verb>.<alert_id>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.catalog import MessageSpec
from contracts.envelope import Payload
from contracts.workflow_params import Namespace, Resources

DeploymentStatus = Literal["pending", "ready", "degraded", "failed", "deleted"]
AlertStatus = Literal["open", "acknowledged", "resolved"]
AlertType = Literal["drift_detected", "deployment_failed", "replica_restarted"]

DeploymentId = Field(min_length=1, max_length=64, description="Id of a deployment.")
AlertId = Field(min_length=1, max_length=64, description="Id of an alert.")
Note = Field(default=None, max_length=1000, description="A note for the record.")

DEPLOYMENT_CREATE = "infra.deployment.create.v1"
DEPLOYMENT_SCALE = "infra.deployment.scale.v1"
DEPLOYMENT_ROLLOUT = "infra.deployment.rollout.v1"
DEPLOYMENT_DELETE = "infra.deployment.delete.v1"
ALERT_ACKNOWLEDGE = "infra.alert.acknowledge.v1"
ALERT_RESOLVE = "infra.alert.resolve.v1"

DEPLOYMENT_DEPLOYING = "infra.deployment.deploying.v1"
DEPLOYMENT_READY = "infra.deployment.ready.v1"
DEPLOYMENT_DEGRADED = "infra.deployment.degraded.v1"
DEPLOYMENT_FAILED = "infra.deployment.failed.v1"
DEPLOYMENT_SCALED = "infra.deployment.scaled.v1"
DEPLOYMENT_UPDATED = "infra.deployment.updated.v1"
DEPLOYMENT_DELETED = "infra.deployment.deleted.v1"
ALERT_RAISED = "infra.alert.raised.v1"
ALERT_ACKNOWLEDGED = "infra.alert.acknowledged.v1"
ALERT_RESOLVED = "infra.alert.resolved.v1"
METRICS_COLLECTED = "infra.metrics.collected.v1"

DEPLOYMENT_LIST = "infra.deployment.list.v1"
DEPLOYMENT_GET = "infra.deployment.get.v1"
DEPLOYMENT_ENDPOINTS = "infra.deployment.endpoints.v1"
METRICS_SERIES = "infra.metrics.series.v1"
ALERT_LIST = "infra.alert.list.v1"
ALERT_GET = "infra.alert.get.v1"

# Commands ------------------------------------------------------------------------------------


class CreateDeployment(Payload):
    """Deploy a registered model version (the seed's ``mlops_deploy_registered_model``)."""

    model_id: str = Field(min_length=1, max_length=64, description="Registered version to serve.")
    namespace: Namespace = "default"
    replicas: int = Field(default=1, ge=1, le=50, description="Inference replicas.")
    resource_requests: Resources = Field(default_factory=Resources, description="Per replica.")
    resource_limits: Resources = Field(default_factory=Resources, description="Per replica.")
    follow_production: bool = Field(
        default=True,
        description="Roll to the model's new production version whenever it changes (promote, rollback).",
    )
    run_id: str | None = Field(default=None, description="Run that asked for it, when a workflow did.")


class ScaleDeployment(Payload):
    """Change the number of replicas."""

    deployment_id: str = DeploymentId
    replicas: int = Field(ge=1, le=50, description="Inference replicas wanted.")


class RolloutDeployment(Payload):
    """Serve another version of the same model, without downtime."""

    deployment_id: str = DeploymentId
    model_id: str = Field(min_length=1, max_length=64, description="Version to serve.")


class DeleteDeployment(Payload):
    """Stop every replica and remove the deployment (its history stays)."""

    deployment_id: str = DeploymentId


class AcknowledgeAlert(Payload):
    """Someone looked at an alert (the seed's "Acknowledge Alert")."""

    alert_id: str = AlertId
    note: str | None = Note


class ResolveAlert(Payload):
    """An alert was dealt with."""

    alert_id: str = AlertId
    note: str | None = Note


# Events --------------------------------------------------------------------------------------


class DeploymentChanged(Payload):
    """A deployment changed: what it serves, where it stands, and why."""

    deployment_id: str = Field(description="Id of the deployment.")
    model_id: str = Field(description="Version it serves (or is rolling to).")
    model_name: str = Field(description="Registered model name.")
    model_version: int = Field(description="Version number.")
    namespace: str = Field(description="Namespace.")
    status: DeploymentStatus = Field(description="pending, ready, degraded, failed or deleted.")
    replicas_desired: int = Field(description="Replicas wanted.")
    replicas_ready: int = Field(description="Replicas answering ready.")
    reason: str | None = Field(default=None, description="Why, for failures and changes.")
    previous_model_id: str | None = Field(default=None, description="Version served before an update.")
    previous_version: int | None = Field(default=None, description="Its number.")


class MetricsCollected(Payload):
    """A collection found new traffic on a deployment (none is sent for an idle one)."""

    deployment_id: str = Field(description="Id of the deployment.")
    bucket: datetime = Field(description="Start of the 10-second point the numbers were added to.")
    requests: int = Field(description="Requests counted by this collection.")
    errors: int = Field(description="Failed requests counted by this collection.")


class AlertChanged(Payload):
    """An alert was raised, acknowledged or resolved."""

    alert_id: str = Field(description="Id of the alert.")
    alert_type: AlertType = Field(description="drift_detected, deployment_failed or replica_restarted.")
    severity: Literal["warning", "critical"] = Field(description="How urgent.")
    status: AlertStatus = Field(description="open, acknowledged or resolved.")
    message: str = Field(description="For people.")
    deployment_id: str | None = Field(description="Deployment it is about.")
    model_name: str | None = Field(description="Model it is about.")
    details: dict[str, Any] = Field(description="model_name, avg_confidence, drifted features, scores, ...")
    by: str | None = Field(default=None, description="Who acknowledged or resolved it.")
    note: str | None = Field(default=None, description="Their note.")


# Queries -------------------------------------------------------------------------------------


class ListDeployments(Payload):
    """Deployments, newest first."""

    status: DeploymentStatus | None = Field(default=None, description="Only this status.")
    model_name: str | None = Field(default=None, max_length=100, description="Only this model.")
    model_ids: list[str] | None = Field(default=None, max_length=500, description="Only these versions.")
    include_deleted: bool = Field(default=False, description="Deleted deployments too.")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class GetDeployment(Payload):
    """One deployment with its replicas and history."""

    deployment_id: str = DeploymentId


class MetricsSeries(Payload):
    """Request rate, error rate, latency percentiles and drift over time."""

    deployment_id: str | None = Field(
        default=None, max_length=64, description="One deployment; all when null."
    )
    window_seconds: int = Field(default=3600, ge=60, le=30 * 86400, description="How far back.")
    step_seconds: int = Field(default=60, ge=10, le=86400, description="Width of one point.")


class ListAlerts(Payload):
    """Alerts, newest first."""

    status: AlertStatus | None = Field(default=None, description="Only this status.")
    model_name: str | None = Field(default=None, max_length=100, description="Only this model.")
    deployment_id: str | None = Field(default=None, max_length=64, description="Only this deployment.")
    alert_type: AlertType | None = Field(default=None, description="Only this type.")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class GetAlert(Payload):
    """One alert."""

    alert_id: str = AlertId


class ReplicaView(BaseModel):
    """One inference process of a deployment."""

    model_config = ConfigDict(extra="ignore")

    replica_id: str = Field(description="Id of the replica.")
    model_id: str = Field(description="Version it serves.")
    status: Literal["starting", "ready", "standby", "draining", "stopped", "dead"] = Field(
        description="starting, ready (serving), standby (a replaced version kept warm for a quick "
        "rollback), draining (finishing requests), stopped or dead."
    )
    url: str | None = Field(description="Where it listens (local runtime).")
    pid: int | None = Field(description="Process id (local runtime).")
    restarts: int = Field(description="Times the platform restarted it.")
    started_at: datetime = Field(description="When it was started.")
    ready_at: datetime | None = Field(description="When it first answered ready.")


class HistoryEntry(BaseModel):
    """One change of a deployment."""

    model_config = ConfigDict(extra="ignore")

    event: str = Field(description="deploying, ready, degraded, failed, scaled, updated or deleted.")
    status: str = Field(description="Status after the change.")
    model_id: str = Field(description="Version served then.")
    model_version: int = Field(description="Its number.")
    replicas_desired: int = Field(description="Replicas wanted then.")
    replicas_ready: int = Field(description="Replicas ready then.")
    detail: str | None = Field(description="Why.")
    actor: str | None = Field(description="Who asked, when a person did.")
    at: datetime = Field(description="When.")


class DeploymentView(BaseModel):
    """A deployment as listed."""

    model_config = ConfigDict(extra="ignore")

    deployment_id: str = Field(description="Id of the deployment.")
    status: DeploymentStatus = Field(description="pending, ready, degraded, failed or deleted.")
    model_id: str = Field(description="Version served (or being rolled to).")
    model_name: str = Field(description="Registered model name.")
    model_version: int = Field(description="Version number.")
    model_type: str = Field(description="Model type.")
    namespace: str = Field(description="Namespace.")
    runtime: str = Field(description="local or kubernetes.")
    replicas_desired: int = Field(description="Replicas wanted.")
    replicas_ready: int = Field(description="Replicas of the served version answering ready.")
    resource_requests: dict[str, Any] = Field(description="Per replica.")
    resource_limits: dict[str, Any] = Field(description="Per replica.")
    follow_production: bool = Field(description="Follows the model's production version.")
    endpoint: str = Field(description="Proxy prefix of the OIP v2 routes: {endpoint}/v2/models/{name}/infer.")
    reason: str | None = Field(description="Why it is degraded or failed.")
    rolling_from: str | None = Field(description="Version being replaced while a rollout runs.")
    created_by: str = Field(description="Who deployed it.")
    created_at: datetime = Field(description="When.")
    updated_at: datetime = Field(description="Last change.")


class DeploymentDetail(DeploymentView):
    """A deployment in full."""

    replicas: list[ReplicaView] = Field(description="Its inference processes, live ones first.")
    history: list[HistoryEntry] = Field(description="Every change, oldest first.")
    run_id: str | None = Field(description="Run that deployed it, when a workflow did.")


class DeploymentPage(BaseModel):
    """A page of deployments."""

    model_config = ConfigDict(extra="ignore")

    items: list[DeploymentView] = Field(description="Deployments.")
    total: int = Field(description="Deployments matching the filter.")


class Endpoints(BaseModel):
    """Where a deployment's ready replicas listen (for the gateway's proxy)."""

    deployment_id: str = Field(description="Id of the deployment.")
    model_name: str = Field(description="Registered model name (the OIP model name).")
    model_version: int = Field(description="Version served.")
    status: DeploymentStatus = Field(description="Status.")
    urls: list[str] = Field(description="Base URLs of ready replicas.")


class MetricsPoint(BaseModel):
    """One step of a time series."""

    at: datetime = Field(description="Start of the step.")
    requests: int = Field(description="Requests in the step.")
    errors: int = Field(description="Failed requests in the step.")
    request_rate: float = Field(description="Requests per second.")
    error_rate: float = Field(description="Failed share of requests (0-1).")
    latency_p50_ms: float | None = Field(description="Median latency.")
    latency_p99_ms: float | None = Field(description="99th percentile latency.")
    drift_score: float | None = Field(description="Highest feature PSI seen in the step.")
    avg_confidence: float | None = Field(description="Mean top-class confidence of the drift window.")


class MetricsTotals(BaseModel):
    """The whole window at once."""

    requests: int = Field(description="Requests in the window.")
    errors: int = Field(description="Failed requests in the window.")
    request_rate: float = Field(description="Requests per second over the window.")
    error_rate: float = Field(description="Failed share of requests (0-1).")
    latency_p50_ms: float | None = Field(description="Median latency.")
    latency_p99_ms: float | None = Field(description="99th percentile latency.")
    drift_status: Literal["ok", "drift", "unknown"] = Field(
        description="The latest drift verdict in the window (unknown: not enough inputs yet)."
    )
    open_alerts: int = Field(description="Alerts open or acknowledged now.")


class Series(BaseModel):
    """Time series of one deployment or of all."""

    deployment_id: str | None = Field(description="The deployment, or null for all.")
    window_seconds: int = Field(description="How far back.")
    step_seconds: int = Field(description="Width of one point.")
    points: list[MetricsPoint] = Field(description="Oldest first, one per step (empty steps included).")
    totals: MetricsTotals = Field(description="The whole window.")


class AlertView(BaseModel):
    """An alert with its lifecycle (the seed's drift alert: alert_type, message, timestamp, details)."""

    model_config = ConfigDict(extra="ignore")

    alert_id: str = Field(description="Id of the alert.")
    alert_type: AlertType = Field(description="drift_detected, deployment_failed or replica_restarted.")
    severity: Literal["warning", "critical"] = Field(description="How urgent.")
    status: AlertStatus = Field(description="open, acknowledged or resolved.")
    message: str = Field(description="For people.")
    timestamp: datetime = Field(description="When it was raised.")
    details: dict[str, Any] = Field(
        description="model_name, avg_confidence, drifted features and their scores, or the failure's reason."
    )
    deployment_id: str | None = Field(description="Deployment it is about.")
    model_name: str | None = Field(description="Model it is about.")
    occurrences: int = Field(description="Times the condition was seen while the alert was open.")
    last_seen_at: datetime = Field(description="When the condition was last seen.")
    acknowledged_by: str | None = Field(description="Who acknowledged it.")
    acknowledged_at: datetime | None = Field(description="When.")
    acknowledge_note: str | None = Field(description="Their note.")
    resolved_by: str | None = Field(description="Who resolved it.")
    resolved_at: datetime | None = Field(description="When.")
    resolve_note: str | None = Field(description="Their note.")


class AlertPage(BaseModel):
    """A page of alerts."""

    model_config = ConfigDict(extra="ignore")

    items: list[AlertView] = Field(description="Alerts.")
    total: int = Field(description="Alerts matching the filter.")


def _cmd(message_type: str, data: type[Payload], summary: str) -> MessageSpec:
    return MessageSpec("cmd", message_type, data, summary)


def _evt(message_type: str, data: type[Payload], summary: str, key: str) -> MessageSpec:
    return MessageSpec("evt", message_type, data, summary, key=key)


def _qry(message_type: str, data: type[Payload], reply: type[BaseModel], summary: str) -> MessageSpec:
    return MessageSpec("qry", message_type, data, summary, reply=reply, role="viewer")


_DEPLOYMENT_EVENTS = {
    DEPLOYMENT_DEPLOYING: "A deployment started rolling out replicas.",
    DEPLOYMENT_READY: "Every replica of a deployment is ready.",
    DEPLOYMENT_DEGRADED: "Some replicas of a deployment are not ready.",
    DEPLOYMENT_FAILED: "A deployment cannot serve (with the reason).",
    DEPLOYMENT_SCALED: "A deployment's replica count changed.",
    DEPLOYMENT_UPDATED: "A deployment serves another version.",
    DEPLOYMENT_DELETED: "A deployment was removed.",
}
_ALERT_EVENTS = {
    ALERT_RAISED: "An alert was raised.",
    ALERT_ACKNOWLEDGED: "An alert was acknowledged.",
    ALERT_RESOLVED: "An alert was resolved.",
}

INFRA_MESSAGES = [
    _cmd(DEPLOYMENT_CREATE, CreateDeployment, "Deploy a registered model version."),
    _cmd(DEPLOYMENT_SCALE, ScaleDeployment, "Change a deployment's replica count."),
    _cmd(DEPLOYMENT_ROLLOUT, RolloutDeployment, "Roll a deployment to another version."),
    _cmd(DEPLOYMENT_DELETE, DeleteDeployment, "Delete a deployment."),
    _cmd(ALERT_ACKNOWLEDGE, AcknowledgeAlert, "Acknowledge an alert."),
    _cmd(ALERT_RESOLVE, ResolveAlert, "Resolve an alert."),
    *(_evt(t, DeploymentChanged, s, "deployment_id") for t, s in _DEPLOYMENT_EVENTS.items()),
    *(_evt(t, AlertChanged, s, "alert_id") for t, s in _ALERT_EVENTS.items()),
    _evt(METRICS_COLLECTED, MetricsCollected, "New traffic was counted on a deployment.", "deployment_id"),
    _qry(DEPLOYMENT_LIST, ListDeployments, DeploymentPage, "Deployments, filtered and paged."),
    _qry(DEPLOYMENT_GET, GetDeployment, DeploymentDetail, "One deployment with replicas and history."),
    _qry(DEPLOYMENT_ENDPOINTS, GetDeployment, Endpoints, "Where a deployment's ready replicas listen."),
    _qry(METRICS_SERIES, MetricsSeries, Series, "Monitoring time series of one deployment or all."),
    _qry(ALERT_LIST, ListAlerts, AlertPage, "Alerts, filtered and paged."),
    _qry(ALERT_GET, GetAlert, AlertView, "One alert."),
]
