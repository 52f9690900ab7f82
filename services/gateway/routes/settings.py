"""Platform settings: LLM keys, Kubernetes, container registry, artifact store.

Secrets are written here and never read back: responses show ``{"set": true, "last4": "…abcd"}``.
Services get the values through the ``gateway.settings.secret.v1`` query, registered by :func:`install`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from contracts.envelope import Actor
from contracts.gateway import SETTINGS_SECRET, SettingsGroup
from services.gateway.auth.http import CurrentActor
from services.gateway.gateway import Gateway, GatewayDep
from services.gateway.platform_settings.groups import (
    GROUPS,
    AllSettings,
    AnySettings,
    KubeconfigUpload,
    KubernetesSettings,
    LlmSettings,
    LlmUpdate,
)
from services.gateway.platform_settings.service import SettingsService
from services.gateway.secrets import load_secret_box
from services.gateway.settings import GatewaySettings
from services.kit.runtime import Service

router = APIRouter(prefix="/api/settings", tags=["settings"])


def install(app: FastAPI, service: Service, settings: GatewaySettings) -> None:
    """Serve the settings API on ``app`` and answer the secrets query on the gateway's ``service``.

    Call it before the catch-all web route is added, and before the service starts. Loads (or
    creates) the secret key now, so a missing or unsafe key stops the gateway at start-up.
    """
    platform_settings = SettingsService(service, load_secret_box(settings))
    service.query(SETTINGS_SECRET)(platform_settings.answer_secret_query)
    app.state.platform_settings = platform_settings
    app.include_router(router)


def _settings(request: Request) -> SettingsService:
    platform_settings: SettingsService = request.app.state.platform_settings
    return platform_settings


SettingsDep = Annotated[SettingsService, Depends(_settings)]
GroupName = Annotated[SettingsGroup, Path(description="Settings group.")]

_UPDATE_BODY = {
    "requestBody": {
        "required": True,
        "description": "The group's fields to change (see the schema of the group): omitted ones keep "
        "their value, null clears one. Unknown fields are refused.",
        "content": {
            "application/json": {
                "schema": {"oneOf": [group.update.model_json_schema() for group in GROUPS.values()]}
            }
        },
    }
}


@router.get("", summary="Every settings group; secrets only as masks.")
async def get_settings(platform_settings: SettingsDep) -> AllSettings:
    return await platform_settings.all()


@router.post("/llm_keys", summary="Set LLM provider keys (omitted keys are kept, null clears).")
async def set_llm_keys(
    body: LlmUpdate, platform_settings: SettingsDep, actor: CurrentActor, gateway: GatewayDep
) -> LlmSettings:
    changes = _given(body)
    view = await platform_settings.update("llm", changes, actor)
    await _audit(gateway, actor, "llm", changes)
    assert isinstance(view, LlmSettings)
    return view


@router.post("/kubeconfig", summary="Upload a kubeconfig; the cluster is then reached through it.")
async def upload_kubeconfig(
    body: KubeconfigUpload, platform_settings: SettingsDep, actor: CurrentActor, gateway: GatewayDep
) -> KubernetesSettings:
    changes = {"mode": "kubeconfig", **_given(body)}
    view = await platform_settings.update("kubernetes", changes, actor)
    await _audit(gateway, actor, "kubernetes", changes)
    assert isinstance(view, KubernetesSettings)
    return view


@router.get("/{group}", summary="One settings group; secrets only as masks.")
async def get_settings_group(group: GroupName, platform_settings: SettingsDep) -> AnySettings:
    return await platform_settings.get(group)  # type: ignore[return-value]


@router.put("/{group}", summary="Change some fields of a settings group.", openapi_extra=_UPDATE_BODY)
async def update_settings_group(
    group: GroupName,
    request: Request,
    platform_settings: SettingsDep,
    actor: CurrentActor,
    gateway: GatewayDep,
) -> AnySettings:
    changes = _given(await _body(request, GROUPS[group].update))
    view = await platform_settings.update(group, changes, actor)
    await _audit(gateway, actor, group, changes)
    return view  # type: ignore[return-value]


async def _audit(gateway: Gateway, actor: Actor, group: str, changes: dict[str, Any]) -> None:
    """Who changed which fields (names only) goes to the audit trail."""
    await gateway.commands.done(actor, "settings.update", group, fields=sorted(changes))


def _given(body: BaseModel) -> dict[str, Any]:
    """The fields the caller sent (an explicit null included), with their validated values."""
    return {name: getattr(body, name) for name in body.model_fields_set}


async def _body(request: Request, model: type[BaseModel]) -> BaseModel:
    """The JSON body validated by the group's model; errors as FastAPI's, never echoing the input."""
    try:
        data = await request.json()
    except ValueError:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = [{"type": e["type"], "loc": ("body", *e["loc"]), "msg": e["msg"]} for e in error.errors()]
        raise RequestValidationError(errors) from None
