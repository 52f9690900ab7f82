"""Sign-in, sessions and CSRF, API tokens, rate limits, users, audit."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from contracts.envelope import utcnow
from services.gateway.models import ApiToken, BrowserSession, User
from tests.gateway.conftest import ADMIN_PASSWORD

PROBLEM = "application/problem+json"


class TestLogin:
    async def test_login_sets_an_httponly_cookie_and_returns_the_csrf_token(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=()) as platform:
            http = await platform.client()
            response = await http.post(
                "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            me = (await http.get("/api/auth/me")).json()
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("mlops_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert response.json()["csrf_token"] == me["csrf_token"]
        assert me | {"user_id": None, "csrf_token": None} == {
            "user_id": None,
            "username": "admin",
            "role": "admin",
            "via": "session",
            "csrf_token": None,
        }

    async def test_a_wrong_password_is_401_naming_the_field(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            http = await platform.client()
            wrong = await http.post("/api/auth/login", json={"username": "admin", "password": "nope"})
            nobody = await http.post("/api/auth/login", json={"username": "ghost", "password": "nope"})
        for response in (wrong, nobody):
            assert response.status_code == 401
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["detail"] == "wrong username or password"

    async def test_the_sixth_wrong_password_within_a_minute_is_429(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            http = await platform.client()
            statuses = [
                (
                    await http.post("/api/auth/login", json={"username": "admin", "password": f"guess{i}"})
                ).status_code
                for i in range(6)
            ]
            right = await http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert statuses == [401] * 5 + [429]
        assert right.status_code == 429, "the right password is refused too while the limit holds"
        assert right.json()["code"] == "rate_limited"

    async def test_guesses_sent_in_parallel_are_counted(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            http = await platform.client()
            responses = await asyncio.gather(
                *(
                    http.post("/api/auth/login", json={"username": "admin", "password": f"g{i}"})
                    for i in range(20)
                )
            )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(401) <= 5 and statuses.count(429) >= 15

    async def test_logout_ends_the_session(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            http = await platform.client("admin", ADMIN_PASSWORD)
            cookie = http.cookies["mlops_session"]
            assert (await http.post("/api/auth/logout")).status_code == 204
            anonymous = await platform.client()
            anonymous.cookies.set("mlops_session", cookie)
            replay = await anonymous.get("/api/auth/me")
        assert replay.status_code == 401

    async def test_anonymous_calls_are_401(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            response = await (await platform.client()).get("/api/system/status")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


class TestCsrf:
    async def test_an_unsafe_request_with_the_cookie_and_no_token_is_refused(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=("workflow",)) as platform:
            http = await platform.client("admin", ADMIN_PASSWORD)
            token = http.headers.pop("X-CSRF-Token")
            missing = await http.post("/api/system/ping", json={"service": "workflow"})
            wrong = await http.post(
                "/api/system/ping", json={"service": "workflow"}, headers={"X-CSRF-Token": "x"}
            )
            right = await http.post(
                "/api/system/ping", json={"service": "workflow"}, headers={"X-CSRF-Token": token}
            )
            safe = await http.get("/api/system/status")
        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert missing.json()["field"] == "X-CSRF-Token"
        assert right.status_code == 200
        assert safe.status_code == 200


class TestTokens:
    async def test_a_token_works_is_shown_once_and_stored_only_as_a_hash(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            created = await platform.http.post("/api/auth/tokens", json={"name": "ci", "expires_in_days": 30})
            token = created.json()["token"]
            bearer = await platform.client()
            bearer.headers["Authorization"] = f"Bearer {token}"
            me = (await bearer.get("/api/auth/me")).json()
            listed = (await platform.http.get("/api/auth/tokens")).json()
            async with platform.app.state.gateway.service.unit_of_work() as uow:
                stored = [tuple(r) for r in (await uow.session.execute(select(ApiToken.__table__))).all()]
        assert created.status_code == 201 and token.startswith("mlops_")
        assert me["username"] == "admin" and me["via"] == "token" and me["csrf_token"] is None
        assert all("token" not in item for item in listed)
        assert {item["name"] for item in listed} == {"tests", "ci"}
        assert not any(token in str(value) for row in stored for value in row)

    async def test_a_revoked_token_is_refused(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            created = (await platform.http.post("/api/auth/tokens", json={"name": "old"})).json()
            bearer = await platform.client()
            bearer.headers["Authorization"] = f"Bearer {created['token']}"
            assert (await bearer.get("/api/auth/me")).status_code == 200
            revoked = await platform.http.delete(f"/api/auth/tokens/{created['id']}")
            after = await bearer.get("/api/auth/me")
        assert revoked.json()["revoked_at"] is not None
        assert after.status_code == 401

    async def test_an_expired_token_is_refused(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            created = (await platform.http.post("/api/auth/tokens", json={"name": "brief"})).json()
            async with platform.app.state.gateway.service.unit_of_work() as uow:
                await uow.session.execute(
                    update(ApiToken)
                    .where(ApiToken.id == created["id"])
                    .values(expires_at=utcnow() - timedelta(1))
                )
            bearer = await platform.client()
            bearer.headers["Authorization"] = f"Bearer {created['token']}"
            response = await bearer.get("/api/auth/me")
        assert response.status_code == 401

    @pytest.mark.parametrize("days", [0, 366])
    async def test_expiry_is_bounded(self, platform_factory: Any, days: int) -> None:
        async with platform_factory(services=()) as platform:
            response = await platform.http.post(
                "/api/auth/tokens", json={"name": "x", "expires_in_days": days}
            )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "expires_in_days"


class TestUsers:
    async def test_admins_create_users_with_roles_and_passwords_are_hashed(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=()) as platform:
            created = await platform.http.post(
                "/api/users", json={"username": "ada", "password": "analytical", "role": "editor"}
            )
            duplicate = await platform.http.post(
                "/api/users", json={"username": "ada", "password": "analytical", "role": "viewer"}
            )
            ada = await platform.client("ada", "analytical")
            async with platform.app.state.gateway.service.unit_of_work() as uow:
                stored = await uow.session.scalar(select(User.password_hash).where(User.username == "ada"))
            listed = (await platform.http.get("/api/users", params={"role": "editor"})).json()
            ada_me = (await ada.get("/api/auth/me")).json()
        assert created.status_code == 201 and created.json()["role"] == "editor"
        assert duplicate.status_code == 409 and duplicate.json()["field"] == "username"
        assert ada_me["role"] == "editor"
        assert stored is not None and stored.startswith("$argon2") and "analytical" not in stored
        assert [u["username"] for u in listed["items"]] == ["ada"] and listed["total"] == 1

    async def test_a_disabled_user_cannot_sign_in_and_loses_their_sessions(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=()) as platform:
            viewer = await platform.user("viewer", "vic")
            user_id = (await viewer.get("/api/auth/me")).json()["user_id"]
            await platform.http.patch(f"/api/users/{user_id}", json={"disabled": True})
            platform.app.state.gateway.auth._cache.clear()
            after = await viewer.get("/api/auth/me")
            login = await (await platform.client()).post(
                "/api/auth/login", json={"username": "vic", "password": "password-1"}
            )
            async with platform.app.state.gateway.service.unit_of_work() as uow:
                sessions = (
                    await uow.session.scalars(select(BrowserSession).where(BrowserSession.user_id == user_id))
                ).all()
        assert after.status_code == 401
        assert login.status_code == 403
        assert sessions == []

    async def test_a_password_reset_revokes_the_users_tokens(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            bob = await platform.user("editor", "bob")
            token = (await bob.post("/api/auth/tokens", json={"name": "laptop"})).json()["token"]
            user_id = (await bob.get("/api/auth/me")).json()["user_id"]
            listed = (await platform.http.get(f"/api/users/{user_id}/tokens")).json()
            await platform.http.patch(f"/api/users/{user_id}", json={"password": "a-new-password"})
            platform.app.state.gateway.auth._cache.clear()
            stolen = await platform.client()
            stolen.headers["Authorization"] = f"Bearer {token}"
            after = await stolen.get("/api/auth/me")
        assert [t["name"] for t in listed] == ["laptop"]
        assert after.status_code == 401

    async def test_two_admins_demoted_at_once_leave_one(
        self, platform_factory: Any, postgres_url: str
    ) -> None:
        async with platform_factory(services=(), database_url=postgres_url) as platform:
            second = (
                await platform.http.post(
                    "/api/users", json={"username": "root2", "password": "password-2", "role": "admin"}
                )
            ).json()["id"]
            first = (await platform.http.get("/api/auth/me")).json()["user_id"]
            responses = await asyncio.gather(
                *(
                    platform.http.patch(f"/api/users/{uid}", json={"role": "viewer"})
                    for uid in (first, second)
                )
            )
        assert sorted(r.status_code for r in responses) == [200, 409]

    async def test_the_last_admin_cannot_be_removed(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            admin_id = (await platform.http.get("/api/auth/me")).json()["user_id"]
            demote = await platform.http.patch(f"/api/users/{admin_id}", json={"role": "viewer"})
            delete = await platform.http.delete(f"/api/users/{admin_id}")
        assert (demote.status_code, delete.status_code) == (409, 409)

    async def test_a_short_password_and_a_bad_username_are_named(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            response = await platform.http.post(
                "/api/users", json={"username": "bad name", "password": "short", "role": "root"}
            )
        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {"username", "password", "role"}


class TestAudit:
    async def test_accepted_rejected_and_refused_commands_are_recorded(self, platform_factory: Any) -> None:
        async with platform_factory(services=("workflow",)) as platform:
            viewer = await platform.user("viewer", "vera")
            await platform.http.post("/api/system/ping", json={"service": "workflow"})
            refused = await viewer.post("/api/system/ping", json={"service": "workflow"})
            entries = (await platform.http.get("/api/audit")).json()
            mine = (await platform.http.get("/api/audit", params={"actor": "vera"})).json()
            page = (await platform.http.get("/api/audit", params={"limit": 1, "offset": 1})).json()
            forbidden = await viewer.get("/api/audit")
        assert refused.status_code == 403
        statuses = {(e["actor_id"], e["status"]) for e in entries["items"]}
        assert ("admin", "succeeded") in statuses or ("admin", "pending") in statuses
        assert ("vera", "refused") in statuses
        assert mine["total"] == 1 and mine["items"][0]["type"] == "POST /api/system/ping"
        assert mine["items"][0]["actor_role"] == "viewer"
        assert page["limit"] == 1 and len(page["items"]) == 1 and page["total"] == entries["total"]
        assert forbidden.status_code == 403
        succeeded = next(e for e in entries["items"] if e["actor_id"] == "admin")
        assert succeeded["target"] == "workflow" and succeeded["type"] == "workflow.system.ping.v1"

    async def test_admin_actions_and_unauthenticated_attempts_are_recorded(
        self, platform_factory: Any
    ) -> None:
        async with platform_factory(services=()) as platform:
            created = (
                await platform.http.post(
                    "/api/users", json={"username": "eve", "password": "password-1", "role": "viewer"}
                )
            ).json()
            await platform.http.patch(f"/api/users/{created['id']}", json={"role": "editor"})
            await platform.http.post("/api/settings/llm_keys", json={"openai_api_key": "sk-" + "x" * 30})
            await platform.http.delete(f"/api/users/{created['id']}")
            await (await platform.client()).post("/api/system/ping", json={"service": "workflow"})
            entries = (await platform.http.get("/api/audit", params={"service": "gateway"})).json()["items"]
            by_type = (await platform.http.get("/api/audit", params={"type": "settings.update"})).json()
        assert by_type["total"] == 1
        actions = [
            (e["actor_id"], e["type"], e["target"], e["status"], e["result"]) for e in reversed(entries)
        ]
        assert actions[-5:] == [
            ("admin", "users.create", "eve", "succeeded", {"role": "viewer"}),
            ("admin", "users.update", "eve", "succeeded", {"fields": ["role"]}),
            ("admin", "settings.update", "llm", "succeeded", {"fields": ["openai_api_key"]}),
            ("admin", "users.delete", created["id"], "succeeded", None),
            ("anonymous", "POST /api/system/ping", None, "refused", None),
        ]
        assert "x" * 30 not in str(entries)

    async def test_a_service_refuses_a_command_from_an_actor_without_the_role(
        self, platform_factory: Any, bus: Any
    ) -> None:
        from contracts.envelope import Actor
        from tests.factories import outcome_of, ping

        async with platform_factory(services=("workflow",)):
            command = ping(actor=Actor(id="vera", role="viewer"))
            await bus.publish_envelope("cmd", command)
            outcome = await outcome_of(bus, command.id)
        assert outcome["type"] == "workflow.command.rejected.v1"
        assert outcome["data"]["code"] == "forbidden" and outcome["data"]["status"] == 403


class TestConventions:
    async def test_operation_ids_are_unique_and_every_field_is_described(self, platform_factory: Any) -> None:
        async with platform_factory(services=()) as platform:
            document = (await platform.http.get("/openapi.json")).json()
        ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
        assert len(ids) == len(set(ids))
        assert document["openapi"].startswith("3.1")
        undescribed = [
            f"{name}.{field}"
            for name, schema in document["components"]["schemas"].items()
            if not name.startswith(("HTTPValidationError", "ValidationError"))
            for field, prop in schema.get("properties", {}).items()
            if "description" not in prop
        ]
        assert undescribed == []

    async def test_a_body_over_the_limit_is_413(self, platform_factory: Any) -> None:
        async with platform_factory(services=(), max_body_bytes=2048) as platform:
            response = await platform.http.post("/api/system/ping", content=b"x" * 4096)
        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM
