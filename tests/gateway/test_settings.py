"""Settings over HTTP: masks, partial updates, validation, the secrets query, and no secret anywhere."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import MetaData, select

from contracts.envelope import SYSTEM_ACTOR
from contracts.gateway import SETTINGS_SECRET, SecretRequest
from contracts.messages import QueryReply, spec
from services.kit.bus import Bus
from services.kit.db import create_engine
from tests.factories import events, wait_for

PROBLEM = "application/problem+json"
KEY_A = "first-secret-key-for-tests-0123456789abcdef"
KEY_B = "second-secret-key-for-tests-0123456789abcdef"


def clear_value(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}{uuid.uuid4().hex}"


def ca_certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-cluster-ca")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def kubeconfig(token: str, contexts: tuple[str, ...] = ("dev", "prod"), user: str = "") -> str:
    user = user or f"      token: {token}\n"
    entries = "".join(
        f"- name: {name}\n  context:\n    cluster: c1\n    user: u1\n    namespace: ml\n" for name in contexts
    )
    return (
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: c1\n  cluster:\n    server: https://10.0.0.1:6443\n"
        f"users:\n- name: u1\n  user:\n{user}"
        f"contexts:\n{entries}"
        f"current-context: {contexts[0]}\n"
    )


@pytest.fixture
def platform(platform_factory: Any) -> Callable[..., Any]:
    return platform_factory  # type: ignore[no-any-return]


async def ask(bus: Bus, group: str, fields: list[str] | None = None, asker: str | None = None) -> QueryReply:
    """Ask for secrets from the connection of ``asker`` (by default a service entitled to ``group``)."""
    asker = asker or ("assistant" if group == "llm" else "infra")
    url = bus.nc.connected_url
    assert url is not None
    connection = await Bus.connect(f"nats://{url.hostname}:{url.port}", f"{asker}/test", service=asker)
    query = spec(SETTINGS_SECRET)
    envelope = query.envelope(
        source=f"{asker}/test",
        correlation_id="secrets",
        actor=SYSTEM_ACTOR,
        data=SecretRequest.model_validate({"group": group, "fields": fields}),
    )
    try:
        return await connection.query(query, envelope, timeout=5)
    finally:
        await connection.close()


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.args!r} {record.exc_text or ''}")


@contextmanager
def recorded_logs() -> Iterator[Recorder]:
    recorder = Recorder()
    logging.getLogger().addHandler(recorder)
    try:
        yield recorder
    finally:
        logging.getLogger().removeHandler(recorder)


async def database_values(url: str) -> list[Any]:
    """Every value of every column of every row of every table."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            metadata = MetaData()
            await conn.run_sync(metadata.reflect)
            values: list[Any] = []
            for table in metadata.sorted_tables:
                for row in await conn.execute(select(table)):
                    values.extend(row)
            return values
    finally:
        await engine.dispose()


def hits(needles: list[str], haystacks: list[Any]) -> list[str]:
    found = []
    for needle in needles:
        for value in haystacks:
            text = value if isinstance(value, str | bytes) else json.dumps(value, default=str)
            if (needle.encode() if isinstance(text, bytes) else needle) in text:
                found.append(needle)
    return found


class TestNoSecretAnywhere:
    async def test_each_secret_set_through_the_api_is_nowhere_in_clear(
        self,
        platform: Any,
        bus: Bus,
        database_url: str,
        tmp_path: Path,
        capfd: pytest.CaptureFixture[str],
    ) -> None:
        secrets = {
            name: clear_value(name)
            for name in (
                "anthropic",
                "openai",
                "compatible",
                "kube-user-token",
                "bearer",
                "registry",
                "s3",
            )
        }
        document = kubeconfig(secrets["kube-user-token"])
        responses: list[httpx.Response] = []
        async with platform(
            services=(), database_url=database_url, secret_key=KEY_A, log_level="DEBUG", log_format="json"
        ) as running:
            with recorded_logs() as logs:
                http = running.http
                writes = [
                    http.post(
                        "/api/settings/llm_keys",
                        json={
                            "claude_api_key": secrets["anthropic"],
                            "openai_api_key": secrets["openai"],
                            "openai_compatible_base_url": "https://llm.example.com/v1",
                            "openai_compatible_api_key": secrets["compatible"],
                            "default_provider": "anthropic",
                        },
                    ),
                    http.post("/api/settings/kubeconfig", json={"kubeconfig": document, "context": "prod"}),
                    http.put(
                        "/api/settings/kubernetes",
                        json={"bearer_token": secrets["bearer"], "api_server_url": "https://10.0.0.1:6443"},
                    ),
                    http.put(
                        "/api/settings/container_registry",
                        json={
                            "url": "registry.example.com/ml",
                            "username": "ci",
                            "password": secrets["registry"],
                        },
                    ),
                    http.put(
                        "/api/settings/artifact_store",
                        json={
                            "kind": "s3",
                            "bucket": "models",
                            "access_key_id": "AKIAEXAMPLE",
                            "secret_access_key": secrets["s3"],
                        },
                    ),
                ]
                for write in writes:
                    responses.append(await write)
                    assert responses[-1].status_code == 200, responses[-1].text
                for refused in (
                    http.put("/api/settings/llm", json={"openai_api_key": secrets["openai"] + "\nx"}),
                    http.post("/api/settings/llm_keys", json={"openai_api_key": [secrets["openai"]]}),
                ):
                    responses.append(await refused)
                    assert responses[-1].status_code == 422
                responses.append(await http.get("/api/settings"))
                for group in ("llm", "kubernetes", "container_registry", "artifact_store"):
                    responses.append(await http.get(f"/api/settings/{group}"))
                responses.append(await http.get("/openapi.json"))
                revealed = {group: await ask(bus, group) for group in ("llm", "kubernetes")}

                async def published() -> list[dict[str, Any]]:
                    found = await events(bus, "evt.gateway.settings.>")
                    return found if len(found) == 5 else []

                settings_events = await wait_for(published, what="five settings.changed events")
                every_event = await events(bus)
            log_lines = logs.lines
        stderr = capfd.readouterr().err

        assert (
            revealed["llm"].ok and revealed["llm"].data["values"]["anthropic_api_key"] == secrets["anthropic"]
        )
        assert revealed["kubernetes"].data["values"]["kubeconfig"] == document.strip()
        assert revealed["kubernetes"].data["values"]["context"] == "prod"
        needles = [v for value in secrets.values() for v in (value, value[:24])] + [document]
        assert len(log_lines) > 10 and '"level": "debug"' in stderr  # the nets were cast
        assert hits(needles, [r.text for r in responses]) == []
        assert hits(needles, [*log_lines, stderr]) == []
        assert hits(needles, [json.dumps(e) for e in every_event]) == []
        assert hits(needles, await database_values(database_url)) == []
        if database_url.startswith("sqlite"):
            files = Path(database_url.split("///", 1)[1])
            raw = [p.read_bytes() for p in files.parent.glob(files.name + "*")]
            assert hits(needles, raw) == []
        assert [e["data"] for e in settings_events] == [
            {
                "group": "llm",
                "fields": sorted(
                    [
                        "anthropic_api_key",
                        "openai_api_key",
                        "openai_compatible_base_url",
                        "openai_compatible_api_key",
                        "default_provider",
                    ]
                ),
            },
            {"group": "kubernetes", "fields": ["context", "kubeconfig", "mode"]},
            {"group": "kubernetes", "fields": ["api_server_url", "bearer_token"]},
            {"group": "container_registry", "fields": ["password", "url", "username"]},
            {"group": "artifact_store", "fields": ["access_key_id", "bucket", "kind", "secret_access_key"]},
        ]
        assert {e["actor"]["id"] for e in settings_events} == {"admin"}


class TestMasks:
    async def test_secrets_show_as_set_with_their_last_four_characters(self, platform: Any) -> None:
        openai = clear_value("openai")
        async with platform(services=()) as running:
            response = await running.http.post(
                "/api/settings/llm_keys", json={"openai_api_key": openai, "anthropic_api_key": "short-key"}
            )
            every = (await running.http.get("/api/settings")).json()
        assert response.status_code == 200
        body = response.json()
        assert body["openai_api_key"] == {"set": True, "last4": f"…{openai[-4:]}"}
        assert body["anthropic_api_key"] == {"set": True, "last4": None}  # too short to show any of it
        assert body["openai_compatible_api_key"] == {"set": False, "last4": None}
        assert body["updated_by"] == "admin" and body["updated_at"]
        assert every["llm"] == body
        assert every["kubernetes"]["kubeconfig"] == {"set": False, "last4": None}
        assert every["kubernetes"]["default_namespace"] == "default"
        assert every["artifact_store"]["kind"] == "local"
        assert every["container_registry"]["updated_at"] is None

    async def test_an_uploaded_kubeconfig_shows_its_contexts_not_its_tail(self, platform: Any) -> None:
        async with platform(services=()) as running:
            response = await running.http.post(
                "/api/settings/kubeconfig",
                json={"kubeconfig": kubeconfig(clear_value("token")), "default_namespace": "ml-team"},
            )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["mode"] == "kubeconfig"
        assert body["kubeconfig"] == {"set": True, "last4": None}
        assert body["kubeconfig_contexts"] == ["dev", "prod"]
        assert body["kubeconfig_current_context"] == "dev"
        assert body["default_namespace"] == "ml-team"
        assert body["missing"] == []

    async def test_missing_names_what_the_chosen_options_still_need(self, platform: Any) -> None:
        async with platform(services=()) as running:
            kubernetes = await running.http.put("/api/settings/kubernetes", json={"mode": "token"})
            store = await running.http.put(
                "/api/settings/artifact_store", json={"kind": "s3", "access_key_id": "AKIAEXAMPLE"}
            )
        assert kubernetes.json()["missing"] == ["api_server_url", "bearer_token"]
        assert store.json()["missing"] == ["bucket", "secret_access_key"]

    async def test_viewers_see_masks_and_may_not_change(self, platform: Any) -> None:
        async with platform(services=()) as running:
            await running.http.put("/api/settings/container_registry", json={"password": clear_value("p")})
            viewer = await running.user("viewer")
            seen = await viewer.get("/api/settings/container_registry")
            changed = await viewer.put("/api/settings/container_registry", json={"password": None})
        assert seen.status_code == 200 and seen.json()["password"]["set"] is True
        assert changed.status_code == 403
        assert changed.headers["content-type"] == PROBLEM


class TestPartialUpdate:
    async def test_omitted_secrets_keep_their_value_and_null_clears(self, platform: Any, bus: Bus) -> None:
        password = clear_value("registry")
        async with platform(services=()) as running:
            http = running.http
            await http.put(
                "/api/settings/container_registry",
                json={"url": "registry.example.com", "username": "ci", "password": password},
            )
            renamed = await http.put("/api/settings/container_registry", json={"username": "deploy"})
            kept = await ask(bus, "container_registry")
            cleared = await http.put("/api/settings/container_registry", json={"password": None, "url": None})
            after = await ask(bus, "container_registry")
        assert renamed.json()["password"] == {"set": True, "last4": f"…{password[-4:]}"}
        assert renamed.json()["username"] == "deploy"
        assert kept.data["values"] == {
            "url": "registry.example.com",
            "username": "deploy",
            "password": password,
        }
        assert cleared.json()["password"] == {"set": False, "last4": None}
        assert cleared.json()["url"] is None
        assert after.data["values"] == {"url": None, "username": "deploy", "password": None}

    async def test_an_empty_body_changes_nothing(self, platform: Any, bus: Bus) -> None:
        async with platform(services=()) as running:
            response = await running.http.put("/api/settings/llm", json={})
        assert response.status_code == 200
        assert response.json()["updated_at"] is None
        assert await events(bus, "evt.gateway.settings.>") == []

    async def test_a_new_kubeconfig_must_still_hold_the_chosen_context(self, platform: Any) -> None:
        async with platform(services=()) as running:
            http = running.http
            await http.post(
                "/api/settings/kubeconfig", json={"kubeconfig": kubeconfig("t" * 20), "context": "prod"}
            )
            refused = await http.post(
                "/api/settings/kubeconfig", json={"kubeconfig": kubeconfig("t" * 20, ("dev",))}
            )
            switched = await http.post(
                "/api/settings/kubeconfig",
                json={"kubeconfig": kubeconfig("t" * 20, ("dev",)), "context": None},
            )
            unknown = await http.put("/api/settings/kubernetes", json={"context": "staging"})
        assert refused.status_code == 422
        assert refused.json()["field"] == "context"
        assert refused.json()["detail"] == "context 'prod' is not in the kubeconfig; it defines dev"
        assert switched.status_code == 200 and switched.json()["context"] is None
        assert unknown.status_code == 422 and unknown.json()["field"] == "context"


class TestValidation:
    @pytest.mark.parametrize(
        ("group", "body", "field", "message"),
        [
            ("llm", {"colour": "red"}, "colour", "Extra inputs are not permitted"),
            (
                "llm",
                {"openai_compatible_base_url": "ftp://x"},
                "openai_compatible_base_url",
                "http:// or https://",
            ),
            (
                "llm",
                {"openai_compatible_base_url": "https://u:p@x"},
                "openai_compatible_base_url",
                "credentials",
            ),
            ("llm", {"default_provider": "gemini"}, "default_provider", "Input should be"),
            ("llm", {"openai_api_key": "  "}, "openai_api_key", "send null to clear it"),
            ("llm", {"openai_api_key": "a\nb"}, "openai_api_key", "one line"),
            ("kubernetes", {"default_namespace": "ML_Team"}, "default_namespace", "DNS-1123 label"),
            ("kubernetes", {"ca_certificate": "not a cert"}, "ca_certificate", "PEM certificates"),
            ("kubernetes", {"mode": "magic"}, "mode", "Input should be"),
            ("container_registry", {"url": "registry example.com"}, "url", "registry host"),
            ("artifact_store", {"local_path": "relative/dir"}, "local_path", "absolute path"),
            ("artifact_store", {"bucket": "No_Such"}, "bucket", "S3 bucket name"),
        ],
    )
    async def test_invalid_fields_are_named(
        self, platform: Any, group: str, body: dict[str, Any], field: str, message: str
    ) -> None:
        async with platform(services=()) as running:
            response = await running.http.put(f"/api/settings/{group}", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        error = response.json()["errors"][0]
        assert error["field"] == field
        assert message in error["message"]

    async def test_a_valid_ca_certificate_is_kept(self, platform: Any) -> None:
        pem = ca_certificate()
        async with platform(services=()) as running:
            response = await running.http.put("/api/settings/kubernetes", json={"ca_certificate": pem})
        assert response.status_code == 200
        assert response.json()["ca_certificate"] == pem

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ("clusters: [unclosed\n  token: secret-in-bad-yaml", "is not valid YAML (line"),
            ("- just\n- a list\n", "must be a kubeconfig"),
            ("clusters: []\ncontexts: []\nusers: []\n", "has no clusters"),
            (
                kubeconfig("x", user="      exec:\n        command: secret-in-exec\n"),
                "users[0].user.exec is not supported",
            ),
            (kubeconfig("x", user="      tokenFile: /etc/secret-in-path\n"), "refers to a file"),
        ],
        ids=["yaml", "list", "empty", "exec", "file"],
    )
    async def test_a_bad_kubeconfig_is_refused_without_echoing_it(
        self, platform: Any, document: str, message: str
    ) -> None:
        async with platform(services=()) as running:
            response = await running.http.post("/api/settings/kubeconfig", json={"kubeconfig": document})
        assert response.status_code == 422
        assert response.json()["field"] == "kubeconfig"
        assert message in response.json()["detail"]
        assert "secret-in" not in response.text

    async def test_a_kubeconfig_over_256_kib_is_refused(self, platform: Any) -> None:
        document = kubeconfig("x") + "#" * (256 * 1024)
        async with platform(services=()) as running:
            response = await running.http.post("/api/settings/kubeconfig", json={"kubeconfig": document})
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "kubeconfig",
            "message": "must be at most 262144 characters",
        }

    async def test_an_unknown_group_and_a_body_that_is_not_json(self, platform: Any) -> None:
        async with platform(services=()) as running:
            unknown = await running.http.put("/api/settings/billing", json={})
            garbled = await running.http.put(
                "/api/settings/llm", content=b"{nope", headers={"content-type": "application/json"}
            )
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "path.group"
        assert garbled.status_code == 422 and garbled.json()["errors"][0]["field"] == "body"


class TestSecretQuery:
    async def test_each_service_reads_only_the_groups_it_needs(self, platform: Any, bus: Bus) -> None:
        async with platform(services=()):
            refused = {
                (asker, group): await ask(bus, group, asker=asker)
                for asker, group in [
                    ("registry", "llm"),
                    ("assistant", "kubernetes"),
                    ("infra", "llm"),
                    ("test", "llm"),
                ]
            }
            allowed = await ask(bus, "llm", asker="assistant")
        for reply in refused.values():
            assert not reply.ok and reply.error is not None and reply.error.code == "forbidden"
        assert allowed.ok

    async def test_services_get_the_values_in_clear(self, platform: Any, bus: Bus) -> None:
        token, pem = clear_value("bearer"), ca_certificate()
        async with platform(services=()) as running:
            await running.http.put(
                "/api/settings/kubernetes",
                json={
                    "mode": "token",
                    "api_server_url": "https://k8s:6443",
                    "ca_certificate": pem,
                    "bearer_token": token,
                },
            )
            every = await ask(bus, "kubernetes")
            some = await ask(bus, "kubernetes", ["bearer_token"])
            unknown = await ask(bus, "kubernetes", ["password"])
        assert every.ok and every.data["values"]["bearer_token"] == token
        assert every.data["values"]["ca_certificate"] == pem
        assert every.data["values"]["kubeconfig"] is None
        assert every.data["values"]["default_namespace"] == "default"
        assert every.data["updated_at"]
        assert some.data["values"] == {"bearer_token": token}
        assert not unknown.ok and unknown.error is not None
        assert (unknown.error.code, unknown.error.status) == ("invalid_request", 422)

    async def test_after_the_key_changed_secrets_are_unreadable_with_a_clear_error(
        self, platform: Any, bus: Bus
    ) -> None:
        anthropic, openai = clear_value("anthropic"), clear_value("openai")
        async with platform(services=(), secret_key=KEY_A) as running:
            await running.http.post(
                "/api/settings/llm_keys",
                json={"anthropic_api_key": anthropic, "openai_api_key": openai, "default_provider": "openai"},
            )
            assert (await ask(bus, "llm")).data["values"]["openai_api_key"] == openai

        async with platform(services=(), secret_key=KEY_B) as running:
            shown = await running.http.get("/api/settings/llm")
            unreadable = await ask(bus, "llm")
            await running.http.post("/api/settings/llm_keys", json={"openai_api_key": openai})
            reentered = await ask(bus, "llm", ["openai_api_key", "default_provider"])
            still = await ask(bus, "llm", ["anthropic_api_key"])

        assert shown.status_code == 200
        assert shown.json()["openai_api_key"] == {"set": True, "last4": f"…{openai[-4:]}"}
        assert not unreadable.ok and unreadable.error is not None
        assert unreadable.error.code == "secret_key_mismatch"
        assert unreadable.error.status == 409
        assert unreadable.error.reason.startswith(
            "llm.anthropic_api_key, llm.openai_api_key: it was encrypted with a different secret key"
        )
        assert "Re-enter it in Settings, or restore the MLOPS_SECRET_KEY" in unreadable.error.reason
        assert anthropic not in unreadable.error.reason
        assert reentered.data["values"] == {"openai_api_key": openai, "default_provider": "openai"}
        assert not still.ok and still.error is not None and still.error.code == "secret_key_mismatch"
