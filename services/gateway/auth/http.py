"""Authentication and authorization of every HTTP request, from the permission table.

A caller proves who they are with the session cookie (browsers; unsafe methods must then carry
the session's CSRF token in ``X-CSRF-Token``) or an ``Authorization: Bearer`` API token (scripts).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from contracts.envelope import Actor
from services.gateway.auth import credentials
from services.gateway.auth.service import AuthService, Caller
from services.gateway.permissions import may, route_rule
from services.kit.errors import Forbidden, Unauthenticated

COOKIE = "mlops_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def authenticate(conn: HTTPConnection, auth: AuthService) -> Caller | None:
    """The caller, from a bearer token or the session cookie; None when neither is valid."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return await auth.from_bearer(value.strip())
    cookie = conn.cookies.get(COOKIE)
    if cookie:
        return await auth.from_session(cookie)
    return None


async def authorize(conn: HTTPConnection) -> None:
    """App-wide dependency: apply the permission table to this request."""
    if conn.scope["type"] != "http":
        return  # WebSocket endpoints authorize themselves (see routes/events.py)
    gateway = conn.app.state.gateway
    method = conn.scope["method"]
    path = getattr(conn.scope.get("route"), "path", "")
    rule = route_rule(method, path)
    caller = await authenticate(conn, gateway.auth)
    conn.state.caller = caller
    if rule == "public":
        return
    if caller is None:
        if method in UNSAFE:
            await gateway.commands.refused(None, f"{method} {path}", "not signed in", status=401)
        raise Unauthenticated("sign in first: send the session cookie or an Authorization: Bearer token")
    if method in UNSAFE and caller.via == "session":
        sent = conn.headers.get(CSRF_HEADER, "")
        if not caller.csrf_token or not credentials.same(sent, caller.csrf_token):
            await gateway.commands.refused(
                caller.actor, f"{method} {path}", f"missing or wrong {CSRF_HEADER}"
            )
            raise Forbidden(f"missing or wrong {CSRF_HEADER} header", field=CSRF_HEADER)
    if not may(caller.role, rule):
        needed = rule or "a permission rule"
        if method in UNSAFE:
            await gateway.commands.refused(caller.actor, f"{method} {path}", f"needs {needed}")
        raise Forbidden(f"{caller.username} ({caller.role}) may not {method} {path}: it needs {needed}")


def current_caller(conn: HTTPConnection) -> Caller:
    caller: Caller | None = getattr(conn.state, "caller", None)
    if caller is None:
        raise Unauthenticated("sign in first")
    return caller


def current_actor(conn: HTTPConnection) -> Actor:
    return current_caller(conn).actor


CurrentCaller = Annotated[Caller, Depends(current_caller)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
