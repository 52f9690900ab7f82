"""Write the gateway's OpenAPI document, the source of the web UI's generated API client.

``python -m services.gateway.openapi web/openapi.json`` (``npm run generate`` in ``web/`` runs it and
then regenerates ``web/src/api/schema.ts``); a test fails when either file drifts from the routes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings


def document() -> dict[str, Any]:
    """The OpenAPI document exactly as ``/openapi.json`` serves it."""
    settings = GatewaySettings(secret_key=SecretStr("only-to-build-the-app-and-read-its-routes"))
    return create_app(settings).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m services.gateway.openapi <output.json>", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
