"""Checking in to the meeting in progress: by the member, or by the secretary for them."""

from __future__ import annotations

from core.messages import Reply, Request, Response
from core.texts import Html, echo, fmt_time
from handlers import guests, notify
from handlers.context import Ctx
from handlers.describe import when
from rules import is_late, late_from, minutes_late
from rules.names import find_named
from storage.models import Attendance, AttendanceStatus, Meeting, Member
from storage.queries import (
    active_members,
    attendance_row,
    member_span,
    new_attendance,
    open_meeting,
    open_meeting_and_attendance,
    upcoming_meetings,
)


async def checkin(ctx: Ctx, req: Request) -> Response:
    if ctx.actor.committee_member is not None:  # a guest from the committee above
        return await guests.checkin(ctx, req)
    if ctx.actor.member is None:
        return Response.say(ctx.t("not_member"))
    meeting: Meeting | None
    row: Attendance | None
    if ctx.preloaded is not None:  # the router loaded the meeting in progress with the actor
        meeting = ctx.preloaded.meeting
        row = _loaded_row(ctx, meeting) if meeting is not None else None
    else:
        found = await open_meeting_and_attendance(ctx.session, ctx.cell.id, ctx.member.id, ctx.now)
        meeting, row = found if found is not None else (None, None)
    if meeting is None:
        upcoming = await upcoming_meetings(ctx.session, ctx.cell.id, ctx.now, limit=1)
        if upcoming:
            return Response.say(ctx.t("checkin.no_open", when=when(ctx, upcoming[0])))
        return Response.say(ctx.t("checkin.no_open_none"))
    return await _check_in(ctx, meeting, ctx.member, by=None, row=row, group=req.chat_id if req.is_group else None)


def _loaded_row(ctx: Ctx, meeting: Meeting) -> Attendance | None:
    """The member's attendance row for ``meeting`` when the router loaded it with the actor (a new, empty
    one if they have none yet); None when it did not, and ``_check_in`` reads it."""
    preloaded = ctx.preloaded
    if preloaded is None or preloaded.meeting is not meeting:
        return None
    return preloaded.attendance or new_attendance(ctx.session, meeting.id, ctx.member.id, ctx.now)


async def checkin_button(ctx: Ctx, meeting: Meeting) -> Response:
    response = await _check_in(ctx, meeting, ctx.member, by=None, row=_loaded_row(ctx, meeting))
    response.toast = response.replies[0].text.split("\n")[0][:190] if response.replies else None
    return response


async def checkin_for(ctx: Ctx, req: Request) -> Response:
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    query = " ".join(req.args.split())
    if not query:
        return Response.say(ctx.t("checkin_for.usage"))
    meeting = await open_meeting(ctx.session, ctx.cell.id)
    if meeting is None:
        return Response.say(ctx.t("end_meeting.none_open"))
    members = await active_members(ctx.session, ctx.cell.id, ctx.today)
    matches = find_by_name(members, query)
    if not matches:
        return Response.say(ctx.t("checkin_for.not_found", query=echo(query)))
    if len(matches) > 1:
        return Response.say(ctx.t("checkin_for.ambiguous", query=echo(query), names=", ".join(m.full_name for m in matches)))
    return await _check_in(ctx, meeting, matches[0], by=ctx.member)


def find_by_name(members: list[Member], query: str) -> list[Member]:
    """Exact name first (case and diacritics kept), then the same letters without diacritics,
    then the members with the query as whole words of their name, then every name containing it."""
    return find_named(members, query, lambda m: m.full_name)


async def _check_in(ctx: Ctx, meeting: Meeting, member: Member, by: Member | None,
                    row: Attendance | None = None, group: str | None = None) -> Response:
    """Record the check-in and bring the roll-call in the cell's groups up to date; asked in ``group`` (typed
    there), the roll-call is the answer: no message of its own in the group for each member."""
    started_at = meeting.started_at
    assert started_at is not None, "check-in is only to a meeting that has started"
    if row is None:
        row = await attendance_row(ctx.session, meeting.id, member.id, ctx.now)
    if row.checked_in_at is not None:
        if by is not None:
            return Response.say(ctx.t("checkin.done", name=member.full_name, time=fmt_time(row.checked_in_at, ctx.tz)))
        return Response.say(ctx.t("checkin.again", time=fmt_time(row.checked_in_at, ctx.tz)))
    since = late_from(started_at, meeting.opened_at)  # a start typed back-dated: from when it was opened
    late = is_late(since, ctx.now, ctx.actor.rules)
    before = {"status": row.status.value if row.status else None}
    row.status = AttendanceStatus.LATE if late else AttendanceStatus.PRESENT
    row.reason = None
    row.checked_in_at = ctx.now
    row.recorded_by_member_id = by.id if by else None
    row.updated_at = ctx.now
    if by is not None or before["status"] is not None:  # a member's own first check-in: the row is the record
        ctx.audit("checkin_for" if by else "checkin", "attendance", meeting.id, before,
                  {"member_id": member.id, "status": row.status.value})
    if group in await notify.roll_call(ctx, meeting):
        return Response()
    now_text = fmt_time(ctx.now, ctx.tz)
    minutes = minutes_late(started_at, meeting.opened_at, ctx.now)
    if by is not None:
        late_text = Html(ctx.t("late_mark", minutes=minutes) if late else "")
        return Response.say(ctx.t("checkin_for.done", name=member.full_name, time=now_text, late=late_text))
    if late:
        text = ctx.t("checkin.done_late" if since == started_at else "checkin.done_late_opened", name=member.full_name,
                     time=now_text, minutes=minutes, start=fmt_time(since, ctx.tz))
    else:
        text = ctx.t("checkin.done", name=member.full_name, time=now_text)
    if member_span(member).exempt_on(ctx.today):
        text += ctx.t("checkin.exempt_note")
    return Response(replies=[Reply(text)])
