"""The quality levels in the weekly summary: each cell's proposed level for this month's regular
meeting, and the committee's distribution (one query, whatever the committee's size)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reports.weekly_data import CommitteeYear
from reports.weekly_model import WeeklyReport
from rules.quality import Level
from storage.models import MeetingAssessment, MeetingKind

NOT_ASSESSED = "none"


async def add_levels(session: AsyncSession, report: WeeklyReport, data: CommitteeYear) -> None:
    regular = {}  # cell id -> this month's regular meeting id, when it was held
    for cell_id, meetings in data.meetings_by_cell.items():
        for mt in meetings:
            if mt.period == report.month and mt.kind == MeetingKind.THUONG_KY.value and mt.ended_at is not None:
                regular[cell_id] = mt.id
    if not regular:
        return
    rows = await session.execute(
        select(MeetingAssessment.meeting_id, MeetingAssessment.level, MeetingAssessment.score)
        .where(MeetingAssessment.meeting_id.in_(list(regular.values())), MeetingAssessment.completed_at.is_not(None))
    )
    levels = {meeting_id: (level, score) for meeting_id, level, score in rows}
    for cw in report.cells:
        meeting_id = regular.get(cw.cell_id)
        if meeting_id in levels:
            cw.quality_level, cw.quality_score = levels[meeting_id]


def distribution(report: WeeklyReport) -> dict[str, int]:
    """How many held regular meetings were proposed at each level (and how many are not assessed)."""
    counts = {level.value: 0 for level in Level} | {NOT_ASSESSED: 0}
    for cw in report.cells:
        if cw.regular.status == "held":
            counts[cw.quality_level or NOT_ASSESSED] += 1
    return counts
