"""The quality assessment after /ketthuc: chibo scores what it knows, asks the secretary the rest
(at most five questions, buttons on Telegram, numbers on Zalo) and proposes a level.

The secretary may answer later (/danhgia); an assessment still unanswered is reminded once the next
day. Buttons carry ``qa:<criterion>:<answer>:<meeting id>``.
"""

from __future__ import annotations

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.texts import Html, fmt_date
from handlers import notify
from handlers.context import Ctx
from reports import meeting_summary
from reports import quality as quality_report
from reports.meeting_summary import AbsenceWarning, MeetingSummary
from rules import quality, shift_out_of_quiet
from storage.models import Meeting, MeetingAssessment
from storage.outbox import drop_pending
from storage.quality import assessment_for, get_or_create_assessment
from storage.queries import latest_ended_meeting

REMINDER_KIND = outgoing.QUALITY_REMINDER.kind


def _member_id(ctx: Ctx) -> int | None:
    return ctx.actor.member.id if ctx.actor.member else None


async def after_end(ctx: Ctx, meeting: Meeting, summary: MeetingSummary,
                    warnings: list[AbsenceWarning]) -> list[Reply]:
    """Right after /ketthuc: what chibo scored itself, the first question, and tomorrow's reminder."""
    assessment = await get_or_create_assessment(ctx.session, meeting, _member_id(ctx), ctx.now)
    q = await quality_report.score(ctx.session, meeting, assessment, ctx.tz, summary, warnings)
    known = quality_report.item_lines(q, ctx.lang, asked=False)
    intro = ctx.t("quality.intro", known=Html("\n".join(known)), count=len(q.missing))
    await _queue_reminder(ctx, meeting)
    return [Reply(intro), await _next(ctx, meeting, assessment, q)]


async def assess(ctx: Ctx, req: Request) -> Response:
    """/danhgia: the next unanswered question of the last meeting, or its result."""
    if not ctx.actor.is_leader or ctx.actor.cell is None:
        return Response.say(ctx.t("not_leader"))
    meeting = await latest_ended_meeting(ctx.session, ctx.actor.cell.id)
    if meeting is None:
        return Response.say(ctx.t("quality.no_meeting"))
    return await _resume(ctx, meeting)


async def button(ctx: Ctx, pressed: buttons.Quality) -> Response:
    key, answer = pressed.key, pressed.answer
    meeting = await ctx.session.get(Meeting, pressed.meeting_id)
    if meeting is None or meeting.cancelled_at is not None or meeting.ended_at is None:
        return Response(toast=ctx.t("stale_button"))
    if ctx.actor.cell is None or meeting.cell_id != ctx.actor.cell.id:
        return Response(toast=ctx.t("foreign_meeting"))
    if not ctx.actor.is_leader:
        return Response(toast=ctx.t("not_leader"))
    if key == "resume":
        return await _resume(ctx, meeting)
    assessment = await get_or_create_assessment(ctx.session, meeting, _member_id(ctx), ctx.now)
    if key == "skip":
        assessment.skipped_at = ctx.now
        return Response(replies=[Reply(ctx.t("quality.skipped"))], toast=ctx.t("quality.skipped_toast"))
    if key not in quality.QUESTIONS or answer not in quality.CRITERIA_BY_KEY[key].options:
        return Response(toast=ctx.t("stale_button"))
    assessment.answers = {**assessment.answers, key: answer}  # a new dict: the JSON column sees the change
    assessment.skipped_at = None
    ctx.audit("quality_answer", "meeting", meeting.id, None, {key: answer})
    label = ctx.t(f"quality.a.{key}.{answer}")
    return Response(replies=[await _next(ctx, meeting, assessment)], toast=ctx.t("quality.answered", answer=label))


async def _resume(ctx: Ctx, meeting: Meeting) -> Response:
    assessment = await assessment_for(ctx.session, meeting.id)
    if assessment is None:
        assessment = await get_or_create_assessment(ctx.session, meeting, _member_id(ctx), ctx.now)
    assessment.skipped_at = None
    return Response(replies=[await _next(ctx, meeting, assessment)])


async def _next(ctx: Ctx, meeting: Meeting, assessment: MeetingAssessment,
                q: quality.QualityScore | None = None) -> Reply:
    """The next question, or (all answered) the score sheet and the proposed level, stored."""
    q = q or await quality_report.score(ctx.session, meeting, assessment, ctx.tz)
    if q.missing:
        return await _question(ctx, meeting, q.missing[0], q.asked)
    first_time = assessment.completed_at is None
    assessment.score, assessment.level = q.score, q.level.value if q.level else None
    assessment.completed_at = assessment.completed_at or ctx.now
    await drop_pending(ctx.session, meeting_id=meeting.id, kinds=(REMINDER_KIND,), now=ctx.now)
    title = ctx.t("quality.title", date=fmt_date(meeting.scheduled_at, ctx.tz), kind=ctx.t(f"kind.{meeting.kind.value}"))
    text = "\n".join([title, *quality_report.sheet_lines(q, ctx.lang)])
    if first_time:
        await notify.to_leaders(ctx, meeting.cell_id, Reply(text), outgoing.QUALITY, exclude=_member_id(ctx),
                                meeting_id=meeting.id, meeting=meeting.id)
    return Reply(text)


async def _question(ctx: Ctx, meeting: Meeting, key: str, asked: tuple[str, ...]) -> Reply:
    number = asked.index(key) + 1
    extra: dict[str, int] = {}
    question = key
    if key == "members_spoke":  # the members in the room, as the summary counts them (rules.attendance_count)
        count = (await meeting_summary.compute(ctx.session, meeting, ctx.tz)).count
        assert count is not None, "compute always counts"
        extra = {"present": count.in_room, "half": (count.in_room + 1) // 2}
        if count.exempt_present:  # 26 in the room, the summary's 24/28: say why
            question = "members_spoke_exempt"
            extra |= {"expected_present": count.verdict.present, "expected": count.verdict.expected,
                      "exempt_present": count.exempt_present}
    text = ctx.t("quality.question", number=number, total=len(asked),
                 question=ctx.t(f"quality.q.{question}", **extra))
    rows = [[Button(ctx.t(f"quality.a.{key}.{answer}"), buttons.Quality(key, answer, meeting.id).encode())]
            for answer in quality.CRITERIA_BY_KEY[key].options]
    rows.append([Button(ctx.t("quality.later"), buttons.Quality("skip", "-", meeting.id).encode())])
    return Reply(text, rows)


async def _queue_reminder(ctx: Ctx, meeting: Meeting) -> None:
    """Once, the next day (outside quiet hours): dropped as soon as every question is answered."""
    link = ctx.actor.link
    if link is None:
        return
    ended_local = (meeting.ended_at or ctx.now).astimezone(ctx.tz)
    due_local = quality.reminder_due(ended_local)
    due = shift_out_of_quiet(due_local, ctx.settings.quiet, due_local.replace(year=due_local.year + 1))
    text = ctx.t("quality.reminder", date=fmt_date(meeting.scheduled_at, ctx.tz),
                 kind=ctx.t(f"kind.{meeting.kind.value}"))
    reply = Reply(text, [[Button(ctx.t("quality.answer_now"), buttons.Quality("resume", "-", meeting.id).encode())]])
    ctx.queued += await outgoing.send(ctx.session, outgoing.QUALITY_REMINDER, outgoing.link(link), reply, now=ctx.now,
                                      due_at=due, meeting_id=meeting.id, meeting=meeting.id)
