"""The rules of signing in: sessions, tokens, rate limits, and the users admins manage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from contracts.envelope import Actor, new_id, utcnow
from services.gateway.auth import credentials
from services.gateway.auth.repository import AuthRepository
from services.gateway.models import ApiToken, BrowserSession, LoginFailure, User
from services.kit.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthenticated
from services.kit.runtime import Service

UserRole = Literal["viewer", "editor", "admin"]
USER_ROLES: tuple[UserRole, ...] = get_args(UserRole)
CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Caller:
    """A signed-in user, and how they proved it."""

    user_id: str
    username: str
    role: UserRole
    via: Literal["session", "token"]
    csrf_token: str | None = None
    credential: str | None = None  # hash of the session or token that authenticated the call

    @property
    def actor(self) -> Actor:
        return Actor(id=self.username, role=self.role)


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime
    caller: Caller


class AuthService:
    """Users, sessions and tokens, on the gateway's own database."""

    def __init__(self, service: Service, session_hours: float, failures_per_minute: int) -> None:
        self.service = service
        self.session_length = timedelta(hours=session_hours)
        self.failures_per_minute = failures_per_minute
        self._cache: dict[str, tuple[float, Caller | None]] = {}

    async def bootstrap_admin(self, password: str | None) -> bool:
        """Create the user ``admin`` when there are no users at all; True when it was created."""
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            if password is None or await repo.count_users() > 0:
                return False
            repo.add(_user("admin", await asyncio.to_thread(credentials.hash_password, password), "admin"))
        return True

    async def login(self, username: str, password: str) -> NewSession:
        now = utcnow()
        # The attempt is counted before the (slow) password check, so guesses sent in parallel
        # are counted too; a right password takes its attempt back.
        attempt = LoginFailure(username=username[:64], at=now)
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            repo.add(attempt)
            await repo.forget_failures(now - timedelta(hours=1))
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            attempts = await repo.recent_failures(username[:64], now - timedelta(minutes=1), attempt.id)
            user = await repo.user_by_name(username)
        if attempts > self.failures_per_minute:
            raise RateLimited(
                f"too many wrong passwords for {username!r}; try again in a minute", field="password"
            )
        stored = user.password_hash if user is not None else credentials.DUMMY_HASH
        if not await asyncio.to_thread(credentials.verify_password, stored, password) or user is None:
            raise Unauthenticated("wrong username or password", field="password")
        async with self.service.unit_of_work() as uow:
            await AuthRepository(uow.session).forget_attempt(attempt.id)
        if user.disabled:
            raise Forbidden(f"the account {username!r} is disabled", field="username")
        token, csrf = credentials.new_secret(), credentials.new_secret()
        expires_at = now + self.session_length
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            repo.add(
                BrowserSession(
                    token_hash=credentials.digest(token),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            await repo.end_expired_sessions(now)
            stored_user = await repo.user(user.id)
            if stored_user is not None:
                stored_user.last_login_at = now
        caller = Caller(user.id, user.username, _role(user), "session", csrf, credentials.digest(token))
        return NewSession(token, csrf, expires_at, caller)

    async def logout(self, caller: Caller) -> None:
        if caller.via == "session" and caller.credential:
            async with self.service.unit_of_work() as uow:
                await AuthRepository(uow.session).end_session(caller.credential)
            self._cache.pop(caller.credential, None)

    async def from_session(self, token: str) -> Caller | None:
        return await self._cached(credentials.digest(token), self._lookup_session)

    async def from_bearer(self, token: str) -> Caller | None:
        return await self._cached(credentials.digest(token), self._lookup_token)

    async def _cached(self, key: str, lookup: Callable[[str], Awaitable[Caller | None]]) -> Caller | None:
        hit = self._cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        caller = await lookup(key)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (time.monotonic() + CACHE_SECONDS, caller)
        return caller

    async def _lookup_session(self, token_hash: str) -> Caller | None:
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            row = await repo.browser_session(token_hash)
            if row is None or row.expires_at <= utcnow():
                return None
            user = await repo.user(row.user_id)
        if user is None or user.disabled:
            return None
        return Caller(user.id, user.username, _role(user), "session", row.csrf_token, token_hash)

    async def _lookup_token(self, token_hash: str) -> Caller | None:
        now = utcnow()
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            row = await repo.token_by_hash(token_hash)
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                return None
            user = await repo.user(row.user_id)
            if user is None or user.disabled:
                return None
            await repo.touch_token(row.id, now)
        return Caller(user.id, user.username, _role(user), "token", None, token_hash)

    async def create_token(self, caller: Caller, name: str, days: int) -> tuple[str, ApiToken]:
        token = credentials.new_api_token()
        now = utcnow()
        row = ApiToken(
            id=new_id(),
            user_id=caller.user_id,
            name=name,
            token_hash=credentials.digest(token),
            prefix=token[: len(credentials.TOKEN_PREFIX) + 4],
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        async with self.service.unit_of_work() as uow:
            AuthRepository(uow.session).add(row)
        return token, row

    async def tokens(self, user_id: str) -> list[ApiToken]:
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            await self._existing(repo, user_id)
            return list(await repo.tokens_of(user_id))

    async def revoke_token(self, caller: Caller, token_id: str) -> ApiToken:
        async with self.service.unit_of_work() as uow:
            row = await AuthRepository(uow.session).token(token_id)
            if row is None or (row.user_id != caller.user_id and caller.role != "admin"):
                raise NotFound(f"no token with id {token_id!r}", field="token_id")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
        self._cache.pop(row.token_hash, None)  # after the commit: a request in between would re-cache it
        return row

    async def create_user(self, username: str, password: str, role: UserRole) -> User:
        password_hash = await asyncio.to_thread(credentials.hash_password, password)
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            if await repo.user_by_name(username) is not None:
                raise Conflict(f"a user named {username!r} exists", field="username")
            user = _user(username, password_hash, role)
            repo.add(user)
        return user

    async def users(
        self, limit: int, offset: int, role: str | None, search: str | None
    ) -> tuple[list[User], int]:
        async with self.service.unit_of_work() as uow:
            rows, total = await AuthRepository(uow.session).users(limit, offset, role, search)
            return list(rows), total

    async def update_user(
        self,
        caller: Caller,
        user_id: str,
        role: UserRole | None,
        disabled: bool | None,
        password: str | None,
    ) -> User:
        password_hash = await asyncio.to_thread(credentials.hash_password, password) if password else None
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            user = await self._existing(repo, user_id)
            demoted = (role is not None and role != "admin") or disabled is True
            if (
                user.role == "admin"
                and not user.disabled
                and demoted
                and await repo.lock_enabled_admins() <= 1
            ):
                raise Conflict(
                    "the last enabled admin cannot be demoted or disabled",
                    field="disabled" if disabled else "role",
                )
            if role is not None:
                user.role = role
            if disabled is not None:
                user.disabled = disabled
            if password_hash is not None:
                user.password_hash = password_hash
                await repo.revoke_tokens_of(user.id, utcnow())  # a reset locks out whoever had them
            if disabled or password_hash is not None or role is not None:
                await repo.end_sessions_of(user.id)
        self._cache.clear()
        return user

    async def delete_user(self, caller: Caller, user_id: str) -> None:
        async with self.service.unit_of_work() as uow:
            repo = AuthRepository(uow.session)
            user = await self._existing(repo, user_id)
            if user.role == "admin" and not user.disabled and await repo.lock_enabled_admins() <= 1:
                raise Conflict("the last enabled admin cannot be deleted", field="user_id")
            await repo.delete_user(user)
        self._cache.clear()

    async def _existing(self, repo: AuthRepository, user_id: str) -> User:
        user = await repo.user(user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id!r}", field="user_id")
        return user


def _user(username: str, password_hash: str, role: str) -> User:
    return User(
        id=new_id(),
        username=username,
        password_hash=password_hash,
        role=role,
        disabled=False,
        created_at=utcnow(),
    )


def _role(user: User) -> UserRole:
    if user.role not in USER_ROLES:
        raise ValueError(f"user {user.username!r} has an unknown role {user.role!r}")
    return user.role
