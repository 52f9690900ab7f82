"""docker-compose.yml, the Dockerfile and .dockerignore, checked statically.

There is no Docker engine here (and no `docker compose` plugin), so the compose file is
loaded with PyYAML, its `${VAR:-default}` interpolation applied as Compose would with an
empty environment, and its structure asserted. The healthcheck command the services use is
run for real against a small HTTP server.
"""

from __future__ import annotations

import http.server
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
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
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def interpolate(value: Any) -> Any:
    """Compose's `${VAR:-default}` with an empty environment (nothing set in the shell)."""
    if isinstance(value, str):
        assert "$$" not in value
        resolved = _VARIABLE.sub(lambda m: m.group("default") or "", value)
        assert "$" not in resolved, f"unsupported interpolation in {value!r}"
        return resolved
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    return value


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    return interpolate(raw)


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


def test_nats_runs_jetstream_on_a_volume_with_a_healthcheck(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    assert nats["image"] == "nats:2.11-alpine"
    args = command_of(nats)
    assert "-js" in args
    assert args[args.index("-sd") + 1] == "/data"
    assert args[args.index("-m") + 1] == "8222"
    assert "nats-data:/data" in nats["volumes"]
    check = " ".join(healthcheck_argv(nats))
    assert "8222/healthz" in check
    assert "curl" not in check  # the alpine image has busybox wget, not curl


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
