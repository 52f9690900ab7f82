"""The Helm chart in deploy/helm/mlops: lint, render with several value sets, validate every
rendered manifest against the Kubernetes 1.33 schemas (strict: no unknown fields) and check
what the platform needs from it.

helm comes from <repo>/.tools/bin/helm; install it with scripts/install-helm.sh.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "mlops"
HELM = REPO / ".tools" / "bin" / "helm"
KUBERNETES_VERSION = "1.33"
RELEASE = "mlops"
NAMESPACE = "mlops-test"

SERVICES = ("gateway", "workflow", "registry", "infra", "assistant")
CONTROLLERS = {"workflow", "infra"}
BASE_ENV = {
    "MLOPS_NATS_URL",
    "MLOPS_DATABASE_URL",
    "MLOPS_HTTP_HOST",
    "MLOPS_HTTP_PORT",
    "MLOPS_HOME",
    "MLOPS_LOG_LEVEL",
}
EXTERNAL_NATS = "nats://nats.messaging.svc.cluster.local:4222"
EXTERNAL_DB = "postgresql+asyncpg://mlops:secret@db.example.com:5432/mlops"

VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "external": {
        "nats": {"enabled": False, "url": EXTERNAL_NATS, "auth": {"existingSecret": "nats-users"}},
        "postgresql": {"enabled": False},
        "database": {"url": EXTERNAL_DB},
        "ingress": {
            "enabled": True,
            "className": "nginx",
            "host": "mlops.example.org",
            "tls": {"enabled": True},
        },
        "services": {"gateway": {"replicas": 3}},
    },
    "customised": {
        "image": {"repository": "registry.example.org/mlops", "tag": "1.2.3"},
        "imagePullSecrets": [{"name": "regcred"}],
        "otlpEndpoint": "http://otel-collector:4318",
        "logLevel": "DEBUG",
        "extraEnv": [{"name": "EXTRA", "value": "1"}],
        "extraEnvFrom": [{"secretRef": {"name": "llm-keys"}}],
        "database": {"existingSecret": "db-url", "existingSecretKey": "url"},
        "postgresql": {"auth": {"existingSecret": "pg-pass", "existingSecretKey": "pw"}},
        "nats": {"auth": {"existingSecret": "nats-users"}},
        "gateway": {"existingSecret": "gateway-secrets"},
        "mlopsHome": {"volume": {"persistentVolumeClaim": {"claimName": "mlops-home"}}},
        "metrics": {"scrape": False},
        "ingress": {"enabled": True, "host": "mlops.internal"},
        "services": {
            "workflow": {
                "replicas": 2,
                "image": {"tag": "wf-dev", "pullPolicy": "Always"},
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                "nodeSelector": {"pool": "cpu"},
            },
            "assistant": {"enabled": False},
        },
    },
    "no-nats-auth": {"nats": {"auth": {"enabled": False}}},
}


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helm(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    if not (HELM.is_file() and os.access(HELM, os.X_OK)):
        pytest.fail(
            f"helm not found at {HELM}: install it with `bash scripts/install-helm.sh`",
            pytrace=False,
        )
    home = tmp_path_factory.mktemp("helm-home")
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(HELM), *args], env=env, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            pytest.fail(f"helm {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    yield run


@pytest.fixture(scope="module")
def values_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, Any]], str]:
    directory = tmp_path_factory.mktemp("values")
    counter = iter(range(1_000_000))

    def write(values: dict[str, Any]) -> str:
        path = directory / f"values-{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(values))
        return str(path)

    return write


@pytest.fixture(scope="module")
def render(helm, values_file) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    cache: dict[str, list[dict[str, Any]]] = {}

    def _render(values: dict[str, Any]) -> list[dict[str, Any]]:
        key = yaml.safe_dump(values, sort_keys=True)
        if key not in cache:
            out = helm(
                "template", RELEASE, str(CHART), "--namespace", NAMESPACE, "-f", values_file(values)
            ).stdout
            cache[key] = [doc for doc in yaml.safe_load_all(out) if doc]
        return cache[key]

    return _render


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def deployments(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Platform Deployments keyed by service name (the component label)."""
    return {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in by_kind(docs, "Deployment").values()
    }


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container(deployment)["env"]}


def name(component: str) -> str:
    return f"{RELEASE}-{component}"


# --- lint and schema validation ----------------------------------------------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_lint(helm, values_file, value_set: str) -> None:
    proc = helm("lint", "--strict", str(CHART), "-f", values_file(VALUE_SETS[value_set]))
    assert "0 chart(s) failed" in proc.stdout


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_manifest_is_valid_kubernetes(render, value_set: str) -> None:
    docs = render(VALUE_SETS[value_set])
    assert docs
    for doc in docs:
        where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:  # pragma: no cover - failure path
            pytest.fail(f"{value_set}: {where} is invalid: {exc}")
        if doc["kind"] not in {"ClusterRole", "ClusterRoleBinding", "Namespace"}:
            assert doc["metadata"]["namespace"] == NAMESPACE, where
        assert doc["metadata"]["labels"]["app.kubernetes.io/instance"] == RELEASE, where


# --- the platform services -----------------------------------------------------------------


def test_defaults_render_five_services_with_the_process_contract(render) -> None:
    docs = render({})
    deps = deployments(docs)
    assert set(deps) == set(SERVICES)
    services = by_kind(docs, "Service")
    for svc_name, dep in deps.items():
        port = 8000 if svc_name == "gateway" else 8080
        c = container(dep)
        assert c["command"] == ["python", "-m", f"services.{svc_name}"]
        assert c["image"] == "mlops-platform:0.1.0"
        assert c["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]

        env = env_of(dep)
        assert env.keys() >= BASE_ENV
        assert "MLOPS_OTLP_ENDPOINT" not in env
        assert env["MLOPS_NATS_URL"]["value"] == f"nats://{name('nats')}:4222"
        assert env["MLOPS_HTTP_HOST"]["value"] == "0.0.0.0"
        assert env["MLOPS_HTTP_PORT"]["value"] == str(port)
        assert env["MLOPS_HOME"]["value"] == "/var/lib/mlops"
        assert env["MLOPS_LOG_LEVEL"]["value"] == "INFO"
        assert env["MLOPS_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": name("database"),
            "key": "MLOPS_DATABASE_URL",
        }
        # NATS users are on by default: each service signs in as itself.
        assert env["MLOPS_NATS_USER"]["value"] == svc_name
        assert env["MLOPS_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": name("nats-auth"),
            "key": f"MLOPS_NATS_PASSWORD_{svc_name.upper()}",
        }

        # Probes: startup and liveness on /healthz, readiness on /readyz.
        assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}

        pod = dep["spec"]["template"]
        assert pod["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(port),
            "prometheus.io/path": "/metrics",
        }
        assert dep["spec"]["replicas"] == 1
        assert pod["spec"]["enableServiceLinks"] is False
        assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]

        # A Service per service, on the HTTP port (8000 for the gateway, 8080 for metrics).
        svc = services[name(svc_name)]
        assert svc["spec"]["ports"][0]["port"] == port
        assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
        assert svc["spec"]["selector"].items() <= pod["metadata"]["labels"].items()


def test_services_run_non_root_on_a_read_only_filesystem(render) -> None:
    for dep in deployments(render({})).values():
        pod = dep["spec"]["template"]["spec"]
        c = container(dep)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        home = env_of(dep)["MLOPS_HOME"]["value"]
        assert "emptyDir" in volumes[mounts[home]]
        assert "emptyDir" in volumes[mounts["/tmp"]]


def test_only_workflow_and_infra_may_use_the_kubernetes_api(render) -> None:
    docs = render({})
    deps = deployments(docs)
    controller_sa = name("controller")
    for svc_name, dep in deps.items():
        pod = dep["spec"]["template"]["spec"]
        if svc_name in CONTROLLERS:
            assert pod["serviceAccountName"] == controller_sa
            assert pod["automountServiceAccountToken"] is True
        else:
            assert pod["serviceAccountName"] == RELEASE
            assert pod["automountServiceAccountToken"] is False
    assert set(by_kind(docs, "ServiceAccount")) == {RELEASE, controller_sa}

    (role,) = by_kind(docs, "Role").values()
    granted = {
        (group, resource): set(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    manage = {"get", "list", "watch", "create", "delete", "patch"}
    assert granted[("batch", "jobs")] >= manage
    assert granted[("apps", "deployments")] >= manage
    assert granted[("", "services")] >= manage
    assert granted[("autoscaling", "horizontalpodautoscalers")] >= manage
    assert granted[("", "pods")] >= {"get", "list", "watch"}
    assert granted[("", "pods/log")] >= {"get"}
    assert not by_kind(docs, "ClusterRole")

    (binding,) = by_kind(docs, "RoleBinding").values()
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": controller_sa, "namespace": NAMESPACE}]


# --- NATS and PostgreSQL ---------------------------------------------------------------------


def test_defaults_run_nats_with_jetstream_and_postgresql_on_volumes(render) -> None:
    docs = render({})
    sets = by_kind(docs, "StatefulSet")
    assert set(sets) == {name("nats"), name("postgresql")}

    nats = sets[name("nats")]
    nc = container(nats)
    assert nc["image"] == "nats:2.11-alpine"
    assert "--jetstream" in nc["args"]
    assert "--store_dir=/data" in nc["args"]
    assert {"name": "data", "mountPath": "/data"} in nc["volumeMounts"]
    assert nc["livenessProbe"]["httpGet"]["port"] == "monitor"
    assert nc["readinessProbe"]["httpGet"]["path"].startswith("/healthz")
    (claim,) = nats["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert nats["spec"]["serviceName"] in by_kind(docs, "Service")

    pg = sets[name("postgresql")]
    pc = container(pg)
    assert pc["image"] == "postgres:16-alpine"
    pg_env = {e["name"]: e for e in pc["env"]}
    assert pg_env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == name("postgresql")
    assert pg_env["PGDATA"]["value"].startswith("/var/lib/postgresql/data/")
    assert "pg_isready" in " ".join(pc["readinessProbe"]["exec"]["command"])
    (claim,) = pg["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert pg["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_database_url_secret_points_at_the_in_cluster_postgresql(render) -> None:
    import base64

    secrets = by_kind(render({}), "Secret")
    password = base64.b64decode(secrets[name("postgresql")]["data"]["POSTGRES_PASSWORD"]).decode()
    url = base64.b64decode(secrets[name("database")]["data"]["MLOPS_DATABASE_URL"]).decode()
    assert len(password) >= 16
    assert url == f"postgresql+asyncpg://mlops:{password}@{name('postgresql')}:5432/mlops"
    # the password outlives `helm uninstall` as the database volume does
    assert secrets[name("postgresql")]["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}


def test_external_nats_and_postgresql_with_ingress_and_three_gateways(render) -> None:
    docs = render(VALUE_SETS["external"])
    assert not by_kind(docs, "StatefulSet")
    assert not any(
        d["metadata"]["labels"].get("app.kubernetes.io/component") in {"nats", "postgresql"} for d in docs
    )
    deps = deployments(docs)
    assert set(deps) == set(SERVICES)
    for dep in deps.values():
        assert env_of(dep)["MLOPS_NATS_URL"]["value"] == EXTERNAL_NATS
    assert deps["gateway"]["spec"]["replicas"] == 3
    assert all(deps[s]["spec"]["replicas"] == 1 for s in SERVICES if s != "gateway")

    import base64

    # Generated: the database URL and the gateway's secrets; the NATS users' passwords are given.
    secrets = by_kind(docs, "Secret")
    assert set(secrets) == {name("database"), name("gateway")}
    assert base64.b64decode(secrets[name("database")]["data"]["MLOPS_DATABASE_URL"]).decode() == EXTERNAL_DB
    for svc_name, dep in deps.items():
        assert env_of(dep)["MLOPS_NATS_USER"]["value"] == svc_name
        assert env_of(dep)["MLOPS_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "nats-users"

    (pdb,) = by_kind(docs, "PodDisruptionBudget").values()
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == deps["gateway"]["spec"]["selector"]["matchLabels"]

    (ingress,) = by_kind(docs, "Ingress").values()
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": ["mlops.example.org"], "secretName": f"{RELEASE}-tls"}]
    (rule,) = spec["rules"]
    assert rule["host"] == "mlops.example.org"
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": name("gateway"), "port": {"name": "http"}}


def test_no_pdb_or_ingress_by_default(render) -> None:
    docs = render({})
    assert not by_kind(docs, "PodDisruptionBudget")
    assert not by_kind(docs, "Ingress")


def test_customised_values_are_honoured(render) -> None:
    docs = render(VALUE_SETS["customised"])
    deps = deployments(docs)
    assert set(deps) == set(SERVICES) - {"assistant"}
    assert not by_kind(docs, "Secret")  # all come from existing Secrets: no password generated
    for svc_name, dep in deps.items():
        c = container(dep)
        pod = dep["spec"]["template"]
        env = env_of(dep)
        assert env["MLOPS_OTLP_ENDPOINT"]["value"] == "http://otel-collector:4318"
        assert env["MLOPS_LOG_LEVEL"]["value"] == "DEBUG"
        assert env["EXTRA"]["value"] == "1"
        assert c["envFrom"] == [{"secretRef": {"name": "llm-keys"}}]
        assert env["MLOPS_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": "db-url",
            "key": "url",
        }
        assert env["MLOPS_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "nats-users",
            "key": f"MLOPS_NATS_PASSWORD_{svc_name.upper()}",
        }
        if svc_name == "gateway":
            assert env["MLOPS_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {
                "name": "gateway-secrets",
                "key": "MLOPS_SECRET_KEY",
            }
            # Optional in a given Secret: it may be left out once the admin exists.
            assert env["MLOPS_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
                "name": "gateway-secrets",
                "key": "MLOPS_ADMIN_PASSWORD",
                "optional": True,
            }
        assert pod["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
        assert "annotations" not in pod["metadata"]
        home = next(v for v in pod["spec"]["volumes"] if v["name"] == "mlops-home")
        assert home["persistentVolumeClaim"] == {"claimName": "mlops-home"}
        if svc_name == "workflow":
            assert c["image"] == "registry.example.org/mlops:wf-dev"
            assert c["imagePullPolicy"] == "Always"
            assert c["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
            assert pod["spec"]["nodeSelector"] == {"pool": "cpu"}
            assert dep["spec"]["replicas"] == 2
        else:
            assert c["image"] == "registry.example.org/mlops:1.2.3"
            assert c["imagePullPolicy"] == "IfNotPresent"
    (pdb,) = by_kind(docs, "PodDisruptionBudget").values()
    assert pdb["metadata"]["name"] == name("workflow")
    pg = by_kind(docs, "StatefulSet")[name("postgresql")]
    pg_env = {e["name"]: e for e in container(pg)["env"]}
    assert pg_env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "pg-pass", "key": "pw"}
    (ingress,) = by_kind(docs, "Ingress").values()
    assert "tls" not in ingress["spec"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"nats": {"enabled": False}}, "nats.url is required"),
        (
            {"nats": {"enabled": False, "url": EXTERNAL_NATS}},
            "nats.auth.existingSecret is required",
        ),
        ({"postgresql": {"enabled": False}}, "database.url or database.existingSecret"),
        (
            {"postgresql": {"auth": {"existingSecret": "pg"}}},
            "postgresql.auth.existingSecret needs database.existingSecret",
        ),
    ],
)
def test_incomplete_values_fail_with_a_clear_message(helm, values_file, values, message) -> None:
    proc = helm("template", RELEASE, str(CHART), "-f", values_file(values), check=False)
    assert proc.returncode != 0
    assert message in proc.stderr


def test_notes_tell_how_to_reach_the_gateway(helm, values_file) -> None:
    out = helm(
        "install",
        RELEASE,
        str(CHART),
        "--dry-run=client",
        "--namespace",
        NAMESPACE,
        "-f",
        values_file({}),
    ).stdout
    assert f"port-forward svc/{name('gateway')} 8000:8000" in out
    # How to read the first admin's password.
    assert (
        f"kubectl --namespace {NAMESPACE} get secret {name('gateway')} "
        "-o jsonpath='{.data.MLOPS_ADMIN_PASSWORD}' | base64 -d" in out
    )


# --- the gateway's secrets -------------------------------------------------------------------


def test_gateway_gets_a_generated_secret_key_and_admin_password(render) -> None:
    import base64

    from services.gateway.secrets import MIN_KEY_CHARS

    docs = render({})
    secret = by_kind(docs, "Secret")[name("gateway")]
    # Looked up and reused on upgrade; kept on uninstall, as the database that it decrypts is.
    assert secret["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert set(data) == {"MLOPS_SECRET_KEY", "MLOPS_ADMIN_PASSWORD"}
    assert len(data["MLOPS_SECRET_KEY"]) >= MIN_KEY_CHARS
    assert len(data["MLOPS_ADMIN_PASSWORD"]) >= 16
    assert data["MLOPS_SECRET_KEY"] != data["MLOPS_ADMIN_PASSWORD"]
    for svc_name, dep in deployments(docs).items():
        env = env_of(dep)
        if svc_name == "gateway":
            for key in data:
                assert env[key]["valueFrom"]["secretKeyRef"] == {"name": name("gateway"), "key": key}
        else:
            assert not {"MLOPS_SECRET_KEY", "MLOPS_ADMIN_PASSWORD"} & set(env)


def test_every_gateway_replica_has_the_same_secret_key(render) -> None:
    docs = render(VALUE_SETS["external"])
    gateway = deployments(docs)["gateway"]
    assert gateway["spec"]["replicas"] == 3
    # One Deployment, one pod template: every replica reads the one Secret (no per-pod key file).
    ref = env_of(gateway)["MLOPS_SECRET_KEY"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": name("gateway"), "key": "MLOPS_SECRET_KEY"}
    assert "optional" not in ref
    assert [s for s in by_kind(docs, "Secret").values() if "MLOPS_SECRET_KEY" in s["data"]] == [
        by_kind(docs, "Secret")[name("gateway")]
    ]


def test_no_gateway_secret_without_a_gateway(render) -> None:
    docs = render({"services": {"gateway": {"enabled": False}}})
    assert name("gateway") not in by_kind(docs, "Secret")
