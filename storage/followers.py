"""Which committee member follows (phụ trách) which cells: set by the operator (``chibo committee follow``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.committees import subtree
from storage.models import AuditLog, Cell, CellFollower, CommitteeMember


class FollowError(ValueError):
    """A cell outside the person's committee and those below it, or an unknown person: nothing is written."""


async def set_follows(session: AsyncSession, person_id: int, cells: list[Cell], now: datetime, *,
                      stop: bool = False) -> list[Cell]:
    """The person starts (or with ``stop`` stops) following ``cells``; returns every cell they follow now."""
    person = await session.get(CommitteeMember, person_id)
    if person is None:
        raise FollowError(f"không có cấp ủy viên #{person_id} / no committee member #{person_id}")
    below = await subtree(session, person.committee_id)  # a district's member may follow its wards' cells
    foreign = [c for c in cells if c.committee_id not in below]
    if foreign:
        raise FollowError(", ".join(f"#{c.id} {c.name}" for c in foreign))
    current = set(await session.scalars(select(CellFollower.cell_id).where(CellFollower.committee_member_id == person.id)))
    ids = {c.id for c in cells}
    if stop:
        await session.execute(delete(CellFollower).where(CellFollower.committee_member_id == person.id,
                                                         CellFollower.cell_id.in_(ids)))
    else:
        session.add_all(CellFollower(cell_id=i, committee_member_id=person.id, since=now) for i in sorted(ids - current))
    session.add(AuditLog(actor="operator", action="unfollow" if stop else "follow", entity="committee_member",
                         entity_id=person.id, before={"cells": sorted(current)},
                         after={"cells": sorted(current - ids if stop else current | ids)}, at=now))
    await session.flush()
    return list(await session.scalars(
        select(Cell).join(CellFollower, CellFollower.cell_id == Cell.id)
        .where(CellFollower.committee_member_id == person.id).order_by(Cell.name)))
