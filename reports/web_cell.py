"""A cell's year on the web view, and one member's own record.

One cell is small (a few dozen members, a dozen or so meetings), so its rows are read whole: the
cell's members, its meetings of the year, their attendance rows, tasks and quality assessments, in
five queries; names are listed the Vietnamese way (``rules.names``). The
numbers come from the rules' own functions, as in the meeting summary: who was expected, the
attendance rate against the target, the duration against the minimum, and the absence history
that leads to Điều 8.1 (three unexcused absences in a year)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from reports.votes import result_of
from rules import (
    AttendanceVerdict,
    DurationVerdict,
    MemberSpan,
    absence_flags,
    attendance_verdict,
    duration_verdict,
    expected_members,
    first_month_on_record,
    regular_status,
)
from rules.names import name_key
from rules.period import Period, this_year
from rules.votes import VoteResult
from storage.committees import rules_for
from storage.dues import cell_year as dues_paid
from storage.models import Attendance, Cell, Meeting, MeetingDocument, Member, Task, Vote
from storage.quality import assessments_for_meetings

ATTENDED = ("present", "late")


@dataclass
class TaskLine:
    task_id: int
    member_id: int
    member_name: str
    description: str
    due_on: date
    done_on: date | None
    overdue: bool  # still open past its deadline


@dataclass(frozen=True)
class Assessment:
    """The quality level proposed by chibo from the secretary's answers (the cell decides, the committee approves)."""

    level: str  # rules.quality.Level
    score: int


@dataclass
class MeetingYear:
    meeting_id: int
    kind: str  # "thuong_ky" | "chuyen_de"
    day: date
    topic: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration: DurationVerdict | None
    attendance: AttendanceVerdict | None  # when ended
    by_status: dict[str, list[str]] = field(default_factory=dict)  # status -> member names (expected members)
    tasks: list[TaskLine] = field(default_factory=list)
    assessment: Assessment | None = None  # the quality level proposed for the meeting, once assessed
    votes: list[tuple[str, VoteResult]] = field(default_factory=list)  # (motion, result) of each vote closed
    status: str = "scheduled"  # rules.regular_status: "held", "in_progress", "scheduled" or "not_held"
    documents: list[str] = field(default_factory=list)  # the papers sent before it (/tailieu), as typed

    @property
    def held(self) -> bool:
        return self.ended_at is not None


@dataclass
class MemberYear:
    member_id: int
    name: str
    role: str
    marks: list[str]  # one per meeting of ``CellYear.meetings``: a status, "exempt", "" (no answer), "-" (not a member then)
    unexcused: int = 0
    near_striking_off: bool = False  # Điều 8.1: one more unexcused absence would make three
    dues_months: list[str] = field(default_factory=list)  # "2026-03": the period's months of dues paid


@dataclass
class MonthPoint:
    month: str  # "2026-03"
    present: int
    expected: int

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None


@dataclass
class CellYear:
    cell_id: int
    cell_name: str
    committee_id: int
    year: int
    target: float
    meetings: list[MeetingYear] = field(default_factory=list)  # oldest first
    members: list[MemberYear] = field(default_factory=list)  # by name
    months: list[MonthPoint] = field(default_factory=list)  # regular meetings' attendance, January to now
    period: Period | None = None  # the months shown (rules.period): this year unless asked
    keeps_dues: bool = False  # the cell records its Party dues in chibo

    @property
    def near_striking_off(self) -> list[MemberYear]:
        return [m for m in self.members if m.near_striking_off]


def _span(row) -> MemberSpan:
    return MemberSpan(member_id=row.id, active_from=row.active_from, active_to=row.active_to, exempt=row.exempt,
                      exempt_since=row.exempt_since)


async def cell_year(session: AsyncSession, cell_id: int, now: datetime, tz: ZoneInfo,
                    period: Period | None = None) -> CellYear:
    """The cell's meetings of ``period`` (this year when None) up to ``now``, with what each member did."""
    cell = await session.get(Cell, cell_id)
    assert cell is not None  # the web view found the cell before asking
    rules = await rules_for(session, cell.committee_id)
    today = now.astimezone(tz).date()
    period = period or this_year(today)
    year_start = datetime(period.year, 1, 1, tzinfo=tz)  # the year's meetings before the period count for Điều 8.1
    until = min(now, datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=tz) - timedelta(microseconds=1))
    page = CellYear(cell_id=cell.id, cell_name=cell.name, committee_id=cell.committee_id, year=period.year,
                    target=rules.attendance_target, period=period)
    members = sorted((await session.execute(
        select(Member.id, Member.full_name, type_coerce(Member.role, String).label("role"), Member.active_from,
               Member.active_to, Member.exempt, Member.exempt_since)
        .where(Member.cell_id == cell_id).order_by(Member.id)
    )).all(), key=lambda m: name_key(m.full_name))  # every list of names below follows this order
    names = {m.id: m.full_name for m in members}
    meetings = list(await session.scalars(
        select(Meeting).where(Meeting.cell_id == cell_id, Meeting.cancelled_at.is_(None),
                              Meeting.scheduled_at >= year_start, Meeting.scheduled_at <= until)
        .order_by(Meeting.scheduled_at, Meeting.id)
    ))
    ids = [mt.id for mt in meetings]
    marks: dict[int, dict[int, str | None]] = defaultdict(dict)
    for meeting_id, member_id, status in await session.execute(
        select(Attendance.meeting_id, Attendance.member_id, type_coerce(Attendance.status, String))
        .where(Attendance.meeting_id.in_(ids))
    ):
        marks[meeting_id][member_id] = status
    assessments = await assessments_for_meetings(session, ids)
    papers: dict[int, list[str]] = defaultdict(list)
    for meeting_id, text in await session.execute(select(MeetingDocument.meeting_id, MeetingDocument.text)
                                                  .where(MeetingDocument.meeting_id.in_(ids)).order_by(MeetingDocument.id)):
        papers[meeting_id].append(text)
    tasks: dict[int, list[TaskLine]] = defaultdict(list)
    for task in await session.scalars(select(Task).where(Task.meeting_id.in_(ids)).order_by(Task.due_on, Task.id)):
        tasks[task.meeting_id].append(_task_line(task, names.get(task.member_id, ""), today, tz))

    held_votes: dict[int, list[tuple[str, VoteResult]]] = defaultdict(list)
    for vote in await session.scalars(select(Vote).where(Vote.meeting_id.in_(ids), Vote.closed_at.is_not(None))
                                      .order_by(Vote.id)):
        held_votes[vote.meeting_id].append((vote.subject, result_of(vote)))

    spans = [_span(m) for m in members]
    months: dict[str, MonthPoint] = {}
    histories: dict[int, list[tuple[str, str | None]]] = defaultdict(list)  # member -> (month, status) at ended meetings
    for mt in meetings:
        day = mt.scheduled_at.astimezone(tz).date()
        active = [s for s in spans if s.active_on(day)]
        expected, exempt = expected_members(active, day)
        rows = marks.get(mt.id, {})
        if mt.ended_at:  # Điều 8.1 counts the calendar year: every meeting of it up to the period's end
            for member_id in expected:
                histories[member_id].append((mt.period, rows.get(member_id)))
        if not period.contains(day):
            continue  # before a month or quarter asked: its absences count, it is not shown
        my = MeetingYear(meeting_id=mt.id, kind=mt.kind.value, day=day, topic=mt.topic, started_at=mt.started_at,
                         ended_at=mt.ended_at, duration=None, attendance=None, tasks=tasks.get(mt.id, []), votes=held_votes.get(mt.id, []),
                         documents=papers.get(mt.id, []),
                         status=regular_status(mt.period, day, mt.started_at is not None, mt.ended_at is not None,
                                               today, date.min))
        if (a := assessments.get(mt.id)) is not None and a.completed_at is not None and a.level and a.score is not None:
            my.assessment = Assessment(a.level, a.score)
        if mt.started_at and mt.ended_at:
            my.duration = duration_verdict(mt.kind.value, len(active), mt.started_at, mt.ended_at, rules, mt.combined)
        for member_id in expected:
            status = rows.get(member_id) or ("absent" if mt.ended_at else "")
            my.by_status.setdefault(status, []).append(names[member_id])
        if exempt:
            my.by_status["exempt"] = [names[i] for i in exempt]
        if mt.ended_at:
            present = sum(len(my.by_status.get(s, [])) for s in ATTENDED)
            my.attendance = attendance_verdict(present, len(expected), rules)
            if mt.kind.value == "thuong_ky":
                point = months.setdefault(mt.period, MonthPoint(mt.period, 0, 0))
                point.present += present
                point.expected += len(expected)
        page.meetings.append(my)

    for m, span in zip(members, spans):
        if not any(span.active_on(mt.day) for mt in page.meetings) and not span.active_on(today):
            continue  # not a member this year
        row_marks = []
        for mty in page.meetings:
            mark = marks.get(mty.meeting_id, {}).get(m.id)
            if not span.active_on(mty.day):
                row_marks.append("-")
            elif span.exempt_on(mty.day) and mark is None:
                row_marks.append("exempt")
            else:
                row_marks.append(mark or ("absent" if mty.held else ""))
        flags = absence_flags(histories.get(m.id, []), rules)
        page.members.append(MemberYear(member_id=m.id, name=m.full_name, role=m.role, marks=row_marks,
                                       unexcused=flags.unexcused, near_striking_off=flags.warn_unexcused))
    # January to now, from the first month chibo judges for the cell (added mid-year: its months before
    # are not drawn as "not held"), unless a meeting was recorded before.
    first = first_month_on_record(cell.created_at.astimezone(tz).date())
    page.months = [months.get(key, MonthPoint(key, 0, 0)) for key in period.months_until(today)
                   if key >= first or key in months]
    paid = await dues_paid(session, cell.id, period.year)
    if paid:  # the cell keeps its dues in chibo: each member's months paid in the period
        for row in page.members:
            row.dues_months = sorted(m for m in paid.get(row.member_id, set()) if m in period.months)
        page.keeps_dues = True
    return page


def _task_line(task: Task, name: str, today: date, tz: ZoneInfo) -> TaskLine:
    done_on = task.done_at.astimezone(tz).date() if task.done_at else None
    return TaskLine(task_id=task.id, member_id=task.member_id, member_name=name, description=task.description,
                    due_on=task.due_on, done_on=done_on, overdue=done_on is None and task.due_on < today)


@dataclass
class MemberPage:
    """A member's own record: their attendance this year and their tasks."""

    member_id: int
    name: str
    cell_name: str
    year: int
    meetings: list[tuple[MeetingYear, str]] = field(default_factory=list)  # (meeting, their mark)
    tasks: list[TaskLine] = field(default_factory=list)
    unexcused: int = 0
    near_striking_off: bool = False


async def member_page(session: AsyncSession, member_id: int, now: datetime, tz: ZoneInfo) -> MemberPage:
    member = await session.get(Member, member_id)
    assert member is not None  # the signed-in viewer's own member row
    year = await cell_year(session, member.cell_id, now, tz)
    mine = next((m for m in year.members if m.member_id == member_id), None)
    page = MemberPage(member_id=member.id, name=member.full_name, cell_name=year.cell_name, year=year.year)
    if mine is not None:
        page.meetings = [(mt, mark) for mt, mark in zip(year.meetings, mine.marks) if mark != "-"]
        page.unexcused, page.near_striking_off = mine.unexcused, mine.near_striking_off
    today = now.astimezone(tz).date()
    page.tasks = [_task_line(task, member.full_name, today, tz) for task in await session.scalars(
        select(Task).where(Task.member_id == member_id).order_by(Task.done_at.is_not(None), Task.due_on, Task.id))]
    return page
