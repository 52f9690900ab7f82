"""docker-compose.yml, .env.example, the Dockerfile and .dockerignore, checked statically.

There is no Docker engine here (and no `docker compose` plugin), so the compose file is
loaded with PyYAML, its `${VAR:-default}` and `${VAR:?error}` interpolation applied as Compose
would with a .env made from .env.example, and its structure asserted. The healthcheck command
the services use is run for real against a small HTTP server, and a real nats-server is started
from the compose NATS configuration and the files it mounts.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import nats
import pytest
import yaml

from services.cli.nats_auth import chart_authorization, password_env
from services.cli.natsd import nats_server_binary
from services.cli.ports import free_port
from services.gateway.secrets import MIN_KEY_CHARS
from tests.servers import serving

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
CHART_AUTHORIZATION = REPO / "deploy" / "helm" / "mlops" / "files" / "nats-authorization.conf"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

SERVICES = ("gateway", "workflow", "registry", "infra", "assistant")
REQUIRED_ENV = {
    "MLOPS_NATS_URL",
    "MLOPS_DATABASE_URL",
    "MLOPS_HTTP_HOST",
    "MLOPS_HTTP_PORT",
    "MLOPS_HOME",
    "MLOPS_LOG_LEVEL",
    "MLOPS_OTLP_ENDPOINT",
}
# Variables docker compose refuses to start without (`${VAR:?...}`).
SECRETS = {*(password_env(name) for name in SERVICES), "MLOPS_SECRET_KEY", "MLOPS_ADMIN_PASSWORD"}
PLACEHOLDER = "CHANGE_ME"
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    """A `${VAR:?error}` whose variable is unset or empty: docker compose refuses to start."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` with the variables ``env``."""
    if isinstance(value, str):
        assert "$$" not in value

        def resolve(m: re.Match[str]) -> str:
            if env.get(m["name"]):
                return env[m["name"]]
            if m["op"] == ":?":
                raise MissingVariable(f"{m['name']}: {m['arg']}")
            return m["arg"] or ""

        resolved = _VARIABLE.sub(resolve, value)
        assert "$" not in resolved, f"unsupported interpolation in {value!r}"
        return resolved
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value


def variables(value: Any) -> Iterator[re.Match[str]]:
    """Every `${...}` in the compose file."""
    if isinstance(value, str):
        yield from _VARIABLE.finditer(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from variables(v)
    elif isinstance(value, list):
        for v in value:
            yield from variables(v)


def dotenv(text: str) -> dict[str, str]:
    """The KEY=value lines of an .env file (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def dot_env() -> dict[str, str]:
    """.env.example with each placeholder replaced by a value of its own, as the user is told to."""
    return {
        key: f"{key.lower()}-0123456789abcdef0123456789abcdef" if value == PLACEHOLDER else value
        for key, value in dotenv(ENV_EXAMPLE.read_text()).items()
    }


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any], dot_env: dict[str, str]) -> dict[str, Any]:
    return interpolate(raw, dot_env)


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def healthcheck_argv(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", test]
    assert test[0] in {"CMD", "CMD-SHELL"}
    return test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]


def test_all_services_are_defined(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"nats", "postgres", *SERVICES}
    assert set(compose["volumes"]) >= {"nats-data", "postgres-data"}


def mounted_files(service: dict[str, Any]) -> dict[str, Path]:
    """The repository files a container mounts: container path -> file in the repository."""
    files = {}
    for volume in service["volumes"]:
        source, target, *_ = volume.split(":")
        if source.startswith("."):
            files[target] = (REPO / source).resolve()
    return files


def nats_config(service: dict[str, Any]) -> tuple[PurePosixPath, str]:
    """Container path and text of the configuration the NATS container starts with."""
    argv = command_of(service)
    assert argv[0] == "nats-server"
    path = PurePosixPath(argv[argv.index("--config") + 1])
    return path, mounted_files(service)[str(path)].read_text()


def test_nats_runs_jetstream_on_a_volume_with_a_healthcheck(compose: dict[str, Any]) -> None:
    server = compose["services"]["nats"]
    assert server["image"] == "nats:2.11-alpine"
    _, config = nats_config(server)
    assert re.search(r'^jetstream\s*\{[^}]*\bstore_dir:\s*"/data"', config, re.M)
    assert "nats-data:/data" in server["volumes"]
    assert re.search(r"^port:\s*4222$", config, re.M)  # MLOPS_NATS_URL
    assert re.search(r"^http_port:\s*8222$", config, re.M)  # the healthcheck
    check = " ".join(healthcheck_argv(server))
    assert "8222/healthz" in check
    assert "curl" not in check  # the alpine image has busybox wget, not curl


def test_nats_has_the_users_of_the_chart(compose: dict[str, Any], raw: dict[str, Any]) -> None:
    server = compose["services"]["nats"]
    path, config = nats_config(server)
    (include,) = re.findall(r'^include\s+"?([^"\s]+)"?\s*$', config, re.M)
    # The very file the Helm chart renders into its ConfigMap, generated from the permission table.
    assert mounted_files(server)[str(path.parent / include)] == CHART_AUTHORIZATION.resolve()
    authorization = CHART_AUTHORIZATION.read_text()
    assert authorization == chart_authorization(), "run: python -m services.cli.nats_auth > " + str(
        CHART_AUTHORIZATION.relative_to(REPO)
    )
    assert all(v.endswith(":ro") for v in raw["services"]["nats"]["volumes"] if v.startswith("."))
    # Every password the file reads is in the server's environment, and compose requires it.
    wanted = set(re.findall(r"password: \$(\w+)$", authorization, re.M))
    assert wanted == {password_env(name) for name in SERVICES}
    environment = raw["services"]["nats"]["environment"]
    assert set(environment) == wanted
    for variable in wanted:
        assert required(environment[variable]) == variable


def required(value: Any) -> str | None:
    """The variable of a value that is exactly `${VAR:?error}`, else None."""
    match = _VARIABLE.fullmatch(value) if isinstance(value, str) else None
    return match["name"] if match and match["op"] == ":?" and ".env.example" in match["arg"] else None


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_signs_in_to_nats_as_itself(
    compose: dict[str, Any], raw: dict[str, Any], name: str
) -> None:
    env = raw["services"][name]["environment"]
    assert env["MLOPS_NATS_USER"] == name
    assert required(env["MLOPS_NATS_PASSWORD"]) == password_env(name)
    # The same value as the NATS server's own copy of that user's password.
    assert (
        compose["services"][name]["environment"]["MLOPS_NATS_PASSWORD"]
        == compose["services"]["nats"]["environment"][password_env(name)]
    )
    gateway_only = {"MLOPS_SECRET_KEY", "MLOPS_ADMIN_PASSWORD"}
    if name == "gateway":
        assert {variable: required(env[variable]) for variable in gateway_only} == {
            variable: variable for variable in gateway_only
        }
    else:
        assert not gateway_only & set(env)


def test_compose_refuses_to_start_without_the_secrets(raw: dict[str, Any], dot_env: dict[str, str]) -> None:
    assert {m["name"] for m in variables(raw) if m["op"] == ":?"} == SECRETS
    for variable in SECRETS:
        for missing in ({}, {variable: ""}):
            env = {k: v for k, v in dot_env.items() if k != variable} | missing
            with pytest.raises(MissingVariable, match=variable):
                interpolate(raw, env)


def test_env_example_lists_every_variable(raw: dict[str, Any]) -> None:
    text = ENV_EXAMPLE.read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.M))
    passed_through = {
        key
        for service in raw["services"].values()
        for key, value in service.get("environment", {}).items()
        if value is None
    }
    assert {m["name"] for m in variables(raw)} | passed_through <= listed
    # Each secret is a placeholder to replace; none has a usable value.
    example = dotenv(text)
    assert {key for key, value in example.items() if value == PLACEHOLDER} >= SECRETS
    assert "openssl rand" in text


def test_env_example_one_liner_makes_a_private_env_with_fresh_values(
    raw: dict[str, Any], tmp_path: Path
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    (command,) = (
        line.lstrip("#").strip() for line in ENV_EXAMPLE.read_text().splitlines() if "> .env" in line
    )
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env.example")
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, timeout=30)
    made = tmp_path / ".env"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    env = dotenv(made.read_text())
    fresh = [value for key, value in env.items() if dotenv(ENV_EXAMPLE.read_text())[key] == PLACEHOLDER]
    assert PLACEHOLDER not in env.values()
    assert len(set(fresh)) == len(fresh) >= len(SECRETS)
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in fresh)
    assert len(env["MLOPS_SECRET_KEY"]) >= MIN_KEY_CHARS
    interpolate(raw, env)  # nothing missing


@pytest.fixture
def compose_nats(compose: dict[str, Any], tmp_path: Path) -> Iterator[tuple[str, int]]:
    """nats-server started as the compose NATS container: its command, mounted files and
    environment; the /data volume, the client port and the monitoring port moved for the test."""
    server = compose["services"]["nats"]
    root = tmp_path / "container"
    for target, source in mounted_files(server).items():
        copy = root / target.lstrip("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(source.read_text())
    path, config = nats_config(server)
    assert config.count('"/data"') == 1  # store_dir (the flag would clash with it)
    (root / str(path).lstrip("/")).write_text(config.replace('"/data"', json.dumps(str(tmp_path / "data"))))
    port, monitor = free_port(), free_port()
    argv = command_of(server)
    argv = [nats_server_binary(), *argv[1:], "--addr", "127.0.0.1", "--port", str(port)]
    argv += ["--http_port", str(monitor)]
    argv[argv.index("--config") + 1] = str(root / str(path).lstrip("/"))
    with serving(argv, port, tmp_path / "nats.log", {**os.environ, **server["environment"]}):
        yield f"nats://127.0.0.1:{port}", monitor


async def test_the_compose_nats_lets_in_each_service_and_nobody_else(
    compose: dict[str, Any], compose_nats: tuple[str, int]
) -> None:
    url, monitor = compose_nats
    for name in SERVICES:
        env = compose["services"][name]["environment"]
        client = await nats.connect(
            url, user=env["MLOPS_NATS_USER"], password=env["MLOPS_NATS_PASSWORD"], allow_reconnect=False
        )
        await client.close()
    gateway_password = compose["services"]["gateway"]["environment"]["MLOPS_NATS_PASSWORD"]
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(url, user="registry", password=gateway_password, allow_reconnect=False)
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(url, allow_reconnect=False)
    # The healthcheck's URL answers without credentials once JetStream is up.
    (health,) = (arg for arg in healthcheck_argv(compose["services"]["nats"]) if arg.startswith("http://"))
    health = health.replace(":8222/", f":{monitor}/")
    with await asyncio.to_thread(urllib.request.urlopen, health, timeout=5) as response:
        assert response.status == 200


def test_postgres_16_on_a_volume_with_pg_isready(compose: dict[str, Any]) -> None:
    pg = compose["services"]["postgres"]
    assert pg["image"] == "postgres:16-alpine"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in pg["volumes"])
    assert healthcheck_argv(pg)[0] == "pg_isready"
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"} <= set(pg["environment"])


@pytest.mark.parametrize("name", SERVICES)
def test_platform_service(compose: dict[str, Any], raw: dict[str, Any], name: str) -> None:
    svc = compose["services"][name]
    assert svc["build"]["context"] == "."
    assert (REPO / svc["build"].get("dockerfile", "Dockerfile")).is_file()
    assert svc["image"] == compose["services"]["gateway"]["image"]  # one image for all five
    assert command_of(svc) == ["python", "-m", f"services.{name}"]

    env = svc["environment"]
    assert set(env) >= REQUIRED_ENV
    port = 8000 if name == "gateway" else 8080
    assert str(env["MLOPS_HTTP_PORT"]) == str(port)
    assert env["MLOPS_HTTP_HOST"] == "0.0.0.0"
    assert env["MLOPS_NATS_URL"] == "nats://nats:4222"
    assert env["MLOPS_HOME"].startswith("/")
    assert env["MLOPS_LOG_LEVEL"] == "INFO"
    # Unset in the shell means unset in the container (a key without a value).
    assert raw["services"][name]["environment"]["MLOPS_OTLP_ENDPOINT"] is None

    # The database URL matches the postgres service's credentials.
    pg_env = compose["services"]["postgres"]["environment"]
    db = urlsplit(env["MLOPS_DATABASE_URL"])
    assert db.scheme == "postgresql+asyncpg"
    assert (db.hostname, db.port) == ("postgres", 5432)
    assert db.username == pg_env["POSTGRES_USER"]
    assert db.password == pg_env["POSTGRES_PASSWORD"]
    assert db.path == f"/{pg_env['POSTGRES_DB']}"

    assert svc["depends_on"] == {
        "nats": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }

    argv = healthcheck_argv(svc)
    assert argv[:2] == ["python", "-c"]  # python:3.11-slim has no curl
    assert "urllib" in argv[2] and "/healthz" in argv[2]

    # MLOPS_HOME is writable on a read-only root filesystem.
    assert svc.get("read_only") is True
    assert any(v.split(":")[1] == env["MLOPS_HOME"] for v in svc["volumes"])
    assert "/tmp" in svc["tmpfs"]

    if name == "gateway":
        assert svc["ports"] == ["8000:8000"]
    else:
        assert "ports" not in svc


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[int, type[_Health]]]:
    handler = type("Handler", (_Health,), {"status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def test_service_healthcheck_command_works(
    compose: dict[str, Any], health_server: tuple[int, type[_Health]]
) -> None:
    port, handler = health_server
    argv = healthcheck_argv(compose["services"]["workflow"])
    argv = [sys.executable, *argv[1:]]
    env = {**os.environ, "MLOPS_HTTP_PORT": str(port)}

    ok = subprocess.run(argv, env=env, capture_output=True, timeout=30)
    assert ok.returncode == 0, ok.stderr

    handler.status = 503
    failing = subprocess.run(argv, env=env, capture_output=True, timeout=30)
    assert failing.returncode != 0


# --- Dockerfile and .dockerignore ------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_builds_the_control_plane_as_non_root() -> None:
    instructions = dockerfile_instructions()
    args = dict(rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG" and "=" in rest)
    stages = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    assert stages[-1] == "${PYTHON_IMAGE}"  # the runtime stage

    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert 'pip install -c constraints.txt ".[infra,assistant]"' in runs
    assert "torch" not in DOCKERFILE.read_text().replace("no torch", "")

    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}

    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "MLOPS_HOME=/var/lib/mlops" in env
    assert "MLOPS_HTTP_HOST=0.0.0.0" in env
    # The gateway's web_dist default points into site-packages; the built UI is elsewhere.
    assert "MLOPS_WEB_DIST=/app/web/dist" in env
    assert "COPY --from=web /src/web/dist /app/web/dist" in " ".join(
        f"{keyword} {rest}" for keyword, rest in instructions
    )
    assert "curl" not in " ".join(rest for keyword, rest in instructions if keyword == "HEALTHCHECK")


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".tools", "web/node_modules", "**/__pycache__"} <= patterns
    # What the build needs must stay in the context.
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "contracts", "services", "ml", "web"):
        assert needed not in patterns
