"""Opening and closing a meeting: times (live or entered by hand), check-in, the summary."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.parsing import local_datetime, read_time, twelve_in_the_evening
from core.texts import Html, echo, fmt_date, fmt_datetime, fmt_time
from handlers import corrections, notify, quality, votes, wall_clock
from handlers.context import Ctx
from handlers.describe import kind_label
from reports import meeting_summary
from rules import WallClockProblem, a_little_later, beyond_bound, duration_minutes, end_time_of, start_time_of
from scheduler import planner
from storage.models import AttendanceStatus, Meeting
from storage.queries import active_members, attendance_row, member_span, missed_meeting, open_meeting

LAST_EVENING = timedelta(hours=6)  # /batdau after midnight may start a meeting scheduled this long before


def _typed_time(ctx: Ctx, args: str, usage_key: str) -> tuple[tuple[time, ...], Response | None]:
    """(the readings of the time typed, error): one ("21:00", "9h tối"), or two ("9h": 09:00 or 21:00, the
    rules pick the one that makes sense); ((), None) when no time was typed."""
    if not args.strip():
        return (), None
    reading = read_time(args.split())
    if reading is None:
        twelve = ctx.t("time.twelve_evening") + "\n\n" if twelve_in_the_evening(args.split()) else ""
        return (), Response.say(twelve + ctx.t(usage_key, value=echo(" ".join(args.split()[:3]))))
    return (reading.at,) if reading.certain else (reading.at, reading.other), None


def _future(ctx: Ctx, at: time) -> Response:
    return Response.say(ctx.t("time.future", time=f"{at:%H:%M}", now=fmt_time(ctx.now, ctx.tz)))


def _now_or(ctx: Ctx, command: str, problem: WallClockProblem) -> str:
    """What to type instead of a time the clock change spoiled: the time after it if that has passed,
    else the command alone (the time now)."""
    after = local_datetime(problem.day, problem.suggestion, ctx.tz)
    return f"{command} {problem.suggestion:%H:%M}" if after <= ctx.now else command


async def start_meeting(ctx: Ctx, req: Request) -> Response:
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    cell = ctx.cell
    current = await open_meeting(ctx.session, cell.id)
    if current is not None:
        assert current.started_at is not None, "an open meeting has started"
        return Response.say(ctx.t("start_meeting.already", time=fmt_time(current.started_at, ctx.tz)))
    readings, error = _typed_time(ctx, req.args, "start_meeting.bad_time")
    if error:
        return error
    at = readings[0] if readings else None
    started: datetime | None = ctx.now
    if at is not None:
        started = start_time_of(ctx.now.astimezone(ctx.tz), readings)
        if started is not None:
            refusal = wall_clock.refusal(ctx, started.date(), started.time(), lambda p: _now_or(ctx, "/batdau", p))
            if refusal is not None:
                return refusal
    manual = at is not None
    meeting = await _meeting_to_start(ctx, cell.id, started) if started is not None else None
    if meeting is None and at is not None:
        # A meeting whose time passed without a start (the secretary was told so): recorded on its own day.
        meeting = await missed_meeting(ctx.session, cell.id, ctx.now, lock=True)
        if meeting is not None:
            planned = meeting.scheduled_at.astimezone(ctx.tz).replace(tzinfo=None)
            at = min(readings, key=lambda r: abs(datetime.combine(planned.date(), r) - planned))  # 7h30: 19:30 if set so
            started = datetime.combine(planned.date(), at, tzinfo=ctx.tz)
            if started > ctx.now:  # its own day is today, the hour still to come
                meeting, started = None, start_time_of(ctx.now.astimezone(ctx.tz), readings)
    if started is None:
        assert at is not None
        return _future(ctx, at)
    if meeting is None:
        current = await open_meeting(ctx.session, cell.id)  # another leader's /batdau committed while we waited
        if current is not None and current.started_at is not None:
            return Response.say(ctx.t("start_meeting.already", time=fmt_time(current.started_at, ctx.tz)))
        missed = await missed_meeting(ctx.session, cell.id, ctx.now) if at is None else None
        if missed is not None:  # no time typed: the missed meeting is started only with its real start time
            return Response.say(ctx.t("start_meeting.missed_needs_time", kind=kind_label(ctx, missed),
                                      when=fmt_datetime(missed.scheduled_at, ctx.tz),
                                      time=fmt_time(missed.scheduled_at, ctx.tz)))
        soon = a_little_later(ctx.now).astimezone(ctx.tz)
        return Response.say(ctx.t("start_meeting.none_today", date=fmt_date(started, ctx.tz),
                                  example=f"{soon:%d/%m/%Y %H:%M}"))
    meeting.started_at, meeting.start_manual, meeting.opened_at = started, manual, ctx.now
    ctx.audit("start", "meeting", meeting.id, None, {"started_at": started.isoformat(), "manual": manual})
    await planner.unplan_meeting(ctx.session, meeting, ctx.now)  # no reminder once it has begun
    await planner.plan_open_meeting(ctx.session, ctx.settings, meeting, ctx.now)  # nudged if left open
    row = await attendance_row(ctx.session, meeting.id, ctx.member.id, ctx.now)
    row.status, row.reason, row.checked_in_at, row.updated_at = AttendanceStatus.PRESENT, None, started, ctx.now
    prompt = Reply(
        ctx.t("checkin.prompt", cell=cell.name, kind=kind_label(ctx, meeting), time=fmt_time(started, ctx.tz)),
        notify.checkin_buttons(ctx, meeting.id),
    )
    count = await notify.to_cell(ctx, meeting, prompt, outgoing.CHECKIN_PROMPT, exclude=ctx.member.id)
    await notify.to_groups(ctx, cell.id, prompt, outgoing.CHECKIN_PROMPT, meeting_id=meeting.id, meeting=meeting.id)
    if started.astimezone(ctx.tz).date() != ctx.now.astimezone(ctx.tz).date():  # an earlier day: say which
        return Response.say(ctx.t("start_meeting.done_on", time=fmt_time(started, ctx.tz), date=fmt_date(started, ctx.tz),
                                  manual=Html(ctx.t("manual_mark") if manual else ""), count=count))
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


PENDING_END = "end_early"  # /ketthuc before the minimum, waiting for "Kết thúc ngay" or /ketthuc again


async def end_meeting(ctx: Ctx, req: Request) -> Response:
    link = ctx.actor.link
    confirming = link.pending_meeting_id if link is not None and link.pending_action == PENDING_END else None
    if link is not None and link.pending_action:  # /ketthuc again answers the question; any other drops it
        link.pending_action = link.pending_meeting_id = link.pending_text = None
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    meeting = await open_meeting(ctx.session, ctx.cell.id, to_end=True)  # after check-ins and excuses under way
    if meeting is None:
        return Response.say(ctx.t("end_meeting.none_open"))
    readings, error = _typed_time(ctx, req.args, "end_meeting.bad_time")
    if error:
        return error
    at = readings[0] if readings else None
    started_at = meeting.started_at
    assert started_at is not None  # an open meeting has begun
    ended: datetime | None = ctx.now
    if at is not None:
        ended, why = end_time_of(started_at, ctx.now.astimezone(ctx.tz), readings)
        if why == "future":
            return _future(ctx, at)
        if ended is not None:
            refusal = wall_clock.refusal(ctx, ended.date(), ended.time(), lambda p: _now_or(ctx, "/ketthuc", p))
            if refusal is not None:
                return refusal
    if ended is None or ended < started_at:
        return Response.say(ctx.t("end_meeting.before_start", time=f"{at:%H:%M}" if at else fmt_time(ctx.now, ctx.tz),
                                  start=fmt_datetime(started_at, ctx.tz)))
    bound = ctx.settings.max_meeting_hours
    if beyond_bound(started_at, ended, bound):
        minutes = duration_minutes(started_at, ended)
        return Response.say(ctx.t("end_meeting.too_long", start=fmt_datetime(started_at, ctx.tz),
                                  end=fmt_datetime(ended, ctx.tz), hours=minutes // 60, minutes=minutes % 60,
                                  max=f"{bound:g}"))
    manual = at is not None
    if confirming != meeting.id:
        verdict = await meeting_summary.duration_if_ended(ctx.session, meeting, ctx.tz, started_at, ended)
        if not verdict.ok:  # ending early is not taken back: asked once more, with what is missing
            ctx.link.pending_action, ctx.link.pending_meeting_id = PENDING_END, meeting.id
            data = buttons.EndNow.of(int(ended.timestamp()), manual, meeting.id).encode()
            return Response.say(
                ctx.t("end_meeting.early", start=fmt_time(started_at, ctx.tz), end=fmt_time(ended, ctx.tz),
                      minutes=verdict.minutes, minimum=verdict.minimum, missing=verdict.short_by),
                [[Button(ctx.t("button.end_now"), data)]])
    return await _finish(ctx, meeting, ended, manual)


async def end_button(ctx: Ctx, meeting: Meeting, pressed: buttons.EndNow) -> Response:
    """"Kết thúc ngay" under the early-end question: the meeting ends at the time the question named."""
    if not ctx.actor.is_leader:
        return Response(toast=ctx.t("not_leader"))
    link = ctx.link
    if link.pending_action == PENDING_END:
        link.pending_action = link.pending_meeting_id = link.pending_text = None
    if meeting.started_at is None:
        return Response(toast=ctx.t("stale_button"))
    ended = datetime.fromtimestamp(pressed.ended_at, tz=UTC)
    if ended < meeting.started_at or ended > ctx.now \
            or beyond_bound(meeting.started_at, ended, ctx.settings.max_meeting_hours):
        return Response(toast=ctx.t("stale_button"))
    response = await _finish(ctx, meeting, ended, pressed.manual)
    response.toast = ctx.t("button.end_now") + " ✓"
    return response


async def _finish(ctx: Ctx, meeting: Meeting, ended: datetime, manual: bool) -> Response:
    meeting.ended_at, meeting.end_manual = ended, manual
    ctx.audit("end", "meeting", meeting.id, None, {"ended_at": ended.isoformat(), "manual": manual})
    await _close_attendance(ctx, meeting)
    await votes.close_open(ctx, meeting)  # a vote still open is counted as it stands
    await ctx.session.flush()
    await notify.roll_call(ctx, meeting)  # its final state, without the check-in button
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
