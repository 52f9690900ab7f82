"""The table of platform settings: one row per field that is set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from services.gateway.models import Base
from services.kit.db import UtcDateTime


class SettingRecord(Base):
    """One setting: a plain ``value``, or a secret's ``ciphertext`` and the ``last4`` its mask shows."""

    __tablename__ = "gateway_settings"

    group: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    last4: Mapped[str | None] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))
