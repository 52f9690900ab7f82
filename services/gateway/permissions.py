"""The one permission table: which role may call each route and see each event topic.

Rules: ``public`` (anyone), ``signed_in`` (any user), or the least role that may: ``viewer`` <
``editor`` < ``admin``. A route or topic with no rule is refused (fail closed), and the test suite
fails when one is added without a rule. Commands carry their own least role in ``contracts`` and
the owning service refuses an actor without it.
"""

from __future__ import annotations

import functools
from typing import Literal

from contracts.envelope import allows
from contracts.subjects import subject_matches

Rule = Literal["public", "signed_in", "viewer", "editor", "admin"]

ROUTES: dict[tuple[str, str], Rule] = {
    # health and the web UI
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "public",
    ("GET", "/{path:path}"): "public",
    # sign-in
    ("POST", "/api/auth/login"): "public",
    ("POST", "/api/auth/logout"): "signed_in",
    ("GET", "/api/auth/me"): "signed_in",
    ("GET", "/api/auth/tokens"): "signed_in",
    ("POST", "/api/auth/tokens"): "signed_in",
    ("DELETE", "/api/auth/tokens/{token_id}"): "signed_in",
    # users and audit
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("PATCH", "/api/users/{user_id}"): "admin",
    ("DELETE", "/api/users/{user_id}"): "admin",
    ("GET", "/api/users/{user_id}/tokens"): "admin",
    ("GET", "/api/audit"): "admin",
    # system
    ("GET", "/api/system/status"): "viewer",
    ("POST", "/api/system/ping"): "editor",
    ("GET", "/api/commands/{command_id}"): "viewer",
    ("GET", "/api/events/recent"): "viewer",
    # settings: viewers see masks, admins change
    ("GET", "/api/settings"): "viewer",
    ("GET", "/api/settings/{group}"): "viewer",
    ("PUT", "/api/settings/{group}"): "admin",
    ("POST", "/api/settings/llm_keys"): "admin",
    ("POST", "/api/settings/kubeconfig"): "admin",
    # training workflows
    ("GET", "/api/model-types"): "viewer",
    ("POST", "/api/mlops/execute_workflow"): "editor",
    ("GET", "/api/workflows/runs"): "viewer",
    ("POST", "/api/workflows/runs"): "editor",
    ("GET", "/api/workflows/runs/{job_id}"): "viewer",
    ("GET", "/api/workflows/runs/{job_id}/logs"): "viewer",
    ("POST", "/api/workflows/runs/{job_id}/cancel"): "editor",
    # model registry
    ("GET", "/api/mlops/models"): "viewer",
    ("GET", "/api/mlops/model_details/{model_id}"): "viewer",
    ("POST", "/api/mlops/promote_model"): "editor",
    ("POST", "/api/mlops/rollback_model"): "editor",
    ("POST", "/api/mlops/deploy_model"): "editor",
    ("GET", "/api/models"): "viewer",
    ("GET", "/api/models/{name}"): "viewer",
    ("PATCH", "/api/models/{name}"): "editor",
    ("PUT", "/api/models/{name}/aliases/{alias}"): "editor",
    ("DELETE", "/api/models/{name}/aliases/{alias}"): "editor",
    ("POST", "/api/models/{name}/versions"): "editor",
    ("GET", "/api/model-versions/compare"): "viewer",
    ("GET", "/api/model-versions/{model_id}"): "viewer",
    ("PATCH", "/api/model-versions/{model_id}"): "editor",
    ("POST", "/api/model-versions/{model_id}/promote"): "editor",
    ("POST", "/api/model-versions/{model_id}/archive"): "editor",
    ("GET", "/api/model-versions/{model_id}/artifact"): "editor",
    ("GET", "/api/lineage"): "viewer",
    # deployments, monitoring and alerts; predictions change nothing, so viewers may make them
    ("GET", "/api/deployments"): "viewer",
    ("GET", "/api/deployments/{deployment_id}"): "viewer",
    ("POST", "/api/deployments/{deployment_id}/scale"): "editor",
    ("POST", "/api/deployments/{deployment_id}/rollout"): "editor",
    ("DELETE", "/api/deployments/{deployment_id}"): "editor",
    ("GET", "/api/deployments/{deployment_id}/metrics"): "viewer",
    ("GET", "/api/monitoring/metrics"): "viewer",
    ("GET", "/api/deployments/{deployment_id}/v2/{path}"): "viewer",
    ("POST", "/api/deployments/{deployment_id}/v2/{path}"): "viewer",
    ("POST", "/api/deployments/{deployment_id}/predict"): "viewer",
    ("GET", "/api/alerts"): "viewer",
    ("GET", "/api/alerts/{alert_id}"): "viewer",
    ("POST", "/api/alerts/{alert_id}/acknowledge"): "editor",
    ("POST", "/api/alerts/{alert_id}/resolve"): "editor",
}

WEBSOCKETS: dict[str, Rule] = {"/ws/events": "viewer"}

TOPICS: list[tuple[str, Rule]] = [
    # Events carry no secrets; every signed-in role may watch the platform work.
    ("*.system.*", "viewer"),
    ("*.command.*", "viewer"),
    ("gateway.settings.*", "viewer"),  # names the changed fields, never their values
    ("workflow.run.>", "viewer"),  # one run: workflow.run.*.<job_id>; logs carry no credentials
    ("registry.model_version.>", "viewer"),
    ("registry.model.>", "viewer"),
    ("infra.deployment.>", "viewer"),  # one deployment: infra.deployment.*.<deployment_id>
    ("infra.alert.>", "viewer"),
    ("infra.metrics.>", "viewer"),  # new traffic counted: infra.metrics.collected.<deployment_id>
]
"""Event topics (subjects without ``evt.``), first match wins."""


def route_rule(method: str, path: str) -> Rule | None:
    """The rule of a route by its template; ``{name:path}`` parameters are written ``{name}``
    in the table (as OpenAPI writes them), but for the web UI's catch-all."""
    return ROUTES.get((method, path)) or ROUTES.get((method, path.replace(":path}", "}")))


@functools.lru_cache(maxsize=4096)
def topic_rule(topic: str) -> Rule | None:
    return next((rule for pattern, rule in TOPICS if subject_matches(pattern, topic)), None)


def may(role: str, rule: Rule | None) -> bool:
    """Whether a signed-in user with ``role`` passes ``rule``."""
    if rule is None:
        return False
    return rule in ("public", "signed_in") or allows(role, rule)


def may_see(role: str, topic: str) -> bool:
    return may(role, topic_rule(topic))
