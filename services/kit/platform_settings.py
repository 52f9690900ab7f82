"""Platform settings a service reads from the gateway (secrets included, for services allowed them).

The gateway keeps the settings (secrets encrypted) and answers ``qry.gateway.settings.secret``;
what a service learns here reaches its workloads as environment variables only.
"""

from __future__ import annotations

from typing import Any

from contracts.envelope import SYSTEM_ACTOR
from contracts.gateway import SETTINGS_SECRET, SecretReply, SecretRequest, SettingsGroup
from services.kit.bus import Bus
from services.kit.errors import TransientError

ARTIFACT_ENV = {
    "s3_endpoint_url": "MLOPS_ARTIFACT_S3_ENDPOINT_URL",
    "region": "MLOPS_ARTIFACT_S3_REGION",
    "access_key_id": "MLOPS_ARTIFACT_S3_ACCESS_KEY_ID",
    "secret_access_key": "MLOPS_ARTIFACT_S3_SECRET_ACCESS_KEY",
}
"""Artifact store settings to the environment ``ml.storage`` reads."""


async def read_settings(bus: Bus, group: SettingsGroup) -> dict[str, Any]:
    """The values of settings ``group``; ``TransientError`` when the gateway does not answer."""
    request = SecretRequest(group=group)
    reply = await bus.ask(
        SETTINGS_SECRET, request, SYSTEM_ACTOR, correlation_id=f"settings-{group}", timeout=5.0
    )
    if not reply.ok:
        reason = reply.error.reason if reply.error else "no answer"
        raise TransientError(f"cannot read the {group} settings from the gateway: {reason}")
    return SecretReply.model_validate(reply.data).values


def artifact_env(store: dict[str, Any]) -> dict[str, str]:
    """The credential environment of the artifact store settings ``store`` (empty for a local store)."""
    if store.get("kind") != "s3":
        return {}
    return {ARTIFACT_ENV[k]: str(v) for k, v in store.items() if k in ARTIFACT_ENV and v}
