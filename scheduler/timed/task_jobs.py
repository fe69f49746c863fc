"""Tasks over time: reminders before each deadline, and the overdue ones reported to the secretary once.

Reminders are outbox rows queued when the task is given (keys ``task_reminder:<task>:<days>``), so a
restart neither loses nor repeats them; they are dropped when the task is done. Overdue tasks are
found by the daily planner and marked (``overdue_reported_at``) in the same transaction that queues
the report, so it goes out once whatever restarts or processes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from core import buttons, outgoing
from core.messages import Button, Reply
from core.parsing import parse_time
from core.settings import Settings
from core.texts import Html, t
from rules import reminder_days, shift_out_of_quiet
from rules.names import name_key
from storage.models import Cell, ChatLink, Member, Task
from storage.tasks import overdue_unreported


def fmt_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def done_button(settings: Settings, task_id: int) -> list[list[Button]]:
    return [[Button(t(settings.language, "button.task_done"), buttons.TaskDone(task_id).encode())]]


def reminder_reply(settings: Settings, task: Task, days: int) -> Reply:
    lang = settings.language
    if days == 0:
        text = t(lang, "task.remind_today", task=task.description, due=fmt_day(task.due_on))
    else:
        text = t(lang, "task.remind_before", task=task.description, due=fmt_day(task.due_on), days=days)
    return Reply(text, done_button(settings, task.id))


async def plan_reminders(session, settings: Settings, task: Task, link: ChatLink | None, now: datetime) -> int:
    """Queue the task's reminders (``settings.task_days`` before the deadline, at the reminder time,
    out of the quiet hours); those already past are skipped. Idempotent (one key per task and day)."""
    if link is None:
        return 0
    tz = settings.tz
    at = parse_time(settings.task_reminder_time) or time(8, 0)
    end_of_deadline = datetime.combine(task.due_on + timedelta(days=1), time(0, 0), tzinfo=tz)
    queued = 0
    for day in reminder_days(task.due_on, settings.task_days, now.astimezone(tz).date()):
        due = shift_out_of_quiet(datetime.combine(day, at, tzinfo=tz), settings.quiet, end_of_deadline)
        if due <= now:
            continue
        days = (task.due_on - day).days
        queued += await outgoing.send(session, outgoing.TASK_REMINDER, outgoing.link(link, task.member_id),
                                      reminder_reply(settings, task, days), now=now, due_at=due,
                                      meeting_id=task.meeting_id, task=task.id, days=days)
    return queued


async def report_overdue(session, settings: Settings, now: datetime) -> int:
    """Tell each cell's secretary and deputy about tasks that have just gone past their deadline (once)."""
    tz, lang = settings.tz, settings.language
    today = now.astimezone(tz).date()
    due = shift_out_of_quiet(now.astimezone(tz), settings.quiet, now + timedelta(days=1))
    by_cell: dict[int, list[Task]] = {}
    for task in await overdue_unreported(session, today):
        by_cell.setdefault(task.cell_id, []).append(task)
    queued = 0
    for cell_id, tasks in by_cell.items():
        cell = await session.get(Cell, cell_id)
        names = {m.id: m.full_name for m in [await session.get(Member, i) for i in {x.member_id for x in tasks}]}
        tasks.sort(key=lambda x: (x.due_on, name_key(names[x.member_id]), x.id))  # as every list: by deadline, then name
        lines = "\n".join(t(lang, "task.overdue_line", name=names[x.member_id], task=x.description,
                            due=fmt_day(x.due_on)) for x in tasks)
        text = t(lang, "task.overdue_report", cell=cell.name, count=len(tasks), lines=Html(lines))
        queued += await outgoing.send(session, outgoing.TASK_OVERDUE, await outgoing.leaders(session, cell_id, today),
                                      {"text": text, "buttons": []}, now=now, due_at=due,
                                      task=min(x.id for x in tasks), day=today.isoformat())
        for x in tasks:
            x.overdue_reported_at = now
    return queued
