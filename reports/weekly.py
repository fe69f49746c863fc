"""Computing a committee's weekly summary from the database, and its chat text."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from zoneinfo import ZoneInfo

from bot.texts import fmt_rate, t
from reports.weekly_model import AttendanceLine, CellWeek, MeetingRow, WeeklyReport
from rules import RuleSet, absence_flags, attendance_verdict, duration_verdict, expected_members, month_key, quarter_of
from storage.models import Attendance, AttendanceStatus, Cell, ChatLink, Committee, Meeting, MeetingKind, Member
from storage.queries import member_span


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def compute(session: AsyncSession, committee_id: int, now: datetime, tz: ZoneInfo,
                  lang: str = "vi") -> WeeklyReport:
    """Everything the weekly summary says, with a fixed number of queries whatever the size."""
    committee = await session.get(Committee, committee_id)
    rules = RuleSet.from_overrides(committee)
    today = now.astimezone(tz).date()
    year_start = datetime(today.year, 1, 1, tzinfo=tz)
    q_year, q = quarter_of(today)
    report = WeeklyReport(
        committee_id=committee.id, committee_name=committee.name, week=iso_week(today), month=month_key(today),
        quarter=f"{q_year}-Q{q}", generated_at=now, target=rules.attendance_target,
    )
    cells = list(await session.scalars(select(Cell).where(Cell.committee_id == committee_id).order_by(Cell.name)))
    cell_ids = [c.id for c in cells]
    members = list(await session.scalars(select(Member).where(Member.cell_id.in_(cell_ids)))) if cell_ids else []
    members_by_cell: dict[int, list[Member]] = defaultdict(list)
    for m in members:
        members_by_cell[m.cell_id].append(m)
    names = {m.id: m.full_name for m in members}
    meetings = list(await session.scalars(
        select(Meeting).where(Meeting.cell_id.in_(cell_ids), Meeting.cancelled_at.is_(None),
                              Meeting.scheduled_at >= year_start).order_by(Meeting.scheduled_at)
    )) if cell_ids else []
    meeting_ids = [m.id for m in meetings]
    rows_by_meeting: dict[int, dict[int, Attendance]] = defaultdict(dict)
    if meeting_ids:
        for a in await session.scalars(select(Attendance).where(Attendance.meeting_id.in_(meeting_ids))):
            rows_by_meeting[a.meeting_id][a.member_id] = a
    reachable = set(await session.scalars(
        select(ChatLink.member_id).where(ChatLink.member_id.in_([m.id for m in members]), ChatLink.blocked_at.is_(None))
    )) if members else set()
    meetings_by_cell: dict[int, list[Meeting]] = defaultdict(list)
    for mt in meetings:
        meetings_by_cell[mt.cell_id].append(mt)
    cell_names = {c.id: c.name for c in cells}

    # Meetings sheet, and the numbers of each meeting.
    numbers: dict[int, tuple] = {}
    for mt in meetings:
        day = mt.scheduled_at.astimezone(tz).date()
        spans = [member_span(m) for m in members_by_cell[mt.cell_id] if member_span(m).active_on(day)]
        expected, _exempt = expected_members(spans, day)
        rows = rows_by_meeting[mt.id]
        present = sum(1 for i in expected if rows.get(i) and rows[i].status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE))
        verdict = attendance_verdict(present, len(expected), rules)
        duration = (duration_verdict(mt.kind.value, len(spans), mt.started_at, mt.ended_at, rules)
                    if mt.started_at and mt.ended_at else None)
        numbers[mt.id] = (present, len(expected), verdict, duration)
        report.meetings.append(MeetingRow(
            cell_name=cell_names[mt.cell_id], kind=mt.kind.value, scheduled_at=mt.scheduled_at,
            started_at=mt.started_at, ended_at=mt.ended_at,
            minutes=duration.minutes if duration else None, minimum=duration.minimum if duration else None,
            duration_ok=duration.ok if duration else None, present=present, expected=len(expected),
            rate=verdict.rate if mt.ended_at else None, attendance_ok=verdict.ok if mt.ended_at else None,
        ))

    for cell in cells:
        cell_members = members_by_cell[cell.id]
        spans = [member_span(m) for m in cell_members if member_span(m).active_on(today)]
        expected_now, exempt_now = expected_members(spans, today)
        cw = CellWeek(cell_id=cell.id, cell_name=cell.name, members_active=len(spans), members_exempt=len(exempt_now),
                      regular_status="missing")
        this_month = [mt for mt in meetings_by_cell[cell.id] if mt.period == report.month]
        regular = next((mt for mt in this_month if mt.kind is MeetingKind.THUONG_KY), None)
        if regular is not None:
            cw.regular_date = regular.scheduled_at.astimezone(tz).date()
            present, expected, verdict, duration = numbers[regular.id]
            if regular.ended_at is not None:
                cw.regular_status = "held"
                cw.present, cw.expected, cw.rate, cw.attendance_ok = present, expected, verdict.rate, verdict.ok
                if duration:
                    cw.regular_minutes, cw.regular_minimum, cw.duration_ok = duration.minutes, duration.minimum, duration.ok
            else:
                cw.regular_status = "in_progress" if regular.started_at else "scheduled"
        cw.thematic_this_quarter = any(
            mt.kind is MeetingKind.CHUYEN_DE and mt.ended_at is not None
            and quarter_of(mt.scheduled_at.astimezone(tz).date()) == (q_year, q)
            for mt in meetings_by_cell[cell.id]
        )
        cw.unreachable = sorted(names[i] for i in expected_now if i not in reachable)
        # Absence patterns over this year's ended meetings.
        ended = [mt for mt in meetings_by_cell[cell.id] if mt.ended_at is not None]
        for member_id in expected_now:
            statuses = [rows_by_meeting[mt.id][member_id].status.value if member_id in rows_by_meeting[mt.id]
                        and rows_by_meeting[mt.id][member_id].status else None for mt in ended]
            flags = absence_flags(statuses, rules)
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
        day = mt.scheduled_at.astimezone(tz).date()
        rows = rows_by_meeting[mt.id]
        for m in sorted(members_by_cell[mt.cell_id], key=lambda m: m.full_name):
            span = member_span(m)
            if not span.active_on(day):
                continue
            row = rows.get(m.id)
            status = "exempt" if span.exempt_on(day) and row is None else (row.status.value if row and row.status else "")
            report.attendance.append(AttendanceLine(
                cell_name=cell_names[mt.cell_id], meeting_date=day, meeting_kind=mt.kind.value, member_name=m.full_name,
                status=status, reason=row.reason if row else None, checked_in_at=row.checked_in_at if row else None,
                by_secretary=bool(row and row.recorded_by_member_id and row.checked_in_at),
            ))
    return report


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
