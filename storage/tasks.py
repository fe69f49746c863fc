"""Queries on tasks from a meeting's resolution, guests from the committee, and who follows a cell.

Plain async functions over a session; the minutes and the quality assessment read them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules import TaskState, task_state
from rules.names import name_key
from storage.committees import cells_below
from storage.models import (
    Attendance,
    AttendanceStatus,
    CellFollower,
    ChatLink,
    CommitteeMember,
    Meeting,
    MeetingGuest,
    Member,
    OutboxMessage,
    Task,
)
from storage.upsert import rowcount

TASK_REMINDER = "task_reminder"


@dataclass(frozen=True)
class TaskCounts:
    """Where a meeting's tasks stand today."""

    total: int
    done: int  # done on or before the deadline
    done_late: int
    open: int  # not done, deadline to come
    overdue: int  # not done, deadline passed

    @property
    def done_any(self) -> int:
        return self.done + self.done_late


def done_on(task: Task, tz: ZoneInfo) -> date | None:
    return task.done_at.astimezone(tz).date() if task.done_at else None


def state_of(task: Task, today: date, tz: ZoneInfo) -> TaskState:
    return task_state(task.due_on, done_on(task, tz), today)


async def meeting_tasks(session: AsyncSession, meeting_id: int) -> list[tuple[Task, str]]:
    """The tasks given at a meeting with the member's name, by member name (the Vietnamese way) then deadline."""
    return (await tasks_by_meeting(session, [meeting_id])).get(meeting_id, [])


async def tasks_by_meeting(session: AsyncSession, meeting_ids: Iterable[int]) -> dict[int, list[tuple[Task, str]]]:
    """``meeting_tasks`` of each of ``meeting_ids`` (those with tasks), in one query."""
    out: dict[int, list[tuple[Task, str]]] = {}
    for task, name in await session.execute(select(Task, Member.full_name).join(Member, Member.id == Task.member_id)
                                            .where(Task.meeting_id.in_(list(meeting_ids)))):
        out.setdefault(task.meeting_id, []).append((task, name))
    return {meeting_id: sorted(given, key=lambda r: (name_key(r[1]), r[0].due_on, r[0].id))
            for meeting_id, given in out.items()}


async def meeting_task_counts(session: AsyncSession, meeting_id: int, today: date, tz: ZoneInfo) -> TaskCounts:
    """Done / done late / open / overdue counts of the tasks given at a meeting, as of ``today``."""
    states = [state_of(task, today, tz) for task, _ in await meeting_tasks(session, meeting_id)]
    return TaskCounts(total=len(states), done=states.count(TaskState.DONE), done_late=states.count(TaskState.DONE_LATE),
                      open=states.count(TaskState.OPEN), overdue=states.count(TaskState.OVERDUE))


async def open_tasks_of(session: AsyncSession, member_id: int) -> list[Task]:
    """A member's tasks not done yet, in the order /viec numbers them: by deadline, then as given. The
    list, /xong N, the "Xong việc N" buttons, Zalo's numbered answers and the number a notice names all
    read this one order (a task due sooner given later takes a smaller number; each notice says its own)."""
    return list(await session.scalars(
        select(Task).where(Task.member_id == member_id, Task.done_at.is_(None)).order_by(Task.due_on, Task.id)))


async def cell_tasks(session: AsyncSession, cell_id: int, done_since: datetime) -> list[tuple[Task, str]]:
    """A cell's tasks not done, and those done since ``done_since``, with the member's name."""
    rows = await session.execute(
        select(Task, Member.full_name).join(Member, Member.id == Task.member_id)
        .where(Task.cell_id == cell_id, (Task.done_at.is_(None)) | (Task.done_at >= done_since))
    )
    return sorted(((task, name) for task, name in rows), key=lambda r: (r[0].due_on, name_key(r[1]), r[0].id))


async def present_member_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    return set(await session.scalars(select(Attendance.member_id).where(
        Attendance.meeting_id == meeting_id,
        Attendance.status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE)))))


async def last_meeting_before(session: AsyncSession, cell_id: int, before: datetime) -> Meeting | None:
    """The cell's last meeting that ended before ``before`` (the one whose tasks a new meeting reviews)."""
    return await session.scalar(
        select(Meeting).where(Meeting.cell_id == cell_id, Meeting.ended_at.is_not(None),
                              Meeting.cancelled_at.is_(None), Meeting.ended_at < before)
        .order_by(Meeting.ended_at.desc()).limit(1))


async def overdue_unreported(session: AsyncSession, today: date) -> list[Task]:
    """Tasks past their deadline, not done, the secretary not told yet."""
    return list(await session.scalars(
        select(Task).where(Task.done_at.is_(None), Task.due_on < today, Task.overdue_reported_at.is_(None))
        .order_by(Task.cell_id, Task.due_on, Task.id)))


async def drop_task_reminders(session: AsyncSession, task_id: int, now: datetime) -> int:
    """The task is done: its reminders still to send go."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == TASK_REMINDER, OutboxMessage.key.like(f"{TASK_REMINDER}:{task_id}:%"),
               OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None))
        .values(dropped_at=now, last_error="task done")
    )
    return rowcount(result)


async def forget_task_reminders(session: AsyncSession, task_id: int) -> int:
    """The task was corrected or withdrawn: its reminders not sent yet go (deleted, so that a corrected
    task's reminders are queued again under the same keys, with its new text and deadline)."""
    result = await session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.kind == TASK_REMINDER, OutboxMessage.key.like(f"{TASK_REMINDER}:{task_id}:%"),
               OutboxMessage.sent_at.is_(None))
    )
    return rowcount(result)


async def open_cell_tasks(session: AsyncSession, cell_id: int) -> list[tuple[Task, str]]:
    """A cell's tasks not done, by deadline, with the member's name: numbered 1, 2, … in this order in the
    secretary's /viec, and so by /suaviec and /xoaviec."""
    rows = await session.execute(
        select(Task, Member.full_name).join(Member, Member.id == Task.member_id)
        .where(Task.cell_id == cell_id, Task.done_at.is_(None))
        .order_by(Task.due_on, Member.full_name, Task.id)
    )
    return [(task, name) for task, name in rows]


# --- guests and followers ---
async def meeting_guests(session: AsyncSession, meeting_id: int) -> list[str]:
    """Names of the committee members who attended the meeting, by name the Vietnamese way (as every list)."""
    return (await guests_by_meeting(session, [meeting_id])).get(meeting_id, [])


async def guests_by_meeting(session: AsyncSession, meeting_ids: Iterable[int]) -> dict[int, list[str]]:
    """``meeting_guests`` of each of ``meeting_ids`` (those with guests), in one query."""
    out: dict[int, list[str]] = {}
    for meeting_id, name in await session.execute(
            select(MeetingGuest.meeting_id, CommitteeMember.full_name)
            .join(MeetingGuest, MeetingGuest.committee_member_id == CommitteeMember.id)
            .where(MeetingGuest.meeting_id.in_(list(meeting_ids)))):
        out.setdefault(meeting_id, []).append(name)
    return {meeting_id: sorted(names, key=name_key) for meeting_id, names in out.items()}


async def last_guest_visits(session: AsyncSession, cell_ids: Iterable[int]) -> dict[int, datetime]:
    """Per cell, when a committee member last attended one of its meetings."""
    ids = list(cell_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Meeting.cell_id, func.max(MeetingGuest.checked_in_at))
        .join(MeetingGuest, MeetingGuest.meeting_id == Meeting.id)
        .where(Meeting.cell_id.in_(ids), Meeting.cancelled_at.is_(None))
        .group_by(Meeting.cell_id))
    return {cell_id: at for cell_id, at in rows}  # noqa: C416 -- a Result has keys(): dict(rows) reads it as a mapping


@dataclass(frozen=True)
class GuestVisit:
    at: datetime  # when the committee member checked in
    name: str


async def last_guests_of_committee(session: AsyncSession, committee_id: int) -> dict[int, GuestVisit]:
    """Per cell of the committee, the committee member who last attended one of its meetings, and when:
    one query for the whole committee (the latest check-in of each cell, by a window)."""
    latest = (
        select(Meeting.cell_id, MeetingGuest.checked_in_at, CommitteeMember.full_name,
               func.row_number().over(partition_by=Meeting.cell_id,
                                      order_by=(MeetingGuest.checked_in_at.desc(), MeetingGuest.id.desc()))
               .label("n"))
        .join(MeetingGuest, MeetingGuest.meeting_id == Meeting.id)
        .join(CommitteeMember, CommitteeMember.id == MeetingGuest.committee_member_id)
        .where(Meeting.cell_id.in_(cells_below(committee_id)),
               Meeting.cancelled_at.is_(None))
        .subquery()
    )
    rows = await session.execute(select(latest.c.cell_id, latest.c.checked_in_at, latest.c.full_name)
                                 .where(latest.c.n == 1))
    return {cell_id: GuestVisit(at, name) for cell_id, at, name in rows}


async def follower_links(session: AsyncSession, cell_id: int) -> list[ChatLink]:
    """The chats of the committee members who follow the cell: one per person (the one used last)."""
    rows = await session.scalars(
        select(ChatLink).join(CellFollower, CellFollower.committee_member_id == ChatLink.committee_member_id)
        .where(CellFollower.cell_id == cell_id, ChatLink.blocked_at.is_(None)))
    best: dict[int, ChatLink] = {}
    for link in rows:
        assert link.committee_member_id is not None, "joined on the committee member"
        current = best.get(link.committee_member_id)
        if current is None or (link.last_seen_at or link.linked_at) > (current.last_seen_at or current.linked_at):
            best[link.committee_member_id] = link
    return [best[k] for k in sorted(best)]
