"""Messages of the gateway's platform settings: the change event and the secrets query.

Settings are kept by the gateway, secrets encrypted. A service that needs one (infra: cluster
credentials; assistant: LLM keys; workflow: artifact store credentials) asks
``qry.gateway.settings.secret``; the bus lets only those services ask. Events name what changed,
never a value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.catalog import MessageSpec
from contracts.envelope import Payload

SettingsGroup = Literal["llm", "kubernetes", "container_registry", "artifact_store", "data_sources"]

SETTINGS_CHANGED = "gateway.settings.changed.v1"
SETTINGS_SECRET = "gateway.settings.secret.v1"


class SettingsChanged(Payload):
    """An administrator changed settings of one group. Names only: values, secret or not, stay out."""

    group: SettingsGroup = Field(description="Settings group that changed.")
    fields: list[str] = Field(description="Names of the fields that were set or cleared.")


class SecretRequest(Payload):
    """Ask for the settings of one group with their secrets in clear."""

    group: SettingsGroup = Field(description="Settings group to read.")
    fields: list[str] | None = Field(
        default=None,
        max_length=32,
        description="Fields to return; all fields of the group when omitted. An unknown name is an error.",
    )


class SecretReply(BaseModel):
    """The settings of a group, secrets decrypted. Keep them in memory; never log them."""

    model_config = ConfigDict(extra="ignore")

    group: SettingsGroup = Field(description="Settings group.")
    values: dict[str, Any] = Field(
        description="Field name to value (secrets in clear); null for a field that is not set."
    )
    updated_at: datetime | None = Field(
        default=None, description="Last change of the group; null when it was never set."
    )


GATEWAY_MESSAGES = [
    MessageSpec(
        "evt",
        SETTINGS_CHANGED,
        SettingsChanged,
        "Settings of a group changed (field names only, never values).",
    ),
    MessageSpec(
        "qry",
        SETTINGS_SECRET,
        SecretRequest,
        "Settings of a group with secrets decrypted; only services granted it on the bus may ask. "
        "Fails with secret_key_mismatch when a secret was stored under another MLOPS_SECRET_KEY.",
        reply=SecretReply,
    ),
]
