"""Tasks from the resolution: /giaoviec gives one (or one to everyone present), /viec lists them,
/xong (or the Đã xong button) marks one done; the secretary is told."""

from __future__ import annotations

from datetime import timedelta

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.parsing import read_date
from core.texts import Html, echo, fmt_date
from handlers import notify
from handlers.checkin import find_by_name
from handlers.context import Ctx
from handlers.fixes import example_due
from rules import TaskState
from rules.names import fold
from scheduler.timed import task_jobs
from scheduler.timed.task_jobs import fmt_day, plan_reminders
from storage.models import Member, Task
from storage.queries import active_members, latest_ended_meeting, links_for_members, open_meeting
from storage.tasks import cell_tasks, drop_task_reminders, meeting_tasks, open_tasks_of, present_member_ids, state_of

MAX_TASK = 300
MAX_RESULT = 300
EVERYONE = "ca chi bo"  # "cả chi bộ", folded
LIST_BUTTONS = 5  # /viec offers "Xong việc N" for the first few open tasks
DONE_SHOWN_DAYS = 30


async def assign(ctx: Ctx, req: Request) -> Response:
    """/giaoviec HỌ TÊN | VIỆC | HẠN: a task from the cell's last meeting (in progress or ended)."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    parts = [" ".join(p.split()) for p in req.args.split("|")]
    if len(parts) != 3 or not all(parts):
        return Response.say(ctx.t("task.usage"))
    who, what, when = parts
    if len(what) > MAX_TASK:
        return Response.say(ctx.t("task.too_long", length=len(what), limit=MAX_TASK))
    reading = read_date(when, ctx.today)
    example = f"/giaoviec {echo(who)} | {echo(what)} | {ctx.today + timedelta(days=7):%d/%m}"
    passed = reading.passed or (reading.day if reading.day is not None and reading.day < ctx.today else None)
    if passed is not None:  # 10/01 typed on 15/01: said so, never moved to next year in silence
        return Response.say(ctx.t("task.past_date", due=fmt_day(passed), today=fmt_day(ctx.today), example=example))
    if reading.no_such_day is not None:
        return Response.say(ctx.t("date.no_such_day", day=echo(when), year=reading.no_such_day.year, example=example))
    due = reading.day
    if due is None:
        return Response.say(ctx.t("task.bad_date", value=when))
    cell = ctx.cell
    meeting = await open_meeting(ctx.session, cell.id) or await latest_ended_meeting(ctx.session, cell.id)
    if meeting is None:
        return Response.say(ctx.t("task.no_meeting"))
    members = await active_members(ctx.session, cell.id, ctx.today)
    present = await present_member_ids(ctx.session, meeting.id)
    if fold(who) == EVERYONE:
        people = [m for m in members if m.id in present]
        if not people:
            return Response.say(ctx.t("task.nobody_present"))
    else:
        people = find_by_name(members, who)
        if not people:
            return Response.say(ctx.t("checkin_for.not_found", query=who))
        if len(people) > 1:
            return Response.say(ctx.t("checkin_for.ambiguous", query=who, names=", ".join(m.full_name for m in people)))
    tasks = []
    for member in people:
        task = Task(meeting_id=meeting.id, cell_id=cell.id, member_id=member.id, description=what, due_on=due,
                    assigned_by_member_id=ctx.member.id, assigned_at=ctx.now)
        ctx.session.add(task)
        tasks.append(task)
    await ctx.session.flush()
    ctx.audit("assign_task", "meeting", meeting.id, None,
              {"tasks": [x.id for x in tasks], "members": [m.id for m in people], "due_on": due.isoformat()})
    links = await links_for_members(ctx.session, [m.id for m in people])
    told = 0
    for task, member in zip(tasks, people):
        number = [x.id for x in await open_tasks_of(ctx.session, member.id)].index(task.id) + 1
        reply = Reply(ctx.t("task.assigned", date=fmt_date(meeting.scheduled_at, ctx.tz), task=what, due=fmt_day(due),
                            number=number), task_jobs.done_button(ctx.settings, task.id))
        told += await notify.to_members(ctx, [member], reply, outgoing.TASK_ASSIGNED, meeting_id=meeting.id,
                                        task=task.id)
        ctx.queued += await plan_reminders(ctx.session, ctx.settings, task, links.get(member.id), ctx.now)
    names = ", ".join(m.full_name for m in people) if len(people) <= 5 else ctx.t("task.many", count=len(people))
    text = ctx.t("task.assign_done", names=names, task=what, due=fmt_day(due), told=told)
    given = {x.member_id for x, _ in await meeting_tasks(ctx.session, meeting.id)}
    without = [m.full_name for m in members if m.id in present and m.id not in given]
    if without:
        text += "\n" + ctx.t("task.still_without", names=", ".join(without))
    elif present:
        text += "\n" + ctx.t("task.everyone_has_one")
    return Response.say(text)


async def list_tasks(ctx: Ctx, req: Request) -> Response:
    """/viec: a member's open tasks, numbered; for the secretary also the cell's, by state."""
    member = ctx.actor.member
    if member is None:
        return Response.say(ctx.t("not_member"))
    own = await open_tasks_of(ctx.session, member.id)
    lines: list[str] = []
    rows: list[list[Button]] = []
    if own:
        lines.append(ctx.t("task.list_own", count=len(own)))
        for i, task in enumerate(own, 1):
            overdue = state_of(task, ctx.today, ctx.tz) is TaskState.OVERDUE
            lines.append(ctx.t("task.list_item", number=i, task=task.description, due=fmt_day(task.due_on),
                               overdue=Html(ctx.t("task.overdue_mark") if overdue else "")))
        lines.append(ctx.t("task.list_hint"))
        rows = [[Button(ctx.t("button.task_done_n", number=i), buttons.TaskDone(task.id).encode())]
                for i, task in enumerate(own[:LIST_BUTTONS], 1)]
    elif not ctx.actor.is_leader:
        lines.append(ctx.t("task.list_none"))
    if ctx.actor.is_leader:
        if lines:
            lines.append("")
        lines += await _cell_lines(ctx)
    return Response.say("\n".join(lines), rows)


async def _cell_lines(ctx: Ctx) -> list[str]:
    rows = await cell_tasks(ctx.session, ctx.cell.id, ctx.now - timedelta(days=DONE_SHOWN_DAYS))
    if not rows:
        return [ctx.t("task.cell_none", cell=ctx.cell.name)]
    groups: dict[str, list[str]] = {"overdue": [], "open": [], "done": []}
    number = 0  # the tasks not done, by deadline, as /suaviec and /xoaviec number them (storage.open_cell_tasks)
    for task, name in rows:
        state = state_of(task, ctx.today, ctx.tz)
        if state in (TaskState.DONE, TaskState.DONE_LATE):
            late = Html(ctx.t("task.late_mark") if state is TaskState.DONE_LATE else "")
            result = Html(ctx.t("task.result_suffix", result=task.result) if task.result else "")
            groups["done"].append(ctx.t("task.cell_done_item", name=name, task=task.description, late=late,
                                        result=result))
        else:
            number += 1
            groups["overdue" if state is TaskState.OVERDUE else "open"].append(
                ctx.t("task.cell_item", number=number, name=name, task=task.description, due=fmt_day(task.due_on)))
    lines = [ctx.t("task.cell_header", cell=ctx.cell.name, open=len(groups["open"]),
                   overdue=len(groups["overdue"]), done=len(groups["done"]), days=DONE_SHOWN_DAYS)]
    for key, header in (("overdue", "task.cell_overdue"), ("open", "task.cell_open"), ("done", "task.cell_done")):
        if groups[key]:
            lines.append(ctx.t(header))
            lines += groups[key]
    if number:
        lines.append(ctx.t("task_fix.hint", due=example_due(ctx)))
    return lines


async def done(ctx: Ctx, req: Request) -> Response:
    """/xong N [kết quả]: task N of /viec is done (N may be left out when there is only one)."""
    member = ctx.actor.member
    if member is None:
        return Response.say(ctx.t("not_member"))
    own = await open_tasks_of(ctx.session, member.id)
    if not own:
        return Response.say(ctx.t("task.list_none"))
    words = req.args.split()
    if words and words[0].isdigit():
        number, result = int(words[0]), " ".join(words[1:])
        if not 1 <= number <= len(own):
            return Response.say(ctx.t("task.bad_number", number=number, count=len(own)))
        task = own[number - 1]
    elif len(own) == 1:
        task, result = own[0], " ".join(words)
    else:
        return Response.say(ctx.t("task.which", count=len(own)))
    if len(result) > MAX_RESULT:
        return Response.say(ctx.t("task.result_too_long", length=len(result), limit=MAX_RESULT))
    return await _mark_done(ctx, task, member, result or None)


async def pressed_done(ctx: Ctx, pressed: buttons.TaskDone) -> Response:
    """The Đã xong button under a task (or "Xong việc N" under /viec)."""
    task = await ctx.session.get(Task, pressed.task_id)
    if task is None:
        return Response(toast=ctx.t("stale_button"))
    if task.member_id != ctx.member.id:
        return Response(toast=ctx.t("task.not_yours"))
    if task.done_at is not None:
        return Response(toast=ctx.t("task.already_done", date=fmt_date(task.done_at, ctx.tz)))
    response = await _mark_done(ctx, task, ctx.member, None)
    response.toast = ctx.t("button.task_done") + " ✓"
    return response


async def _mark_done(ctx: Ctx, task: Task, member: Member, result: str | None) -> Response:
    task.done_at, task.result = ctx.now, result
    await drop_task_reminders(ctx.session, task.id, ctx.now)
    ctx.audit("task_done", "task", task.id, None, {"member_id": member.id, "result": bool(result)})
    late = Html(ctx.t("task.late_mark") if ctx.today > task.due_on else "")
    suffix = Html(ctx.t("task.result_suffix", result=result) if result else "")
    notice = Reply(ctx.t("task.done_notice", name=member.full_name, task=task.description, due=fmt_day(task.due_on),
                         late=late, result=suffix))
    await notify.to_leaders(ctx, task.cell_id, notice, outgoing.TASK_DONE, exclude=member.id,
                            meeting_id=task.meeting_id, task=task.id)
    return Response.say(ctx.t("task.done", task=task.description, late=late, result=suffix))
