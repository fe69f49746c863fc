"""Computing a committee's weekly summary from the database, and its chat text."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import fmt_rate, t
from reports import weekly_data, weekly_quality
from reports.weekly_data import ATTENDED, NOBODY, CommitteeYear, _statuses
from reports.weekly_model import AttendanceLine, CellWeek, MeetingRow, WeeklyReport
from rules import (
    AbsenceFlags,
    AttendanceVerdict,
    RuleSet,
    absence_flags,
    attendance_verdict,
    duration_verdict,
    month_key,
    quarter_of,
)
from storage.models import Committee, MeetingKind


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
    q_year, q = quarter_of(today)
    report = WeeklyReport(
        committee_id=committee.id, committee_name=committee.name, week=iso_week(today), month=month_key(today),
        quarter=f"{q_year}-Q{q}", generated_at=now, target=rules.attendance_target,
    )
    data = await weekly_data.load(session, committee_id, datetime(today.year, 1, 1, tzinfo=tz), report.month)
    local_day = {mt.id: mt.scheduled_at.astimezone(tz).date() for mt in data.meetings}
    numbers = _meetings_sheet(report, data, local_day, rules)
    patterns: dict[tuple[str | None, ...], AbsenceFlags] = {}  # most members share a few absence histories
    for cell_id, cell_name in data.cells:
        report.cells.append(_cell_status(cell_id, cell_name, data, numbers, local_day, today, rules, lang, patterns))
    _attendance_sheet(report, data, local_day)
    await weekly_quality.add_levels(session, report, data)
    return report


def _meetings_sheet(report: WeeklyReport, data: CommitteeYear, local_day: dict[int, date],
                    rules: RuleSet) -> dict[int, tuple]:
    """One row per meeting of the year; returns the numbers of this month's meetings by id."""
    numbers: dict[int, tuple] = {}
    verdicts: dict[tuple[int, int], AttendanceVerdict] = {}  # the same few counts come back again and again
    cell_names = data.cell_names
    for meeting_id, cell_id, kind, period, scheduled_at, started_at, ended_at in data.meetings:
        active, expected, _exempt, expected_set = data.rosters[cell_id].on(local_day[meeting_id])
        lists = data.by_status.get(meeting_id, NOBODY)
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
    return numbers


def _cell_status(cell_id: int, cell_name: str, data: CommitteeYear, numbers: dict[int, tuple],
                 local_day: dict[int, date], today: date, rules: RuleSet, lang: str,
                 patterns: dict[tuple[str | None, ...], AbsenceFlags]) -> CellWeek:
    """One cell's line: this month's regular meeting, the quarter's thematic one, who is flagged, and why
    the cell needs attention."""
    active, expected_now, exempt_now, _expected_set = data.rosters[cell_id].on(today)
    cw = CellWeek(cell_id=cell_id, cell_name=cell_name, members_active=active, members_exempt=len(exempt_now),
                  regular_status="missing")
    month = month_key(today)
    q_year, q = quarter_of(today)
    cell_meetings = data.meetings_by_cell.get(cell_id, [])
    regular = next((mt for mt in cell_meetings if mt.period == month and mt.kind == MeetingKind.THUONG_KY.value), None)
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
        mt.kind == MeetingKind.CHUYEN_DE.value and mt.ended_at is not None and quarter_of(local_day[mt.id]) == (q_year, q)
        for mt in cell_meetings
    )
    cw.unreachable = sorted(data.names[i] for i in expected_now if i not in data.reachable)
    _flag_absences(cw, data, cell_meetings, expected_now, rules, lang, patterns)
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
    return cw


def _flag_absences(cw: CellWeek, data: CommitteeYear, cell_meetings: list, expected_now: list[str],
                   rules: RuleSet, lang: str, patterns: dict[tuple[str | None, ...], AbsenceFlags]) -> None:
    """Absence patterns over this year's ended meetings: each expected member's statuses, oldest first."""
    ended = [_statuses(data.by_status.get(mt.id, NOBODY)) for mt in cell_meetings if mt.ended_at is not None]
    by_meeting = [[statuses.get(member_id) for member_id in expected_now] for statuses in ended]
    histories = zip(*by_meeting) if ended else [()] * len(expected_now)
    for member_id, history in zip(expected_now, histories):
        flags = patterns.get(history)
        if flags is None:
            flags = patterns[history] = absence_flags(history, rules)
        if flags.warn_unexcused:
            cw.flagged.append((data.names[member_id], t(lang, "why.unexcused", count=flags.unexcused)))
        if flags.warn_excused_streak:
            cw.flagged.append((data.names[member_id], t(lang, "why.excused_streak", count=flags.excused_streak)))


def _attendance_sheet(report: WeeklyReport, data: CommitteeYear, local_day: dict[int, date]) -> None:
    """This month's meetings, per member."""
    cell_names = data.cell_names
    for mt in data.meetings:
        if mt.period != report.month:
            continue
        day = local_day[mt.id]
        rows = data.rows_by_meeting[mt.id]
        for span, full_name in data.rosters[mt.cell_id].by_name():
            if not span.active_on(day):
                continue
            row = rows.get(span.member_id)
            status = "exempt" if span.exempt_on(day) and row is None else (row.status if row and row.status else "")
            report.attendance.append(AttendanceLine(
                cell_name=cell_names[mt.cell_id], meeting_date=day, meeting_kind=mt.kind, member_name=full_name,
                status=status, reason=row.reason if row else None, checked_in_at=row.checked_in_at if row else None,
                by_secretary=bool(row and row.recorded_by_member_id and row.checked_in_at),
            ))


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
    if report.cells_held:
        counts = weekly_quality.distribution(report)
        lines.append(t(lang, "weekly.quality_totals", tot=counts["tot"], kha=counts["kha"], trung_binh=counts["trung_binh"],
                       kem=counts["kem"], none=counts[weekly_quality.NOT_ASSESSED]))
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
        if c.quality_level:
            line += t(lang, "weekly.quality_cell", level=t(lang, f"quality.level.{c.quality_level}"), score=c.quality_score)
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
