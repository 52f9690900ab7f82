"""The web UI's API client is generated from the gateway's OpenAPI document and must not drift."""

from __future__ import annotations

import subprocess
from pathlib import Path

from services.gateway import openapi

WEB = Path(__file__).resolve().parents[2] / "web"


def test_the_committed_openapi_document_is_the_gateways() -> None:
    committed = (WEB / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi.render(), "web/openapi.json is stale: run `npm run generate` in web/"


def test_the_committed_client_types_are_generated_from_it(tmp_path: Path) -> None:
    out = tmp_path / "schema.ts"
    subprocess.run(
        ["npx", "--no-install", "openapi-typescript", str(WEB / "openapi.json"), "-o", str(out)],
        cwd=WEB,
        check=True,
        capture_output=True,
    )
    committed = (WEB / "src" / "api" / "schema.ts").read_text(encoding="utf-8")
    assert committed == out.read_text(encoding="utf-8"), (
        "web/src/api/schema.ts is stale: run `npm run generate` in web/"
    )
