"""Computing a committee's weekly summary from the database, and its chat text."""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, case, cast, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from zoneinfo import ZoneInfo

from bot.texts import fmt_rate, t
from reports.weekly_model import AttendanceLine, CellWeek, MeetingRow, WeeklyReport
from rules import (
    AbsenceFlags,
    AttendanceVerdict,
    MemberSpan,
    RuleSet,
    absence_flags,
    attendance_verdict,
    duration_verdict,
    expected_members,
    month_key,
    quarter_of,
)
from storage.models import Attendance, AttendanceStatus, Cell, ChatLink, Committee, Meeting, MeetingKind, Member


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def compute(session: AsyncSession, committee_id: int, now: datetime, tz: ZoneInfo,
                  lang: str = "vi") -> WeeklyReport:
    """Everything the weekly summary says, with a fixed number of queries whatever the size."""
    with _collector_paused():
        return await _compute(session, committee_id, now, tz, lang)


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a summary is built.

    A summary keeps tens of thousands of small objects alive until it is returned (rows, spans,
    its own lines); the collector answers that with full collections, each walking every object in
    the process, which took a third of the time of a 300-cell committee. Nothing built here needs
    it (no reference cycles); it is on again as soon as the summary is done (under a second; other
    tasks of the process run meanwhile, with plain reference counting). A caller that had paused it
    itself finds it paused still."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


async def _compute(session: AsyncSession, committee_id: int, now: datetime, tz: ZoneInfo, lang: str) -> WeeklyReport:
    committee = await session.get(Committee, committee_id)
    rules = RuleSet.from_overrides(committee)
    today = now.astimezone(tz).date()
    year_start = datetime(today.year, 1, 1, tzinfo=tz)
    q_year, q = quarter_of(today)
    report = WeeklyReport(
        committee_id=committee.id, committee_name=committee.name, week=iso_week(today), month=month_key(today),
        quarter=f"{q_year}-Q{q}", generated_at=now, target=rules.attendance_target,
    )
    # Only the columns the summary needs, as plain rows, and attendance counted by the database: a
    # committee of 300 cells has some 100,000 attendance rows in a year, and an ORM object for each
    # would cost seconds and hundreds of MB.
    in_committee = select(Cell.id).where(Cell.committee_id == committee_id)
    cells = (await session.execute(
        select(Cell.id, Cell.name).where(Cell.committee_id == committee_id).order_by(Cell.name)
    )).all()
    members = (await session.execute(
        select(Member.id, Member.cell_id, Member.full_name, Member.active_from, Member.active_to, Member.exempt,
               Member.exempt_since)
        .where(Member.cell_id.in_(in_committee)).order_by(Member.cell_id, Member.id)
    )).all()
    names: dict[str, str] = {}
    rosters: dict[int, _Roster] = defaultdict(_Roster)
    for member_id, cell_id, full_name, active_from, active_to, exempt, exempt_since in members:
        names[str(member_id)] = full_name
        rosters[cell_id].add(MemberSpan(member_id=member_id, active_from=active_from, active_to=active_to,
                                        exempt=exempt, exempt_since=exempt_since), full_name)
    year_meetings = (Meeting.cell_id.in_(in_committee), Meeting.cancelled_at.is_(None),
                     Meeting.scheduled_at >= year_start)
    meetings = [_Meeting._make(row) for row in await session.execute(
        select(Meeting.id, Meeting.cell_id, _text(Meeting.kind), Meeting.period, Meeting.scheduled_at,
               Meeting.started_at, Meeting.ended_at)
        .where(*year_meetings).order_by(Meeting.scheduled_at, Meeting.id)  # ties in a stable order
    )]
    # Each meeting's member ids by status, as the text "12,15,31" (one per status, None when nobody):
    # a few thousand short strings rather than a hundred thousand rows.
    member_text = (Attendance.member_id if session.bind.dialect.name == "sqlite"  # group_concat takes numbers,
                   else cast(Attendance.member_id, String))  # string_agg only text (and SQLite's CAST is slow)
    by_status: dict[int, tuple[str | None, ...]] = {
        meeting_id: tuple(lists) for meeting_id, *lists in await session.execute(
            select(Attendance.meeting_id,
                   *(func.aggregate_strings(case((_text(Attendance.status) == status, member_text)), ",")
                     for status in STATUSES))
            .where(Attendance.meeting_id.in_(select(Meeting.id).where(*year_meetings)))
            .group_by(Attendance.meeting_id)
        )
    }
    # The whole rows only for this month's meetings (the attendance sheet).
    month_ids = [mt.id for mt in meetings if mt.period == report.month]
    rows_by_meeting: dict[int, dict[int, _Mark]] = defaultdict(dict)
    if month_ids:
        for meeting_id, member_id, *mark in await session.execute(
            select(Attendance.meeting_id, Attendance.member_id, _text(Attendance.status),
                   Attendance.reason, Attendance.checked_in_at, Attendance.recorded_by_member_id)
            .where(Attendance.meeting_id.in_(month_ids))
        ):
            rows_by_meeting[meeting_id][member_id] = _Mark._make(mark)
    reachable = {str(i) for i in await session.scalars(
        select(ChatLink.member_id).where(ChatLink.member_id.in_(select(Member.id).where(Member.cell_id.in_(in_committee))),
                                         ChatLink.blocked_at.is_(None))
    )}
    meetings_by_cell: dict[int, list[_Meeting]] = defaultdict(list)
    for mt in meetings:
        meetings_by_cell[mt.cell_id].append(mt)
    cell_names = dict(cells)
    local_day = {mt.id: mt.scheduled_at.astimezone(tz).date() for mt in meetings}
    nobody = (None,) * len(STATUSES)

    # Meetings sheet, and the numbers of each meeting.
    numbers: dict[int, tuple] = {}
    verdicts: dict[tuple[int, int], AttendanceVerdict] = {}  # the same few counts come back again and again
    for meeting_id, cell_id, kind, period, scheduled_at, started_at, ended_at in meetings:
        active, expected, _exempt, expected_set = rosters[cell_id].on(local_day[meeting_id])
        lists = by_status.get(meeting_id, nobody)
        present = 0
        for n in ATTENDED:
            if lists[n]:
                present += len(expected_set.intersection(lists[n].split(",")))
        count = len(expected)
        verdict = verdicts.get((present, count))
        if verdict is None:
            verdict = verdicts[present, count] = attendance_verdict(present, count, rules)
        duration = duration_verdict(kind, active, started_at, ended_at, rules) if started_at and ended_at else None
        if period == report.month:
            numbers[meeting_id] = (present, count, verdict, duration)
        report.meetings.append(MeetingRow(
            cell_name=cell_names[cell_id], kind=kind, scheduled_at=scheduled_at, started_at=started_at,
            ended_at=ended_at, minutes=duration.minutes if duration else None,
            minimum=duration.minimum if duration else None, duration_ok=duration.ok if duration else None,
            present=present, expected=count, rate=verdict.rate if ended_at else None,
            attendance_ok=verdict.ok if ended_at else None,
        ))

    patterns: dict[tuple[str | None, ...], AbsenceFlags] = {}
    for cell_id, cell_name in cells:
        active, expected_now, exempt_now, _expected_set = rosters[cell_id].on(today)
        cw = CellWeek(cell_id=cell_id, cell_name=cell_name, members_active=active, members_exempt=len(exempt_now),
                      regular_status="missing")
        this_month = [mt for mt in meetings_by_cell[cell_id] if mt.period == report.month]
        regular = next((mt for mt in this_month if mt.kind == MeetingKind.THUONG_KY.value), None)
        if regular is not None:
            cw.regular_date = local_day[regular.id]
            present, expected, verdict, duration = numbers[regular.id]
            if regular.ended_at is not None:
                cw.regular_status = "held"
                cw.present, cw.expected, cw.rate, cw.attendance_ok = present, expected, verdict.rate, verdict.ok
                if duration:
                    cw.regular_minutes, cw.regular_minimum, cw.duration_ok = duration.minutes, duration.minimum, duration.ok
            else:
                cw.regular_status = "in_progress" if regular.started_at else "scheduled"
        cw.thematic_this_quarter = any(
            mt.kind == MeetingKind.CHUYEN_DE.value and mt.ended_at is not None
            and quarter_of(local_day[mt.id]) == (q_year, q)
            for mt in meetings_by_cell[cell_id]
        )
        cw.unreachable = sorted(names[i] for i in expected_now if i not in reachable)
        # Absence patterns over this year's ended meetings: each expected member's statuses, oldest first.
        ended = [_statuses(by_status.get(mt.id, nobody)) for mt in meetings_by_cell[cell_id] if mt.ended_at is not None]
        by_meeting = [[statuses.get(member_id) for member_id in expected_now] for statuses in ended]
        histories = zip(*by_meeting) if ended else [()] * len(expected_now)
        for member_id, history in zip(expected_now, histories):
            flags = patterns.get(history)  # most members share a few patterns (present every time...)
            if flags is None:
                flags = patterns[history] = absence_flags(history, rules)
            if flags.warn_unexcused:
                cw.flagged.append((names[member_id], t(lang, "why.unexcused", count=flags.unexcused)))
            if flags.warn_excused_streak:
                cw.flagged.append((names[member_id], t(lang, "why.excused_streak", count=flags.excused_streak)))
        # What needs attention, most serious first.
        if cw.regular_status == "missing":
            cw.attention.append(t(lang, "attention.no_regular"))
        if cw.duration_ok is False:
            cw.attention.append(t(lang, "attention.short", minutes=cw.regular_minutes, minimum=cw.regular_minimum))
        if cw.attendance_ok is False:
            cw.attention.append(t(lang, "attention.low_rate", rate=fmt_rate(cw.rate)))
        if not cw.thematic_this_quarter and (today.month - 1) % 3 >= 1:
            cw.attention.append(t(lang, "attention.no_thematic"))
        if cw.flagged:
            cw.attention.append(t(lang, "attention.flagged", count=len(cw.flagged)))
        report.cells.append(cw)

    # Attendance sheet: this month's meetings, per member.
    for mt in meetings:
        if mt.period != report.month:
            continue
        day = local_day[mt.id]
        rows = rows_by_meeting[mt.id]
        for span, full_name in rosters[mt.cell_id].by_name():
            if not span.active_on(day):
                continue
            row = rows.get(span.member_id)
            status = "exempt" if span.exempt_on(day) and row is None else (row.status if row and row.status else "")
            report.attendance.append(AttendanceLine(
                cell_name=cell_names[mt.cell_id], meeting_date=day, meeting_kind=mt.kind, member_name=full_name,
                status=status, reason=row.reason if row else None, checked_in_at=row.checked_in_at if row else None,
                by_secretary=bool(row and row.recorded_by_member_id and row.checked_in_at),
            ))
    return report


class _Roster:
    """A cell's members, and who of them is active and expected on a day.

    Whether a member is active or exempt changes only on a few dates (active_from, the day after
    active_to, exempt_since), so every day between two such dates has the same answer: it is
    worked out once, with the rules' own functions, for all the meetings in that stretch."""

    __slots__ = ("spans", "names", "_changes", "_on", "_by_name")

    def __init__(self) -> None:
        self.spans: list[MemberSpan] = []
        self.names: list[str] = []
        self._changes: list[date] | None = None
        self._on: dict[int, tuple[int, list[str], list[str], frozenset[str]]] = {}
        self._by_name: list[tuple[MemberSpan, str]] | None = None

    def add(self, span: MemberSpan, name: str) -> None:
        self.spans.append(span)
        self.names.append(name)

    def on(self, day: date) -> tuple[int, list[str], list[str], frozenset[str]]:
        """(members active, expected member ids, exempt member ids, expected ids as a set), ids as text."""
        if self._changes is None:
            changes = set()
            for s in self.spans:
                changes.add(s.active_from)
                if s.active_to is not None and s.active_to < date.max:
                    changes.add(s.active_to + timedelta(days=1))
                if s.exempt and s.exempt_since is not None:
                    changes.add(s.exempt_since)
            self._changes = sorted(changes)
        stretch = bisect_right(self._changes, day)
        known = self._on.get(stretch)
        if known is None:
            active = [s for s in self.spans if s.active_on(day)]
            expected, exempt = expected_members(active, day)
            expected_ids = [str(i) for i in expected]
            known = (len(active), expected_ids, [str(i) for i in exempt], frozenset(expected_ids))
            self._on[stretch] = known
        return known

    def by_name(self) -> list[tuple[MemberSpan, str]]:
        if self._by_name is None:
            self._by_name = sorted(zip(self.spans, self.names), key=lambda member: member[1])
        return self._by_name


class _Meeting(NamedTuple):
    id: int
    cell_id: int
    kind: str  # 'thuong_ky' | 'chuyen_de'
    period: str
    scheduled_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


class _Mark(NamedTuple):
    """A member's attendance row, as the attendance sheet shows it."""

    status: str | None
    reason: str | None
    checked_in_at: datetime | None
    recorded_by_member_id: int | None


STATUSES = tuple(status.value for status in AttendanceStatus)
ATTENDED = tuple(STATUSES.index(status.value) for status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE))


def _statuses(lists: tuple[str | None, ...]) -> dict[str, str]:
    """{member id: status} of one meeting, from its lists of member ids by status."""
    statuses: dict[str, str] = {}
    for status, ids in zip(STATUSES, lists):
        if ids:
            statuses.update(dict.fromkeys(ids.split(","), status))
    return statuses


def _text(column):
    """An enum column read as its stored text ('present', 'thuong_ky'...), without making enum members."""
    return type_coerce(column, String)


STATUS_WORDS = {
    "vi": {"held": "đã họp", "in_progress": "đang họp", "scheduled": "đã lên lịch", "missing": "CHƯA CÓ LỊCH"},
    "en": {"held": "held", "in_progress": "in progress", "scheduled": "scheduled", "missing": "NOT SCHEDULED"},
}
MAX_CELL_LINES = 40  # the rest is in the workbook: the text stays a few messages long


def render_text(report: WeeklyReport, lang: str, tz: ZoneInfo, *, files_note: str = "") -> str:
    """The weekly summary as chat text (HTML). Long committees are cut to the cells that matter."""
    words = STATUS_WORDS.get(lang, STATUS_WORDS["vi"])
    month = f"{report.month[5:]}/{report.month[:4]}"
    lines = [t(lang, "weekly.title", committee=report.committee_name, week=report.week, month=month)]
    lines.append(t(lang, "weekly.totals", held=report.cells_held, cells=len(report.cells),
                   rate=fmt_rate(report.overall_rate), target=fmt_rate(report.target)))
    attention = report.attention_first()
    if attention:
        lines.append("")
        lines.append(t(lang, "weekly.attention_header", count=len(attention)))
        for c in attention[:MAX_CELL_LINES]:
            lines.append(t(lang, "weekly.attention_line", cell=c.cell_name, why="; ".join(c.attention)))
            for name, why in c.flagged:
                lines.append(t(lang, "weekly.flagged_line", name=name, why=why))
    lines.append("")
    lines.append(t(lang, "weekly.cells_header"))
    shown = report.cells[:MAX_CELL_LINES]
    for c in shown:
        if c.regular_status == "held":
            detail = t(lang, "weekly.cell_held", date=c.regular_date.strftime("%d/%m"), minutes=c.regular_minutes or 0,
                       minimum=c.regular_minimum or 0, present=c.present, expected=c.expected, rate=fmt_rate(c.rate))
        elif c.regular_status in ("scheduled", "in_progress"):
            detail = f"{words[c.regular_status]} {c.regular_date.strftime('%d/%m')}"
        else:
            detail = words["missing"]
        mark = "✅" if c.regular_status == "held" and c.duration_ok and c.attendance_ok else ("⚠️" if c.needs_attention else "•")
        extra = t(lang, "weekly.thematic_yes") if c.thematic_this_quarter else t(lang, "weekly.thematic_no")
        line = t(lang, "weekly.cell_line", mark=mark, cell=c.cell_name, detail=detail, thematic=extra)
        if c.unreachable:
            line += t(lang, "weekly.unreachable", count=len(c.unreachable))
        lines.append(line)
    if len(report.cells) > len(shown):
        lines.append(t(lang, "weekly.more_cells", count=len(report.cells) - len(shown)))
    if files_note:
        lines.append("")
        lines.append(files_note)
    return "\n".join(lines)


def week_bounds(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)
