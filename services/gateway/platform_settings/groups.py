"""The settings groups: what an administrator writes, and what a reader sees (secrets as masks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field

from contracts.envelope import Input
from contracts.gateway import SettingsGroup
from services.gateway.platform_settings.fields import (
    AccessKeyId,
    ApiKey,
    Bucket,
    ContextName,
    DatabaseUrl,
    GcpProject,
    HttpUrl,
    KubeconfigText,
    LocalPath,
    Namespace,
    Password,
    PemCertificates,
    Region,
    RegistryUrl,
    ServiceAccountJson,
    Token,
    Username,
)

LlmProvider = Literal["anthropic", "openai", "openai_compatible"]
KubernetesMode = Literal["kubeconfig", "token"]
ArtifactStoreKind = Literal["local", "s3"]

KEEP = "Omit to keep the stored value; null clears it."


class SecretState(BaseModel):
    """A stored secret as the API shows it: never the value."""

    set: bool = Field(description="Whether a value is stored.")
    last4: str | None = Field(
        default=None,
        description="'…' and the last 4 characters, for one-line secrets of at least 16 characters.",
    )


class GroupView(BaseModel):
    """What every group's view carries besides its fields."""

    missing: list[str] = Field(
        default_factory=list, description="Fields the chosen options need that are not set yet."
    )
    updated_at: datetime | None = Field(default=None, description="Last change; null when never set.")
    updated_by: str | None = Field(default=None, description="Who made the last change.")


# LLM providers -------------------------------------------------------------------------------


class LlmUpdate(Input):
    """LLM provider keys and the provider the assistant uses. Omitted fields keep their value."""

    anthropic_api_key: ApiKey | None = Field(
        default=None,
        validation_alias=AliasChoices("anthropic_api_key", "claude_api_key"),
        description=f"Anthropic (Claude) API key; also accepted as claude_api_key. {KEEP}",
    )
    openai_api_key: ApiKey | None = Field(default=None, description=f"OpenAI API key. {KEEP}")
    openai_compatible_base_url: HttpUrl | None = Field(
        default=None, description=f"Base URL of an OpenAI-compatible endpoint (e.g. vLLM, Ollama). {KEEP}"
    )
    openai_compatible_api_key: ApiKey | None = Field(
        default=None, description=f"API key of the OpenAI-compatible endpoint, if it needs one. {KEEP}"
    )
    default_provider: LlmProvider | None = Field(
        default=None, description=f"Provider the assistant uses. {KEEP}"
    )


class LlmSettings(GroupView):
    """LLM provider settings."""

    group: Literal["llm"] = Field(default="llm", description="Settings group.")
    anthropic_api_key: SecretState = Field(description="Anthropic (Claude) API key.")
    openai_api_key: SecretState = Field(description="OpenAI API key.")
    openai_compatible_base_url: str | None = Field(
        default=None, description="Base URL of an OpenAI-compatible endpoint."
    )
    openai_compatible_api_key: SecretState = Field(description="API key of the OpenAI-compatible endpoint.")
    default_provider: LlmProvider | None = Field(default=None, description="Provider the assistant uses.")


def _llm_needs(state: dict[str, Any]) -> list[str]:
    needs = {
        "anthropic": ["anthropic_api_key"],
        "openai": ["openai_api_key"],
        "openai_compatible": ["openai_compatible_base_url"],
    }.get(state["default_provider"], [])
    if state["openai_compatible_api_key"]:
        needs.append("openai_compatible_base_url")
    return needs


# Kubernetes ----------------------------------------------------------------------------------


class KubernetesUpdate(Input):
    """How the platform reaches a Kubernetes cluster. Omitted fields keep their value."""

    mode: KubernetesMode | None = Field(
        default=None, description=f"kubeconfig: the uploaded file; token: API endpoint + CA + token. {KEEP}"
    )
    kubeconfig: KubeconfigText | None = Field(
        default=None, description=f"Content of a kubeconfig file (at most 256 KiB, data embedded). {KEEP}"
    )
    api_server_url: HttpUrl | None = Field(
        default=None, description=f"API server URL, e.g. https://10.0.0.1:6443. {KEEP}"
    )
    ca_certificate: PemCertificates | None = Field(
        default=None, description=f"PEM certificate(s) of the cluster's CA (not secret). {KEEP}"
    )
    bearer_token: Token | None = Field(default=None, description=f"Bearer (service account) token. {KEEP}")
    default_namespace: Namespace | None = Field(
        default=None, description=f"Namespace used when none is chosen (a DNS-1123 label). {KEEP}"
    )
    context: ContextName | None = Field(
        default=None, description=f"Context of the kubeconfig to use; its current-context when unset. {KEEP}"
    )


class KubeconfigUpload(Input):
    """Upload a kubeconfig: the cluster is then reached through it."""

    kubeconfig: KubeconfigText = Field(
        description="Content of the kubeconfig file (YAML, at most 256 KiB, credentials embedded)."
    )
    default_namespace: Namespace | None = Field(
        default=None, description=f"Namespace used when none is chosen. {KEEP}"
    )
    context: ContextName | None = Field(default=None, description=f"Context to use. {KEEP}")


class KubernetesSettings(GroupView):
    """Kubernetes connection settings."""

    group: Literal["kubernetes"] = Field(default="kubernetes", description="Settings group.")
    mode: KubernetesMode | None = Field(
        default=None, description="How the cluster is reached; null: no cluster."
    )
    kubeconfig: SecretState = Field(description="The uploaded kubeconfig.")
    kubeconfig_contexts: list[str] = Field(
        default_factory=list, description="Contexts the uploaded kubeconfig defines."
    )
    kubeconfig_current_context: str | None = Field(
        default=None, description="current-context of the uploaded kubeconfig."
    )
    api_server_url: str | None = Field(default=None, description="API server URL.")
    ca_certificate: str | None = Field(default=None, description="PEM certificate(s) of the cluster's CA.")
    bearer_token: SecretState = Field(description="Bearer token.")
    default_namespace: str = Field(default="default", description="Namespace used when none is chosen.")
    context: str | None = Field(default=None, description="Context of the kubeconfig to use.")


def _kubernetes_needs(state: dict[str, Any]) -> list[str]:
    return {"kubeconfig": ["kubeconfig"], "token": ["api_server_url", "bearer_token"]}.get(state["mode"], [])


# Container registry --------------------------------------------------------------------------


class ContainerRegistryUpdate(Input):
    """Registry that trainer and inference images are pushed to and pulled from."""

    url: RegistryUrl | None = Field(
        default=None, description=f"Registry host, optional port and path: registry.example.com/team. {KEEP}"
    )
    username: Username | None = Field(default=None, description=f"User name. {KEEP}")
    password: Password | None = Field(default=None, description=f"Password or access token. {KEEP}")


class ContainerRegistrySettings(GroupView):
    """Container registry settings."""

    group: Literal["container_registry"] = Field(default="container_registry", description="Settings group.")
    url: str | None = Field(default=None, description="Registry host, optional port and path.")
    username: str | None = Field(default=None, description="User name.")
    password: SecretState = Field(description="Password or access token.")


def _registry_needs(state: dict[str, Any]) -> list[str]:
    return ["url", "username", "password"] if state["username"] or state["password"] else []


# Artifact store ------------------------------------------------------------------------------


class ArtifactStoreUpdate(Input):
    """Where model artifacts and datasets are kept."""

    kind: ArtifactStoreKind | None = Field(
        default=None, description=f"local: a directory; s3: an S3-compatible bucket. {KEEP}"
    )
    local_path: LocalPath | None = Field(
        default=None, description=f"Absolute directory (local); default MLOPS_HOME/artifacts. {KEEP}"
    )
    s3_endpoint_url: HttpUrl | None = Field(
        default=None, description=f"Endpoint of an S3-compatible store (MinIO, Ceph); AWS when unset. {KEEP}"
    )
    bucket: Bucket | None = Field(default=None, description=f"Bucket name. {KEEP}")
    region: Region | None = Field(default=None, description=f"Region, e.g. us-east-1. {KEEP}")
    access_key_id: AccessKeyId | None = Field(default=None, description=f"Access key id (not secret). {KEEP}")
    secret_access_key: ApiKey | None = Field(default=None, description=f"Secret access key. {KEEP}")


class ArtifactStoreSettings(GroupView):
    """Artifact store settings."""

    group: Literal["artifact_store"] = Field(default="artifact_store", description="Settings group.")
    kind: ArtifactStoreKind = Field(default="local", description="local directory or S3-compatible bucket.")
    local_path: str | None = Field(default=None, description="Directory of the local store.")
    s3_endpoint_url: str | None = Field(default=None, description="Endpoint of an S3-compatible store.")
    bucket: str | None = Field(default=None, description="Bucket name.")
    region: str | None = Field(default=None, description="Region.")
    access_key_id: str | None = Field(default=None, description="Access key id.")
    secret_access_key: SecretState = Field(description="Secret access key.")


def _artifact_store_needs(state: dict[str, Any]) -> list[str]:
    if state["kind"] != "s3":
        return []
    credentials = ["access_key_id", "secret_access_key"]
    return ["bucket", *(credentials if any(state[c] for c in credentials) else [])]


# Data sources --------------------------------------------------------------------------------


class DataSourcesUpdate(Input):
    """Credentials trainer jobs read training data with (s3, gcs, dvc remotes, database)."""

    s3_endpoint_url: HttpUrl | None = Field(
        default=None, description=f"Endpoint of an S3-compatible store with data; AWS when unset. {KEEP}"
    )
    s3_region: Region | None = Field(default=None, description=f"Region of the data bucket(s). {KEEP}")
    s3_access_key_id: AccessKeyId | None = Field(default=None, description=f"Access key id. {KEEP}")
    s3_secret_access_key: ApiKey | None = Field(default=None, description=f"Secret access key. {KEEP}")
    gcs_project: GcpProject | None = Field(default=None, description=f"Google Cloud project. {KEEP}")
    gcs_service_account_json: ServiceAccountJson | None = Field(
        default=None, description=f"Content of a Google service-account key file (JSON). {KEEP}"
    )
    database_url: DatabaseUrl | None = Field(
        default=None,
        description=f"SQLAlchemy URL of the database tables are read from, e.g. postgresql://u:p@host/db. {KEEP}",
    )


class DataSourcesSettings(GroupView):
    """Data source credentials."""

    group: Literal["data_sources"] = Field(default="data_sources", description="Settings group.")
    s3_endpoint_url: str | None = Field(default=None, description="Endpoint of an S3-compatible store.")
    s3_region: str | None = Field(default=None, description="Region.")
    s3_access_key_id: str | None = Field(default=None, description="Access key id.")
    s3_secret_access_key: SecretState = Field(description="Secret access key.")
    gcs_project: str | None = Field(default=None, description="Google Cloud project.")
    gcs_service_account_json: SecretState = Field(description="Service-account key.")
    database_url: SecretState = Field(description="Database URL (it holds a password).")


def _data_sources_needs(state: dict[str, Any]) -> list[str]:
    credentials = ["s3_access_key_id", "s3_secret_access_key"]
    return credentials if any(state[c] for c in credentials) else []


# The registry of groups ----------------------------------------------------------------------


class AllSettings(BaseModel):
    """Every settings group."""

    llm: LlmSettings = Field(description="LLM providers.")
    kubernetes: KubernetesSettings = Field(description="Kubernetes connection.")
    container_registry: ContainerRegistrySettings = Field(description="Container registry.")
    artifact_store: ArtifactStoreSettings = Field(description="Artifact store.")
    data_sources: DataSourcesSettings = Field(description="Credentials trainer jobs read data with.")


AnySettings = Annotated[
    LlmSettings
    | KubernetesSettings
    | ContainerRegistrySettings
    | ArtifactStoreSettings
    | DataSourcesSettings,
    Field(discriminator="group"),
]


@dataclass(frozen=True)
class Group:
    """One settings group: its write and read models, which fields are secret, what it needs."""

    name: SettingsGroup
    update: type[Input]
    view: type[GroupView]
    secrets: frozenset[str]
    needs: Callable[[dict[str, Any]], list[str]]

    @property
    def fields(self) -> list[str]:
        """Every field a reader sees, in order (derived ones included)."""
        return [
            name for name in self.view.model_fields if name not in GroupView.model_fields and name != "group"
        ]

    def missing(self, state: dict[str, Any]) -> list[str]:
        """Needed fields that are unset, given every field's value (a secret's: whether it is set)."""
        return list(dict.fromkeys(name for name in self.needs(state) if not state[name]))


GROUPS: dict[str, Group] = {
    group.name: group
    for group in (
        Group(
            "llm",
            LlmUpdate,
            LlmSettings,
            frozenset({"anthropic_api_key", "openai_api_key", "openai_compatible_api_key"}),
            _llm_needs,
        ),
        Group(
            "kubernetes",
            KubernetesUpdate,
            KubernetesSettings,
            frozenset({"kubeconfig", "bearer_token"}),
            _kubernetes_needs,
        ),
        Group(
            "container_registry",
            ContainerRegistryUpdate,
            ContainerRegistrySettings,
            frozenset({"password"}),
            _registry_needs,
        ),
        Group(
            "artifact_store",
            ArtifactStoreUpdate,
            ArtifactStoreSettings,
            frozenset({"secret_access_key"}),
            _artifact_store_needs,
        ),
        Group(
            "data_sources",
            DataSourcesUpdate,
            DataSourcesSettings,
            frozenset({"s3_secret_access_key", "gcs_service_account_json", "database_url"}),
            _data_sources_needs,
        ),
    )
}
