"""Party dues in the database: the months paid, read for a member, a cell's month and a cell's year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.calendar import month_key, month_start
from rules.dues import Collection, collection, owes
from storage.models import DuesPayment, Member


async def payment(session: AsyncSession, member_id: int, month: date) -> DuesPayment | None:
    return await session.scalar(select(DuesPayment).where(DuesPayment.member_id == member_id,
                                                          DuesPayment.month == month))


async def member_year(session: AsyncSession, member_id: int, year: int) -> dict[str, int]:
    """Month ("YYYY-MM") -> amount paid, for one member's calendar year."""
    rows = await session.scalars(select(DuesPayment).where(
        DuesPayment.member_id == member_id, DuesPayment.month >= date(year, 1, 1),
        DuesPayment.month <= date(year, 12, 1)))
    return {month_key(p.month): p.amount for p in rows}


async def cell_month(session: AsyncSession, cell_id: int, month: date) -> dict[int, int]:
    """Member -> amount paid for ``month`` (its first day), in the cell."""
    rows = await session.scalars(select(DuesPayment).where(DuesPayment.cell_id == cell_id,
                                                           DuesPayment.month == month))
    return {p.member_id: p.amount for p in rows}


async def cell_year(session: AsyncSession, cell_id: int, year: int) -> dict[int, set[str]]:
    """Member -> the months ("YYYY-MM") of ``year`` they paid, in the cell."""
    rows = await session.execute(select(DuesPayment.member_id, DuesPayment.month).where(
        DuesPayment.cell_id == cell_id, DuesPayment.month >= date(year, 1, 1), DuesPayment.month <= date(year, 12, 1)))
    paid: dict[int, set[str]] = defaultdict(set)
    for member_id, month in rows:
        paid[member_id].add(month_key(month))
    return dict(paid)


async def first_month(session: AsyncSession, cell_id: int) -> str | None:
    """The first month ("YYYY-MM") the cell recorded any dues for: months before it are not on chibo's record."""
    first = await session.scalar(select(func.min(DuesPayment.month)).where(DuesPayment.cell_id == cell_id))
    return month_key(first) if first is not None else None


async def cell_collection(session: AsyncSession, cell_id: int, month: str, day: date) -> Collection | None:
    """The cell's dues for ``month``: the members active on ``day`` who owe it, paid n of m, amount collected.
    None when the cell records no dues in chibo."""
    return (await collections(session, [cell_id], month, day)).get(cell_id)


async def collections(session: AsyncSession, cell_ids: Sequence[int] | Select, month: str, day: date) -> dict[int, Collection]:
    """``cell_collection`` for many cells in three queries, whatever their number (the weekly summary, the web
    view); a cell that records no dues in chibo is left out."""
    return (await collections_by_month(session, cell_ids, [(month, day)]))[month]


async def collections_by_month(session: AsyncSession, cell_ids: Sequence[int] | Select,
                               months: Sequence[tuple[str, date]]) -> dict[str, dict[int, Collection]]:
    """Month -> ``collections`` of the cells for that month (the members active on its day who owe it), for several
    months in the same three queries; ``cell_ids``: the ids, or a select of them (a committee's subtree)."""
    out: dict[str, dict[int, Collection]] = {month: {} for month, _ in months}
    ids = cell_ids if isinstance(cell_ids, Select) else list(cell_ids)
    if not months or (not isinstance(ids, Select) and not ids):
        return out
    recording = set(await session.scalars(select(DuesPayment.cell_id).where(DuesPayment.cell_id.in_(ids)).distinct()))
    if not recording:
        return out
    first, last = min(day for _, day in months), max(day for _, day in months)
    members = (await session.execute(
        select(Member.id, Member.cell_id, Member.active_from, Member.active_to).where(
            Member.cell_id.in_(recording), Member.active_from <= last,
            or_(Member.active_to.is_(None), Member.active_to >= first)))).all()
    paid: dict[date, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for cell_id, member_id, amount, month_day in await session.execute(
        select(DuesPayment.cell_id, DuesPayment.member_id, DuesPayment.amount, DuesPayment.month).where(
            DuesPayment.cell_id.in_(recording),
            DuesPayment.month.in_(sorted({month_start(month) for month, _ in months})))):
        paid[month_day][cell_id][member_id] = amount
    for month, day in months:
        owing: dict[int, list[int]] = defaultdict(list)
        for member_id, cell_id, joined, left in members:
            if joined <= day and (left is None or left >= day) and owes(month, joined, left):
                owing[cell_id].append(member_id)
        in_month = paid.get(month_start(month), {})
        out[month] = {cell_id: collection(owing.get(cell_id, []), in_month.get(cell_id, {})) for cell_id in recording}
    return out
