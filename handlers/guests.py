"""A committee member at a cell's meeting: checked in as a guest (đại biểu cấp trên), not counted
in the rate. With several meetings of the committee's cells open at once, they choose."""

from __future__ import annotations

from sqlalchemy import select

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.texts import fmt_time
from handlers import notify
from handlers.context import Ctx
from storage.committees import subtree, subtree_ids
from storage.models import Cell, CellFollower, CommitteeMember, Meeting, MeetingGuest


async def checkin(ctx: Ctx, req: Request) -> Response:
    """/diemdanh by a committee member."""
    person = _person(ctx)
    rows = list(await ctx.session.execute(
        select(Meeting, Cell.name).join(Cell, Cell.id == Meeting.cell_id)
        .where(Cell.committee_id.in_(subtree_ids(person.committee_id)), Meeting.started_at.is_not(None),
               Meeting.ended_at.is_(None), Meeting.cancelled_at.is_(None))
        .order_by(Cell.name, Meeting.id)))
    if not rows:
        return Response.say(ctx.t("guest.none_open", committee=ctx.committee.name))
    if len(rows) == 1:
        return await _record(ctx, rows[0][0], rows[0][1])
    followed = set(await ctx.session.scalars(
        select(CellFollower.cell_id).where(CellFollower.committee_member_id == person.id)))
    rows.sort(key=lambda row: (row[0].cell_id not in followed, row[1]))
    choices = [[Button(name, buttons.Guest(meeting.id).encode())] for meeting, name in rows]
    return Response.say(ctx.t("guest.choose", count=len(rows)), choices)


async def button(ctx: Ctx, meeting_id: int) -> Response:
    """A committee member pressed a meeting's button: the choice above, or a check-in button in a group."""
    meeting = await ctx.session.get(Meeting, meeting_id)
    if meeting is None or meeting.started_at is None or meeting.ended_at is not None or meeting.cancelled_at is not None:
        return Response(toast=ctx.t("stale_button"))
    cell = await ctx.session.get(Cell, meeting.cell_id)
    if cell is None or cell.committee_id not in await subtree(ctx.session, _person(ctx).committee_id):
        return Response(toast=ctx.t("foreign_meeting"))
    response = await _record(ctx, meeting, cell.name)
    response.toast = response.replies[0].text.split("\n")[0][:190]
    return response


def _person(ctx: Ctx) -> CommitteeMember:
    assert ctx.actor.committee_member is not None, "the router sends only committee members here"
    return ctx.actor.committee_member


async def _record(ctx: Ctx, meeting: Meeting, cell_name: str) -> Response:
    person = _person(ctx)
    row = await ctx.session.scalar(select(MeetingGuest).where(
        MeetingGuest.meeting_id == meeting.id, MeetingGuest.committee_member_id == person.id))
    if row is not None:
        return Response.say(ctx.t("guest.again", cell=cell_name, time=fmt_time(row.checked_in_at, ctx.tz)))
    ctx.session.add(MeetingGuest(meeting_id=meeting.id, committee_member_id=person.id, checked_in_at=ctx.now))
    ctx.audit("guest_checkin", "meeting", meeting.id, None, {"committee_member_id": person.id})
    notice = Reply(ctx.t("guest.notice", name=person.full_name, committee=ctx.committee.name,
                         time=fmt_time(ctx.now, ctx.tz)))
    await notify.to_leaders(ctx, meeting.cell_id, notice, outgoing.GUEST_NOTICE, meeting_id=meeting.id,
                            meeting=meeting.id, guest=person.id)
    return Response.say(ctx.t("guest.done", name=person.full_name, cell=cell_name, time=fmt_time(ctx.now, ctx.tz)))
