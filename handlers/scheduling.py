"""Scheduling, listing and cancelling a cell's meetings."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.parsing import as_typed, local_datetime, read_date, read_time, twelve_in_the_evening
from core.texts import Html, echo, fmt_date, fmt_datetime
from handlers import notify, wall_clock
from handlers.context import Ctx
from handlers.describe import kind_label, place_suffix, when
from rules import beyond_horizon, horizon_end, month_key
from rules.names import fold
from scheduler import planner
from scheduler.timed import followers
from storage.models import Meeting, MeetingKind
from storage.queries import committee_upcoming_meetings, missed_meeting, upcoming_meetings

THEMATIC_WORDS = {"chuyende", "chuyen_de", "thematic"}  # compared folded: "chuyên_đề" too
COMBINED_WORDS = {"kethop", "ket_hop", "combined"}  # a regular and a thematic meeting in one session (HD 42)
MAX_PLACE = 300
MAX_TOPIC = 500
# A meeting's time typed without the part of the day ("7:30") is asked back: the command waits in the chat
# (its words in ``pending_text``) for the answer, a button "ampm:HHMM" (a number on Zalo) or "sáng"/"tối".
PENDING_WHEN = {"when_schedule": "schedule", "when_reschedule": "reschedule"}
MAX_PENDING = 500  # ChatLink.pending_text
MORNING_WORDS = {"sang", "buoi sang", "am"}
EVENING_WORDS = {"toi", "buoi toi", "chieu", "buoi chieu", "pm", "dem"}
PLACE_WORDS = {"tai", "o"}  # "/doilich tại Nhà văn hóa": the place only


async def schedule(ctx: Ctx, req: Request) -> Response:
    actor = ctx.actor
    if not req.args:
        return await _list(ctx)
    if not actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    read = _read_when(ctx, req, "schedule.usage")
    if isinstance(read, Response):
        return read
    day, at, rest = read
    kind, combined = MeetingKind.THUONG_KY, False
    if rest and fold(rest[0]) in THEMATIC_WORDS:
        kind, rest = MeetingKind.CHUYEN_DE, rest[1:]
    elif rest and fold(rest[0]) in COMBINED_WORDS:
        combined, rest = True, rest[1:]
    elif len(rest) > 1 and fold(" ".join(rest[:2])) == "ket hop":
        combined, rest = True, rest[2:]
    place_text, _, topic_text = " ".join(rest).partition("|")
    place, topic = place_text.strip()[:MAX_PLACE] or None, topic_text.strip()[:MAX_TOPIC] or None
    if place is None and kind is MeetingKind.THUONG_KY:
        place = ctx.cell.standing_place
    refusal = wall_clock.refusal(ctx, day, at, lambda p: f"/lichhop {p.day:%d/%m/%Y} {as_typed(p.suggestion)}")
    if refusal is not None:
        return refusal
    start = local_datetime(day, at, ctx.tz)
    refusal = _out_of_range(ctx, start)
    if refusal is not None:
        return refusal
    period = month_key(day)
    if kind is MeetingKind.THUONG_KY:
        clash = await _regular_in_month(ctx, ctx.cell.id, period)
        if clash is not None:
            return Response.say(ctx.t("schedule.duplicate_regular", month=f"{day.month:02d}/{day.year}", when=when(ctx, clash),
                                              example=f"{day:%d/%m/%Y} {at:%H:%M}"))
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
        return Response.say(ctx.t("schedule.duplicate_regular", month=f"{day.month:02d}/{day.year}", when=when(ctx, clash),
                                              example=f"{day:%d/%m/%Y} {at:%H:%M}"))
    ctx.audit("schedule", "meeting", meeting.id, None, {"scheduled_at": start.isoformat(), "kind": kind.value,
                                                             "combined": combined})
    count = await announce(ctx, meeting, exclude=ctx.member.id)
    await planner.plan_meeting(ctx.session, ctx.settings, meeting, ctx.now)
    return Response.say(ctx.t(
        "schedule.done", kind=kind_label(ctx, meeting), when=when(ctx, meeting), place=place_suffix(ctx, meeting),
        count=count,
    ))


def _read_when(ctx: Ctx, req: Request, usage_key: str) -> tuple[date, time, list[str]] | Response:
    """The date and time a /lichhop or /doilich starts with, and the words after them; or the answer: a
    date that is none, has passed or is not in that year, a time that is none, or the question "7:30 in
    the morning or the evening?" (the command waits for the answer)."""
    words = req.args.split()
    reading = read_date(words[0], ctx.today) if words else None
    if reading is not None and reading.passed is not None:
        return Response.say(ctx.t("date.passed", day=f"{reading.passed:%d/%m}", today=fmt_date(ctx.now, ctx.tz),
                                  example=_example(ctx, req)))
    if reading is not None and reading.no_such_day is not None:
        return Response.say(ctx.t("date.no_such_day", day=echo(words[0]), year=reading.no_such_day.year,
                                  example=_example(ctx, req)))
    at = read_time(words[1:])
    if reading is None or reading.day is None or at is None:
        value = echo(" ".join(words[:2])) or "–"
        twelve = ctx.t("time.twelve_evening") + "\n\n" if at is None and twelve_in_the_evening(words[1:]) else ""
        return Response.say(twelve + ctx.t("schedule.bad_date", value=value, example=_example(ctx, req)) + "\n\n"
                            + ctx.t(usage_key, example=_example(ctx, req)))
    if not at.certain:
        return _ask_part_of_day(ctx, req, at.at)
    return reading.day, at.at, words[1 + at.words:]


def _example(ctx: Ctx, req: Request) -> str:
    """The command as it could be typed, a week from today (never a past date in an example)."""
    name = "/doilich" if req.command == "reschedule" else "/lichhop"
    return f"{name} {(ctx.today + timedelta(days=7)):%d/%m} 19:30"


def _ask_part_of_day(ctx: Ctx, req: Request, at: time) -> Response:
    morning, evening = at, time(at.hour + 12, at.minute)
    link = ctx.link
    action = "when_reschedule" if req.command == "reschedule" else "when_schedule"
    if len(req.args) > MAX_PENDING:  # too long to keep: typed again with the word
        link.pending_action = link.pending_text = None
        return Response.say(ctx.t("when.ask_retype", morning=f"{morning:%H:%M}", evening=f"{evening:%H:%M}",
                                  typed=f"{at.hour}h{at.minute:02d}"))
    link.pending_action, link.pending_meeting_id, link.pending_text = action, None, req.args
    later = ctx.t(_later_part(evening), time=f"{evening:%H:%M}")  # 14:30 is "chiều", 19:30 "tối"
    text = ctx.t("when.ask", typed=f"{at:%H:%M}", morning=ctx.t("when.morning", time=f"{morning:%H:%M}"),
                 evening=later, retype=f"{at.hour}h{at.minute:02d}")
    rows = [[Button(ctx.t("when.morning", time=f"{morning:%H:%M}"), buttons.PartOfDay(f"{morning:%H%M}").encode()),
                Button(later, buttons.PartOfDay(f"{evening:%H%M}").encode())]]
    return Response(replies=[Reply(text, rows)])


def _later_part(evening: time) -> str:
    """The word for the afternoon-or-evening reading of an hour typed without one."""
    return "when.afternoon" if evening.hour < 18 else "when.evening"


async def part_of_day_chosen(ctx: Ctx, req: Request, chosen: str) -> Response:
    """The answer to "morning or evening?" ("ampm:HHMM" pressed, or its number on Zalo): the command
    that asked runs with that time, and is checked again as if typed so."""
    response = await _complete(ctx, req, lambda at: f"{at:%H%M}" == chosen)
    if response is None:
        return Response(toast=ctx.t("when.stale"))
    response.toast = (response.replies[0].text.split("\n")[0][:190] if response.replies else None)
    return response


def answers_part_of_day(text: str) -> bool:
    """Whether a plain message may answer "morning or evening?" ("sáng", "tối", "buổi tối"…)."""
    return _said(text) in MORNING_WORDS | EVENING_WORDS


def _said(text: str) -> str:
    """The words of a short answer, folded, without punctuation and a polite word after them ("Tối ạ!")."""
    words = fold(text.replace(".", " ").replace("!", " ")).split()
    while words and words[-1] in ("a", "nhe", "nha"):
        words.pop()
    return " ".join(words)


async def pending_part_of_day(ctx: Ctx, req: Request) -> Response | None:
    """A plain "sáng" / "tối" answering "morning or evening?"; None if that was not asked or this is no answer."""
    link = ctx.actor.link
    if link is None or link.pending_action not in PENDING_WHEN or not answers_part_of_day(req.text or ""):
        return None
    evening = _said(req.text or "") in EVENING_WORDS
    return await _complete(ctx, req, lambda at: (at.hour >= 12) == evening)


async def _complete(ctx: Ctx, req: Request, pick: Callable[[time], bool]) -> Response | None:
    link = ctx.link
    action, typed = link.pending_action, link.pending_text
    if action not in PENDING_WHEN or not typed:
        return None
    words = typed.split()
    at = read_time(words[1:])
    if at is None or at.certain:
        return None
    chosen = next((x for x in (at.at, at.other) if pick(x)), None)
    if chosen is None:
        return None
    link.pending_action = link.pending_text = None
    said = f"{chosen:%H:%M}" + (" sáng" if chosen.hour < 12 else "")  # certain now: not asked again
    args = " ".join([words[0], said, *words[1 + at.words:]])
    command = PENDING_WHEN[action]
    again = replace(req, command=command, args=args, button=None, text=None)
    return await (schedule if command == "schedule" else reschedule)(ctx, again)


async def announce(ctx: Ctx, meeting: Meeting, exclude: int | None = None, text_key: str = "schedule.notice") -> int:
    """Tell the cell's members about a (new or moved) meeting, with the RSVP buttons."""
    reply = planner.meeting_reply(ctx.settings, ctx.cell, meeting, text_key)
    stamp = str(int(meeting.scheduled_at.timestamp()))
    if text_key != "schedule.notice":  # each change is told (back to a time it had, or the place only)
        stamp += f":{int(ctx.now.timestamp())}:{zlib.crc32(f'{meeting.place}|{meeting.topic}'.encode()):08x}"
    event = "notice" if text_key == "schedule.notice" else "rescheduled"
    ctx.queued += await followers.meeting_event(ctx.session, ctx.settings, ctx.cell, meeting, event, ctx.now,
                                                 stamp=stamp)
    return await notify.to_cell(ctx, meeting, reply, outgoing.NOTICE, exclude=exclude, stamp=stamp)


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
    rows = [[Button(ctx.t("button.cancel_yes"), buttons.Cancel("yes", meeting.id).encode()),
                Button(ctx.t("button.cancel_no"), buttons.Cancel("no", meeting.id).encode())]]
    return Response.say(ctx.t("cancel.confirm", kind=kind_label(ctx, meeting), when=when(ctx, meeting)), rows)


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
    await notify.to_cell(ctx, meeting, reply, outgoing.CANCEL_NOTICE, exclude=ctx.member.id)
    ctx.queued += await followers.meeting_event(ctx.session, ctx.settings, ctx.cell, meeting, "cancelled", ctx.now)
    text = ctx.t("cancel.done", when=when(ctx, meeting))
    return Response(replies=[Reply(text)], toast=text[:190])


async def reschedule(ctx: Ctx, req: Request) -> Response:
    """/doilich NGÀY GIỜ [địa điểm] [| chủ đề]: the next meeting moves (its reminders with it); the place
    and the topic change when given. /doilich tại ĐỊA ĐIỂM [| chủ đề] and /doilich | CHỦ ĐỀ change only them."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    words = req.args.split()
    if not words:
        return Response.say(ctx.t("reschedule.usage", example=_example(ctx, req)))
    start: datetime | None = None
    if req.args.lstrip().startswith("|"):
        place_text, topic_text = "", req.args.lstrip()[1:]
        if not topic_text.strip():
            return Response.say(ctx.t("reschedule.usage", example=_example(ctx, req)))
    elif fold(words[0]) in PLACE_WORDS:
        place_text, _, topic_text = " ".join(words[1:]).partition("|")
        if not place_text.strip():
            return Response.say(ctx.t("reschedule.usage", example=_example(ctx, req)))
    else:
        read = _read_when(ctx, req, "reschedule.usage")
        if isinstance(read, Response):
            return read
        day, at, rest = read
        refusal = wall_clock.refusal(ctx, day, at, lambda p: f"/doilich {p.day:%d/%m/%Y} {as_typed(p.suggestion)}")
        if refusal is not None:
            return refusal
        start = local_datetime(day, at, ctx.tz)
        place_text, _, topic_text = " ".join(rest).partition("|")
    place, topic = place_text.strip()[:MAX_PLACE] or None, topic_text.strip()[:MAX_TOPIC] or None
    meeting = await _next_to_act_on(ctx)
    if meeting is None:
        return Response.say(ctx.t("cancel.none"))
    old, missed = meeting.scheduled_at, meeting.scheduled_at < ctx.now
    before = {"scheduled_at": meeting.scheduled_at.isoformat(), "place": meeting.place, "topic": meeting.topic}
    if start is not None:
        refusal = _out_of_range(ctx, start)
        if refusal is not None:
            return refusal
        period = month_key(start.astimezone(ctx.tz).date())
        if meeting.kind is MeetingKind.THUONG_KY and period != meeting.period:
            return Response.say(ctx.t("reschedule.other_month", month=f"{meeting.period[5:]}/{meeting.period[:4]}"))
        meeting.scheduled_at, meeting.period = start, period
    if place is not None:
        meeting.place = place
    if topic is not None:
        meeting.topic = topic
    after = {"scheduled_at": meeting.scheduled_at.isoformat(), "place": meeting.place, "topic": meeting.topic}
    if after == before:
        return Response.say(ctx.t("reschedule.unchanged", when=when(ctx, meeting)))
    await planner.unplan_meeting(ctx.session, meeting, ctx.now)  # planned again below: what is still ahead
    ctx.audit("reschedule", "meeting", meeting.id, before, after)
    moved = start is not None and after["scheduled_at"] != before["scheduled_at"]
    await announce(ctx, meeting, exclude=ctx.member.id, text_key="reschedule.notice" if moved else "reschedule.changed")
    await planner.plan_meeting(ctx.session, ctx.settings, meeting, ctx.now)
    if missed and moved:
        return Response.say(ctx.t("reschedule.done_missed", old=fmt_datetime(old, ctx.tz), when=when(ctx, meeting)))
    return Response.say(ctx.t("reschedule.done" if moved else "reschedule.done_changed", when=when(ctx, meeting),
                              place=place_suffix(ctx, meeting), topic=_topic_suffix(ctx, meeting)))


def _topic_suffix(ctx: Ctx, meeting: Meeting) -> Html:
    return Html(ctx.t("topic", topic=meeting.topic) if meeting.topic else "")


async def _next_to_act_on(ctx: Ctx) -> Meeting | None:
    """The meeting /doilich and /huyhop act on: one whose time passed a few days ago without a start (the
    secretary was told to move or cancel it), else the next one."""
    missed = await missed_meeting(ctx.session, ctx.cell.id, ctx.now)
    if missed is not None:
        return missed
    meetings = await upcoming_meetings(ctx.session, ctx.cell.id, ctx.now, limit=1)
    return meetings[0] if meetings else None
