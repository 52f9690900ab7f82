"""Messages every service answers: ping, status, and the outcome of any command."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.catalog import MessageSpec
from contracts.envelope import Payload
from contracts.subjects import SERVICES, outcome_type


class Ping(Payload):
    """Ask a service to prove it consumes its command stream."""

    echo: str | None = Field(default=None, max_length=200, description="Text echoed back in the event.")


class Pinged(Payload):
    """A service instance handled a ping."""

    instance: str = Field(description="Instance (replica) that handled the ping.")
    echo: str | None = Field(default=None, description="Text sent with the ping.")


class CommandSucceeded(Payload):
    """The owner of a command applied it."""

    command_id: str = Field(description="Id of the command envelope.")
    command_type: str = Field(description="Type of the command.")
    result: dict[str, Any] = Field(default_factory=dict, description="What the command produced.")


class CommandRejected(Payload):
    """The owner of a command refused it; nothing changed."""

    command_id: str = Field(description="Id of the command envelope.")
    command_type: str = Field(description="Type of the command, or 'unknown' if it did not decode.")
    code: str = Field(description="Stable error code, e.g. 'forbidden' or 'invalid_message'.")
    reason: str = Field(description="Human readable reason naming the offending field.")
    status: int = Field(default=422, description="HTTP status the gateway answers with.")
    field: str | None = Field(default=None, description="Offending field, when there is one.")


class StatusRequest(Payload):
    """Ask a service for its status."""


class ServiceStatus(BaseModel):
    """What one service instance says about itself."""

    model_config = ConfigDict(extra="ignore")

    service: str = Field(description="Service name.")
    instance: str = Field(description="Instance (replica) id.")
    version: str = Field(description="Platform version the instance runs.")
    started_at: datetime = Field(description="When the instance started.")
    uptime_seconds: float = Field(description="Seconds since the instance started.")
    database: str = Field(description="Database dialect the service uses.")


def system_messages(service: str) -> list[MessageSpec]:
    """The system messages of one service."""
    return [
        MessageSpec("cmd", f"{service}.system.ping.v1", Ping, f"Ping the {service} service."),
        MessageSpec("evt", f"{service}.system.pinged.v1", Pinged, f"The {service} service was pinged."),
        MessageSpec("evt", outcome_type(service, True), CommandSucceeded, f"A {service} command succeeded."),
        MessageSpec(
            "evt",
            outcome_type(service, False),
            CommandRejected,
            f"A {service} command was rejected.",
        ),
        MessageSpec(
            "qry",
            f"{service}.system.status.v1",
            StatusRequest,
            f"Status of a {service} instance.",
            reply=ServiceStatus,
        ),
    ]


SYSTEM_MESSAGES = [spec for service in SERVICES for spec in system_messages(service)]
