"""What ``mlops up`` gives each child: NATS credentials, and nothing secret on a command line."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from contracts.subjects import SERVICES
from services.cli.supervisor import Supervisor


def test_embedded_nats_gets_a_private_config_and_each_service_its_own_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_NATS_USER", "someone")
    monkeypatch.setenv("MLOPS_NATS_PASSWORD", "not-this")
    supervisor = Supervisor(tmp_path, 8000, None, None, say=lambda _: None)
    supervisor.plan()
    nats, *services = supervisor.children
    config = tmp_path / "nats" / "server.conf"
    assert nats.name == "nats" and nats.argv[1:] == ["--config", str(config)]
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "MLOPS_NATS_PASSWORD" not in nats.env and "MLOPS_NATS_USER" not in nats.env
    text = config.read_text()
    assert f'listen: "127.0.0.1:{nats.port}"' in text
    written = dict(re.findall(r'user: "(\w+)"\n\s+password: "([^"]+)"', text))
    assert [c.name for c in services] == list(SERVICES)
    for child in services:
        assert child.env["MLOPS_NATS_USER"] == child.name
        assert child.env["MLOPS_NATS_PASSWORD"] == written[child.name]
        assert not any(written[child.name] in arg for arg in child.argv)
    assert len(set(written.values())) == len(SERVICES)

    again = Supervisor(tmp_path, 8000, None, None, say=lambda _: None)
    again.plan()
    assert again.children[1].env["MLOPS_NATS_PASSWORD"] != services[0].env["MLOPS_NATS_PASSWORD"]


def test_external_nats_passes_the_environments_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_NATS_USER", "platform")
    monkeypatch.setenv("MLOPS_NATS_PASSWORD", "from-the-environment")
    supervisor = Supervisor(tmp_path, 8000, "nats://nats.example:4222", None, say=lambda _: None)
    supervisor.plan()
    assert [c.name for c in supervisor.children] == list(SERVICES)
    for child in supervisor.children:
        assert child.env["MLOPS_NATS_URL"] == "nats://nats.example:4222"
        assert child.env["MLOPS_NATS_USER"] == "platform"
        assert child.env["MLOPS_NATS_PASSWORD"] == "from-the-environment"
    assert not (tmp_path / "nats" / "server.conf").exists()
