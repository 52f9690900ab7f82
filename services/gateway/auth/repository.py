"""Every query on users, sessions, API tokens and login failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import ApiToken, BrowserSession, LoginFailure, User


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_by_name(self, username: str) -> User | None:
        return await self.session.scalar(select(User).where(User.username == username))

    async def user(self, user_id: str) -> User | None:
        return await self.session.get(User, user_id)

    async def count_users(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(User)) or 0)

    async def lock_enabled_admins(self) -> int:
        """How many enabled admins there are, locking their rows until the transaction ends (so two
        concurrent demotions cannot both see another admin left)."""
        query = select(User.id).where(User.role == "admin", User.disabled.is_(False)).with_for_update()
        return len((await self.session.scalars(query)).all())

    async def users(
        self, limit: int, offset: int, role: str | None, search: str | None
    ) -> tuple[Sequence[User], int]:
        query = select(User)
        if role:
            query = query.where(User.role == role)
        if search:
            query = query.where(User.username.contains(search, autoescape=True))
        total = int(await self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = await self.session.scalars(query.order_by(User.username).limit(limit).offset(offset))
        return rows.all(), total

    def add(self, row: User | BrowserSession | ApiToken | LoginFailure) -> None:
        self.session.add(row)

    async def delete_user(self, user: User) -> None:
        await self.session.execute(delete(BrowserSession).where(BrowserSession.user_id == user.id))
        await self.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        await self.session.delete(user)

    async def browser_session(self, token_hash: str) -> BrowserSession | None:
        return await self.session.get(BrowserSession, token_hash)

    async def end_session(self, token_hash: str) -> None:
        await self.session.execute(delete(BrowserSession).where(BrowserSession.token_hash == token_hash))

    async def end_sessions_of(self, user_id: str) -> None:
        await self.session.execute(delete(BrowserSession).where(BrowserSession.user_id == user_id))

    async def end_expired_sessions(self, now: datetime) -> None:
        await self.session.execute(delete(BrowserSession).where(BrowserSession.expires_at < now))

    async def token_by_hash(self, token_hash: str) -> ApiToken | None:
        return await self.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))

    async def tokens_of(self, user_id: str) -> Sequence[ApiToken]:
        rows = await self.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
        )
        return rows.all()

    async def token(self, token_id: str) -> ApiToken | None:
        return await self.session.get(ApiToken, token_id)

    async def touch_token(self, token_id: str, now: datetime) -> None:
        await self.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))

    async def recent_failures(self, username: str, since: datetime, up_to_id: int | None = None) -> int:
        """Attempts for ``username`` since ``since`` (up to attempt ``up_to_id``, counting it)."""
        query = select(func.count()).where(LoginFailure.username == username, LoginFailure.at >= since)
        if up_to_id is not None:
            query = query.where(LoginFailure.id <= up_to_id)
        return int(await self.session.scalar(query) or 0)

    async def forget_attempt(self, attempt_id: int) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id))

    async def revoke_tokens_of(self, user_id: str, now: datetime) -> None:
        await self.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def forget_failures(self, before: datetime) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.at < before))
