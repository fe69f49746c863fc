"""Computing a committee's weekly summary from the database, and its chat text."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import Html, fmt_rate, t
from reports import attention, weekly_data, weekly_quality, weekly_substance, weekly_votes
from reports.weekly_data import ATTENDED, NOBODY, CommitteeYear, _statuses
from reports.weekly_model import AttendanceLine, CellWeek, MeetingRow, MonthResult, Rollup, WeeklyReport
from rules import (
    MISSES,
    AbsenceFlags,
    AttendanceVerdict,
    RuleSet,
    absence_flags,
    attendance_verdict,
    duration_verdict,
    month_key,
    quarter_of,
    regular_status,
)
from rules.names import name_key
from storage.committees import branches, rules_for
from storage.models import Committee, MeetingKind


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def compute(session: AsyncSession, committee_id: int, now: datetime, tz: ZoneInfo,
                  lang: str = "vi") -> WeeklyReport:
    """Everything the weekly summary says, with a fixed number of queries whatever the size."""
    with collector_paused():
        return await _compute(session, committee_id, now, tz, lang)


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a summary is built (and, in the web view, while its page
    or workbook is written from it: a district's year page is thousands of lines).

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
    assert committee is not None  # the callers pass a committee of the database
    rules = await rules_for(session, committee_id)
    today = now.astimezone(tz).date()
    q_year, q = quarter_of(today)
    reported = reported_week(today)
    report = WeeklyReport(
        committee_id=committee.id, committee_name=committee.name, week=iso_week(reported[0]), month=month_key(today),
        quarter=f"{q_year}-Q{q}", generated_at=now, target=rules.attendance_target,
        week_start=reported[0], week_end=reported[1], previous_month=previous_month(today),
    )
    months = (report.month,) + ((report.previous_month,) if report.previous_month else ())
    since = date(today.year, 1, 1)
    if report.previous_month:  # in January, December of last year
        since = min(since, date(int(report.previous_month[:4]), int(report.previous_month[5:]), 1))
    data = await weekly_data.load(session, committee_id, datetime(since.year, since.month, since.day, tzinfo=tz), months)
    local_day = {mt.id: mt.scheduled_at.astimezone(tz).date() for mt in data.meetings}
    numbers = _meetings_sheet(report, data, local_day, months)
    patterns: dict[tuple, AbsenceFlags] = {}  # most members share a few histories
    for cell_id, cell_name in data.cells:
        report.cells.append(_cell_status(cell_id, cell_name, data, numbers, local_day, today, lang, patterns,
                                         report.previous_month, tz))
    _attendance_sheet(report, data, local_day, months)
    await weekly_substance.add(session, report, today, tz, lang)
    await weekly_votes.add(session, report, data, tz)
    for cw in report.cells:  # why each needs attention, once its tasks are counted too
        since = data.created[cw.cell_id].astimezone(tz).date()
        cw.attention = attention.reasons(
            cw.regular, cw.previous, flagged=len(cw.flagged), overdue_tasks=cw.tasks_overdue,
            thematic_missing=attention.thematic_due(today, since, cw.thematic_this_quarter))
    await weekly_quality.add_levels(session, report, data)
    await _roll_up(session, report, data)
    return report


async def _roll_up(session: AsyncSession, report: WeeklyReport, data: CommitteeYear) -> None:
    """With committees below this one: each direct child with the cells of its branch (a ward with its
    cells, a partial committee's too), and each of the committee's own cells on its own, in that order.
    Their totals are ``CellTotals``' own: the same as each child's summary shows."""
    tree = await branches(session, report.committee_id)
    if not tree.children:
        return
    below, own = tree.split(report.cells, lambda cw: data.committee_of[cw.cell_id])
    rollups = [Rollup("committee", child_id, name, (await rules_for(session, child_id)).attendance_target,
                      below[child_id]) for child_id, name in tree.children]
    cells = [Rollup("cell", cw.cell_id, cw.cell_name, data.rules[cw.cell_id].attendance_target, [cw]) for cw in own]
    report.children = [*rollups, *cells]


def previous_month(today: date) -> str | None:
    """The month just ended, while its results are news: in the first seven days of a month (the
    Monday report of 4 January covers 28 December – 3 January)."""
    if today.day > 7:
        return None
    return month_key(date(today.year, today.month, 1) - timedelta(days=1))


def _meetings_sheet(report: WeeklyReport, data: CommitteeYear, local_day: dict[int, date],
                    months: tuple[str, ...]) -> dict[int, tuple]:
    """One row per meeting loaded; returns the numbers of the reported months' meetings by id."""
    numbers: dict[int, tuple] = {}
    verdicts: dict[tuple, AttendanceVerdict] = {}  # the same few counts come back again and again
    cell_names = data.cell_names
    for mt in data.meetings:
        meeting_id, cell_id, kind, period, scheduled_at, started_at, ended_at, combined = mt
        present, count, verdict, duration = meeting_numbers(data, mt, local_day[meeting_id], data.rules[cell_id], verdicts)
        if period in months:
            numbers[meeting_id] = (present, count, verdict, duration)
        report.meetings.append(MeetingRow(
            cell_name=cell_names[cell_id], kind="combined" if combined else kind, scheduled_at=scheduled_at,
            started_at=started_at, ended_at=ended_at, minutes=duration.minutes if duration else None,
            minimum=duration.minimum if duration else None, duration_ok=duration.ok if duration else None,
            present=present, expected=count, rate=verdict.rate if ended_at else None,
            attendance_ok=verdict.ok if ended_at else None,
        ))
    return numbers


def meeting_numbers(data: CommitteeYear, mt: weekly_data._Meeting, day: date, rules: RuleSet,
                    verdicts: dict[tuple, AttendanceVerdict]) -> tuple:
    """(present, expected, attendance verdict, duration verdict or None) of one meeting of ``data``, by
    ``rules`` (its cell's: ``data.rules``).

    ``verdicts`` caches attendance verdicts by (present, expected, rules): the same few counts come back."""
    active, expected, _exempt, expected_set = data.rosters[mt.cell_id].on(day)
    lists = data.by_status.get(mt.id, NOBODY)
    present = 0
    for n in ATTENDED:
        if ids := lists[n]:
            present += len(expected_set.intersection(ids.split(",")))
    count = len(expected)
    verdict = verdicts.get((present, count, rules))
    if verdict is None:
        verdict = verdicts[present, count, rules] = attendance_verdict(present, count, rules)
    duration = (duration_verdict(mt.kind, active, mt.started_at, mt.ended_at, rules, mt.combined)
                if mt.started_at and mt.ended_at else None)
    return present, count, verdict, duration


def _regular(cell_meetings: list, month: str, numbers: dict[int, tuple], local_day: dict[int, date],
             today: date, since: date) -> MonthResult:
    """The cell's regular meeting of ``month``, as ``rules.regular_status`` judges it: held (and how), in
    progress, scheduled, not held (its date passed without a start), missing, or untracked (the cell was
    added to chibo during or after that month, ``since``)."""
    regular = next((mt for mt in cell_meetings if mt.period == month and mt.kind == MeetingKind.THUONG_KY.value), None)
    if regular is None:
        return MonthResult(month=month, status=regular_status(month, None, False, False, today, since))
    return judged(MonthResult(month=month, status="scheduled", date=local_day[regular.id]), regular,
                  numbers[regular.id], today)


R = TypeVar("R", bound=MonthResult)


def judged(result: R, mt: weekly_data._Meeting, numbers: tuple, today: date) -> R:
    """``result`` (a scheduled meeting's, ``result.date`` its local date) filled in from the meeting and its
    ``meeting_numbers``: its status (``rules.regular_status``) and, when held, its duration and attendance
    and their verdicts; the weekly summary and the web view share it."""
    present, expected, verdict, duration = numbers
    result.combined = mt.combined
    result.status = regular_status(result.month, result.date, mt.started_at is not None, mt.ended_at is not None,
                                   today, date.min)
    if result.status == "held":
        result.present, result.expected, result.rate, result.attendance_ok = present, expected, verdict.rate, verdict.ok
        if duration:
            result.minutes, result.minimum, result.duration_ok = duration.minutes, duration.minimum, duration.ok
    return result


def _cell_status(cell_id: int, cell_name: str, data: CommitteeYear, numbers: dict[int, tuple],
                 local_day: dict[int, date], today: date, lang: str,
                 patterns: dict, previous: str | None, tz: ZoneInfo) -> CellWeek:
    """One cell's line: this month's regular meeting (and last month's, in a month's first week), the
    quarter's thematic one and who is flagged (why it needs attention is decided in ``_compute``)."""
    active, expected_now, exempt_now, _expected_set = data.rosters[cell_id].on(today)
    cell_meetings = data.meetings_by_cell.get(cell_id, [])
    since = data.created[cell_id].astimezone(tz).date()  # the cell's record starts the day it was added
    now_result = _regular(cell_meetings, month_key(today), numbers, local_day, today, since)
    cw = CellWeek(cell_id=cell_id, cell_name=cell_name, members_active=active, members_exempt=len(exempt_now),
                  regular=now_result)
    if previous is not None and since < today.replace(day=1):  # the previous month, unless added this month
        cw.previous = _regular(cell_meetings, previous, numbers, local_day, today, since)
    q_year, q = quarter_of(today)
    cw.thematic_this_quarter = any(
        (mt.kind == MeetingKind.CHUYEN_DE.value or mt.combined) and mt.ended_at is not None
        and quarter_of(local_day[mt.id]) == (q_year, q)
        for mt in cell_meetings
    )
    cw.unreachable = sorted((data.names[i] for i in expected_now if i not in data.reachable), key=name_key)
    this_year = [mt for mt in cell_meetings if local_day[mt.id].year == today.year]
    _flag_absences(cw, data, this_year, expected_now, data.rules[cell_id], lang, patterns)
    return cw


def _flag_absences(cw: CellWeek, data: CommitteeYear, cell_meetings: list, expected_now: list[str],
                   rules: RuleSet, lang: str, patterns: dict) -> None:
    """Absence patterns over this year's ended meetings: each expected member's (month, status), oldest first."""
    ended_meetings = [mt for mt in cell_meetings if mt.ended_at is not None]
    ended = [_statuses(data.by_status.get(mt.id, NOBODY)) for mt in ended_meetings]
    by_meeting = [[(mt.period, statuses.get(member_id)) for member_id in expected_now]
                  for mt, statuses in zip(ended_meetings, ended)]
    histories = zip(*by_meeting) if ended else [()] * len(expected_now)
    for member_id, history in zip(expected_now, histories):
        flags = patterns.get((rules, history))
        if flags is None:
            flags = patterns[rules, history] = absence_flags(history, rules)
        if flags.warn_unexcused:
            cw.flagged.append((data.names[member_id], t(lang, "why.unexcused", count=flags.months)))
        if flags.warn_excused_streak:
            cw.flagged.append((data.names[member_id], t(lang, "why.excused_streak", count=flags.excused_streak)))


def _attendance_sheet(report: WeeklyReport, data: CommitteeYear, local_day: dict[int, date],
                      months: tuple[str, ...]) -> None:
    """The reported months' meetings, per member."""
    cell_names = data.cell_names
    for mt in data.meetings:
        if mt.period not in months:
            continue
        day = local_day[mt.id]
        rows = data.rows_by_meeting[mt.id]
        for span, full_name in data.rosters[mt.cell_id].by_name():
            if not span.active_on(day):
                continue
            row = rows.get(span.member_id)
            status = row.status if row and row.status else ""
            if span.exempt_on(day):
                status = "exempt_attended" if status in ("present", "late") else "exempt"
            report.attendance.append(AttendanceLine(
                cell_name=cell_names[mt.cell_id], meeting_date=day, meeting_kind="combined" if mt.combined else mt.kind,
                member_name=full_name,
                status=status, reason=row.reason if row else None, checked_in_at=row.checked_in_at if row else None,
                by_secretary=bool(row and row.recorded_by_member_id and row.checked_in_at),
            ))


MAX_CELL_LINES = 40  # the rest is in the workbook: the text stays a few messages long


def _detail(r: MonthResult, lang: str, target: float, past: bool = False) -> str:
    """A month's regular meeting in a few words: held (when, how long, who came), or its status."""
    if r.status == "held":
        assert r.date is not None  # held on a day
        return t(lang, "weekly.cell_held", date=r.date.strftime("%d/%m"), minutes=r.minutes or 0,
                 minimum=r.minimum or 0, present=r.present, expected=r.expected, rate=fmt_rate(r.rate, target, lang))
    word = t(lang, "status.missing_past" if past and r.status == "missing" else f"status.{r.status}")
    return f"{word} {r.date.strftime('%d/%m')}" if r.date is not None else word


def _untracked(count: int, lang: str) -> Html:
    """The note after "đã họp x/y chi bộ" naming the cells new to chibo that month, not counted in y."""
    return Html(t(lang, "weekly.untracked", count=count) if count else "")


def render_text(report: WeeklyReport, lang: str, tz: ZoneInfo, *, files_note: str = "") -> str:
    """The weekly summary as chat text (HTML). Long committees are cut to the cells that matter."""
    month = f"{report.month[5:]}/{report.month[:4]}"
    lines = [t(lang, "weekly.title", committee=report.committee_name, week=report.week_label, month=month)]
    if report.previous_month and (report.previous_tracked or report.previous_untracked):
        last = f"{report.previous_month[5:]}/{report.previous_month[:4]}"
        lines.append(t(lang, "weekly.previous_totals", month=last, held=report.previous_held,
                       cells=report.previous_tracked, untracked=_untracked(report.previous_untracked, lang),
                       rate=fmt_rate(report.previous_rate, report.target, lang)))
    lines.append(t(lang, "weekly.totals", month=month, held=report.cells_held, cells=report.cells_tracked,
                   untracked=_untracked(report.cells_untracked, lang),
                   rate=fmt_rate(report.overall_rate, report.target, lang), target=fmt_rate(report.target, lang=lang)))
    if report.cells_held:
        counts = weekly_quality.distribution(report)
        lines.append(t(lang, "weekly.quality_totals", tot=counts["tot"], kha=counts["kha"], trung_binh=counts["trung_binh"],
                       kem=counts["kem"], none=counts[weekly_quality.NOT_ASSESSED]))
    first = report.attention_first()
    if first:
        lines.append("")
        lines.append(t(lang, "weekly.attention_header", count=len(first)))
        if report.children:  # grouped by the child they lie under, as the office follows them
            room = MAX_CELL_LINES
            for child in report.children:
                its = child.attention_first()
                if not its or room <= 0:
                    continue
                if child.kind == "committee":
                    lines.append(t(lang, "weekly.tree_group", name=child.name, count=len(its)))
                lines += _attention_lines(its[:room], lang, report.target)
                room -= len(its[:room])
        else:
            lines += _attention_lines(first[:MAX_CELL_LINES], lang, report.target)
    lines.append("")
    if report.children:
        lines.append(t(lang, "weekly.tree_header"))
        for child in report.children[:MAX_CELL_LINES]:
            lines.append(_child_line(child, report, lang, month) if child.kind == "committee"
                         else _cell_line(child.cells[0], report, lang, month))
        if len(report.children) > MAX_CELL_LINES:
            lines.append(t(lang, "weekly.more_cells", count=len(report.children) - MAX_CELL_LINES))
        lines.append(t(lang, "weekly.tree_hint", example=report.children[0].name))
    else:
        lines.append(t(lang, "weekly.cells_header"))
        shown = report.cells[:MAX_CELL_LINES]
        lines += [_cell_line(c, report, lang, month) for c in shown]
        if len(report.cells) > len(shown):
            lines.append(t(lang, "weekly.more_cells", count=len(report.cells) - len(shown)))
    lines += weekly_substance.guest_section(report, lang)
    if files_note:
        lines.append("")
        lines.append(files_note)
    return "\n".join(lines)


def _attention_lines(cells: list[CellWeek], lang: str, target: float) -> list[str]:
    lines = []
    for c in cells:
        lines.append(t(lang, "weekly.attention_line", cell=c.cell_name,
                       why=Html("; ".join(attention.render_all(c.attention, lang, target)))))
        lines += [t(lang, "weekly.flagged_line", name=name, why=why) for name, why in c.flagged]
    return lines


def _cell_line(c: CellWeek, report: WeeklyReport, lang: str, month: str) -> str:
    """One cell's line: its regular meeting (last month's too, in a month's first week) and the rest."""
    now = c.regular
    detail = _detail(now, lang, report.target)
    if c.previous is not None:
        p = c.previous
        detail = t(lang, "weekly.two_months", last=f"{p.month[5:]}/{p.month[:4]}",
                   last_detail=_detail(p, lang, report.target, past=True), month=month, detail=detail)
    held_ok = now.ok or (c.previous is not None and c.previous.ok and now.status not in MISSES)
    mark = "✅" if held_ok else ("⚠️" if c.needs_attention else "•")
    extra = t(lang, "weekly.thematic_yes") if c.thematic_this_quarter else t(lang, "weekly.thematic_no")
    line = t(lang, "weekly.cell_line", mark=mark, cell=c.cell_name, detail=detail, thematic=extra)
    if c.unreachable:
        line += t(lang, "weekly.unreachable", count=len(c.unreachable))
    line += weekly_substance.cell_suffix(c, lang)
    if c.quality_level:
        line += t(lang, "weekly.quality_cell", level=t(lang, f"quality.level.{c.quality_level}"), score=c.quality_score)
    return line


def _child_line(child: Rollup, report: WeeklyReport, lang: str, month: str) -> str:
    """A committee below, rolled up: its cells' meetings this month, their attendance, those needing attention."""
    needing = len(child.attention_first())
    mark = "⚠️" if needing else ("✅" if child.cells_held == child.cells_tracked and child.cells_tracked else "•")
    return t(lang, "weekly.tree_line", mark=mark, name=child.name, month=month, held=child.cells_held,
             cells=child.cells_tracked, untracked=_untracked(child.cells_untracked, lang),
             rate=fmt_rate(child.overall_rate, child.target, lang), attention=needing)


def reported_week(today: date) -> tuple[date, date]:
    """The week a summary made on ``today`` reports, first and last day: the Monday-to-Sunday week of
    yesterday, up to today at most. On a Monday (the default schedule) it is the week just ended: the
    summary of Monday 18/01 reports 11/01 – 17/01, not the week that starts that day; on a Sunday, the
    week ending that day; on a Wednesday (on demand), Monday to Wednesday."""
    start = week_bounds(today - timedelta(days=1))[0]
    return start, min(start + timedelta(days=6), today)


def week_bounds(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)
