"""Tables of the gateway (all prefixed ``gateway_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.db import UtcDateTime, new_metadata
from services.kit.tables import add_kit_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


KIT = add_kit_tables(Base.metadata, "gateway")


class CommandRecord(Base):
    """A command the gateway issued on someone's behalf, and its outcome once known."""

    __tablename__ = "gateway_commands"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(50))
    correlation_id: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    code: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
