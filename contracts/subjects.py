"""Subject and stream names: the one place they are spelled out.

A message ``type`` is ``<service>.<aggregate>.<verb>.v<N>``; its subject drops the version and adds
the kind: ``cmd.<service>.<aggregate>.<verb>`` for commands, ``evt.<service>.<aggregate>.<verb>``
for events, ``qry.<service>.<aggregate>.<verb>`` for queries.
"""

from __future__ import annotations

import re
from typing import Final, Literal

SERVICES: Final = ("gateway", "workflow", "registry", "infra", "assistant")
"""Every service of the platform, in start order."""

EVENT_STREAM: Final = "EVT"
DEAD_LETTER_STREAM: Final = "DLQ"

Kind = Literal["cmd", "evt", "qry"]

_TYPE = re.compile(r"^(?P<service>[a-z]+)\.(?P<aggregate>[a-z_]+)\.(?P<verb>[a-z_]+)\.v(?P<v>[1-9]\d*)$")


def command_stream(service: str) -> str:
    """Name of the work-queue stream holding ``service``'s commands."""
    return f"CMD_{service.upper()}"


def command_subjects(service: str) -> str:
    """Subject filter of ``service``'s command stream."""
    return f"cmd.{service}.>"


def event_subjects() -> str:
    """Subject filter of the event stream."""
    return "evt.>"


def dead_letter_subject(service: str, original_subject: str) -> str:
    """Where ``service`` records a message it could not process."""
    return f"dlq.{service}.{original_subject}"


def query_subject(service: str, aggregate: str, verb: str) -> str:
    """Request/reply subject of a query."""
    return f"qry.{service}.{aggregate}.{verb}"


def heartbeat_subject(service: str) -> str:
    """Core NATS subject each running instance announces itself on."""
    return f"hb.{service}"


def outcome_type(service: str, succeeded: bool) -> str:
    """Type of the event that answers a command handled by ``service``."""
    return f"{service}.command.{'succeeded' if succeeded else 'rejected'}.v1"


def split_type(message_type: str) -> tuple[str, str, str, int]:
    """``(service, aggregate, verb, version)`` of a message type; ``ValueError`` if malformed."""
    match = _TYPE.match(message_type)
    if match is None:
        raise ValueError(f"message type {message_type!r} is not <service>.<aggregate>.<verb>.v<N>")
    return match["service"], match["aggregate"], match["verb"], int(match["v"])


def subject_for(kind: Kind, message_type: str) -> str:
    """Subject a message of ``message_type`` travels on."""
    service, aggregate, verb, _ = split_type(message_type)
    return f"{kind}.{service}.{aggregate}.{verb}"


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard match: ``*`` is one token, a trailing ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)
