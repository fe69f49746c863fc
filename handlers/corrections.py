"""The secretary puts the record right: an excused absence for a member (/vang_ho), a member's
status at the last meeting corrected (/suadiemdanh). Every change is audited (who, when, before,
after); the meeting's summary and the absence warnings are computed again and sent to the leaders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.texts import fmt_date, fmt_time
from handlers import notify
from handlers.checkin import find_by_name
from handlers.context import Ctx
from handlers.describe import when
from reports import meeting_summary
from reports import quality as quality_report
from rules.names import fold
from scheduler import planner
from storage.models import Attendance, AttendanceStatus, Meeting, Member
from storage.outbox import claim_job
from storage.quality import assessment_for
from storage.queries import active_members, attendance_row, latest_ended_meeting, next_meeting, open_meeting

MAX_REASON = 300
AFTER_MEETING = timedelta(days=7)  # /vang_ho reaches the meeting just held this long after it (as /vang does)
PENDING_EXCUSE_WHICH = "excuse_for_which"  # /vang_ho waits for "which meeting?" (pending_text: "member id|reason")


async def excuse_for(ctx: Ctx, req: Request) -> Response:
    """/vang_ho HỌ TÊN | LÝ DO: the meeting in progress, the one just held (up to a week after it, as /vang),
    or else the next one. When the member was absent from the one just held and another is coming, asks which."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    cell = ctx.cell
    ahead = await next_meeting(ctx.session, cell.id, ctx.now)  # first: it waits for an end under way
    ended = await latest_ended_meeting(ctx.session, cell.id)
    just_held = ended if ended is not None and _just_held(ctx, ended) else None
    if ahead is None and just_held is None:
        return Response.say(ctx.t("excuse_for.no_meeting"))
    members = await active_members(ctx.session, cell.id, ctx.today)
    member, reason, error = _name_and_rest(ctx, members, req.args, "excuse_for.usage")
    if member is None:
        return error
    reason = " ".join(reason.split())
    if not reason:
        return Response.say(ctx.t("excuse_for.no_reason", name=member.full_name))
    if len(reason) > MAX_REASON:
        return Response.say(ctx.t("absent.reason_too_long", length=len(reason)))
    meeting = ahead or just_held
    if meeting is None:
        return Response.say(ctx.t("excuse_for.no_meeting"))
    if just_held is not None and ahead is not None and ahead.started_at is None:
        row = await _row(ctx, just_held, member)
        if row is not None and row.status is AttendanceStatus.ABSENT:  # either may be meant: asked
            link = ctx.link
            link.pending_action, link.pending_meeting_id = PENDING_EXCUSE_WHICH, None
            link.pending_text = f"{member.id}|{reason}"
            rows = [[Button(ctx.t("button.excuse_held", date=fmt_date(just_held.scheduled_at, ctx.tz)),
                            buttons.ExcuseFor(member.id, just_held.id).encode())],
                    [Button(ctx.t("button.excuse_next", date=fmt_date(ahead.scheduled_at, ctx.tz)),
                            buttons.ExcuseFor(member.id, ahead.id).encode())]]
            return Response.say(ctx.t("excuse_for.which", name=member.full_name, held=when(ctx, just_held),
                                      next=when(ctx, ahead), reason=reason), rows)
    return await _excuse(ctx, meeting, member, reason)


def _just_held(ctx: Ctx, meeting: Meeting) -> bool:
    return meeting.ended_at is not None and ctx.now - meeting.ended_at <= AFTER_MEETING


async def excuse_for_button(ctx: Ctx, meeting: Meeting, pressed_member: int) -> Response:
    """The answer to "which meeting?" after /vang_ho: the reason typed with it goes to the meeting chosen."""
    if not ctx.actor.is_leader:
        return Response(toast=ctx.t("not_leader"))
    link = ctx.link
    pending = link.pending_text if link.pending_action == PENDING_EXCUSE_WHICH else None
    member_id, _, reason = (pending or "").partition("|")
    if pending is None or member_id != str(pressed_member) or not reason:
        return Response(toast=ctx.t("stale_button"))
    link.pending_action = link.pending_meeting_id = link.pending_text = None
    member = await ctx.session.get(Member, int(member_id))
    if member is None or member.cell_id != ctx.cell.id or (meeting.ended_at is not None
                                                           and not _just_held(ctx, meeting)):
        return Response(toast=ctx.t("stale_button"))
    response = await _excuse(ctx, meeting, member, reason)
    response.toast = ctx.t("button.excuse_done")
    return response


async def _excuse(ctx: Ctx, meeting: Meeting, member: Member, reason: str) -> Response:
    if meeting.ended_at is not None:  # after the meeting: a correction of its record
        return await _change(ctx, meeting, member, AttendanceStatus.EXCUSED, reason, None, action="excuse_for")
    row = await attendance_row(ctx.session, meeting.id, member.id, ctx.now)
    if row.checked_in_at is not None:
        return Response.say(ctx.t("excuse_for.checked_in", name=member.full_name,
                                  time=fmt_time(row.checked_in_at, ctx.tz)))
    before = _state(row)
    row.status, row.reason, row.rsvp, row.updated_at = AttendanceStatus.EXCUSED, reason, False, ctx.now
    row.recorded_by_member_id = ctx.member.id
    ctx.audit("excuse_for", "attendance", meeting.id, before, _state(row))
    await planner.unplan_member(ctx.session, meeting.id, member.id, ctx.now)
    await notify.roll_call(ctx, meeting)
    if member.id != ctx.member.id:
        await notify.to_members(ctx, [member], Reply(ctx.t("excuse_for.member_notice", when=when(ctx, meeting),
                                                           reason=reason)),
                                outgoing.EXCUSED_BY, meeting_id=meeting.id, meeting=meeting.id,
                                at=int(ctx.now.timestamp()))
    return Response.say(ctx.t("excuse_for.done", name=member.full_name, when=when(ctx, meeting), reason=reason))


# What may follow the name in /suadiemdanh, folded: the status and what it carries.
_PRESENT = ("co mat", "comat", "present")
_LATE = ("muon", "den muon", "late")
_EXCUSED = ("vang co ly do", "co ly do", "xin vang", "excused")
_ABSENT = ("vang khong ly do", "khong ly do", "vang", "absent")


def parse_status(text: str) -> tuple[AttendanceStatus, str] | None:
    """'có mặt' / 'muộn 20' / 'vắng có lý do ốm' / 'vắng' -> (status, what follows); None if none."""
    words = text.split()
    folded = [fold(w).strip(":,.") for w in words]
    candidates = [(p, AttendanceStatus.EXCUSED) for p in _EXCUSED] + [(p, AttendanceStatus.ABSENT) for p in _ABSENT] \
        + [(p, AttendanceStatus.LATE) for p in _LATE] + [(p, AttendanceStatus.PRESENT) for p in _PRESENT]
    for phrase, status in sorted(candidates, key=lambda c: -len(c[0].split())):
        size = len(phrase.split())
        if folded[:size] == phrase.split():
            rest = " ".join(words[size:]).lstrip(":,. ")
            if rest and status in (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT):
                return None  # "có mặt" and "vắng" take nothing after them: something else was meant
            return status, rest
    return None


async def correct(ctx: Ctx, req: Request) -> Response:
    """/suadiemdanh HỌ TÊN | có mặt | muộn [phút] | vắng có lý do LÝ DO | vắng: a member's status at the
    cell's last ended meeting."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    current = await open_meeting(ctx.session, ctx.cell.id)  # first: it waits for an end under way
    if current is not None and current.started_at is not None:
        # "The last meeting" would be the one before: not what is meant while this one runs.
        return Response.say(ctx.t("correct.meeting_open", time=fmt_time(current.started_at, ctx.tz)))
    meeting = await latest_ended_meeting(ctx.session, ctx.cell.id)
    if meeting is None:
        return Response.say(ctx.t("correct.no_meeting"))
    day = meeting.scheduled_at.astimezone(ctx.tz).date()
    members = await active_members(ctx.session, ctx.cell.id, day)
    member, rest, error = _name_and_rest(ctx, members, req.args, "correct.usage")
    if member is None:
        return error
    if not rest.strip(" |:,."):
        return Response.say(ctx.t("correct.no_status", name=member.full_name))
    parsed = parse_status(rest)
    if parsed is None:
        return Response.say(ctx.t("correct.bad_status", value=rest or "–") + "\n\n" + ctx.t("correct.usage"))
    status, extra = parsed
    reason, minutes = None, None
    if status is AttendanceStatus.EXCUSED:
        reason = " ".join(extra.split())
        if not reason:
            return Response.say(ctx.t("correct.no_reason", name=member.full_name))
        if len(reason) > MAX_REASON:
            return Response.say(ctx.t("absent.reason_too_long", length=len(reason)))
    if status is AttendanceStatus.LATE and extra:
        minutes = late_minutes(extra)
        if minutes is None:
            return Response.say(ctx.t("correct.bad_minutes", value=extra, name=member.full_name))
    return await _change(ctx, meeting, member, status, reason, minutes, action="correct")


_MINUTES_RE = re.compile(r"^(\d{1,4})\s*(?:p|ph|phut|'|m|min|mins|minutes?)?\.?$")


def late_minutes(text: str) -> int | None:
    """'20', '20 phút', '20p', "20'" (with or without diacritics) -> 20; None if not a number of minutes in a day."""
    match = _MINUTES_RE.match(fold(" ".join(text.split())))
    if match is None or not 0 < int(match[1]) < 24 * 60:
        return None
    return int(match[1])


async def _change(ctx: Ctx, meeting: Meeting, member: Member, status: AttendanceStatus, reason: str | None,
                  late_minutes: int | None, *, action: str) -> Response:
    row = await attendance_row(ctx.session, meeting.id, member.id, ctx.now)
    before = _state(row)
    row.status, row.reason = status, reason
    assert meeting.started_at is not None, "only a meeting that has begun is corrected"
    if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
        if late_minutes is not None:
            row.checked_in_at = meeting.started_at + timedelta(minutes=late_minutes)
        elif row.checked_in_at is None or (status is AttendanceStatus.PRESENT and before["status"] == "late"):
            row.checked_in_at = meeting.started_at
    else:
        row.checked_in_at = None
    if status is AttendanceStatus.EXCUSED:
        row.rsvp = False
    elif status is not AttendanceStatus.ABSENT:
        row.rsvp = True
    row.recorded_by_member_id = ctx.member.id
    row.updated_at = ctx.now
    after = _state(row)
    if after == before:
        return Response.say(ctx.t("correct.unchanged", name=member.full_name, date=fmt_date(meeting.scheduled_at, ctx.tz)))
    ctx.audit(action, "attendance", meeting.id, before, after)
    await ctx.session.flush()
    await notify.roll_call(ctx, meeting)
    head = ctx.t("correct.done", name=member.full_name, date=fmt_date(meeting.scheduled_at, ctx.tz),
                 before=_status_words(ctx, before), after=_status_words(ctx, after))
    replies = (await summary_and_warnings(ctx, meeting, corrected=True)).replies
    return Response(replies=[Reply(head)] + replies)


@dataclass
class SummaryOutcome:
    replies: list[Reply]  # for the actor: the summary, and the absence warnings newly reached
    summary: meeting_summary.MeetingSummary
    warnings: list[meeting_summary.AbsenceWarning]  # every warning, new or not


async def summary_and_warnings(ctx: Ctx, meeting: Meeting, *, corrected: bool = False) -> SummaryOutcome:
    """The meeting's summary (again, after a correction) and the absence warnings newly reached, for
    the actor (returned) and the cell's other leaders (queued)."""
    if corrected:
        await _rescore(ctx, meeting)
    summary = await meeting_summary.compute(ctx.session, meeting, ctx.tz)
    text = meeting_summary.render(summary, ctx.lang, ctx.tz)
    if corrected:
        text = ctx.t("summary.corrected", time=fmt_time(ctx.now, ctx.tz)) + "\n" + text
    stamp = f":{int(ctx.now.timestamp())}" if corrected else ""
    await notify.to_leaders(ctx, meeting.cell_id, Reply(text), outgoing.SUMMARY, exclude=ctx.member.id,
                            meeting_id=meeting.id, meeting=meeting.id, edit=stamp)
    await notify.send(ctx, outgoing.FOLLOW_SUMMARY, await outgoing.followers(ctx.session, meeting.cell_id), Reply(text),
                      meeting_id=meeting.id, meeting=meeting.id, edit=stamp)
    replies = [Reply(text)]
    new = []
    warnings = await meeting_summary.absence_warnings(ctx.session, meeting, ctx.tz)
    for warning in warnings:
        fresh = [key for key in warning.level_keys()
                 if await claim_job(ctx.session, "absence_warning", f"{meeting.cell_id}:{key}", ctx.now)]
        if fresh:
            new.append(warning)
    warning_text = meeting_summary.render_warnings(new, ctx.lang)
    if warning_text:
        await notify.to_leaders(ctx, meeting.cell_id, Reply(warning_text), outgoing.ABSENCE_WARNING,
                                exclude=ctx.member.id, meeting_id=meeting.id, meeting=meeting.id,
                                at=int(ctx.now.timestamp()))
        replies.append(Reply(warning_text))
    return SummaryOutcome(replies, summary, warnings)


async def _rescore(ctx: Ctx, meeting: Meeting) -> None:
    """A quality assessment already completed is scored again on the corrected record (its duration,
    attendance and punctuality criteria are chibo's own), so the level proposed follows the correction."""
    assessment = await assessment_for(ctx.session, meeting.id)
    if assessment is None or assessment.completed_at is None:
        return
    q = await quality_report.score(ctx.session, meeting, assessment, ctx.tz)
    if not q.missing:
        assessment.score, assessment.level = q.score, q.level.value if q.level else None
        await ctx.session.flush()


def _name_and_rest(ctx: Ctx, members: list[Member], args: str,
                   usage_key: str) -> tuple[Member | None, str, Response]:
    """The member named in ``args`` and what follows. With a bar ('HỌ TÊN | rest') the name is matched as
    /diemdanh_ho matches it (exact, without diacritics, or part of a name); without one, the first words
    must be a member's whole name (with or without diacritics)."""
    text = " ".join(args.split())
    if not text:
        return None, "", Response.say(ctx.t(usage_key))
    if "|" in text:
        name, _, rest = text.partition("|")
        name = name.strip()
        matches = find_by_name(members, name) if name else []
        if len(matches) == 1:
            return matches[0], rest.strip(), Response()
        if len(matches) > 1:
            return None, "", Response.say(ctx.t("checkin_for.ambiguous", query=name,
                                                names=", ".join(m.full_name for m in matches)) + "\n\n"
                                          + ctx.t(usage_key))
        return None, "", Response.say(ctx.t("checkin_for.not_found", query=name or "–") + "\n\n" + ctx.t(usage_key))
    words = text.split()
    by_folded: dict[str, list[Member]] = {}
    for m in members:
        by_folded.setdefault(fold(" ".join(m.full_name.split())), []).append(m)
    for n in range(len(words), 0, -1):
        found = by_folded.get(fold(" ".join(words[:n])), [])
        if len(found) == 1:
            return found[0], " ".join(words[n:]), Response()
    return None, "", Response.say(ctx.t("correct.no_bar", text=text) + "\n\n" + ctx.t(usage_key))


async def _row(ctx: Ctx, meeting: Meeting, member: Member) -> Attendance | None:
    return await ctx.session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member.id))


def _state(row: Attendance) -> dict[str, object]:
    return {"member_id": row.member_id, "status": row.status.value if row.status else None, "reason": row.reason,
            "checked_in_at": row.checked_in_at.isoformat() if row.checked_in_at else None}


def _status_words(ctx: Ctx, state: dict[str, object]) -> str:
    status = state["status"] or "none"
    words = ctx.t(f"status.{status}")
    if status == "excused" and state["reason"]:
        words += f" ({state['reason']})"
    return words
