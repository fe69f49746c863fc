"""Answers to a meeting notice: attend, or be excused with a reason."""

from __future__ import annotations

from core.messages import Reply, Request, Response
from core.texts import fmt_time
from handlers import notify
from handlers.context import Ctx
from handlers.describe import when
from rules.names import visible_words
from scheduler import planner
from storage.models import AttendanceStatus, Meeting
from storage.queries import attendance_row, next_meeting

PENDING_REASON = "absence_reason"
MAX_REASON = 300


async def absent(ctx: Ctx, req: Request) -> Response:
    """/vang REASON: excused from the cell's next meeting (the reason is asked for when missing)."""
    if ctx.actor.member is None:
        return Response.say(ctx.t("not_member"))
    meeting = await next_meeting(ctx.session, ctx.cell.id, ctx.now)
    if meeting is None:
        return Response.say(ctx.t("no_upcoming"))
    return await _excuse_or_ask(ctx, meeting, req.args)


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
    link.pending_action = link.pending_meeting_id = None
    if meeting is None or meeting.ended_at is not None or meeting.cancelled_at is not None:
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
    row.status, row.reason, row.rsvp, row.updated_at = AttendanceStatus.EXCUSED, reason, False, ctx.now
    ctx.audit("excuse", "attendance", meeting.id, before, {"member_id": member.id, "status": "excused"})
    await planner.unplan_member(ctx.session, meeting.id, member.id, ctx.now)
    notice = Reply(ctx.t("absent.notify_leader", name=member.full_name, when=when(ctx, meeting), reason=reason))
    await notify.to_leaders(ctx, meeting.cell_id, notice, kind="absence_notice",
                            key=f"absence:{meeting.id}:{member.id}:{int(ctx.now.timestamp())}:{{member_id}}",
                            exclude=member.id, meeting_id=meeting.id)
    return Response.say(ctx.t("absent.done", when=when(ctx, meeting), reason=reason))
