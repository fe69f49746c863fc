"""Mistakes undone after the meeting: the start or end time of the meeting just held (/suagio). Every change
is audited (who, when, before, after) and the summary is computed again and sent to the leaders; the
committee's figures read the meeting's row, so they follow."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from core import outgoing
from core.messages import Reply, Request, Response
from core.parsing import parse_due_date, parse_time
from core.texts import echo, fmt_date, fmt_datetime, fmt_time
from handlers import corrections, notify
from handlers.context import Ctx
from reports import meeting_summary
from rules import beyond_bound, end_time_for, is_late, late_from
from rules.corrected_times import corrected_start
from rules.names import fold
from scheduler.timed import task_jobs
from scheduler.timed.task_jobs import fmt_day, plan_reminders
from storage.models import Attendance, AttendanceStatus, Meeting, Member, Task
from storage.queries import latest_ended_meeting, links_for_members, open_meeting
from storage.tasks import forget_task_reminders, open_cell_tasks, open_tasks_of

MAX_TASK = 300  # as /giaoviec
CORRECTION_WINDOW = timedelta(days=7)  # the meeting just held may have its times corrected this long after it
_START_WORDS = ("batdau", "bat dau", "bd", "start", "gio bat dau")
_END_WORDS = ("ketthuc", "ket thuc", "kt", "end", "gio ket thuc")


def _which(args: str) -> tuple[str | None, str]:
    """('start' | 'end' | None, what follows) from 'batdau 19:30', 'bắt đầu 19h30', 'kết thúc 21:00'."""
    words = args.split()
    folded = [fold(w) for w in words]
    for phrases, which in ((_START_WORDS, "start"), (_END_WORDS, "end")):
        for phrase in sorted(phrases, key=lambda p: -len(p.split())):
            size = len(phrase.split())
            if folded[:size] == phrase.split():
                return which, " ".join(words[size:])
    return None, args


async def correct_time(ctx: Ctx, req: Request) -> Response:
    """/suagio batdau HH:MM | /suagio ketthuc HH:MM: the start or end of the meeting just held (7 days)."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    current = await open_meeting(ctx.session, ctx.cell.id, to_end=True)  # as /ketthuc would: one after the other
    if current is not None and current.started_at is not None:
        return Response.say(ctx.t("fix_time.in_progress", time=fmt_time(current.started_at, ctx.tz)))
    which, rest = _which(" ".join(req.args.split()))
    if which is None or not rest:
        return Response.say(ctx.t("fix_time.usage"))
    at = parse_time(rest.split()[0])
    if at is None or len(rest.split()) > 1:
        return Response.say(ctx.t("fix_time.bad_time", value=echo(rest)) + "\n\n" + ctx.t("fix_time.usage"))
    latest = await latest_ended_meeting(ctx.session, ctx.cell.id)
    # Locked until this commits: two corrections at once (the secretary and the deputy) go one after the
    # other, the second reading what the first wrote (its audit's "before" is true).
    meeting = latest and await ctx.session.get(Meeting, latest.id, with_for_update=True, populate_existing=True)
    if meeting is None:
        return Response.say(ctx.t("fix_time.no_meeting"))
    started, ended = meeting.started_at, meeting.ended_at
    assert started is not None and ended is not None, "an ended meeting has begun"
    if ctx.now - ended > CORRECTION_WINDOW:
        return Response.say(ctx.t("fix_time.too_old", date=fmt_date(meeting.scheduled_at, ctx.tz),
                                  days=CORRECTION_WINDOW.days))
    local = ctx.now.astimezone(ctx.tz)
    new_start, new_end = started, ended
    if which == "start":
        new_start = corrected_start(started.astimezone(ctx.tz), at).astimezone(started.tzinfo)
        if new_start >= ended:
            return Response.say(ctx.t("fix_time.start_after_end", time=f"{at:%H:%M}",
                                      end=fmt_datetime(ended, ctx.tz), example=fmt_time(started, ctx.tz)))
    else:
        reading, why = end_time_for(started, local, at)
        if reading is None:
            minimum = (await meeting_summary.duration_if_ended(ctx.session, meeting, ctx.tz, started, ended)).minimum
            key = "fix_time.future" if why == "future" else "fix_time.end_before_start"
            return Response.say(ctx.t(key, time=f"{at:%H:%M}", start=fmt_datetime(started, ctx.tz),
                                      now=fmt_time(ctx.now, ctx.tz),
                                      example=fmt_time(min(started + timedelta(minutes=minimum), ctx.now), ctx.tz)))
        new_end = reading.astimezone(ended.tzinfo)
    bound = ctx.settings.max_meeting_hours
    if beyond_bound(new_start, new_end, bound):
        minutes = int((new_end - new_start).total_seconds() // 60)
        word = "batdau" if which == "start" else "ketthuc"
        return Response.say(ctx.t("fix_time.too_long", start=fmt_datetime(new_start, ctx.tz),
                                  end=fmt_datetime(new_end, ctx.tz), hours=minutes // 60, minutes=minutes % 60,
                                  max=f"{bound:g}", which=word,
                                  example=fmt_time(started if which == "start" else ended, ctx.tz)))
    if (new_start, new_end) == (started, ended):
        return Response.say(ctx.t("fix_time.unchanged", date=fmt_date(meeting.scheduled_at, ctx.tz),
                                  start=fmt_time(started, ctx.tz), end=fmt_time(ended, ctx.tz)))
    before = _times(meeting)
    meeting.started_at, meeting.ended_at = new_start, new_end
    if which == "start":
        meeting.start_manual = True
        now_on_time = await _rejudge_lateness(ctx, meeting, started)
    else:
        meeting.end_manual, now_on_time = True, []
    after = _times(meeting) | ({"now_on_time": now_on_time} if now_on_time else {})
    ctx.audit("correct_time", "meeting", meeting.id, before, after)
    await ctx.session.flush()
    verdict = await meeting_summary.duration_if_ended(ctx.session, meeting, ctx.tz, new_start, new_end)
    head = ctx.t("fix_time.done_start" if which == "start" else "fix_time.done_end",
                 date=fmt_date(meeting.scheduled_at, ctx.tz),
                 before=fmt_datetime(started if which == "start" else ended, ctx.tz),
                 after=fmt_datetime(new_start if which == "start" else new_end, ctx.tz), minutes=verdict.minutes)
    replies = (await corrections.summary_and_warnings(ctx, meeting, corrected=True)).replies
    return Response(replies=[Reply(head)] + replies)


async def _rejudge_lateness(ctx: Ctx, meeting: Meeting, old_start: datetime) -> list[int]:
    """After the start is corrected: whoever was recorded as checked in at the old start (the secretary at
    /batdau, a correction to "có mặt") is at the new one, and whoever was late only against the old start
    is on time. Nobody becomes late: a check-in after a start corrected earlier is when they answered the
    prompt, not when they came. The members now on time, for the audit."""
    assert meeting.started_at is not None
    new_start = meeting.started_at
    on_time = []
    for row in await ctx.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)):
        if row.checked_in_at is None or row.status not in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
            continue
        if row.checked_in_at == old_start:
            row.checked_in_at = new_start
        since = late_from(new_start, meeting.opened_at)
        if row.status is AttendanceStatus.LATE and not is_late(since, row.checked_in_at, ctx.actor.rules):
            row.status, row.updated_at = AttendanceStatus.PRESENT, ctx.now
            on_time.append(row.member_id)
    return on_time


def _times(meeting: Meeting) -> dict[str, object]:
    assert meeting.started_at is not None and meeting.ended_at is not None
    return {"started_at": meeting.started_at.isoformat(), "ended_at": meeting.ended_at.isoformat(),
            "start_manual": meeting.start_manual, "end_manual": meeting.end_manual}


# --- tasks: corrected (/suaviec SỐ | VIỆC | HẠN) and withdrawn (/xoaviec SỐ) ---

def example_due(ctx: Ctx) -> str:
    """A deadline for the examples: a week from today (an example never shows a past date)."""
    return (ctx.today + timedelta(days=7)).strftime("%d/%m")


def _task_number(text: str) -> int | None:
    text = text.strip().lstrip("#").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


async def _numbered_task(ctx: Ctx, number_text: str, usage: str) -> tuple[Task | None, str, Response]:
    """The cell's open task numbered ``number_text`` in the secretary's /viec, with its member's name."""
    number = _task_number(number_text)
    if number is None:
        return None, "", Response.say(usage)
    rows = await open_cell_tasks(ctx.session, ctx.cell.id)
    if not rows:
        return None, "", Response.say(ctx.t("task_fix.none_open", cell=ctx.cell.name))
    if not 1 <= number <= len(rows):
        return None, "", Response.say(ctx.t("task_fix.bad_number", number=number, count=len(rows)))
    chosen, name = rows[number - 1]
    # Locked until this commits (a correction and a withdrawal at once go one after the other); gone or done
    # meanwhile, it is not the task the number named.
    task = await ctx.session.get(Task, chosen.id, with_for_update=True, populate_existing=True)
    if task is None or task.done_at is not None:
        return None, "", Response.say(ctx.t("task_fix.bad_number", number=number, count=len(rows) - 1))
    return task, name, Response()


def _task_state(task: Task) -> dict[str, object]:
    return {"member_id": task.member_id, "meeting_id": task.meeting_id, "description": task.description,
            "due_on": task.due_on.isoformat()}


async def edit_task(ctx: Ctx, req: Request) -> Response:
    """/suaviec SỐ | VIỆC | HẠN: what a task says or its deadline (a part left empty stays as it was)."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    parts = [" ".join(p.split()) for p in req.args.split("|")]
    if len(parts) != 3 or not parts[0] or not (parts[1] or parts[2]):
        return Response.say(ctx.t("task_fix.edit_usage", due=example_due(ctx)))
    task, name, error = await _numbered_task(ctx, parts[0], ctx.t("task_fix.edit_usage", due=example_due(ctx)))
    if task is None:
        return error
    what, when_text = parts[1] or task.description, parts[2]
    if len(what) > MAX_TASK:
        return Response.say(ctx.t("task.too_long", length=len(what), limit=MAX_TASK))
    due = task.due_on
    if when_text:
        parsed = parse_due_date(when_text, ctx.today)
        if parsed is None or parsed < ctx.today:
            return Response.say(ctx.t("task_fix.bad_date", value=when_text, today=fmt_day(ctx.today),
                                      number=parts[0].lstrip("#").strip(), example=example_due(ctx)))
        due = parsed
    before = _task_state(task)
    if (what, due) == (task.description, task.due_on):
        return Response.say(ctx.t("task_fix.unchanged", name=name, task=what, due=fmt_day(due)))
    task.description, task.due_on = what, due
    if before["due_on"] != due.isoformat():
        task.overdue_reported_at = None  # a new deadline: overdue (once) against it
    ctx.audit("edit_task", "task", task.id, before, _task_state(task))
    await forget_task_reminders(ctx.session, task.id)
    member = await ctx.session.get_one(Member, task.member_id)
    links = await links_for_members(ctx.session, [member.id])
    ctx.queued += await plan_reminders(ctx.session, ctx.settings, task, links.get(member.id), ctx.now)
    if member.id != ctx.member.id:
        number = [x.id for x in await open_tasks_of(ctx.session, member.id)].index(task.id) + 1
        notice = Reply(ctx.t("task_fix.member_edited", task=what, due=fmt_day(due), number=number),
                       task_jobs.done_button(ctx.settings, task.id))
        await notify.to_members(ctx, [member], notice, outgoing.TASK_EDITED, meeting_id=task.meeting_id,
                                task=task.id, at=int(ctx.now.timestamp()))
    return Response.say(ctx.t("task_fix.edited", name=name, before=str(before["description"]),
                              before_due=fmt_day(date.fromisoformat(str(before["due_on"]))), task=what,
                              due=fmt_day(due)))


async def withdraw_task(ctx: Ctx, req: Request) -> Response:
    """/xoaviec SỐ: a task given by mistake is withdrawn (gone from every list and count; the audit keeps it)."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    words = req.args.split()
    if len(words) != 1:
        return Response.say(ctx.t("task_fix.withdraw_usage"))
    task, name, error = await _numbered_task(ctx, words[0], ctx.t("task_fix.withdraw_usage"))
    if task is None:
        return error
    before, before_id = _task_state(task), task.id
    ctx.audit("withdraw_task", "task", task.id, before, None)
    await forget_task_reminders(ctx.session, task.id)
    member_id, what, due, meeting_id = task.member_id, task.description, task.due_on, task.meeting_id
    await ctx.session.delete(task)
    await ctx.session.flush()
    if member_id != ctx.member.id:
        member = await ctx.session.get_one(Member, member_id)
        await notify.to_members(ctx, [member], Reply(ctx.t("task_fix.member_withdrawn", task=what, due=fmt_day(due))),
                                outgoing.TASK_WITHDRAWN, meeting_id=meeting_id, task=before_id)
    return Response.say(ctx.t("task_fix.withdrawn", name=name, task=what, due=fmt_day(due)))
