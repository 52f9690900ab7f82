"""Users, managed by admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from contracts.envelope import Input
from services.gateway.auth.http import CurrentCaller
from services.gateway.gateway import GatewayDep
from services.gateway.models import User
from services.gateway.pagination import Page, Paging
from services.gateway.routes.auth import TokenView

router = APIRouter(prefix="/api/users", tags=["users"])

UserRole = Literal["viewer", "editor", "admin"]
USERNAME = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


class UserView(BaseModel):
    """A user, without their password."""

    id: str = Field(description="User id.")
    username: str = Field(description="Username.")
    role: UserRole = Field(description="Role.")
    disabled: bool = Field(description="A disabled user cannot sign in; their tokens stop working.")
    created_at: datetime = Field(description="When the user was created.")
    last_login_at: datetime | None = Field(description="Last sign-in.")

    @classmethod
    def of(cls, row: User) -> UserView:
        return cls.model_validate(row, from_attributes=True)


class NewUser(Input):
    """A user to create."""

    username: str = Field(pattern=USERNAME, description="Letters, digits and _ . @ - (at most 64).")
    password: str = Field(min_length=8, max_length=1024, description="At least 8 characters.")
    role: UserRole = Field(
        description="viewer reads; editor also runs, deploys, promotes; admin also manages."
    )


class UserChange(Input):
    """Changes to a user; omitted fields stay as they are."""

    role: UserRole | None = Field(default=None, description="New role.")
    disabled: bool | None = Field(default=None, description="Disable or enable the user.")
    password: str | None = Field(default=None, min_length=8, max_length=1024, description="New password.")


UserId = Annotated[str, Path(max_length=64, description="User id.")]


@router.get("", summary="List users.")
async def list_users(
    gateway: GatewayDep,
    paging: Paging,
    role: Annotated[UserRole | None, Query(description="Only users with this role.")] = None,
    search: Annotated[str | None, Query(max_length=64, description="Part of the username.")] = None,
) -> Page[UserView]:
    rows, total = await gateway.auth.users(paging.limit, paging.offset, role, search)
    return Page(items=[UserView.of(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.post("", status_code=201, summary="Create a user.")
async def create_user(body: NewUser, caller: CurrentCaller, gateway: GatewayDep) -> UserView:
    user = await gateway.auth.create_user(body.username, body.password, body.role)
    await gateway.commands.done(caller.actor, "users.create", user.username, role=body.role)
    return UserView.of(user)


@router.patch("/{user_id}", summary="Change a user's role, password, or disable them.")
async def update_user(
    user_id: UserId, body: UserChange, caller: CurrentCaller, gateway: GatewayDep
) -> UserView:
    user = await gateway.auth.update_user(caller, user_id, body.role, body.disabled, body.password)
    changed = sorted(body.model_dump(exclude_none=True))
    await gateway.commands.done(caller.actor, "users.update", user.username, fields=changed)
    return UserView.of(user)


@router.get(
    "/{user_id}/tokens", summary="A user's personal API tokens (without their secrets), to revoke one."
)
async def list_user_tokens(user_id: UserId, gateway: GatewayDep) -> list[TokenView]:
    return [TokenView.of(row) for row in await gateway.auth.tokens(user_id)]


@router.delete("/{user_id}", status_code=204, summary="Delete a user.")
async def delete_user(user_id: UserId, caller: CurrentCaller, gateway: GatewayDep) -> Response:
    await gateway.auth.delete_user(caller, user_id)
    await gateway.commands.done(caller.actor, "users.delete", user_id)
    return Response(status_code=204)
