"""The audit trail: every command accepted or refused, who asked, and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.gateway.commands import AuditFilter, CommandView
from services.gateway.gateway import GatewayDep
from services.gateway.pagination import Page, Paging

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", summary="Commands with who asked, when, the target and the outcome; newest first.")
async def audit(
    gateway: GatewayDep,
    paging: Paging,
    actor: Annotated[str | None, Query(max_length=200, description="Only this actor (username).")] = None,
    type: Annotated[str | None, Query(max_length=200, description="Only this command type.")] = None,
    service: Annotated[
        str | None, Query(max_length=50, description="Only commands owned by this service.")
    ] = None,
    status: Annotated[
        Literal["pending", "succeeded", "rejected", "refused"] | None, Query(description="Only this outcome.")
    ] = None,
    since: Annotated[datetime | None, Query(description="Issued at or after (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Issued before (ISO 8601).")] = None,
) -> Page[CommandView]:
    found = AuditFilter(actor=actor, type=type, service=service, status=status, since=since, until=until)
    items, total = await gateway.commands.audit(found, paging.limit, paging.offset)
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)
