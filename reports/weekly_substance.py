"""What the cells' meetings produced, in the weekly summary: the share of tasks done by their deadline
and the overdue ones (this year), the month's Party dues collected, and when a committee member last attended a meeting (seed 004:
the committee above attends each cell at least once a quarter). Five queries whatever the size."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import fmt_rate, t
from reports.weekly_model import CellWeek, WeeklyReport
from rules import quarter_of, task_record, task_state
from rules.calendar import month_key
from rules.dues import fmt_amount
from storage.committees import cells_below
from storage.dues import collections
from storage.models import Task
from storage.tasks import last_guest_visits

LONGEST_WITHOUT_SHOWN = 5


async def add(session: AsyncSession, report: WeeklyReport, today: date, tz: ZoneInfo, lang: str) -> None:
    """Fill each cell's task and guest figures (overdue tasks make a cell need attention: reports.attention)."""
    in_committee = cells_below(report.committee_id)
    states = defaultdict(list)
    for cell_id, due_on, done_at in await session.execute(
        select(Task.cell_id, Task.due_on, Task.done_at)
        .where(Task.cell_id.in_(in_committee), Task.due_on >= date(today.year, 1, 1))
    ):
        done_on = done_at.astimezone(tz).date() if done_at else None
        states[cell_id].append((due_on, task_state(due_on, done_on, today)))
    visits = await last_guest_visits(session, [c.cell_id for c in report.cells])
    quarter = quarter_of(today)
    dues = await collections(session, [c.cell_id for c in report.cells], month_key(today), today)
    for c in report.cells:
        record = task_record(states.get(c.cell_id, []), today)
        c.tasks_counted, c.tasks_on_time, c.tasks_overdue = record.counted, record.on_time, record.overdue
        last: datetime | None = visits.get(c.cell_id)
        c.guest_last = last.astimezone(tz).date() if last else None
        c.guest_this_quarter = c.guest_last is not None and quarter_of(c.guest_last) == quarter
        c.dues_month, c.dues = month_key(today), dues.get(c.cell_id)


def cell_suffix(c: CellWeek, lang: str) -> str:
    """The cell line's tail: tasks done by the deadline, overdue, and the committee's last visit."""
    out = ""
    if c.tasks_counted:
        out += t(lang, "weekly.tasks", on_time=c.tasks_on_time, counted=c.tasks_counted, share=fmt_rate(c.tasks_share))
    if c.tasks_overdue:
        out += t(lang, "weekly.tasks_overdue", count=c.tasks_overdue)
    if c.dues is not None and c.dues.owing:
        out += t(lang, "weekly.dues", month=f"{c.dues_month[5:]}/{c.dues_month[:4]}", paid=c.dues.paid,
                 owing=c.dues.owing, share=fmt_rate(c.dues.rate), amount=fmt_amount(c.dues.amount))
    if c.guest_this_quarter:
        assert c.guest_last is not None  # a visit this quarter is the last one
        out += t(lang, "weekly.guest_yes", date=c.guest_last.strftime("%d/%m"))
    else:
        out += t(lang, "weekly.guest_no")
    return out


def guest_section(report: WeeklyReport, lang: str) -> list[str]:
    """The cells that have gone longest without a committee member at their meetings."""
    cells = report.longest_without_guest()
    if not cells:
        return []
    lines = ["", t(lang, "weekly.guest_header", count=len(cells))]
    for c in cells[:LONGEST_WITHOUT_SHOWN]:
        if c.guest_last is None:
            lines.append(t(lang, "weekly.guest_never", cell=c.cell_name))
        else:
            lines.append(t(lang, "weekly.guest_last", cell=c.cell_name, date=c.guest_last.strftime("%d/%m/%Y")))
    if len(cells) > LONGEST_WITHOUT_SHOWN:
        lines.append(t(lang, "weekly.more_cells", count=len(cells) - LONGEST_WITHOUT_SHOWN))
    return lines
