"""Every SQL statement of the workflow service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.models import Epoch, Run, Step

ACTIVE = ("queued", "running")


class RunRepository:
    """Runs, steps and epochs, within the caller's session (the unit of work commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, run: Run, steps: Sequence[str], skipped: set[str]) -> None:
        self.session.add(run)
        for position, name in enumerate(steps):
            status = "skipped" if name in skipped else "pending"
            self.session.add(Step(run_id=run.id, position=position, name=name, status=status))

    async def get(self, run_id: str, lock: bool = False) -> Run | None:
        query = select(Run).where(Run.id == run_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def steps(self, run_id: str) -> list[Step]:
        query = select(Step).where(Step.run_id == run_id).order_by(Step.position)
        return list(await self.session.scalars(query))

    async def step(self, run_id: str, name: str) -> Step:
        query = select(Step).where(Step.run_id == run_id, Step.name == name)
        return (await self.session.scalars(query)).one()

    async def epochs(self, run_id: str) -> list[Epoch]:
        query = select(Epoch).where(Epoch.run_id == run_id).order_by(Epoch.epoch)
        return list(await self.session.scalars(query))

    async def add_epoch(self, run_id: str, epoch: int, metrics: dict[str, Any], seconds: float) -> bool:
        """Store an epoch's metrics once (a re-read event file repeats them); True when new."""
        if await self.session.get(Epoch, (run_id, epoch)) is not None:
            return False
        self.session.add(Epoch(run_id=run_id, epoch=epoch, metrics=metrics, seconds=seconds))
        return True

    async def claim_queued(self, run_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Move a queued run to running for ``owner``; False if another instance was first."""
        result = await self.session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == "queued")
            .values(status="running", step="train", owner=owner, lease_expires_at=now + lease, started_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def queued(self, limit: int) -> list[Run]:
        query = select(Run).where(Run.status == "queued").order_by(Run.created_at, Run.id).limit(limit)
        return list(await self.session.scalars(query))

    async def training_count(self) -> int:
        query = select(func.count()).select_from(Run).where(Run.status == "running", Run.step == "train")
        return int(await self.session.scalar(query) or 0)

    async def queue_position(self, run: Run) -> int:
        query = (
            select(func.count())
            .select_from(Run)
            .where(
                Run.status == "queued",
                or_(
                    Run.created_at < run.created_at, and_(Run.created_at == run.created_at, Run.id <= run.id)
                ),
            )
        )
        return int(await self.session.scalar(query) or 0)

    async def owned(self, owner: str) -> list[Run]:
        query = select(Run).where(Run.status == "running", Run.owner == owner).order_by(Run.created_at)
        return list(await self.session.scalars(query))

    async def renew(self, owner: str, until: datetime) -> None:
        await self.session.execute(
            update(Run).where(Run.status == "running", Run.owner == owner).values(lease_expires_at=until)
        )

    async def adopt(self, owner: str, now: datetime, lease: timedelta) -> list[str]:
        """Take over running runs whose watcher stopped renewing its lease."""
        stale = or_(Run.lease_expires_at.is_(None), Run.lease_expires_at < now)
        query = select(Run.id).where(Run.status == "running", Run.owner != owner, stale)
        ids = list(await self.session.scalars(query))
        if ids:
            await self.session.execute(
                update(Run)
                .where(Run.id.in_(ids), Run.status == "running", stale)
                .values(owner=owner, lease_expires_at=now + lease)
            )
        return ids

    async def waiting_on(self, command_id: str) -> Run | None:
        query = select(Run).where(Run.pending_command == command_id, Run.status == "running")
        return (await self.session.scalars(query)).one_or_none()

    async def page(
        self,
        statuses: list[str] | None,
        model_type: str | None,
        created_by: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Run], int]:
        conditions: list[ColumnElement[bool]] = []
        if statuses:
            conditions.append(Run.status.in_(statuses))
        if model_type:
            conditions.append(Run.model_type == model_type)
        if created_by:
            conditions.append(Run.created_by == created_by)
        total = await self.session.scalar(select(func.count()).select_from(Run).where(*conditions))
        query = (
            select(Run)
            .where(*conditions)
            .order_by(Run.created_at.desc(), Run.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(await self.session.scalars(query)), int(total or 0)

    async def queue_positions(self) -> dict[str, int]:
        """Position of every queued run (1 starts next)."""
        query = select(Run.id).where(Run.status == "queued").order_by(Run.created_at, Run.id)
        return {run_id: i for i, run_id in enumerate(await self.session.scalars(query), start=1)}
