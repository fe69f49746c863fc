"""The yearly rating of cells: the level the committee set for a year, and its audit (``CellYearRating``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CellYearRating


async def ratings(session: AsyncSession, cell_ids: Sequence[int] | Select, year: int) -> dict[int, CellYearRating]:
    """The latest decision on each cell's level for ``year`` (cells never rated are left out); one query.
    ``cell_ids``: the ids, or a select of them (a committee's subtree)."""
    ids = cell_ids if isinstance(cell_ids, Select) else list(cell_ids)
    if not isinstance(ids, Select) and not ids:
        return {}
    out: dict[int, CellYearRating] = {}
    for row in await session.scalars(select(CellYearRating).where(
            CellYearRating.cell_id.in_(ids), CellYearRating.year == year).order_by(CellYearRating.at, CellYearRating.id)):
        out[row.cell_id] = row  # the later wins
    return out


async def history(session: AsyncSession, cell_id: int, year: int) -> list[CellYearRating]:
    """Every decision on the cell's level for ``year``, oldest first."""
    return list(await session.scalars(select(CellYearRating).where(
        CellYearRating.cell_id == cell_id, CellYearRating.year == year).order_by(CellYearRating.at, CellYearRating.id)))


async def rate(session: AsyncSession, cell_id: int, year: int, level: str, proposed: str | None, reason: str | None,
               actor: str, committee_member_id: int | None, at: datetime) -> CellYearRating:
    """Record the committee's level for the cell's year, with the level it replaces."""
    current = (await ratings(session, [cell_id], year)).get(cell_id)
    row = CellYearRating(cell_id=cell_id, year=year, level=level, previous_level=current.level if current else None,
                         proposed_level=proposed, reason=reason, actor=actor, committee_member_id=committee_member_id,
                         at=at)
    session.add(row)
    await session.flush()
    return row
