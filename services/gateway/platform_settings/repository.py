"""Every statement on the settings table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.platform_settings.models import SettingRecord

_UPDATED = ("value", "ciphertext", "last4", "updated_at", "updated_by")


class SettingsRepository:
    """Reads and writes setting rows in the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rows(self, group: str | None = None) -> list[SettingRecord]:
        """Every stored setting, or those of ``group``."""
        query = (
            select(SettingRecord)
            .order_by(SettingRecord.group, SettingRecord.name)
            .execution_options(populate_existing=True)  # rows written in this session by put()
        )
        if group is not None:
            query = query.where(SettingRecord.group == group)
        return list(await self.session.scalars(query))

    async def put(self, rows: list[dict[str, Any]]) -> None:
        """Insert or replace rows (all columns given): the last writer of a field wins, without a race."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(SettingRecord).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["group", "name"], set_={c: statement.excluded[c] for c in _UPDATED}
        )
        await self.session.execute(statement)

    async def remove(self, group: str, names: Iterable[str]) -> None:
        """Delete the named settings of ``group`` (they fall back to their defaults)."""
        names = list(names)
        if names:
            await self.session.execute(
                delete(SettingRecord).where(SettingRecord.group == group, SettingRecord.name.in_(names))
            )
