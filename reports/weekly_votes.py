"""The votes held at the cells' meetings this year, for the weekly workbook (one row each)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reports.votes import result_of
from reports.weekly_data import CommitteeYear
from reports.weekly_model import VoteRow, WeeklyReport
from storage.models import Vote


async def add(session: AsyncSession, report: WeeklyReport, data: CommitteeYear, tz: ZoneInfo) -> None:
    """Each closed vote of the meetings loaded, in the order they were held."""
    meetings = {mt.id: mt for mt in data.meetings}
    if not meetings:
        return
    names = data.cell_names
    for vote in await session.scalars(select(Vote).where(Vote.meeting_id.in_(list(meetings)),
                                                         Vote.closed_at.is_not(None)).order_by(Vote.id)):
        mt = meetings[vote.meeting_id]
        r = result_of(vote)
        report.votes.append(VoteRow(names[mt.cell_id], mt.scheduled_at.astimezone(tz).date(), vote.subject,
                                    r.approve, r.against, r.not_voted, r.of, r.adopted))
