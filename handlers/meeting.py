"""Opening and closing a meeting: times (live or entered by hand), check-in, the summary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.messages import Reply, Request, Response
from core.parsing import local_datetime, parse_time
from core.texts import Html, echo, fmt_datetime, fmt_time
from handlers import notify
from handlers.context import Ctx
from handlers.describe import kind_label
from reports import meeting_summary
from scheduler import planner
from storage.models import AttendanceStatus, Meeting
from storage.queries import active_members, attendance_row, member_span, open_meeting


def _given_time(ctx: Ctx, args: str, usage_key: str) -> tuple[datetime | None, bool, Response | None]:
    """(when, entered by hand, error): now when no time is given, else today at HH:MM (not in the future)."""
    if not args.strip():
        return ctx.now, False, None
    at = parse_time(args.split()[0])
    if at is None:
        return None, False, Response.say(ctx.t(usage_key, value=echo(args.split()[0])))
    when = local_datetime(ctx.today, at, ctx.tz)
    if when > ctx.now:
        return None, False, Response.say(ctx.t("time.future", time=fmt_time(when, ctx.tz), now=fmt_time(ctx.now, ctx.tz)))
    return when, True, None


async def start_meeting(ctx: Ctx, req: Request) -> Response:
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    cell = ctx.cell
    current = await open_meeting(ctx.session, cell.id)
    if current is not None:
        assert current.started_at is not None, "an open meeting has started"
        return Response.say(ctx.t("start_meeting.already", time=fmt_time(current.started_at, ctx.tz)))
    meeting = await _todays_meeting(ctx, cell.id)
    if meeting is None:
        return Response.say(ctx.t("start_meeting.none_today", date=ctx.today.isoformat()))
    started, manual, error = _given_time(ctx, req.args, "start_meeting.bad_time")
    if error:
        return error
    assert started is not None, "_given_time gives a time or an error"
    meeting.started_at, meeting.start_manual = started, manual
    ctx.audit("start", "meeting", meeting.id, None, {"started_at": started.isoformat(), "manual": manual})
    await planner.unplan_meeting(ctx.session, meeting, ctx.now)  # no reminder once it has begun
    row = await attendance_row(ctx.session, meeting.id, ctx.member.id, ctx.now)
    row.status, row.reason, row.checked_in_at, row.updated_at = AttendanceStatus.PRESENT, None, started, ctx.now
    prompt = Reply(
        ctx.t("checkin.prompt", cell=cell.name, kind=kind_label(ctx, meeting), time=fmt_time(started, ctx.tz)),
        notify.checkin_buttons(ctx, meeting.id),
    )
    count = await notify.to_cell(ctx, meeting, prompt, kind="checkin_prompt", key=f"checkin:{meeting.id}:{{member_id}}",
                                 exclude=ctx.member.id, priority=1)
    await notify.to_groups(ctx, cell.id, prompt, kind="checkin_prompt", key=f"checkin:{meeting.id}:group:{{chat_id}}",
                           meeting_id=meeting.id)
    return Response.say(ctx.t("start_meeting.done", time=fmt_time(started, ctx.tz),
                              manual=Html(ctx.t("manual_mark") if manual else ""), count=count))


async def _todays_meeting(ctx: Ctx, cell_id: int) -> Meeting | None:
    candidates = await ctx.session.scalars(
        select(Meeting)
        .where(Meeting.cell_id == cell_id, Meeting.cancelled_at.is_(None), Meeting.started_at.is_(None))
        .order_by(Meeting.scheduled_at)
    )
    for meeting in candidates:
        if meeting.scheduled_at.astimezone(ctx.tz).date() == ctx.today:
            return meeting
    return None


async def end_meeting(ctx: Ctx, req: Request) -> Response:
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    meeting = await open_meeting(ctx.session, ctx.cell.id)
    if meeting is None:
        return Response.say(ctx.t("end_meeting.none_open"))
    ended, manual, error = _given_time(ctx, req.args, "end_meeting.bad_time")
    if error:
        return error
    assert ended is not None, "_given_time gives a time or an error"
    assert meeting.started_at is not None, "an open meeting has started"
    if ended < meeting.started_at:
        return Response.say(ctx.t("end_meeting.before_start", time=fmt_time(ended, ctx.tz),
                                  start=fmt_datetime(meeting.started_at, ctx.tz)))
    meeting.ended_at, meeting.end_manual = ended, manual
    ctx.audit("end", "meeting", meeting.id, None, {"ended_at": ended.isoformat(), "manual": manual})
    await _close_attendance(ctx, meeting)
    summary = await meeting_summary.compute(ctx.session, meeting, ctx.tz)
    text = meeting_summary.render(summary, ctx.lang, ctx.tz)
    await notify.to_leaders(ctx, meeting.cell_id, Reply(text), kind="summary", key=f"summary:{meeting.id}:{{member_id}}",
                            exclude=ctx.member.id, meeting_id=meeting.id)
    response = Response.say(text)
    warning = meeting_summary.render_warnings(await meeting_summary.absence_warnings(ctx.session, meeting, ctx.tz), ctx.lang)
    if warning:
        await notify.to_leaders(ctx, meeting.cell_id, Reply(warning), kind="absence_warning",
                                key=f"absence_warning:{meeting.id}:{{member_id}}", exclude=ctx.member.id,
                                meeting_id=meeting.id)
        response.replies.append(Reply(warning))
    return response


async def _close_attendance(ctx: Ctx, meeting: Meeting) -> None:
    """Everyone expected who neither checked in nor was excused is absent without reason."""
    day = meeting.scheduled_at.astimezone(ctx.tz).date()
    for member in await active_members(ctx.session, meeting.cell_id, day):
        if member_span(member).exempt_on(day):
            continue
        row = await attendance_row(ctx.session, meeting.id, member.id, ctx.now)
        if row.status is None:
            row.status, row.updated_at = AttendanceStatus.ABSENT, ctx.now
