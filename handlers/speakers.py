"""Who spoke at a meeting (/phatbieu), recorded by the secretary or a deputy during the meeting or up to a
week after it (as the other corrections). HD 12's "many members speak" is then computed (rules.quality.Spoke)
and no longer asked; the summary and the minutes show the same count. Every change is audited."""

from __future__ import annotations

import re

from core import buttons
from core.messages import Button, Request, Response
from core.texts import echo
from handlers.checkin import find_by_name
from handlers.context import Ctx
from handlers.corrections import AFTER_MEETING
from handlers.describe import when
from reports import meeting_summary
from reports import quality as quality_report
from rules.names import fold
from storage.models import Meeting, Member
from storage.quality import assessment_for, present_member_ids
from storage.queries import active_members, latest_ended_meeting, open_meeting
from storage.speakers import set_speakers, speaker_ids

_SEPARATORS = re.compile(r"[,;\n]+")
_REMOVE = ("bo", "xoa")  # "/phatbieu bỏ Lê Văn Cường": a name recorded by mistake taken off


async def spoke(ctx: Ctx, req: Request) -> Response:
    """/phatbieu HỌ TÊN, HỌ TÊN…: adds them to who spoke; /phatbieu bỏ HỌ TÊN takes one off; alone: the list."""
    if not ctx.actor.is_leader or ctx.actor.cell is None:
        return Response.say(ctx.t("not_leader"))
    meeting = await _meeting(ctx)
    if meeting is None:
        return Response.say(ctx.t("spoke.no_meeting"))
    args = req.args.strip()
    first, rest = [*args.split(maxsplit=1), "", ""][:2]
    remove = fold(first) in _REMOVE and bool(rest.strip())
    names = [n.strip() for n in _SEPARATORS.split(rest if remove else args) if n.strip()]
    current = await speaker_ids(ctx.session, meeting.id)
    if not names:
        return await _state(ctx, meeting, "spoke.usage", tap_list=True)
    chosen, errors = await _match(ctx, meeting, names)
    if errors:
        return Response.say("\n".join([*errors, ctx.t("spoke.usage_short")]))
    after = current - chosen if remove else current | chosen
    if after == current:
        return await _state(ctx, meeting, "spoke.unchanged")
    await _record(ctx, meeting, current, after)
    return await _state(ctx, meeting, "spoke.done")


async def spoke_button(ctx: Ctx, meeting: Meeting, member_id: int) -> Response:
    """A name of the tap list pressed: marked as having spoken, or unmarked."""
    if not ctx.actor.is_leader:
        return Response(toast=ctx.t("not_leader"))
    if meeting.started_at is None or (meeting.ended_at is not None and ctx.now - meeting.ended_at > AFTER_MEETING):
        return Response(toast=ctx.t("stale_button"))
    if member_id not in await present_member_ids(ctx.session, meeting.id):
        return Response(toast=ctx.t("stale_button"))
    current = await speaker_ids(ctx.session, meeting.id)
    after = current - {member_id} if member_id in current else current | {member_id}
    await _record(ctx, meeting, current, after)
    response = await _state(ctx, meeting, "spoke.done", tap_list=True)
    response.toast = response.replies[0].text.split("\n")[0][:190]
    return response


async def _record(ctx: Ctx, meeting: Meeting, current: set[int], after: set[int]) -> None:
    await set_speakers(ctx.session, meeting.id, after, ctx.member.id, ctx.now)
    ctx.audit("spoke", "meeting", meeting.id, {"member_ids": sorted(current)}, {"member_ids": sorted(after)})
    await _rescore(ctx, meeting)


async def _meeting(ctx: Ctx) -> Meeting | None:
    """The meeting in progress, or the one just held (up to ``AFTER_MEETING`` after it ended)."""
    meeting = await open_meeting(ctx.session, ctx.cell.id)
    if meeting is not None:
        return meeting
    ended = await latest_ended_meeting(ctx.session, ctx.cell.id)
    if ended is not None and ended.ended_at is not None and ctx.now - ended.ended_at <= AFTER_MEETING:
        return ended
    return None


async def _match(ctx: Ctx, meeting: Meeting, names: list[str]) -> tuple[set[int], list[str]]:
    """Each name typed, matched as /diemdanh_ho matches it, among the members in the room: the ids, or what
    was wrong with each name (nothing is written unless every name is found)."""
    day = meeting.scheduled_at.astimezone(ctx.tz).date()
    members = await active_members(ctx.session, ctx.cell.id, day)
    in_room = await present_member_ids(ctx.session, meeting.id)
    present: list[Member] = [m for m in members if m.id in in_room]
    chosen: set[int] = set()
    errors: list[str] = []
    for name in names:
        matches = find_by_name(present, name)
        if len(matches) == 1:
            chosen.add(matches[0].id)
        elif matches:
            errors.append(ctx.t("spoke.ambiguous", query=echo(name), names=", ".join(m.full_name for m in matches)))
        elif len(found := find_by_name(members, name)) == 1:
            errors.append(ctx.t("spoke.not_present", name=found[0].full_name))
        else:
            errors.append(ctx.t("spoke.not_found", query=echo(name)))
    return chosen, errors


async def _rescore(ctx: Ctx, meeting: Meeting) -> None:
    """An assessment already proposed is scored again with who spoke (the level may change)."""
    assessment = await assessment_for(ctx.session, meeting.id)
    if assessment is None or assessment.completed_at is None:
        return
    q = await quality_report.score(ctx.session, meeting, assessment, ctx.tz)
    if q.score is not None and (q.score, q.level) != (assessment.score, assessment.level):
        before = {"score": assessment.score, "level": assessment.level}
        assessment.score, assessment.level = q.score, q.level.value if q.level else None
        ctx.audit("quality_rescored", "meeting", meeting.id, before, {"score": q.score, "level": assessment.level})


async def _state(ctx: Ctx, meeting: Meeting, key: str, *, tap_list: bool = False) -> Response:
    """Who spoke so far; with ``tap_list``, one button per member present (marked ✓ if they spoke) to change it."""
    summary = await meeting_summary.compute(ctx.session, meeting, ctx.tz)
    present = summary.count.in_room if summary.count is not None else 0
    spoke = summary.spoke.spoke if summary.spoke is not None else 0
    text = ctx.t(key, when=when(ctx, meeting), spoke=spoke, present=present, names=", ".join(summary.speakers) or "—")
    rows: list[list[Button]] = []
    if tap_list:
        day = meeting.scheduled_at.astimezone(ctx.tz).date()
        in_room = await present_member_ids(ctx.session, meeting.id)
        spoken = await speaker_ids(ctx.session, meeting.id)
        rows = [[Button(("✓ " if m.id in spoken else "") + m.full_name, buttons.Spoke(m.id, meeting.id).encode())]
                for m in await active_members(ctx.session, ctx.cell.id, day) if m.id in in_room]
    return Response.say(text, rows)
