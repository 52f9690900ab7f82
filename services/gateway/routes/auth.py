"""Sign in and out, who am I, personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from contracts.envelope import Input
from services.gateway.auth.http import COOKIE, CurrentCaller
from services.gateway.gateway import GatewayDep
from services.gateway.models import ApiToken

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(Input):
    """A username and password."""

    username: str = Field(min_length=1, max_length=64, description="Username, e.g. admin.")
    password: str = Field(min_length=1, max_length=1024, description="Password.")


class Me(BaseModel):
    """The signed-in user."""

    user_id: str = Field(description="User id.")
    username: str = Field(description="Username.")
    role: Literal["viewer", "editor", "admin"] = Field(description="Role.")
    via: Literal["session", "token"] = Field(description="How this request was authenticated.")
    csrf_token: str | None = Field(
        default=None,
        description="Send it back in the X-CSRF-Token header on unsafe requests (sessions only).",
    )


class LoginResponse(Me):
    """A new browser session (the cookie is set on the response)."""

    expires_at: datetime = Field(description="When the session ends.")


class TokenRequest(Input):
    """A new personal API token."""

    name: str = Field(min_length=1, max_length=100, description="What the token is for, e.g. 'ci'.")
    expires_in_days: int = Field(default=90, ge=1, le=365, description="Days until the token stops working.")


class TokenView(BaseModel):
    """A personal API token, without its secret."""

    id: str = Field(description="Token id (for revoking).")
    name: str = Field(description="What the token is for.")
    prefix: str = Field(description="First characters of the token, to recognise it.")
    created_at: datetime = Field(description="When it was created.")
    expires_at: datetime = Field(description="When it stops working.")
    revoked_at: datetime | None = Field(description="When it was revoked, if it was.")
    last_used_at: datetime | None = Field(description="When it was last used.")

    @classmethod
    def of(cls, row: ApiToken) -> TokenView:
        return cls.model_validate(row, from_attributes=True)


class NewToken(TokenView):
    """A new token: ``token`` is shown this once and stored only as a hash."""

    token: str = Field(description="The token: send it as 'Authorization: Bearer <token>'.")


@router.post("/login", summary="Sign in; sets the session cookie and returns the CSRF token.")
async def login(
    body: LoginRequest, gateway: GatewayDep, request: Request, response: Response
) -> LoginResponse:
    session = await gateway.auth.login(body.username, body.password)
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=int(gateway.auth.session_length.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=gateway.settings.cookie_secure or request.url.scheme == "https",
        path="/",
    )
    caller = session.caller
    return LoginResponse(
        user_id=caller.user_id,
        username=caller.username,
        role=caller.role,
        via="session",
        csrf_token=session.csrf_token,
        expires_at=session.expires_at,
    )


@router.post("/logout", status_code=204, summary="Sign out: end this session.")
async def logout(caller: CurrentCaller, gateway: GatewayDep, response: Response) -> None:
    await gateway.auth.logout(caller)
    response.delete_cookie(COOKIE, path="/")


@router.get("/me", summary="The signed-in user.")
async def me(caller: CurrentCaller) -> Me:
    return Me(
        user_id=caller.user_id,
        username=caller.username,
        role=caller.role,
        via=caller.via,
        csrf_token=caller.csrf_token,
    )


@router.post("/tokens", status_code=201, summary="Create a personal API token (shown once).")
async def create_token(body: TokenRequest, caller: CurrentCaller, gateway: GatewayDep) -> NewToken:
    token, row = await gateway.auth.create_token(caller, body.name, body.expires_in_days)
    await gateway.commands.done(caller.actor, "tokens.create", f"{row.name} ({row.prefix}…)")
    return NewToken(token=token, **TokenView.of(row).model_dump())


@router.get("/tokens", summary="Your personal API tokens (without their secrets).")
async def list_tokens(caller: CurrentCaller, gateway: GatewayDep) -> list[TokenView]:
    return [TokenView.of(row) for row in await gateway.auth.tokens(caller.user_id)]


@router.delete("/tokens/{token_id}", summary="Revoke a personal API token.")
async def revoke_token(
    token_id: Annotated[str, Path(max_length=64, description="Token id.")],
    caller: CurrentCaller,
    gateway: GatewayDep,
) -> TokenView:
    row = await gateway.auth.revoke_token(caller, token_id)
    await gateway.commands.done(caller.actor, "tokens.revoke", f"{row.name} ({row.prefix}…)")
    return TokenView.of(row)
