"""Opening and closing a meeting: times (live or entered by hand), check-in, the summary."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from core.messages import Reply, Request, Response
from core.parsing import parse_time
from core.texts import Html, echo, fmt_date, fmt_datetime, fmt_time
from handlers import corrections, notify, quality
from handlers.context import Ctx
from handlers.describe import kind_label
from rules import beyond_bound, end_time_for, start_time_for
from scheduler import planner
from storage.models import AttendanceStatus, Meeting
from storage.queries import active_members, attendance_row, member_span, open_meeting

LAST_EVENING = timedelta(hours=6)  # /batdau after midnight may start a meeting scheduled this long before


def _typed_time(ctx: Ctx, args: str, usage_key: str) -> tuple[time | None, Response | None]:
    """(the HH:MM typed, error); (None, None) when no time was typed."""
    if not args.strip():
        return None, None
    at = parse_time(args.split()[0])
    if at is None:
        return None, Response.say(ctx.t(usage_key, value=echo(args.split()[0])))
    return at, None


def _future(ctx: Ctx, at: time) -> Response:
    return Response.say(ctx.t("time.future", time=f"{at:%H:%M}", now=fmt_time(ctx.now, ctx.tz)))


async def start_meeting(ctx: Ctx, req: Request) -> Response:
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    cell = ctx.cell
    current = await open_meeting(ctx.session, cell.id)
    if current is not None:
        assert current.started_at is not None, "an open meeting has started"
        return Response.say(ctx.t("start_meeting.already", time=fmt_time(current.started_at, ctx.tz)))
    at, error = _typed_time(ctx, req.args, "start_meeting.bad_time")
    if error:
        return error
    started = ctx.now
    if at is not None:
        typed = start_time_for(ctx.now.astimezone(ctx.tz), at)
        if typed is None:
            return _future(ctx, at)
        started = typed
    manual = at is not None
    meeting = await _meeting_to_start(ctx, cell.id, started)
    if meeting is None:
        current = await open_meeting(ctx.session, cell.id)  # another leader's /batdau committed while we waited
        if current is not None and current.started_at is not None:
            return Response.say(ctx.t("start_meeting.already", time=fmt_time(current.started_at, ctx.tz)))
        return Response.say(ctx.t("start_meeting.none_today", date=fmt_date(started, ctx.tz)))
    meeting.started_at, meeting.start_manual = started, manual
    ctx.audit("start", "meeting", meeting.id, None, {"started_at": started.isoformat(), "manual": manual})
    await planner.unplan_meeting(ctx.session, meeting, ctx.now)  # no reminder once it has begun
    await planner.plan_open_meeting(ctx.session, ctx.settings, meeting, ctx.now)  # nudged if left open
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


async def _meeting_to_start(ctx: Ctx, cell_id: int, started: datetime) -> Meeting | None:
    """The meeting scheduled on the start's day; else, a few hours after midnight, last evening's.

    The candidates are locked for update, as /ketthuc locks the meeting it ends: a second /batdau at the
    same moment (another leader, another process) waits for the first to commit, and then no longer finds
    the meeting among those not started."""
    candidates = list(await ctx.session.scalars(
        select(Meeting)
        .where(Meeting.cell_id == cell_id, Meeting.cancelled_at.is_(None), Meeting.started_at.is_(None))
        .order_by(Meeting.scheduled_at, Meeting.id)
        .with_for_update().execution_options(populate_existing=True)
    ))
    day = started.astimezone(ctx.tz).date()
    for meeting in candidates:
        if meeting.scheduled_at.astimezone(ctx.tz).date() == day:
            return meeting
    for meeting in candidates:
        if meeting.scheduled_at.astimezone(ctx.tz).date() == day - timedelta(days=1) \
                and timedelta(0) <= started - meeting.scheduled_at <= LAST_EVENING:
            return meeting
    return None


async def end_meeting(ctx: Ctx, req: Request) -> Response:
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    meeting = await open_meeting(ctx.session, ctx.cell.id, to_end=True)  # after check-ins and excuses under way
    if meeting is None:
        return Response.say(ctx.t("end_meeting.none_open"))
    at, error = _typed_time(ctx, req.args, "end_meeting.bad_time")
    if error:
        return error
    started_at = meeting.started_at
    assert started_at is not None  # an open meeting has begun
    ended: datetime | None = ctx.now
    if at is not None:
        ended, why = end_time_for(started_at, ctx.now.astimezone(ctx.tz), at)
        if why == "future":
            return _future(ctx, at)
    if ended is None or ended < started_at:
        return Response.say(ctx.t("end_meeting.before_start", time=f"{at:%H:%M}" if at else fmt_time(ctx.now, ctx.tz),
                                  start=fmt_datetime(started_at, ctx.tz)))
    bound = ctx.settings.max_meeting_hours
    if beyond_bound(started_at, ended, bound):
        minutes = int((ended - started_at).total_seconds() // 60)
        return Response.say(ctx.t("end_meeting.too_long", start=fmt_datetime(started_at, ctx.tz),
                                  end=fmt_datetime(ended, ctx.tz), hours=minutes // 60, minutes=minutes % 60,
                                  max=f"{bound:g}"))
    manual = at is not None
    meeting.ended_at, meeting.end_manual = ended, manual
    ctx.audit("end", "meeting", meeting.id, None, {"ended_at": ended.isoformat(), "manual": manual})
    await _close_attendance(ctx, meeting)
    await ctx.session.flush()
    outcome = await corrections.summary_and_warnings(ctx, meeting)
    quality_replies = await quality.after_end(ctx, meeting, outcome.summary, outcome.warnings)
    return Response(replies=outcome.replies + quality_replies)


async def _close_attendance(ctx: Ctx, meeting: Meeting) -> None:
    """Everyone expected who neither checked in nor was excused is absent without reason."""
    day = meeting.scheduled_at.astimezone(ctx.tz).date()
    for member in await active_members(ctx.session, meeting.cell_id, day):
        if member_span(member).exempt_on(day):
            continue
        row = await attendance_row(ctx.session, meeting.id, member.id, ctx.now)
        if row.status is None:
            row.status, row.updated_at = AttendanceStatus.ABSENT, ctx.now
