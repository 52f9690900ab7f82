"""The rules of platform settings: partial updates, encryption, masks, and revealing secrets to services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from contracts.envelope import Actor, Envelope, new_id, utcnow
from contracts.gateway import SETTINGS_CHANGED, SecretReply, SecretRequest, SettingsChanged
from contracts.messages import spec
from services.gateway.platform_settings.groups import GROUPS, AllSettings, Group, GroupView, SecretState
from services.gateway.platform_settings.kubeconfig import summarize
from services.gateway.platform_settings.models import SettingRecord
from services.gateway.platform_settings.repository import SettingsRepository
from services.gateway.secrets import SecretBox, SecretUnreadable
from services.kit import queries
from services.kit.errors import Forbidden, InvalidRequest
from services.kit.runtime import Service

log = logging.getLogger(__name__)

LAST4_FROM = 16
"""Secrets shorter than this show no last characters: four of them would give too much away."""


def last4(value: str) -> str | None:
    """The mask's tail of a secret: '…' and its last 4 characters, for one-line secrets long enough."""
    return f"…{value[-4:]}" if len(value) >= LAST4_FROM and "\n" not in value else None


SECRET_READERS: dict[str, tuple[str, ...]] = {
    # Who may read which group's secrets: the asker is known from its reply subject.
    # trainer jobs: where models go, training data, images, cluster
    "workflow": ("artifact_store", "data_sources", "container_registry", "kubernetes"),
    "infra": ("kubernetes", "container_registry", "artifact_store"),  # deployments pull models
    "assistant": ("llm",),
}


class SettingsService:
    """Reads and changes settings; secrets are sealed by ``box`` and shown only as masks."""

    def __init__(self, service: Service, box: SecretBox) -> None:
        self.service = service
        self.box = box

    async def all(self) -> AllSettings:
        async with self.service.unit_of_work() as uow:
            rows = await SettingsRepository(uow.session).rows()
        views = {name: _view(group, [r for r in rows if r.group == name]) for name, group in GROUPS.items()}
        return AllSettings.model_validate(views)

    async def get(self, group: str) -> GroupView:
        async with self.service.unit_of_work() as uow:
            rows = await SettingsRepository(uow.session).rows(group)
        return _view(GROUPS[group], rows)

    async def update(self, group_name: str, changes: dict[str, Any], actor: Actor) -> GroupView:
        """Apply ``changes`` (field → new value, None clears); fields not in it keep their value."""
        group = GROUPS[group_name]
        if not changes:
            return await self.get(group_name)
        derived = await _kubeconfig_names(changes["kubeconfig"]) if "kubeconfig" in changes else {}
        now = utcnow()
        async with self.service.unit_of_work() as uow:
            repository = SettingsRepository(uow.session)
            stored = {row.name: row for row in await repository.rows(group_name)}
            _check_context(group_name, stored, changes, derived)
            applied = changes | derived
            await repository.remove(group_name, [name for name, value in applied.items() if value is None])
            await repository.put(
                [
                    self._row(group, name, value, actor, now)
                    for name, value in applied.items()
                    if value is not None
                ]
            )
            uow.record(_changed(self.service.source, actor, group, sorted(changes)))
            rows = await repository.rows(group_name)
        log.info("settings of %s changed by %s: %s", group_name, actor.id, ", ".join(sorted(changes)))
        return _view(group, rows)

    async def reveal(self, group_name: str, fields: Sequence[str] | None) -> SecretReply:
        """The group's values with secrets decrypted; ``SecretUnreadable`` names what cannot be read."""
        group = GROUPS[group_name]
        wanted = list(fields) if fields else group.fields
        unknown = [name for name in wanted if name not in group.fields]
        if unknown:
            raise InvalidRequest(f"{group_name} has no field {', '.join(unknown)}", field="fields")
        async with self.service.unit_of_work() as uow:
            rows = await SettingsRepository(uow.session).rows(group_name)
        view = _view(group, rows)
        ciphertexts = {row.name: row.ciphertext for row in rows if row.ciphertext is not None}
        values: dict[str, Any] = {}
        unreadable: list[SecretUnreadable] = []
        for name in wanted:
            if name not in group.secrets:
                values[name] = getattr(view, name)
            elif name not in ciphertexts:
                values[name] = None
            else:
                try:
                    values[name] = self.box.open(ciphertexts[name], f"{group_name}.{name}")
                except SecretUnreadable as error:
                    unreadable.append(error)
        if unreadable:
            first = unreadable[0]
            names = [n for error in unreadable if type(error) is type(first) for n in error.names]
            raise type(first)(names, first.explanation)
        return SecretReply(group=group.name, values=values, updated_at=view.updated_at)

    async def answer_secret_query(self, query: Envelope) -> SecretReply:
        """Handler of ``gateway.settings.secret.v1`` (the bus lets only entitled services ask)."""
        request = query.data
        assert isinstance(request, SecretRequest)
        asker = queries.requester.get()
        if request.group not in SECRET_READERS.get(asker or "", ()):
            raise Forbidden(
                f"{asker or 'this connection'} may not read the {request.group} secrets", field="group"
            )
        asked = ", ".join(request.fields) if request.fields else "all fields"
        log.info("secrets of %s (%s) asked by %s", request.group, asked, asker)
        return await self.reveal(request.group, request.fields)

    def _row(self, group: Group, name: str, value: Any, actor: Actor, now: datetime) -> dict[str, Any]:
        row: dict[str, Any] = {
            "group": group.name,
            "name": name,
            "value": None,
            "ciphertext": None,
            "last4": None,
            "updated_at": now,
            "updated_by": actor.id,
        }
        if name in group.secrets:
            assert isinstance(value, SecretStr)
            clear = value.get_secret_value()
            return row | {"ciphertext": self.box.seal(clear, f"{group.name}.{name}"), "last4": last4(clear)}
        return row | {"value": value}


def _view(group: Group, rows: list[SettingRecord]) -> GroupView:
    stored = {row.name: row for row in rows}
    values: dict[str, Any] = {}
    for name in group.fields:
        row = stored.get(name)
        if name in group.secrets:
            values[name] = SecretState(set=row is not None, last4=row.last4 if row is not None else None)
        elif row is not None and row.value is not None:
            values[name] = row.value
    view = group.view.model_validate(values)
    state = {name: getattr(view, name) for name in group.fields}
    state |= {name: state[name].set for name in group.secrets}
    latest = max(rows, key=lambda row: row.updated_at, default=None)
    view.missing = group.missing(state)
    if latest is not None:
        view.updated_at, view.updated_by = latest.updated_at, latest.updated_by
    return view


async def _kubeconfig_names(kubeconfig: SecretStr | None) -> dict[str, Any]:
    """The contexts an uploaded kubeconfig defines (checked in a thread: parsing 256 KiB takes a while)."""
    if kubeconfig is None:
        return {"kubeconfig_contexts": None, "kubeconfig_current_context": None}
    try:
        summary = await asyncio.to_thread(summarize, kubeconfig.get_secret_value())
    except ValueError as error:
        raise InvalidRequest(f"kubeconfig {error}", field="kubeconfig") from None
    return {"kubeconfig_contexts": summary.contexts, "kubeconfig_current_context": summary.current_context}


def _check_context(
    group: str, stored: dict[str, SettingRecord], changes: dict[str, Any], derived: dict[str, Any]
) -> None:
    """The chosen kubeconfig context must be one the (new or stored) kubeconfig defines."""
    if group != "kubernetes":
        return
    context = changes["context"] if "context" in changes else getattr(stored.get("context"), "value", None)
    row = stored.get("kubeconfig_contexts")
    contexts = derived["kubeconfig_contexts"] if derived else (row.value if row is not None else None)
    if context is not None and contexts is not None and context not in contexts:
        raise InvalidRequest(
            f"context {context!r} is not in the kubeconfig; it defines {', '.join(contexts)}", field="context"
        )


def _changed(source: str, actor: Actor, group: Group, fields: list[str]) -> Envelope:
    return spec(SETTINGS_CHANGED).envelope(
        source=source,
        correlation_id=new_id(),
        actor=actor,
        data=SettingsChanged(group=group.name, fields=fields),
    )
