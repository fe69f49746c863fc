"""What /baocao shows: one cell's latest meeting summary, or every cell's of a committee as chat
messages (a committee of many cells is put together outside the request: scheduler.long_answers)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import t
from core.textsplit import split_text
from reports import meeting_summary
from storage.models import Cell, Committee, Meeting
from storage.queries import latest_ended_meeting, latest_ended_meetings

PART_LIMIT = 4000  # visible characters per message (Telegram takes 4096)
# Up to this many cells the committee's report is put together inside the request (a fraction of a
# second); beyond, outside it, so that nobody's answer waits behind it.
INLINE_CELLS = 20


async def cell_count(session: AsyncSession, committee_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(Cell).where(Cell.committee_id == committee_id)) or 0


async def committee_parts(session: AsyncSession, committee: Committee, lang: str, tz: ZoneInfo) -> list[str]:
    """The committee's report: a header, then each cell's latest ended meeting, split into messages."""
    cells = list(await session.scalars(select(Cell).where(Cell.committee_id == committee.id).order_by(Cell.name)))
    if not cells:
        return [t(lang, "report.no_cells", committee=committee.name)]
    latest = await latest_ended_meetings(session, committee.id)
    texts = [t(lang, "report.committee_header", committee=committee.name, count=len(cells))]
    texts += [await cell_summary(session, cell, latest.get(cell.id), lang, tz) for cell in cells]
    return split_text("\n\n".join(texts), PART_LIMIT)


async def cell_text(session: AsyncSession, cell: Cell, lang: str, tz: ZoneInfo) -> str:
    return await cell_summary(session, cell, await latest_ended_meeting(session, cell.id), lang, tz)


async def cell_summary(session: AsyncSession, cell: Cell, meeting: Meeting | None, lang: str, tz: ZoneInfo) -> str:
    if meeting is None:
        return t(lang, "report.cell_none", cell=cell.name)
    return meeting_summary.render(await meeting_summary.compute(session, meeting, tz), lang, tz)
