"""The role x route matrix: every route and WebSocket topic has a rule, and the rule holds."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import websockets
from fastapi.routing import APIWebSocketRoute
from websockets.exceptions import ConnectionClosed

from contracts.envelope import allows
from contracts.messages import ALL_MESSAGES
from services.gateway.app import create_app
from services.gateway.permissions import ROUTES, TOPICS, WEBSOCKETS, Rule, topic_rule
from services.gateway.routes import events
from services.gateway.settings import GatewaySettings

ROLES = ("anonymous", "viewer", "editor", "admin")


HIDDEN = {("GET", "/{path:path}")}
"""Routes left out of the OpenAPI document on purpose: the web UI's files."""


def app_routes() -> tuple[set[tuple[str, str]], set[str]]:
    """Every HTTP route of the OpenAPI document (plus the hidden ones), and every WebSocket route."""
    document = create_app(GatewaySettings(secret_key="only-to-build-the-app-and-read-its-routes")).openapi()
    http = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops} | HIDDEN
    sockets = {r.path for r in events.router.routes if isinstance(r, APIWebSocketRoute)}
    return http, sockets


def expected(rule: Rule, role: str) -> str:
    if rule == "public":
        return "allowed"
    if role == "anonymous":
        return "unauthenticated"
    if rule == "signed_in" or allows(role, rule):
        return "allowed"
    return "forbidden"


def outcome(status: int) -> str:
    return {401: "unauthenticated", 403: "forbidden"}.get(status, "allowed")


class TestEveryRouteHasARule:
    def test_each_http_route_has_a_rule_and_each_rule_a_route(self) -> None:
        http, sockets = app_routes()
        assert sorted(http - ROUTES.keys()) == [], "routes without a rule in services/gateway/permissions.py"
        assert sorted(ROUTES.keys() - http) == [], "rules for routes that no longer exist"
        assert sockets == WEBSOCKETS.keys()

    def test_each_event_topic_has_a_rule(self) -> None:
        topics = {spec.subject.removeprefix("evt.") for spec in ALL_MESSAGES if spec.kind == "evt"}
        assert sorted(t for t in topics if topic_rule(t) is None) == []
        assert all(rule != "public" for _, rule in TOPICS)


class TestMatrix:
    async def test_every_route_for_every_role(self, platform_factory: Any) -> None:
        http_routes, _ = app_routes()
        async with platform_factory(services=("workflow", "registry", "infra", "assistant")) as platform:
            clients = {"anonymous": await platform.client()}
            for role in ("viewer", "editor", "admin"):
                signed_in = await platform.user(role, f"matrix-{role}")
                token = (await signed_in.post("/api/auth/tokens", json={"name": "matrix"})).json()["token"]
                clients[role] = await platform.client()
                clients[role].headers["Authorization"] = f"Bearer {token}"
            mismatches = []
            for method, path in sorted(http_routes):
                url = re.sub(r"\{[^}]+\}", "x", path.replace("{path:path}", "some/page"))
                for role in ROLES:
                    body = {} if method in ("POST", "PUT", "PATCH") else None
                    response = await clients[role].request(method, url, json=body)
                    got, want = outcome(response.status_code), expected(ROUTES[(method, path)], role)
                    if got != want:
                        mismatches.append(
                            f"{role:9} {method:6} {path}: {response.status_code}, expected {want}"
                        )
        assert mismatches == []

    @pytest.mark.parametrize("role", ROLES)
    async def test_event_stream_for_every_role(self, platform_factory: Any, role: str) -> None:
        async with platform_factory(services=("registry",)) as platform:
            headers: dict[str, str] = {}
            if role != "anonymous":
                signed_in = await platform.user(role, f"ws-{role}")
                token = (await signed_in.post("/api/auth/tokens", json={"name": "ws"})).json()["token"]
                headers = {"Authorization": f"Bearer {token}"}
            async with websockets.connect(platform.ws_url, additional_headers=headers) as ws:
                if role == "anonymous":
                    with pytest.raises(ConnectionClosed) as closed:
                        await ws.recv()
                    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
                    return
                assert json.loads(await ws.recv())["kind"] == "subscribed"
                await platform.http.post("/api/system/ping", json={"service": "registry"})
                seen = set()
                while len(seen) < 2:
                    frame = json.loads(await ws.recv())
                    seen.add(frame.get("type"))
        assert seen == {"registry.system.pinged.v1", "registry.command.succeeded.v1"}
