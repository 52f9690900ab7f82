"""The committed JSON Schemas and AsyncAPI document match the models."""

from __future__ import annotations

import json

from contracts.generate import SCHEMA_DIR, drift, render
from contracts.messages import ALL_MESSAGES


class TestDrift:
    def test_committed_schemas_match_the_models(self) -> None:
        stale = drift()
        assert stale == [], f"run `python -m contracts.generate`; stale: {stale}"

    def test_a_changed_model_is_detected(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        name = "workflow.system.ping.v1.json"
        original = (SCHEMA_DIR / name).read_text()
        monkeypatch.setattr("contracts.generate.render", lambda: {**render(), name: original + " "})
        assert name in drift()


class TestAsyncApi:
    def test_every_message_has_a_channel_on_its_subject(self) -> None:
        document = json.loads((SCHEMA_DIR / "asyncapi.json").read_text())
        assert document["asyncapi"] == "3.0.0"
        addresses = {channel["address"] for channel in document["channels"].values()}
        expected = {f"{s.subject}.{{{s.key}}}" if s.key else s.subject for s in ALL_MESSAGES}
        assert expected == addresses
        for operation in document["operations"].values():
            assert operation["action"] in {"send", "receive"}
            assert operation["channel"]["$ref"].removeprefix("#/channels/") in document["channels"]

    def test_payload_references_resolve(self) -> None:
        document = json.loads((SCHEMA_DIR / "asyncapi.json").read_text())
        schemas = document["components"]["schemas"]
        text = json.dumps(document)
        for ref in {part.split('"')[0] for part in text.split('"#/components/schemas/')[1:]}:
            assert ref in schemas, ref
