"""The catalog of every message, and one decoder per stream over a discriminated union."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from contracts.envelope import Envelope, Payload, Role
from contracts.subjects import Kind, split_type, subject_for

PayloadModel = type[Payload]
ReplyModel = type[BaseModel]
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
EnvelopeModel = type[Envelope]


@dataclass(frozen=True)
class MessageSpec:
    """One message type: its kind, payload model, and the envelope model built from them."""

    kind: Kind
    type: str
    data: PayloadModel
    summary: str
    reply: ReplyModel | None = None
    role: Role = "editor"
    """Least role an actor needs for the owning service to accept this command."""
    key: str | None = None
    """Field of ``data`` appended to an event's subject, so one aggregate can be watched alone."""
    model: EnvelopeModel = field(init=False)

    def __post_init__(self) -> None:
        split_type(self.type)
        if self.key is not None and (self.kind != "evt" or self.key not in self.data.model_fields):
            raise ValueError(f"{self.type}: only events are keyed, by a field of their data")
        if (self.kind == "qry") != (self.reply is not None):
            raise ValueError(f"{self.type}: queries, and only queries, declare a reply model")
        object.__setattr__(self, "model", _envelope_model(self.type, self.data, self.summary))

    @property
    def service(self) -> str:
        return split_type(self.type)[0]

    @property
    def subject(self) -> str:
        """The subject without its key: what a keyed event's subjects start with."""
        return subject_for(self.kind, self.type)

    @property
    def filter(self) -> str:
        """Subject filter matching every message of this type."""
        return f"{self.subject}.*" if self.key else self.subject

    def subject_of(self, envelope: Envelope) -> str:
        """The subject ``envelope`` travels on: with its key's value last, for a keyed type."""
        if self.key is None:
            return self.subject
        value = getattr(envelope.data, self.key, None)
        if not isinstance(value, str) or not _TOKEN.match(value):
            raise ValueError(f"{self.type}: {self.key} {value!r} cannot be a subject token")
        return f"{self.subject}.{value}"

    def envelope(self, **fields: Any) -> Envelope:
        """Build a validated envelope of this type (``data`` may be a dict or the payload)."""
        return self.model.model_validate({"type": self.type, **fields})


def _envelope_model(message_type: str, data: type[Payload], summary: str) -> type[Envelope]:
    name = "".join(part.capitalize() for part in re.split(r"[._]", message_type))
    tag: Any = Literal[message_type]
    model: type[Envelope] = create_model(
        name,
        __base__=Envelope,
        __doc__=summary,
        type=(tag, Field(description="Versioned message type.")),
        data=(data, Field(description=data.__doc__ or "Payload.")),
    )
    return model


class DecodeError(Exception):
    """A message that cannot be decoded; ``reason`` names the offending field."""

    def __init__(self, reason: str, message_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message_id = message_id


def describe(error: ValidationError, tags: Iterable[str] = ()) -> str:
    """One line naming each offending field and what was wrong with it."""
    skip = set(tags)
    parts = []
    for item in error.errors()[:5]:
        loc = [str(p) for p in item["loc"]]
        if loc and loc[0] in skip:
            loc = loc[1:]
        if item["type"] == "union_tag_invalid":
            parts.append(f"type: unknown message type {item.get('ctx', {}).get('tag')!r}")
        elif loc == ["type"] and item["type"] == "literal_error":
            parts.append(f"type: unknown message type {item['input']!r}")
        elif item["type"] == "union_tag_not_found":
            parts.append("type: field required")
        else:
            parts.append(f"{'.'.join(loc) or '(message)'}: {item['msg']}")
    return "; ".join(parts)


class Decoder:
    """Decodes the raw bytes of one stream into the envelope model matching ``type``."""

    def __init__(self, specs: Iterable[MessageSpec]) -> None:
        specs = tuple(specs)
        models = tuple(spec.model for spec in specs)
        if not models:
            raise ValueError("a decoder needs at least one message type")
        self.types = frozenset(spec.type for spec in specs)
        union: Any = models[0] if len(models) == 1 else Union[models]  # noqa: UP007
        annotated: Any = Annotated[union, Field(discriminator="type")] if len(models) > 1 else union
        self._adapter: TypeAdapter[Envelope] = TypeAdapter(annotated)

    def decode(self, raw: bytes) -> Envelope:
        """The typed envelope; ``DecodeError`` naming the problem otherwise."""
        try:
            return self._adapter.validate_json(raw)
        except ValidationError as error:
            raise DecodeError(describe(error, self.types), _peek_id(raw)) from None

    def decode_dict(self, value: dict[str, Any]) -> Envelope:
        """Like :meth:`decode`, for an already parsed message."""
        try:
            return self._adapter.validate_python(value)
        except ValidationError as error:
            raise DecodeError(describe(error, self.types), value.get("id")) from None


def _peek_id(raw: bytes) -> str | None:
    try:
        return Envelope.model_validate_json(raw).id
    except ValidationError:
        return None
