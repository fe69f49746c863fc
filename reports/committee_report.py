"""What /baocao shows: one cell's latest meeting summary, or every cell's of a committee as chat
messages (a committee of many cells is put together outside the request: scheduler.delivery.long_answers)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import fmt_datetime, kind_text, t
from core.textsplit import split_text
from reports import meeting_summary, weekly
from rules import regular_status
from storage.committees import children, subtree_ids
from storage.models import Cell, Committee, Meeting
from storage.queries import latest_ended_meeting, latest_ended_meetings, missed_meetings

PART_LIMIT = 4000  # visible characters per message (Telegram takes 4096)
# Up to this many cells the committee's report is put together inside the request (a fraction of a
# second); beyond, outside it, so that nobody's answer waits behind it.
INLINE_CELLS = 20


async def cell_count(session: AsyncSession, committee_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(Cell).where(Cell.committee_id.in_(subtree_ids(committee_id)))) or 0


async def committee_parts(session: AsyncSession, committee: Committee, lang: str, tz: ZoneInfo,
                          now: datetime) -> list[str]:
    """The committee's report: a header, then each cell's latest ended meeting (after a meeting not held
    on its date, when one came since), split into messages. With committees below it: its summary of the
    week, each direct child rolled up (``reports.weekly``), as its weekly message says it."""
    if await children(session, committee.id):
        report = await weekly.compute(session, committee.id, now, tz, lang)
        return split_text(weekly.render_text(report, lang, tz), PART_LIMIT)
    cells = list(await session.scalars(select(Cell).where(Cell.committee_id.in_(subtree_ids(committee.id))).order_by(Cell.name)))
    if not cells:
        return [t(lang, "report.no_cells", committee=committee.name)]
    latest = await latest_ended_meetings(session, committee.id)
    missed = await missed_meetings(session, [c.id for c in cells], _today_start(now, tz))
    held = [latest[cell.id] for cell in cells if cell.id in latest]
    summaries = dict(zip([mt.id for mt in held], await meeting_summary.compute_many(session, held, tz), strict=True))
    texts = [t(lang, "report.committee_header", committee=committee.name, count=len(cells))]
    texts += [_cell_text(cell, latest.get(cell.id), summaries, lang, tz, missed.get(cell.id), now) for cell in cells]
    return split_text("\n\n".join(texts), PART_LIMIT)


async def cell_text(session: AsyncSession, cell: Cell, lang: str, tz: ZoneInfo, now: datetime) -> str:
    missed = await missed_meetings(session, [cell.id], _today_start(now, tz))
    meeting = await latest_ended_meeting(session, cell.id)
    summaries = {meeting.id: await meeting_summary.compute(session, meeting, tz)} if meeting is not None else {}
    return _cell_text(cell, meeting, summaries, lang, tz, missed.get(cell.id), now)


def _cell_text(cell: Cell, meeting: Meeting | None, summaries: dict[int, meeting_summary.MeetingSummary], lang: str,
               tz: ZoneInfo, missed: Meeting | None, now: datetime | None) -> str:
    """A cell's part of the report: a meeting not held on its date (when one came since its latest), then the
    summary of its latest ended meeting (``summaries``, computed for it)."""
    lines = []
    if missed is not None and now is not None and (meeting is None or missed.scheduled_at > meeting.scheduled_at):
        day = missed.scheduled_at.astimezone(tz).date()
        if regular_status(missed.period, day, False, False, now.astimezone(tz).date(), date.min) == "not_held":
            lines.append(t(lang, "report.not_held", cell=cell.name, kind=kind_text(lang, missed.kind.value, missed.combined),
                           when=fmt_datetime(missed.scheduled_at, tz)))
    if meeting is None:
        lines.append(t(lang, "report.cell_none", cell=cell.name))
    else:
        lines.append(meeting_summary.render(summaries[meeting.id], lang, tz))
    return "\n".join(lines)


def _today_start(now: datetime, tz: ZoneInfo) -> datetime:
    return datetime.combine(now.astimezone(tz).date(), datetime.min.time(), tzinfo=tz)
