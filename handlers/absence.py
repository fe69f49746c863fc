"""Answers to a meeting notice: attend, or be excused with a reason."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.texts import fmt_time
from handlers import notify
from handlers.context import Ctx
from handlers.describe import when
from rules.names import visible_words
from scheduler import planner
from storage.models import Attendance, AttendanceStatus, Meeting
from storage.queries import attendance_row, latest_ended_meeting, next_meeting

PENDING_REASON = "absence_reason"
PENDING_WHICH = "absence_which"
MAX_REASON = 300
# How long after a meeting a member absent from it may still send the reason (/vang): a week.
LATE_EXCUSE_WINDOW = timedelta(days=7)


async def absent(ctx: Ctx, req: Request) -> Response:
    """/vang REASON: excused from the cell's next meeting (the reason is asked for when missing). Sent
    after a meeting the member missed, with a meeting ahead too, it asks which one it is for."""
    if ctx.actor.member is None:
        return Response.say(ctx.t("not_member"))
    upcoming = await next_meeting(ctx.session, ctx.cell.id, ctx.now)
    held = await _just_missed(ctx)
    if upcoming is not None and held is not None:
        return _ask_which(ctx, held, upcoming, req.args)
    meeting = upcoming or held
    if meeting is None:
        return Response.say(ctx.t("no_upcoming"))
    return await _excuse_or_ask(ctx, meeting, req.args)


async def _just_missed(ctx: Ctx) -> Meeting | None:
    """The cell's last ended meeting, if it ended within the week and the member is recorded absent
    without reason from it."""
    cell = ctx.cell
    assert cell is not None
    meeting = await latest_ended_meeting(ctx.session, cell.id)
    if meeting is None or not await _missed(ctx, meeting):
        return None
    return meeting


async def _missed(ctx: Ctx, meeting: Meeting) -> bool:
    if meeting.ended_at is None or ctx.now - meeting.ended_at > LATE_EXCUSE_WINDOW:
        return False
    status = await ctx.session.scalar(select(Attendance.status).where(
        Attendance.meeting_id == meeting.id, Attendance.member_id == ctx.member.id))
    return status is AttendanceStatus.ABSENT


def _ask_which(ctx: Ctx, held: Meeting, upcoming: Meeting, reason: str) -> Response:
    link = ctx.link
    link.pending_action, link.pending_meeting_id = PENDING_WHICH, None
    link.pending_text = " ".join(reason.split())[:500] or None
    text = ctx.t("absent.which", held=when(ctx, held), next=when(ctx, upcoming))
    rows = [[Button(ctx.t("button.absent_held"), buttons.Absent(held.id).encode())],
               [Button(ctx.t("button.absent_next"), buttons.Absent(upcoming.id).encode())]]
    return Response(replies=[Reply(text, rows)])


async def excusable(ctx: Ctx, meeting: Meeting) -> bool:
    """A member may be excused from a meeting not ended, or from one they just missed."""
    if meeting.cancelled_at is not None:
        return False
    return meeting.ended_at is None or await _missed(ctx, meeting)


async def absent_button(ctx: Ctx, meeting: Meeting) -> Response:
    """The answer to "which meeting?": the reason given with /vang, if any, goes with it."""
    link = ctx.link
    reason = link.pending_text if link.pending_action == PENDING_WHICH else None
    link.pending_action = link.pending_meeting_id = link.pending_text = None
    if not await excusable(ctx, meeting):
        return Response(toast=ctx.t("stale_button"))
    response = await _excuse_or_ask(ctx, meeting, reason or "")
    response.toast = ctx.t("button.absent")
    return response


async def rsvp_button(ctx: Ctx, meeting: Meeting, answer: str) -> Response:
    if answer == "yes":
        row = await attendance_row(ctx.session, meeting.id, ctx.member.id, ctx.now)
        row.rsvp = True
        if row.status is AttendanceStatus.EXCUSED:
            row.status, row.reason = None, None
        row.updated_at = ctx.now
        text = ctx.t("rsvp.yes", when=when(ctx, meeting))
        return Response(replies=[Reply(text)], toast=ctx.t("button.attend") + " ✓")
    response = await _excuse_or_ask(ctx, meeting, "")
    response.toast = ctx.t("button.absent")
    return response


async def pending_reason(ctx: Ctx, req: Request) -> Response | None:
    """A plain message that answers "why will you be absent?"; None if nothing was asked."""
    link = ctx.actor.link
    if link is None or link.pending_action != PENDING_REASON or link.pending_meeting_id is None:
        return None
    meeting = await ctx.session.get(Meeting, link.pending_meeting_id)
    link.pending_action = link.pending_meeting_id = link.pending_text = None
    if meeting is None or not await excusable(ctx, meeting):
        return Response.say(ctx.t("stale_button"))
    return await _excuse_or_ask(ctx, meeting, req.text or "")


async def _excuse_or_ask(ctx: Ctx, meeting: Meeting, reason: str) -> Response:
    member, link = ctx.member, ctx.link
    row = await attendance_row(ctx.session, meeting.id, member.id, ctx.now)
    if row.checked_in_at is not None:
        return Response.say(ctx.t("absent.already_checked_in", time=fmt_time(row.checked_in_at, ctx.tz)))
    reason = visible_words(reason)  # zero-width or blank characters alone are no reason
    if not reason:
        link.pending_action, link.pending_meeting_id = PENDING_REASON, meeting.id
        return Response.say(ctx.t("absent.ask_reason", when=when(ctx, meeting)))
    if len(reason) > MAX_REASON:
        link.pending_action, link.pending_meeting_id = PENDING_REASON, meeting.id
        return Response.say(ctx.t("absent.reason_too_long", length=len(reason)))
    before = {"status": row.status.value if row.status else None}
    after_meeting = meeting.ended_at is not None
    row.status, row.reason, row.rsvp, row.updated_at = AttendanceStatus.EXCUSED, reason, False, ctx.now
    ctx.audit("excuse_after" if after_meeting else "excuse", "attendance", meeting.id, before,
              {"member_id": member.id, "status": "excused"})
    await planner.unplan_member(ctx.session, meeting.id, member.id, ctx.now)
    await notify.roll_call(ctx, meeting)
    notice = Reply(ctx.t("absent.notify_leader.after" if after_meeting else "absent.notify_leader",
                         name=member.full_name, when=when(ctx, meeting), reason=reason))
    await notify.to_leaders(ctx, meeting.cell_id, notice, outgoing.ABSENCE_NOTICE, exclude=member.id,
                            meeting_id=meeting.id, meeting=meeting.id, member=member.id, at=int(ctx.now.timestamp()))
    return Response.say(ctx.t("absent.done.after" if after_meeting else "absent.done", when=when(ctx, meeting),
                              reason=reason))
