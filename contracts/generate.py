"""Generate JSON Schema per message and an AsyncAPI 3 document into ``contracts/schemas/``.

``python -m contracts.generate`` writes the files; ``--check`` exits 1 when the committed files
differ from what the models produce (CI runs it through the test suite).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.catalog import MessageSpec
from contracts.messages import ALL_MESSAGES
from contracts.subjects import (
    EVENT_STREAM,
    SERVICES,
    command_stream,
)

SCHEMA_DIR = Path(__file__).parent / "schemas"
_REF = "#/components/schemas/{model}"


def render() -> dict[str, str]:
    """File name → file content for everything under ``contracts/schemas/``."""
    files = {f"{spec.type}.json": _dump(spec.model.model_json_schema()) for spec in ALL_MESSAGES}
    for spec in ALL_MESSAGES:
        if spec.reply is not None:
            files[f"{spec.type}.reply.json"] = _dump(spec.reply.model_json_schema())
    files["asyncapi.json"] = _dump(asyncapi())
    return files


def asyncapi() -> dict[str, Any]:
    """An AsyncAPI 3.0 document of the whole bus, seen from the platform's services."""
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in ALL_MESSAGES:
        key = spec.type.replace(".", "_")
        messages[key] = _message(spec, _component(spec.model, schemas))
        channels[key] = {
            "address": f"{spec.subject}.{{{spec.key}}}" if spec.key else spec.subject,
            "description": _channel_description(spec),
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        if spec.key:
            channels[key]["parameters"] = {spec.key: {"description": f"The message's data.{spec.key}."}}
        operations[key] = {
            "action": "send" if spec.kind == "evt" else "receive",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": spec.summary,
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
        }
        if spec.kind == "cmd":
            operations[key]["x-mlops-least-role"] = spec.role
        if spec.reply is not None:
            reply_key = f"{key}_reply"
            messages[reply_key] = {
                "name": reply_key,
                "contentType": "application/json",
                "payload": _component(spec.reply, schemas),
            }
            operations[key]["reply"] = {"messages": [{"$ref": f"#/components/messages/{reply_key}"}]}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "MLOps platform bus",
            "version": "1.0.0",
            "description": (
                "Commands (cmd.*) travel on one JetStream work-queue stream per service "
                f"({', '.join(command_stream(s) for s in SERVICES)}); events (evt.*) on the "
                f"{EVENT_STREAM} stream; queries (qry.*) are core NATS request/reply."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"nats": {"host": "localhost:4222", "protocol": "nats"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _component(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=_REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": _REF.format(model=model.__name__)}


def _message(spec: MessageSpec, payload: dict[str, str]) -> dict[str, Any]:
    return {
        "name": spec.type,
        "title": spec.model.__name__,
        "summary": spec.summary,
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                "Nats-Msg-Id": {
                    "type": "string",
                    "description": "The envelope id (deduplication).",
                },
                "traceparent": {"type": "string", "description": "W3C trace context."},
            },
        },
        "payload": payload,
    }


def _channel_description(spec: MessageSpec) -> str:
    where = {"cmd": command_stream(spec.service), "evt": EVENT_STREAM, "qry": "core NATS"}
    return f"{spec.kind} on {where[spec.kind]}"


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def drift() -> list[str]:
    """Files whose committed content differs from the models, or that should not exist."""
    want = render()
    have = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    return sorted(name for name in want.keys() | have.keys() if want.get(name) != have.get(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed files drift")
    args = parser.parse_args(argv)
    if args.check:
        stale = drift()
        for name in stale:
            print(f"contracts/schemas/{name} is stale: run python -m contracts.generate")
        return 1 if stale else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    files = render()
    for old in SCHEMA_DIR.glob("*.json"):
        if old.name not in files:
            old.unlink()
    for name, content in files.items():
        (SCHEMA_DIR / name).write_text(content)
    print(f"wrote {len(files)} files to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
