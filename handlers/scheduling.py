"""Scheduling, listing and cancelling a cell's meetings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.messages import Button, Reply, Request, Response
from core.parsing import local_datetime, parse_date, parse_time
from core.texts import echo, fmt_datetime
from handlers import notify
from handlers.context import Ctx
from handlers.describe import kind_label, place_suffix, when
from rules import beyond_horizon, horizon_end, month_key
from rules.names import fold
from scheduler import followers, planner
from storage.models import Meeting, MeetingKind
from storage.queries import committee_upcoming_meetings, missed_meeting, upcoming_meetings

THEMATIC_WORDS = {"chuyende", "chuyen_de", "thematic"}  # compared folded: "chuyên_đề" too
COMBINED_WORDS = {"kethop", "ket_hop", "combined"}  # a regular and a thematic meeting in one session (HD 42)
MAX_PLACE = 300


async def schedule(ctx: Ctx, req: Request) -> Response:
    actor = ctx.actor
    if not req.args:
        return await _list(ctx)
    if not actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    words = req.args.split()
    if len(words) < 2:
        return Response.say(ctx.t("schedule.bad_date", value=echo(req.args)) + "\n\n" + ctx.t("schedule.usage"))
    day, at = parse_date(words[0]), parse_time(words[1])
    if day is None or at is None:
        return Response.say(ctx.t("schedule.bad_date", value=echo(f"{words[0]} {words[1]}")) + "\n\n" + ctx.t("schedule.usage"))
    rest = words[2:]
    kind, combined = MeetingKind.THUONG_KY, False
    if rest and fold(rest[0]) in THEMATIC_WORDS:
        kind, rest = MeetingKind.CHUYEN_DE, rest[1:]
    elif rest and fold(rest[0]) in COMBINED_WORDS:
        combined, rest = True, rest[1:]
    elif len(rest) > 1 and fold(" ".join(rest[:2])) == "ket hop":
        combined, rest = True, rest[2:]
    place_text, _, topic_text = " ".join(rest).partition("|")
    place, topic = place_text.strip()[:MAX_PLACE] or None, topic_text.strip()[:500] or None
    if place is None and kind is MeetingKind.THUONG_KY:
        place = ctx.cell.standing_place
    start = local_datetime(day, at, ctx.tz)
    refusal = _out_of_range(ctx, start)
    if refusal is not None:
        return refusal
    period = month_key(day)
    if kind is MeetingKind.THUONG_KY:
        clash = await _regular_in_month(ctx, ctx.cell.id, period)
        if clash is not None:
            return Response.say(ctx.t("schedule.duplicate_regular", month=f"{day.month:02d}/{day.year}", when=when(ctx, clash)))
    meeting = Meeting(
        cell_id=ctx.cell.id, kind=kind, combined=combined, period=period, scheduled_at=start, place=place,
        topic=topic, created_by_member_id=ctx.member.id, created_at=ctx.now,
    )
    ctx.session.add(meeting)
    try:
        async with ctx.session.begin_nested():
            await ctx.session.flush()
    except IntegrityError:  # a concurrent /lichhop won the race for this month
        clash = await _regular_in_month(ctx, ctx.cell.id, period)
        assert clash is not None, "the unique index failed on this month's regular meeting"
        return Response.say(ctx.t("schedule.duplicate_regular", month=f"{day.month:02d}/{day.year}", when=when(ctx, clash)))
    ctx.audit("schedule", "meeting", meeting.id, None, {"scheduled_at": start.isoformat(), "kind": kind.value,
                                                             "combined": combined})
    count = await announce(ctx, meeting, exclude=ctx.member.id)
    await planner.plan_meeting(ctx.session, ctx.settings, meeting, ctx.now)
    return Response.say(ctx.t(
        "schedule.done", kind=kind_label(ctx, meeting), when=when(ctx, meeting), place=place_suffix(ctx, meeting),
        count=count,
    ))


async def announce(ctx: Ctx, meeting: Meeting, exclude: int | None = None, text_key: str = "schedule.notice") -> int:
    """Tell the cell's members about a (new or moved) meeting, with the RSVP buttons."""
    reply = planner.meeting_reply(ctx.settings, ctx.cell, meeting, text_key)
    stamp = int(meeting.scheduled_at.timestamp())
    event = "notice" if text_key == "schedule.notice" else "rescheduled"
    ctx.queued += await followers.meeting_event(ctx.session, ctx.settings, ctx.cell, meeting, event, ctx.now)
    return await notify.to_cell(ctx, meeting, reply, kind="notice", key=f"notice:{meeting.id}:{stamp}:{{member_id}}",
                                exclude=exclude, priority=3)


async def _regular_in_month(ctx: Ctx, cell_id: int, period: str) -> Meeting | None:
    return await ctx.session.scalar(
        select(Meeting).where(
            Meeting.cell_id == cell_id, Meeting.period == period, Meeting.kind == MeetingKind.THUONG_KY,
            Meeting.cancelled_at.is_(None),
        )
    )


def _out_of_range(ctx: Ctx, start) -> Response | None:
    """Refuse a time already past, or more than a year ahead (a typo such as 9999-12-31)."""
    if start <= ctx.now:
        return Response.say(ctx.t("schedule.past", when=fmt_datetime(start, ctx.tz), now=fmt_datetime(ctx.now, ctx.tz)))
    if beyond_horizon(start, ctx.now):
        return Response.say(ctx.t("schedule.too_far", when=fmt_datetime(start, ctx.tz),
                                  limit=fmt_datetime(horizon_end(ctx.now), ctx.tz)))
    return None


async def _list(ctx: Ctx) -> Response:
    if ctx.actor.member is None:  # a committee member: every cell of their committee
        return await _list_committee(ctx)
    cell = ctx.cell
    meetings = await upcoming_meetings(ctx.session, cell.id, ctx.now)
    if not meetings:
        text = ctx.t("schedule.list_empty", cell=cell.name)
    else:
        lines = [ctx.t("schedule.list_header", cell=cell.name)]
        lines += [ctx.t("schedule.list_item", when=when(ctx, m), kind=kind_label(ctx, m), place=place_suffix(ctx, m))
                  for m in meetings]
        text = "\n".join(lines)
    if ctx.actor.is_leader:
        text += "\n\n" + ctx.t("schedule.usage")
    return Response.say(text)


async def _list_committee(ctx: Ctx) -> Response:
    committee = ctx.committee
    rows = await committee_upcoming_meetings(ctx.session, committee.id, ctx.now)
    if not rows:
        text = ctx.t("schedule.committee_empty", committee=committee.name)
    else:
        lines = [ctx.t("schedule.committee_header", committee=committee.name)]
        lines += [ctx.t("schedule.committee_item", cell=cell, when=when(ctx, m), kind=kind_label(ctx, m),
                        place=place_suffix(ctx, m)) for m, cell in rows]
        text = "\n".join(lines)
    return Response.say(text + "\n\n" + ctx.t("schedule.committee_note"))


async def cancel(ctx: Ctx, req: Request) -> Response:
    """/huyhop asks first (a button, or its number on Zalo); the button cancels."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    meeting = await _next_to_act_on(ctx)
    if meeting is None:
        return Response.say(ctx.t("cancel.none"))
    buttons = [[Button(ctx.t("button.cancel_yes"), f"cancel:yes:{meeting.id}"),
                Button(ctx.t("button.cancel_no"), f"cancel:no:{meeting.id}")]]
    return Response.say(ctx.t("cancel.confirm", kind=kind_label(ctx, meeting), when=when(ctx, meeting)), buttons)


async def cancel_button(ctx: Ctx, meeting: Meeting, answer: str) -> Response:
    """The answer to /huyhop's question (the router has checked the meeting is the actor's cell's)."""
    if not ctx.actor.is_leader:
        return Response(toast=ctx.t("not_leader"))
    if answer == "no":
        text = ctx.t("cancel.kept", when=when(ctx, meeting))
        return Response(replies=[Reply(text)], toast=text[:190])
    if meeting.started_at is not None:
        return Response(toast=ctx.t("stale_button"))
    meeting.cancelled_at = ctx.now
    ctx.audit("cancel", "meeting", meeting.id, {"scheduled_at": meeting.scheduled_at.isoformat()}, {"cancelled": True})
    await planner.unplan_meeting(ctx.session, meeting, ctx.now)
    reply = Reply(ctx.t("cancel.notice", kind=kind_label(ctx, meeting), cell=ctx.cell.name, when=when(ctx, meeting)))
    await notify.to_cell(ctx, meeting, reply, kind="cancel_notice", key=f"cancel:{meeting.id}:{{member_id}}",
                         exclude=ctx.member.id, priority=2)
    ctx.queued += await followers.meeting_event(ctx.session, ctx.settings, ctx.cell, meeting, "cancelled", ctx.now)
    text = ctx.t("cancel.done", when=when(ctx, meeting))
    return Response(replies=[Reply(text)], toast=text[:190])


async def reschedule(ctx: Ctx, req: Request) -> Response:
    """/doilich DATE TIME: the next meeting moves; its pending reminders move with it."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    words = req.args.split()
    day = parse_date(words[0]) if words else None
    at = parse_time(words[1]) if len(words) > 1 else None
    if day is None or at is None:
        return Response.say(ctx.t("schedule.bad_date", value=echo(req.args) or "–") + "\n\n" + ctx.t("reschedule.usage"))
    if len(words) > 2:
        return Response.say(ctx.t("reschedule.extra_words", extra=echo(" ".join(words[2:]))))
    meeting = await _next_to_act_on(ctx)
    if meeting is None:
        return Response.say(ctx.t("cancel.none"))
    old, missed = meeting.scheduled_at, meeting.scheduled_at < ctx.now
    start = local_datetime(day, at, ctx.tz)
    refusal = _out_of_range(ctx, start)
    if refusal is not None:
        return refusal
    if meeting.kind is MeetingKind.THUONG_KY and month_key(day) != meeting.period:
        return Response.say(ctx.t("reschedule.other_month", month=f"{meeting.period[5:]}/{meeting.period[:4]}"))
    before = {"scheduled_at": meeting.scheduled_at.isoformat()}
    await planner.unplan_meeting(ctx.session, meeting, ctx.now)
    meeting.scheduled_at, meeting.period = start, month_key(day)
    ctx.audit("reschedule", "meeting", meeting.id, before, {"scheduled_at": start.isoformat()})
    await announce(ctx, meeting, exclude=ctx.member.id, text_key="reschedule.notice")
    await planner.plan_meeting(ctx.session, ctx.settings, meeting, ctx.now)
    if missed:
        return Response.say(ctx.t("reschedule.done_missed", old=fmt_datetime(old, ctx.tz),
                                  when=when(ctx, meeting)))
    return Response.say(ctx.t("reschedule.done", when=when(ctx, meeting)))


async def _next_to_act_on(ctx: Ctx) -> Meeting | None:
    """The meeting /doilich and /huyhop act on: one whose time passed a few days ago without a start (the
    secretary was told to move or cancel it), else the next one."""
    missed = await missed_meeting(ctx.session, ctx.cell.id, ctx.now)
    if missed is not None:
        return missed
    meetings = await upcoming_meetings(ctx.session, ctx.cell.id, ctx.now, limit=1)
    return meetings[0] if meetings else None
