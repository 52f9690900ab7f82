"""Every message of the platform, indexed by type and by stream."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.catalog import Decoder, MessageSpec
from contracts.gateway import GATEWAY_MESSAGES
from contracts.infra import INFRA_MESSAGES
from contracts.registry import REGISTRY_MESSAGES
from contracts.system import SYSTEM_MESSAGES
from contracts.workflow import WORKFLOW_MESSAGES

ALL_MESSAGES: tuple[MessageSpec, ...] = (
    *SYSTEM_MESSAGES,
    *GATEWAY_MESSAGES,
    *WORKFLOW_MESSAGES,
    *REGISTRY_MESSAGES,
    *INFRA_MESSAGES,
)

BY_TYPE: dict[str, MessageSpec] = {spec.type: spec for spec in ALL_MESSAGES}
if len(BY_TYPE) != len(ALL_MESSAGES):
    raise RuntimeError("two message specs share a type")


def spec(message_type: str) -> MessageSpec:
    """The spec of ``message_type``; ``KeyError`` if there is none."""
    return BY_TYPE[message_type]


@cache
def command_decoder(service: str) -> Decoder:
    """Decoder of ``service``'s command stream."""
    return Decoder(s for s in ALL_MESSAGES if s.kind == "cmd" and s.service == service)


@cache
def event_decoder() -> Decoder:
    """Decoder of the event stream."""
    return Decoder(s for s in ALL_MESSAGES if s.kind == "evt")


@cache
def query_decoder(service: str) -> Decoder:
    """Decoder of ``service``'s query requests."""
    return Decoder(s for s in ALL_MESSAGES if s.kind == "qry" and s.service == service)


class QueryError(BaseModel):
    """Why a query failed."""

    code: str = Field(description="Stable error code.")
    reason: str = Field(description="Human readable reason.")
    status: int = Field(default=400, description="HTTP status the gateway answers with.")
    field: str | None = Field(default=None, description="The request field at fault, if one is.")


class QueryReply(BaseModel):
    """The reply to any query: ``data`` when ``ok``, ``error`` otherwise."""

    model_config = ConfigDict(extra="ignore")

    ok: bool = Field(description="Whether the query succeeded.")
    data: Any = Field(default=None, description="The reply model of the query, when ok.")
    error: QueryError | None = Field(default=None, description="Why it failed, when not ok.")
