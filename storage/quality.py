"""Reads and writes of the quality assessment, and the task reads it needs (tasks of a meeting)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.names import name_key
from storage.models import Attendance, AttendanceStatus, Meeting, MeetingAssessment, Member, Task


async def assessment_for(session: AsyncSession, meeting_id: int) -> MeetingAssessment | None:
    return await session.scalar(select(MeetingAssessment).where(MeetingAssessment.meeting_id == meeting_id))


async def assessments_by_meeting(session: AsyncSession, meeting_ids: Iterable[int]) -> dict[int, MeetingAssessment]:
    """The assessments of those of ``meeting_ids`` that have one, in one query."""
    return {a.meeting_id: a for a in await session.scalars(
        select(MeetingAssessment).where(MeetingAssessment.meeting_id.in_(list(meeting_ids))))}


async def get_or_create_assessment(session: AsyncSession, meeting: Meeting, member_id: int | None,
                                   now: datetime) -> MeetingAssessment:
    row = await assessment_for(session, meeting.id)
    if row is None:
        row = MeetingAssessment(meeting_id=meeting.id, cell_id=meeting.cell_id, answers={},
                                asked_by_member_id=member_id, created_at=now)
        session.add(row)
        await session.flush()
    return row


@dataclass(frozen=True)
class TaskLine:
    member_id: int
    member_name: str
    description: str
    due_on: date
    done_at: datetime | None


async def meeting_tasks(session: AsyncSession, meeting_id: int) -> list[TaskLine]:
    """The tasks given at a meeting, by member name (the Vietnamese way) then deadline."""
    rows = await session.execute(
        select(Task.member_id, Member.full_name, Task.description, Task.due_on, Task.done_at)
        .join(Member, Member.id == Task.member_id)
        .where(Task.meeting_id == meeting_id)
        .order_by(Task.id)
    )
    return sorted((TaskLine(*row) for row in rows), key=lambda line: (name_key(line.member_name), line.due_on))


async def previous_ended_meeting(session: AsyncSession, meeting: Meeting) -> Meeting | None:
    """The cell's meeting that ended before this one started."""
    return await session.scalar(
        select(Meeting)
        .where(Meeting.cell_id == meeting.cell_id, Meeting.id != meeting.id, Meeting.cancelled_at.is_(None),
               Meeting.ended_at.is_not(None), Meeting.ended_at <= (meeting.started_at or meeting.scheduled_at))
        .order_by(Meeting.ended_at.desc())
        .limit(1)
    )


async def present_member_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    return set(await session.scalars(select(Attendance.member_id).where(
        Attendance.meeting_id == meeting_id,
        Attendance.status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE)))))


async def completed_levels(session: AsyncSession, meetings: Select | list[int]) -> dict[int, tuple[str | None, int | None]]:
    """Meeting id -> (level, score) of each of ``meetings``' completed assessments, in one query; ``meetings``: their
    ids, or a select of them (a committee's meetings of a period: no parameter per meeting, whatever their number)."""
    rows = await session.execute(select(MeetingAssessment.meeting_id, MeetingAssessment.level, MeetingAssessment.score)
                                 .where(MeetingAssessment.meeting_id.in_(meetings),
                                        MeetingAssessment.completed_at.is_not(None),
                                        MeetingAssessment.level.is_not(None)))
    return {meeting_id: (level, score) for meeting_id, level, score in rows}


async def assessments_for_meetings(session: AsyncSession, meeting_ids: list[int]) -> dict[int, MeetingAssessment]:
    if not meeting_ids:
        return {}
    rows = await session.scalars(select(MeetingAssessment).where(MeetingAssessment.meeting_id.in_(meeting_ids)))
    return {row.meeting_id: row for row in rows}
