"""The Helm chart's NATS users: the same permission table as ``mlops up``, passwords from a Secret,
enforced by a real nats-server started from the rendered manifests."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import nats
import pytest
import yaml
from nats.errors import TimeoutError as NatsTimeout

from contracts.subjects import SERVICES
from services.cli.nats_auth import chart_authorization, password_env
from services.cli.natsd import nats_server_binary
from services.cli.ports import free_port
from services.kit.bus import Bus
from tests.servers import serving

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "mlops"
HELM = REPO / ".tools" / "bin" / "helm"
AUTH = {"nats": {"auth": {"enabled": True}}}
EXTERNAL = {"nats": {"enabled": False, "url": "nats://nats.example:4222", "auth": {"enabled": True}}}

Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Render]:
    if not (HELM.is_file() and os.access(HELM, os.X_OK)):
        pytest.fail(
            f"helm not found at {HELM}: install it with `bash scripts/install-helm.sh`", pytrace=False
        )
    home = tmp_path_factory.mktemp("helm")
    env = {**os.environ, **{f"HELM_{k}_HOME": str(home / k.lower()) for k in ("CACHE", "CONFIG", "DATA")}}

    def run(values: dict[str, Any], fails: bool = False) -> Any:
        path = home / "values.yaml"
        path.write_text(yaml.safe_dump(values))
        proc = subprocess.run(
            [str(HELM), "template", "mlops", str(CHART), "--namespace", "ns", "-f", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if fails:
            assert proc.returncode != 0
            return proc.stderr
        assert proc.returncode == 0, proc.stderr
        return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]

    yield run


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def env_of(workload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container.get("env", [])}


def test_the_chart_file_is_generated_from_the_table() -> None:
    committed = (CHART / "files" / "nats-authorization.conf").read_text()
    assert committed == chart_authorization(), "run: python -m services.cli.nats_auth > " + str(
        (CHART / "files" / "nats-authorization.conf").relative_to(REPO)
    )


@pytest.mark.parametrize(
    "values",
    [
        {},
        AUTH,
        {"nats": {"auth": {"enabled": True, "existingSecret": "nats-pw"}}},
        {**EXTERNAL, "nats": {**EXTERNAL["nats"], "auth": {"enabled": True, "existingSecret": "nats-pw"}}},
    ],
    ids=["default", "generated", "existing-secret", "external"],
)
def test_every_service_connects_as_itself(render: Render, values: dict[str, Any]) -> None:
    docs = render(values)
    for doc in docs:
        kubernetes_validate.validate(doc, "1.33", strict=True)
    nats_values = values.get("nats", {})
    secret = nats_values.get("auth", {}).get("existingSecret") or "mlops-nats-auth"
    deployments = of_kind(docs, "Deployment")
    assert len(deployments) == len(SERVICES)
    for service in SERVICES:
        env = env_of(deployments[f"mlops-{service}"])
        assert env["MLOPS_NATS_USER"]["value"] == service
        assert env["MLOPS_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": secret,
            "key": password_env(service),
        }
    if nats_values.get("enabled") is False:
        assert not of_kind(docs, "StatefulSet").get("mlops-nats")
        assert not of_kind(docs, "Secret").get("mlops-nats-auth")
        return
    nats_set = of_kind(docs, "StatefulSet")["mlops-nats"]
    (container,) = nats_set["spec"]["template"]["spec"]["containers"]
    assert "--config=/etc/nats/authorization.conf" in container["args"]
    assert {"name": "config", "mountPath": "/etc/nats", "readOnly": True} in container["volumeMounts"]
    env = env_of(nats_set)
    for service in SERVICES:
        assert env[password_env(service)]["valueFrom"]["secretKeyRef"]["name"] == secret
    config = of_kind(docs, "ConfigMap")["mlops-nats"]
    assert config["data"]["authorization.conf"] == chart_authorization()
    assert ("mlops-nats-auth" in of_kind(docs, "Secret")) == (secret == "mlops-nats-auth")


def test_on_by_default(render: Render) -> None:
    docs = render({})
    assert "mlops-nats" in of_kind(docs, "ConfigMap")
    assert set(of_kind(docs, "Secret")["mlops-nats-auth"]["data"]) == {password_env(s) for s in SERVICES}
    assert all("MLOPS_NATS_USER" in env_of(d) for d in of_kind(docs, "Deployment").values())


def test_can_be_turned_off(render: Render) -> None:
    docs = render({"nats": {"auth": {"enabled": False}}})
    assert not of_kind(docs, "ConfigMap")
    assert "mlops-nats-auth" not in of_kind(docs, "Secret")
    (container,) = of_kind(docs, "StatefulSet")["mlops-nats"]["spec"]["template"]["spec"]["containers"]
    assert not any(arg.startswith("--config") for arg in container["args"])
    for deployment in of_kind(docs, "Deployment").values():
        assert not {"MLOPS_NATS_USER", "MLOPS_NATS_PASSWORD"} & set(env_of(deployment))


def test_external_nats_with_auth_needs_the_secret(render: Render) -> None:
    assert "nats.auth.existingSecret is required" in render(EXTERNAL, fails=True)


@pytest.fixture
def chart_nats(render: Render, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A nats-server run as the chart runs it: the ConfigMap's file, passwords from the Secret."""
    docs = render({})
    config = tmp_path / "authorization.conf"
    config.write_text(of_kind(docs, "ConfigMap")["mlops-nats"]["data"]["authorization.conf"])
    secret = of_kind(docs, "Secret")["mlops-nats-auth"]["data"]
    passwords = {s: base64.b64decode(secret[password_env(s)]).decode() for s in SERVICES}
    assert len(set(passwords.values())) == len(SERVICES)
    port = free_port()
    argv = [nats_server_binary(), "--config", str(config), "--addr", "127.0.0.1", "--port", str(port)]
    argv += ["--jetstream", "--store_dir", str(tmp_path / "store")]
    server_env = {**os.environ, **{password_env(s): p for s, p in passwords.items()}}
    with serving(argv, port, tmp_path / "nats.log", server_env):
        yield f"nats://127.0.0.1:{port}", passwords


async def test_the_rendered_config_is_enforced_by_a_real_server(
    chart_nats: tuple[str, dict[str, str]],
) -> None:
    url, passwords = chart_nats

    async def connect(service: str) -> Bus:
        return await Bus.connect(
            url, f"{service}/t", service=service, user=service, password=passwords[service]
        )

    gateway, registry = await connect("gateway"), await connect("registry")
    try:
        await gateway.provision()
        await registry.provision()
        await gateway.publish("cmd.registry.system.ping", b"{}")
        with pytest.raises((NatsTimeout, TimeoutError)):
            await registry.js.publish("cmd.workflow.system.ping", b"{}", timeout=1)
        assert (await gateway.js.stream_info("CMD_WORKFLOW")).state.messages == 0
        assert (await gateway.js.stream_info("CMD_REGISTRY")).state.messages == 1
    finally:
        await registry.close()
        await gateway.close()
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(url, user="registry", password=passwords["gateway"], allow_reconnect=False)
