"""Every message round-trips; decoders tolerate unknown fields and name what is wrong."""

from __future__ import annotations

import json

import pytest

from contracts.catalog import DecodeError, MessageSpec
from contracts.envelope import Actor, Payload
from contracts.gateway import SecretRequest, SettingsChanged
from contracts.infra import (
    AcknowledgeAlert,
    AlertChanged,
    CreateDeployment,
    DeleteDeployment,
    DeploymentChanged,
    GetAlert,
    GetDeployment,
    ListAlerts,
    ListDeployments,
    MetricsCollected,
    MetricsSeries,
    ResolveAlert,
    RolloutDeployment,
    ScaleDeployment,
)
from contracts.messages import ALL_MESSAGES, command_decoder, event_decoder, query_decoder
from contracts.registry import (
    AliasChanged,
    ArchiveVersion,
    CompareVersions,
    GetLineage,
    GetModel,
    GetVersion,
    ListModels,
    ModelUpdated,
    ProductionChanged,
    PromoteVersion,
    RegisterModelVersion,
    RemoveAlias,
    RollbackVersion,
    SearchVersions,
    SetAlias,
    UpdateModel,
    UpdateVersion,
    VersionRegistered,
    VersionStatusChanged,
    VersionUpdated,
)
from contracts.system import CommandRejected, CommandSucceeded, Ping, Pinged, StatusRequest
from contracts.workflow import (
    CancelRun,
    ExecuteWorkflow,
    GetLogs,
    GetRun,
    ListRuns,
    RunCancelled,
    RunEpochCompleted,
    RunFailed,
    RunLogged,
    RunProgressed,
    RunQueued,
    RunStarted,
    RunStepChanged,
    RunSucceeded,
)

EXAMPLES: dict[type[Payload], dict[str, object]] = {
    Ping: {"echo": "hello"},
    Pinged: {"instance": "host-1", "echo": "hello"},
    CommandSucceeded: {"command_id": "c1", "command_type": "workflow.system.ping.v1", "result": {"a": 1}},
    CommandRejected: {
        "command_id": "c1",
        "command_type": "workflow.system.ping.v1",
        "code": "forbidden",
        "reason": "role viewer may not ping",
        "status": 403,
        "field": "actor.role",
    },
    StatusRequest: {},
    SettingsChanged: {"group": "llm", "fields": ["openai_api_key"]},
    SecretRequest: {"group": "kubernetes", "fields": ["bearer_token"]},
    ExecuteWorkflow: {
        "workflow_params": {
            "model_type": "mnist_pytorch_cnn",
            "training": {
                "epochs": 1,
                "params": {"learning_rate": 0.001},
                "resource_limits": {"memory": "2Gi"},
            },
            "data": {"data_source": "local_path", "path": "/data/mnist.pkl.gz"},
        }
    },
    CancelRun: {"job_id": "run1", "reason": "wrong data"},
    RunQueued: {"job_id": "run1", "model_type": "m", "model_name": "m", "position": 1, "workflow_params": {}},
    RunStarted: {
        "job_id": "run1",
        "runtime": "local",
        "handle": "123",
        "threads": 2,
        "memory_limit_bytes": None,
    },
    RunProgressed: {"job_id": "run1", "epoch": 1, "epochs": 2, "fraction": 0.25, "loss": 0.5},
    RunEpochCompleted: {"job_id": "run1", "epoch": 1, "epochs": 2, "metrics": {"loss": 0.1}, "seconds": 3.5},
    RunStepChanged: {"job_id": "run1", "step": "train", "status": "running", "detail": None},
    RunLogged: {"job_id": "run1", "offset": 0, "text": "epoch 1\n"},
    RunSucceeded: {
        "job_id": "run1",
        "metrics": {"test_accuracy": 0.98},
        "artifact_uri": "/a",
        "seconds": 20.0,
    },
    RunFailed: {"job_id": "run1", "step": "train", "code": "data_error", "reason": "no such file"},
    RunCancelled: {"job_id": "run1", "step": "train", "cancelled_by": "ada", "reason": None},
    ListRuns: {"status": ["running"], "limit": 10},
    GetRun: {"job_id": "run1"},
    GetLogs: {"job_id": "run1", "offset": 100},
    RegisterModelVersion: {
        "model_name": "digits",
        "model_type": "mnist_pytorch_cnn",
        "run_id": "run1",
        "artifact_uri": "/a",
        "metrics": {"test_accuracy": 0.98},
    },
    VersionRegistered: {
        "model_id": "v1",
        "model_name": "digits",
        "version": 1,
        "model_type": "mnist_pytorch_cnn",
        "run_id": "run1",
        "status": "registered",
        "artifact_uri": "/a",
        "metrics": {"test_accuracy": 0.98},
    },
    CreateDeployment: {"model_id": "v1", "replicas": 2, "resource_limits": {"cpu": "1"}},
    PromoteVersion: {"model_id": "v1", "new_status": "production", "new_version": 2, "note": "better"},
    RollbackVersion: {"current_model_id": "v2", "target_model_id": "v1", "note": None},
    ArchiveVersion: {"model_id": "v1"},
    UpdateVersion: {"model_id": "v1", "description": "retrained", "tags": {"team": "vision"}},
    UpdateModel: {"model_name": "digits", "tags": {"team": "vision"}},
    SetAlias: {"model_name": "digits", "alias": "champion", "version": 2},
    RemoveAlias: {"model_name": "digits", "alias": "champion"},
    VersionStatusChanged: {
        "model_id": "v1",
        "model_name": "digits",
        "version": 1,
        "from_status": "staging",
        "to_status": "production",
        "action": "promote",
    },
    ProductionChanged: {
        "model_name": "digits",
        "model_id": "v2",
        "version": 2,
        "previous_model_id": "v1",
        "previous_version": 1,
        "reason": "promote",
        "artifact_uri": "/a",
        "model_key": "digits",
    },
    VersionUpdated: {"model_id": "v1", "fields": ["tags"]},
    ModelUpdated: {"model_name": "digits", "model_key": "digits", "fields": ["description"]},
    AliasChanged: {
        "model_name": "digits",
        "model_key": "digits",
        "alias": "champion",
        "model_id": "v2",
        "version": 2,
        "previous_version": 1,
    },
    SearchVersions: {
        "name": "digits",
        "status": ["production"],
        "metric": "test_accuracy",
        "sort": "-metric",
    },
    GetVersion: {"model_id": "v1"},
    CompareVersions: {"model_ids": ["v1", "v2"]},
    ListModels: {"name_contains": "dig", "limit": 10},
    GetModel: {"model_id": "digits"},
    GetLineage: {"run_id": "run1"},
    ScaleDeployment: {"deployment_id": "d1", "replicas": 3},
    RolloutDeployment: {"deployment_id": "d1", "model_id": "v2"},
    DeleteDeployment: {"deployment_id": "d1"},
    AcknowledgeAlert: {"alert_id": "a1", "note": "looking"},
    ResolveAlert: {"alert_id": "a1", "note": None},
    DeploymentChanged: {
        "deployment_id": "d1",
        "model_id": "v2",
        "model_name": "digits",
        "model_version": 2,
        "namespace": "default",
        "status": "ready",
        "replicas_desired": 2,
        "replicas_ready": 2,
        "previous_model_id": "v1",
        "previous_version": 1,
    },
    AlertChanged: {
        "alert_id": "a1",
        "alert_type": "drift_detected",
        "severity": "warning",
        "status": "open",
        "message": "drift detected on digits v2",
        "deployment_id": "d1",
        "model_name": "digits",
        "details": {"model_name": "digits", "avg_confidence": 0.61, "features": ["mean_intensity"]},
    },
    MetricsCollected: {"deployment_id": "d1", "bucket": "2026-11-26T10:00:10Z", "requests": 12, "errors": 1},
    ListDeployments: {"status": "ready", "model_name": "digits"},
    GetDeployment: {"deployment_id": "d1"},
    MetricsSeries: {"deployment_id": "d1", "window_seconds": 900, "step_seconds": 10},
    ListAlerts: {"status": "open", "alert_type": "drift_detected"},
    GetAlert: {"alert_id": "a1"},
}


def build(spec: MessageSpec) -> bytes:
    envelope = spec.envelope(
        source="test/1",
        correlation_id="corr-1",
        causation_id="cause-1",
        actor=Actor(id="ada", role="editor"),
        data=EXAMPLES[spec.data],
    )
    return envelope.to_bytes()


def decoder_for(spec: MessageSpec):  # type: ignore[no-untyped-def]
    if spec.kind == "cmd":
        return command_decoder(spec.service)
    if spec.kind == "qry":
        return query_decoder(spec.service)
    return event_decoder()


class TestRoundTrip:
    @pytest.mark.parametrize("spec", ALL_MESSAGES, ids=lambda s: s.type)
    def test_every_message_decodes_to_what_was_sent(self, spec: MessageSpec) -> None:
        raw = build(spec)
        decoded = decoder_for(spec).decode(raw)
        assert type(decoded) is spec.model
        assert decoded.to_bytes() == raw
        assert decoded.data.model_dump() == spec.data.model_validate(EXAMPLES[spec.data]).model_dump()

    def test_every_payload_has_an_example(self) -> None:
        assert {spec.data for spec in ALL_MESSAGES} <= EXAMPLES.keys()


class TestTolerance:
    def test_unknown_fields_in_envelope_and_data_are_ignored(self) -> None:
        spec = next(s for s in ALL_MESSAGES if s.type == "registry.system.pinged.v1")
        body = json.loads(build(spec))
        body["added_in_a_later_version"] = {"x": 1}
        body["data"]["new_field"] = 42
        decoded = event_decoder().decode(json.dumps(body).encode())
        assert decoded.data == Pinged(instance="host-1", echo="hello")


class TestRejection:
    def test_unknown_type_is_named(self) -> None:
        body = json.loads(build(ALL_MESSAGES[0]))
        body["type"] = "workflow.system.explode.v1"
        with pytest.raises(DecodeError) as caught:
            command_decoder("workflow").decode(json.dumps(body).encode())
        assert "unknown message type 'workflow.system.explode.v1'" in caught.value.reason
        assert caught.value.message_id == body["id"]

    def test_unknown_event_type_is_named(self) -> None:
        spec = next(s for s in ALL_MESSAGES if s.kind == "evt")
        body = json.loads(build(spec))
        body["type"] = "registry.model.vanished.v9"
        with pytest.raises(DecodeError, match=r"unknown message type 'registry\.model\.vanished\.v9'"):
            event_decoder().decode(json.dumps(body).encode())

    def test_bad_field_is_named(self) -> None:
        spec = next(s for s in ALL_MESSAGES if s.type == "workflow.system.pinged.v1")
        body = json.loads(build(spec))
        del body["data"]["instance"]
        body["actor"]["role"] = "superuser"
        with pytest.raises(DecodeError) as caught:
            event_decoder().decode(json.dumps(body).encode())
        assert "data.instance: Field required" in caught.value.reason
        assert "actor.role" in caught.value.reason

    def test_not_json_is_rejected_without_id(self) -> None:
        with pytest.raises(DecodeError) as caught:
            event_decoder().decode(b"\x00\xffnot json")
        assert caught.value.message_id is None
        assert "Invalid JSON" in caught.value.reason

    def test_command_on_the_wrong_service_stream_is_unknown(self) -> None:
        spec = next(s for s in ALL_MESSAGES if s.type == "infra.system.ping.v1")
        with pytest.raises(DecodeError, match=r"unknown message type 'infra\.system\.ping\.v1'"):
            command_decoder("workflow").decode(build(spec))
