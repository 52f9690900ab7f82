"""Who may publish and subscribe what on the bus: one NATS user per service.

:data:`GRANTS` is the one table of what a service may do beyond what every service may do (see
:func:`permissions`); :func:`authorization` renders it as the ``authorization`` block of a
nats-server configuration, :func:`server_config` as the embedded server's whole file.

Every service ``S`` may:

- publish its events ``evt.S.>``, its dead letters ``dlq.S.>`` and its heartbeat ``hb.S``;
- inspect its command stream ``CMD_S`` and the shared ``EVT`` and ``DLQ`` streams; only the
  gateway creates and changes streams (a service that could change ``EVT`` could make it store
  another service's inbox and read that service's secrets from it);
- run any consumer on ``CMD_S``, and its own durable ``S-events`` on ``EVT``, and ack their
  messages (another service's durable is out of reach: fetching from it would steal its events);
- receive replies, publish acks and consumer deliveries on ``_INBOX_S.>`` (the inbox prefix
  :func:`services.kit.bus.inbox_prefix` gives its connection), and serve its queries ``qry.S.>``,
  answering them on the asker's inbox (``allow_responses``).

Anything else is refused; a connection without a user is refused (no ``no_auth_user``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from contracts.subjects import (
    DEAD_LETTER_STREAM,
    EVENT_STREAM,
    SERVICES,
    command_stream,
    heartbeat_subject,
    query_subject,
    subject_matches,
)
from services.kit.bus import inbox_prefix, provisioned_services

SECRETS_QUERY: Final = query_subject("gateway", "settings", "secret")
"""``qry.gateway.settings.secret``: the gateway hands out platform secrets (API keys, cluster
credentials) to the services that need them."""

JS_API: Final = "$JS.API"


@dataclass(frozen=True)
class Grant:
    """What one service may do on top of what every service may."""

    publish: tuple[str, ...] = ()
    """Core subjects it may publish (commands, queries it asks)."""
    subscribe: tuple[str, ...] = ()
    """Subjects it may subscribe to besides its inbox and its queries."""
    reads: tuple[str, ...] = ()
    """Streams it may read with consumers of any name (ephemeral, ordered, replays)."""


GRANTS: Final[Mapping[str, Grant]] = {
    "gateway": Grant(
        # Issues every command on behalf of people, and asks every service's status.
        publish=("cmd.>", "qry.>"),
        # Counts the live replicas of every service from their heartbeats.
        subscribe=("hb.*",),
        # The WebSocket hub's ordered consumer and replays on EVT; the dead-letter view on DLQ.
        reads=(EVENT_STREAM, DEAD_LETTER_STREAM),
    ),
    "workflow": Grant(
        # Trainer jobs need storage and data-source credentials; a finished run registers its
        # model and, when asked, deploys it.
        publish=(SECRETS_QUERY, "cmd.registry.model.register", "cmd.infra.deployment.create"),
    ),
    "registry": Grant(),  # no secrets: it only keeps models, metrics, lineage
    # Cluster and artifact store credentials; the version a deployment serves comes from the registry.
    "infra": Grant(publish=(SECRETS_QUERY, "qry.registry.model_version.get")),
    "assistant": Grant(publish=(SECRETS_QUERY,)),  # LLM API keys
}


@dataclass(frozen=True)
class Permissions:
    """The allow lists of one NATS user."""

    user: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    allow_responses: bool = True


def event_durable(service: str) -> str:
    """Name of the durable consumer ``service`` reads events with (see ``services.kit.runtime``)."""
    return f"{service}-events"


def _consumer_api(stream: str, consumer: str) -> list[str]:
    """Creating, inspecting, fetching from and deleting consumer ``consumer`` (``*``: any) of ``stream``."""
    create = [f"{JS_API}.CONSUMER.DURABLE.CREATE.{stream}.{consumer}"]
    if consumer == "*":
        # Ephemeral consumers without a name (ordered push consumers) use the short form.
        create += [f"{JS_API}.CONSUMER.CREATE.{stream}", f"{JS_API}.CONSUMER.CREATE.{stream}.>"]
    else:
        # With a name: CREATE.<stream>.<name>, or CREATE.<stream>.<name>.<filter subject>.
        create += [
            f"{JS_API}.CONSUMER.CREATE.{stream}.{consumer}",
            f"{JS_API}.CONSUMER.CREATE.{stream}.{consumer}.>",
        ]
    return [
        *create,
        f"{JS_API}.CONSUMER.INFO.{stream}.{consumer}",
        f"{JS_API}.CONSUMER.MSG.NEXT.{stream}.{consumer}",
        f"{JS_API}.CONSUMER.DELETE.{stream}.{consumer}",
    ]


def _stream_api(service: str, stream: str) -> list[str]:
    verbs = ("CREATE", "UPDATE", "INFO") if len(provisioned_services(service)) > 1 else ("INFO",)
    return [f"{JS_API}.STREAM.{verb}.{stream}" for verb in verbs]


def permissions(service: str) -> Permissions:
    """Everything ``service``'s NATS user may publish and subscribe."""
    if service not in GRANTS:
        raise ValueError(f"no NATS permissions for {service!r}; known: {', '.join(GRANTS)}")
    grant = GRANTS[service]
    own_commands = command_stream(service)
    streams = [command_stream(s) for s in provisioned_services(service)]
    publish = [
        f"evt.{service}.>",
        f"dlq.{service}.>",
        heartbeat_subject(service),
        *grant.publish,
        *(
            api
            for stream in [*streams, EVENT_STREAM, DEAD_LETTER_STREAM]
            for api in _stream_api(service, stream)
        ),
        *_consumer_api(own_commands, "*"),
        f"$JS.ACK.{own_commands}.>",
    ]
    if EVENT_STREAM not in grant.reads:
        publish += _consumer_api(EVENT_STREAM, event_durable(service))
    publish.append(f"$JS.ACK.{EVENT_STREAM}.{event_durable(service)}.>")
    for stream in grant.reads:
        publish += [
            *_consumer_api(stream, "*"),
            f"$JS.FC.{stream}.>",  # flow-control replies of ordered (push) consumers
        ]
    subscribe = [f"{inbox_prefix(service)}.>", f"qry.{service}.>", *grant.subscribe]
    return Permissions(user=service, publish=_unique(publish), subscribe=_unique(subscribe))


def _unique(subjects: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(subjects))


def may_publish(service: str, subject: str) -> bool:
    """Whether ``service``'s allow list covers publishing ``subject`` (replies aside)."""
    return any(subject_matches(p, subject) for p in permissions(service).publish)


def generate_passwords(services: Iterable[str] = SERVICES) -> dict[str, str]:
    """A fresh random password per service."""
    return {service: secrets.token_urlsafe(32) for service in services}


def _quote(value: str) -> str:
    if any(c in value for c in '"\\\n\r') or not value.isprintable():
        raise ValueError(
            "a NATS configuration value may not contain quotes, backslashes or control characters"
        )
    return f'"{value}"'


def password_env(service: str) -> str:
    """Environment variable a nats-server reads ``service``'s password from (see :func:`authorization`)."""
    return f"MLOPS_NATS_PASSWORD_{service.upper()}"


def authorization(passwords: Mapping[str, str] | None = None, *, services: Iterable[str] = SERVICES) -> str:
    """The ``authorization`` block: one user per service with its :func:`permissions`.

    With ``passwords`` (service → password) they are written into the block; without, each user's
    password is the server's environment variable :func:`password_env` (how the Helm chart keeps them
    in a Secret).
    """
    users = list(passwords) if passwords is not None else list(services)
    lines = ["authorization {", "  users = ["]
    for service in users:
        perms = permissions(service)
        password = _quote(passwords[service]) if passwords is not None else f"${password_env(service)}"
        lines += [
            "    {",
            f"      user: {_quote(perms.user)}",
            f"      password: {password}",
            "      permissions: {",
            "        publish: {",
            "          allow: [",
            *(f"            {_quote(s)}" for s in perms.publish),
            "          ]",
            "        }",
            "        subscribe: {",
            "          allow: [",
            *(f"            {_quote(s)}" for s in perms.subscribe),
            "          ]",
            "        }",
            f"        allow_responses: {'true' if perms.allow_responses else 'false'}",
            "      }",
            "    }",
        ]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def chart_authorization() -> str:
    """The Helm chart's NATS ``authorization`` (``deploy/helm/mlops/files/nats-authorization.conf``),
    passwords from the server's environment; regenerate with ``python -m services.cli.nats_auth``."""
    return (
        "# Generated by `python -m services.cli.nats_auth` from services/cli/nats_auth.py. Do not edit.\n"
        "# Passwords come from the environment: "
        + ", ".join(password_env(s) for s in SERVICES)
        + ".\n"
        + authorization()
    )


def server_config(
    passwords: Mapping[str, str],
    *,
    port: int,
    store_dir: Path,
    host: str = "127.0.0.1",
    server_name: str = "mlops-embedded",
) -> str:
    """The embedded nats-server's configuration: listen address, JetStream store, users."""
    return "\n".join(
        [
            "# Written by `mlops up` on each start (new passwords every time). Do not edit.",
            f"server_name: {_quote(server_name)}",
            f"listen: {_quote(f'{host}:{port}')}",
            "jetstream {",
            f"  store_dir: {_quote(str(store_dir))}",
            "}",
            authorization(passwords),
        ]
    )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (mode 0600, also if it existed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(fd, 0o600)  # whatever the umask
        out.write(text)
    tmp.replace(path)


if __name__ == "__main__":
    print(chart_authorization(), end="")
