"""The seed's ``workflow_params``: what a person fills in to train (and maybe deploy) a model.

Structure and bounds every model type shares are checked here; a model type's own ``params``
are checked against its JSON Schema in ``ml.catalog`` by the workflow service (and the gateway,
for a quick answer). Unknown fields are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from contracts.envelope import Input

_CPU = re.compile(r"^(\d+(\.\d{1,3})?|\d+m)$")
_MEMORY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")


def _cpu(value: str) -> str:
    if not _CPU.match(value):
        raise ValueError(f"{value!r} is not a CPU quantity: use cores ('2', '0.5') or millicores ('500m')")
    if cpu_cores(value) <= 0:
        raise ValueError("must be more than 0")
    return value


def _memory(value: str) -> str:
    if not _MEMORY.match(value):
        raise ValueError(f"{value!r} is not a memory quantity: use e.g. '4Gi', '512Mi' or '1G'")
    if memory_bytes(value) <= 0:
        raise ValueError("must be more than 0")
    return value


CpuQuantity = Annotated[
    str,
    StringConstraints(max_length=16),
    AfterValidator(_cpu),
    Field(description="CPU as a Kubernetes quantity: cores ('1', '0.5') or millicores ('500m')."),
]
MemoryQuantity = Annotated[
    str,
    StringConstraints(max_length=16),
    AfterValidator(_memory),
    Field(description="Memory as a Kubernetes quantity: '512Mi', '2Gi', '1G' or bytes."),
]
Namespace = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"),
    Field(description="Kubernetes namespace (a DNS-1123 label); the local runtime records it."),
]
DataSource = Literal["local_path", "s3", "gcs", "dvc", "database"]
DataFormat = Literal["csv", "parquet", "pkl", "npz", "idx"]
ModelName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"),
    Field(description="Registered model name: letters, digits, '_', '-', '.' (at most 100)."),
]

_MEMORY_UNITS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_MEMORY_UNITS.update({"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40})


def cpu_cores(quantity: str) -> float:
    """Cores of a CPU quantity: ``'500m'`` is 0.5."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_bytes(quantity: str) -> int:
    """Bytes of a memory quantity: ``'2Gi'`` is 2147483648."""
    number = quantity.rstrip("KiMGTk")
    return int(float(number) * _MEMORY_UNITS[quantity[len(number) :]])


class Resources(Input):
    """CPU and memory, as in a Kubernetes container spec."""

    cpu: CpuQuantity | None = Field(default=None, description="Cores ('1', '0.5') or millicores ('500m').")
    memory: MemoryQuantity | None = Field(
        default=None, description="Bytes with a unit: '512Mi', '2Gi', '1G'."
    )


def _within_limits(limits: Resources, info: ValidationInfo) -> Resources:
    """``resource_limits`` (validated after ``resource_requests``) is at least what is requested."""
    requests = info.data.get("resource_requests")
    if not isinstance(requests, Resources):
        return limits
    if requests.cpu and limits.cpu and cpu_cores(requests.cpu) > cpu_cores(limits.cpu):
        raise ValueError(f"cpu {limits.cpu} is less than resource_requests.cpu {requests.cpu}")
    if requests.memory and limits.memory and memory_bytes(requests.memory) > memory_bytes(limits.memory):
        raise ValueError(f"memory {limits.memory} is less than resource_requests.memory {requests.memory}")
    return limits


class TrainingSection(Input):
    """How to train. ``params`` are the model type's own (see ``GET /api/model-types``)."""

    epochs: int | None = Field(
        default=None, ge=1, le=1000, description="Passes over the training data; the type's default."
    )
    batch_size: int | None = Field(
        default=None, ge=1, le=65536, description="Examples per step; the type's default when omitted."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="The model type's own parameters, checked against its schema."
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        le=2**31 - 1,
        description="Random seed; the same seed and data give the same model.",
    )
    namespace: Namespace = "default"
    resource_requests: Resources = Field(
        default_factory=Resources, description="Resources reserved; the type's defaults when omitted."
    )
    resource_limits: Resources = Field(
        default_factory=Resources, description="Upper bounds: threads and memory of the trainer."
    )

    _limits = field_validator("resource_limits")(_within_limits)


class DataSection(Input):
    """Where the training data is. Credentials come from Settings, never from here."""

    data_source: DataSource = Field(description="Kind of source.")
    query: str | None = Field(
        default=None, max_length=10000, description="database: a SELECT to read instead of the table."
    )
    path: str | None = Field(
        default=None,
        validate_default=True,
        min_length=1,
        max_length=1024,
        description=(
            "local_path: a file or directory; s3: s3://bucket/key; gcs: gs://bucket/key; dvc: the path "
            "inside the DVC repository; database: a table name (or use query)."
        ),
    )
    repo: str | None = Field(
        default=None,
        validate_default=True,
        max_length=1024,
        description="dvc: the repository (git URL or directory).",
    )
    rev: str | None = Field(
        default=None, max_length=200, description="dvc: git revision (branch, tag, commit)."
    )
    format: DataFormat | None = Field(
        default=None, description="File format; guessed from the name when omitted."
    )

    @field_validator("query")
    @classmethod
    def _query_for_databases(cls, query: str | None, info: ValidationInfo) -> str | None:
        if query is not None and info.data.get("data_source") != "database":
            raise ValueError("a query is only for data_source database")
        return query

    @field_validator("path")
    @classmethod
    def _path_needed(cls, path: str | None, info: ValidationInfo) -> str | None:
        if path is None and not (info.data.get("data_source") == "database" and info.data.get("query")):
            raise ValueError("required (for a database: a table name, or give query)")
        return path

    @field_validator("repo", "rev")
    @classmethod
    def _dvc_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        dvc = info.data.get("data_source") == "dvc"
        if info.field_name == "repo" and dvc and not value:
            raise ValueError("required when data_source is dvc: the DVC repository (git URL or directory)")
        if value and not dvc:
            raise ValueError("only for data_source dvc")
        return value


class EvaluationSection(Input):
    """The quality gate between training and registration."""

    metric: str | None = Field(
        default=None, max_length=64, description="Metric to check; the type's primary metric when omitted."
    )
    minimum: float | None = Field(
        default=None, description="Fail the run (nothing registered or deployed) below this value."
    )


class DeploymentSection(Input):
    """Deploy the registered version when training succeeded and the gate passed."""

    replicas: int = Field(default=1, ge=1, le=50, description="Inference replicas.")
    namespace: Namespace = "default"
    resource_requests: Resources = Field(default_factory=Resources, description="Per replica.")
    resource_limits: Resources = Field(default_factory=Resources, description="Per replica.")
    deploy_if_trained_success: bool = Field(default=False, description="Deploy when the run succeeds.")

    _limits = field_validator("resource_limits")(_within_limits)


class WorkflowParams(Input):
    """A training workflow: train → evaluate → register → deploy (when asked)."""

    model_type: str = Field(min_length=1, max_length=100, description="A model type of the catalog.")
    model_name: ModelName | None = Field(
        default=None, description="Name to register the model under; the model type when omitted."
    )
    training: TrainingSection = Field(default_factory=TrainingSection, description="How to train.")
    data: DataSection | None = Field(
        default=None, description="Training data; the model type's built-in sample when omitted."
    )
    evaluation: EvaluationSection = Field(
        default_factory=EvaluationSection, description="Optional quality gate."
    )
    deployment: DeploymentSection = Field(
        default_factory=DeploymentSection, description="What to deploy when the run succeeds."
    )
