"""The envelope every command, event and query travels in (CloudEvents names where they exist)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["viewer", "editor", "admin", "service"]

ROLE_RANK: dict[str, int] = {"viewer": 1, "editor": 2, "admin": 3, "service": 4}
"""Each role may do what the roles below it may. ``service`` is a service acting on its own."""


def allows(role: str, required: str) -> bool:
    """Whether ``role`` may do what needs ``required``."""
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[required]


def new_id() -> str:
    """A fresh message id: a UUID7-like, time-ordered hex string."""
    ms = int(datetime.now(UTC).timestamp() * 1000)
    rand = uuid.uuid4().int & ((1 << 74) - 1)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return f"{value:032x}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Actor(BaseModel):
    """Who asked for this: copied from the user's action down the whole chain."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(description="User id, API token owner, or service name for automation.")
    role: Role = Field(description="Role the actor held when the action was taken.")


SYSTEM_ACTOR = Actor(id="system", role="service")


class Envelope(BaseModel):
    """Fields every message carries. ``data`` is typed by each concrete message model."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=new_id, description="Unique message id; also the Nats-Msg-Id.")
    type: str = Field(description="Versioned message type, e.g. registry.model_version.promoted.v1.")
    source: str = Field(description="Service (and instance) that produced the message.")
    time: datetime = Field(default_factory=utcnow, description="When the message was produced (UTC).")
    correlation_id: str = Field(description="Id of the user's action this message belongs to.")
    causation_id: str | None = Field(
        default=None, description="Id of the message that directly caused this one."
    )
    actor: Actor = Field(description="Who asked for the action.")
    data: Any = Field(description="The message's payload; its model depends on `type`.")

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class Payload(BaseModel):
    """Base of every message payload: readers ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore")


class Input(BaseModel):
    """Base of request bodies written by people or scripts: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


def caused_by(parent: Envelope) -> dict[str, Any]:
    """Envelope fields a message inherits from the message that caused it."""
    return {
        "correlation_id": parent.correlation_id,
        "causation_id": parent.id,
        "actor": parent.actor,
    }
