"""Open votes (biểu quyết) during a meeting: /bieuquyet opens one, members present vote with a button (on
Zalo, 1 or 2) and may change their vote until /ketthucbq (or the button, or /ketthuc) closes it. Who is
counted and "more than half": rules.votes."""

from __future__ import annotations

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.texts import echo
from handlers import notify
from handlers.context import Ctx
from reports.votes import result_text
from rules.votes import vote_result
from storage import votes as stored
from storage.models import Meeting, MemberStatus, Vote
from storage.queries import open_meeting

SUBJECT_LIMIT = 500


def ballot_buttons(ctx: Ctx, vote_id: int, *, closing: bool = False) -> list[list[Button]]:
    rows = [[Button(ctx.t("button.vote_yes"), buttons.VoteChoice("yes", vote_id).encode()),
             Button(ctx.t("button.vote_no"), buttons.VoteChoice("no", vote_id).encode())]]
    if closing:
        rows.append([Button(ctx.t("button.vote_end"), buttons.VoteChoice("end", vote_id).encode())])
    return rows


async def open_vote(ctx: Ctx, req: Request) -> Response:
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    subject = " ".join(req.args.split())
    if not subject:
        return Response.say(ctx.t("vote.usage"))
    if len(subject) > SUBJECT_LIMIT:
        return Response.say(ctx.t("vote.too_long", length=len(subject), limit=SUBJECT_LIMIT))
    meeting = await open_meeting(ctx.session, ctx.cell.id)
    if meeting is None:
        return Response.say(ctx.t("vote.no_meeting"))
    current = await stored.open_vote(ctx.session, meeting.id)
    if current is not None:
        return Response.say(ctx.t("vote.already_open", subject=echo(current.subject)))
    vote = Vote(meeting_id=meeting.id, subject=subject, opened_by_member_id=ctx.member.id, opened_at=ctx.now)
    ctx.session.add(vote)
    await ctx.session.flush()
    ctx.audit("vote_open", "vote", vote.id, None, {"subject": subject, "meeting_id": meeting.id})
    voters, members = await stored.voters(ctx.session, meeting, meeting.scheduled_at.astimezone(ctx.tz).date())
    others = [v for v in voters if v.member_id != ctx.member.id]
    may = [members[v.member_id] for v in others if v.may_vote]
    probationary = [members[v.member_id] for v in others if v.present and not v.official]
    told = await notify.to_members(ctx, may, Reply(ctx.t("vote.asked", subject=echo(subject)),
                                                   ballot_buttons(ctx, vote.id)),
                                   outgoing.VOTE_OPEN, meeting_id=meeting.id, vote=vote.id)
    await notify.to_members(ctx, probationary, Reply(ctx.t("vote.probationary_notice", subject=echo(subject))),
                            outgoing.VOTE_OPEN, meeting_id=meeting.id, vote=vote.id)
    own = any(v.member_id == ctx.member.id and v.may_vote for v in voters)
    key = "vote.opened_with_own" if own else "vote.opened"
    return Response.say(ctx.t(key, subject=echo(subject), count=told), ballot_buttons(ctx, vote.id, closing=True))


async def close_vote(ctx: Ctx, req: Request) -> Response:
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    meeting = await open_meeting(ctx.session, ctx.cell.id)
    vote = await stored.open_vote(ctx.session, meeting.id, lock=True) if meeting is not None else None
    if meeting is None or vote is None:
        return Response.say(ctx.t("vote.none_open"))
    await close(ctx, meeting, vote)
    return Response.say(result_text(ctx.t, vote))


async def close(ctx: Ctx, meeting: Meeting, vote: Vote) -> None:
    """Count the vote (rules.votes), keep its result, and tell those who were asked."""
    voters, members = await stored.voters(ctx.session, meeting, meeting.scheduled_at.astimezone(ctx.tz).date())
    cast = {member_id: b.approve for member_id, b in (await stored.ballots(ctx.session, vote.id)).items()}
    r = vote_result(voters, cast)
    vote.closed_at = ctx.now
    vote.approve, vote.against, vote.not_voted, vote.counted, vote.adopted = (
        r.approve, r.against, r.not_voted, r.of, r.adopted)
    ctx.audit("vote_close", "vote", vote.id, None, {"approve": r.approve, "against": r.against,
                                                    "not_voted": r.not_voted, "of": r.of, "adopted": r.adopted})
    told = [members[v.member_id] for v in voters if v.present and v.member_id != ctx.member.id]
    await notify.to_members(ctx, told, Reply(result_text(ctx.t, vote)), outgoing.VOTE_RESULT,
                            meeting_id=meeting.id, vote=vote.id)


async def close_open(ctx: Ctx, meeting: Meeting) -> None:
    """/ketthuc closes the vote still open."""
    vote = await stored.open_vote(ctx.session, meeting.id, lock=True)
    if vote is not None:
        await close(ctx, meeting, vote)


async def pressed(ctx: Ctx, choice: buttons.VoteChoice) -> Response:
    """A ballot (or the secretary's "close the vote") under an open vote."""
    vote = await ctx.session.get(Vote, choice.vote_id, with_for_update={"read": choice.choice != "end"},
                                 populate_existing=True)
    meeting = await ctx.session.get(Meeting, vote.meeting_id) if vote is not None else None
    if vote is None or meeting is None:
        return Response(toast=ctx.t("stale_button"))
    if meeting.cell_id != ctx.cell.id:
        return Response(toast=ctx.t("foreign_meeting"))
    if vote.closed_at is not None:
        return Response.say(ctx.t("vote.closed_already") + "\n" + result_text(ctx.t, vote))
    if choice.choice == "end":
        if not ctx.actor.is_leader:
            return Response.say(ctx.t("not_leader"))
        await close(ctx, meeting, vote)
        return Response.say(result_text(ctx.t, vote))
    if ctx.member.status != MemberStatus.CHINH_THUC:
        return Response.say(ctx.t("vote.probationary", subject=echo(vote.subject)))
    voters, _ = await stored.voters(ctx.session, meeting, meeting.scheduled_at.astimezone(ctx.tz).date())
    if ctx.member.suspended:
        return Response.say(ctx.t("vote.suspended"))
    if not any(v.member_id == ctx.member.id and v.may_vote for v in voters):
        return Response.say(ctx.t("vote.not_present"))
    approve = choice.choice == "yes"
    ballot = (await stored.ballots(ctx.session, vote.id)).get(ctx.member.id)
    before = None if ballot is None else {"approve": ballot.approve}
    await stored.cast_ballot(ctx.session, vote.id, ctx.member.id, approve, ctx.now)
    ctx.audit("ballot", "vote", vote.id, before, {"approve": approve, "member_id": ctx.member.id})
    choice_text = ctx.t("button.vote_yes" if approve else "button.vote_no")
    key = "vote.changed" if before is not None and before["approve"] != approve else "vote.recorded"
    return Response.say(ctx.t(key, choice=choice_text, subject=echo(vote.subject)))
