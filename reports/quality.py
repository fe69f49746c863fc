"""A meeting's proposed quality level: what chibo knows of it, the secretary's answers, the score.

The criteria and their weights are data (``rules.quality``); this module only gathers the facts
from the database and renders the result.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import Html, fmt_rate, t
from reports import meeting_summary
from reports.meeting_summary import AbsenceWarning, MeetingSummary
from rules import quality
from rules.quality import QualityScore
from storage.committees import Inherited, inherited
from storage.models import Cell, Committee, Meeting, MeetingAssessment
from storage.quality import meeting_tasks, present_member_ids, previous_ended_meeting


def committee_weights(committee: Committee | Inherited | None) -> dict[str, int]:
    """The committee's own weights (or those set above it, ``storage.committees.inherited``), or chibo's defaults (also when what is stored no longer adds up)."""
    try:
        return quality.weights_with(committee.quality_weights if committee else None)
    except ValueError:
        return quality.default_weights()


async def known_fractions(session: AsyncSession, meeting: Meeting, tz: ZoneInfo, summary: MeetingSummary | None = None,
                          warnings: list[AbsenceWarning] | None = None) -> dict[str, float | None]:
    """The criteria chibo judges from its own records, as fractions of their weights (None: nothing to judge).
    ``summary`` and ``warnings``: when the caller has them already (at /ketthuc)."""
    return (await known_facts(session, meeting, tz, summary, warnings))[0]


async def known_facts(session: AsyncSession, meeting: Meeting, tz: ZoneInfo, summary: MeetingSummary | None = None,
                      warnings: list[AbsenceWarning] | None = None
                      ) -> tuple[dict[str, float | None], dict[str, object]]:
    """The fractions of ``known_fractions``, and what two of them were judged from, to show on the sheet:
    the attendance criterion's two parts (``AttendanceParts``) and the last tasks that were due (``LastTasks``)."""
    summary = summary or await meeting_summary.compute(session, meeting, tz)
    rules = summary.rules
    known: dict[str, float | None] = {}
    facts: dict[str, object] = {}
    if meeting.ended_at is not None:
        if warnings is None:
            warnings = await meeting_summary.absence_warnings(session, meeting, tz)
        streak = max((w.flags.excused_streak for w in warnings), default=0)
        a = summary.attendance
        parts = quality.AttendanceParts(a.ok, len(summary.absent), streak, rules.excused_streak_over, a.rate, a.target)
        known["attendance"], facts["attendance"] = parts.fraction, parts
    if meeting.started_at is not None:
        late = int((meeting.started_at - meeting.scheduled_at) / timedelta(minutes=1))
        known["on_time"] = quality.on_time_fraction(late, rules.late_after_minutes)
    if summary.duration is not None:
        known["duration"] = quality.duration_fraction(summary.duration.minutes, summary.duration.minimum)
    if summary.spoke is not None:  # who spoke is recorded: the question is no longer asked
        known["members_spoke"], facts["members_spoke"] = summary.spoke.fraction, summary.spoke
    present = await present_member_ids(session, meeting.id)
    given = {task.member_id for task in await meeting_tasks(session, meeting.id)}
    known["tasks_given"] = quality.tasks_given_fraction(len(present & given), len(present))
    previous = await previous_ended_meeting(session, meeting)
    if previous is not None:
        until = meeting.ended_at or meeting.started_at or meeting.scheduled_at
        day = until.astimezone(tz).date()
        tasks = await meeting_tasks(session, previous.id)
        record = quality.last_tasks(
            [(task.due_on, task.done_at.astimezone(tz).date() if task.done_at is not None and task.done_at <= until
              else None) for task in tasks], day)
        known["last_tasks"] = record.fraction
        if tasks:
            facts["last_tasks"] = record
    return known, facts


async def score(session: AsyncSession, meeting: Meeting, assessment: MeetingAssessment | None, tz: ZoneInfo,
                summary: MeetingSummary | None = None, warnings: list[AbsenceWarning] | None = None
                ) -> QualityScore:
    cell = await session.get_one(Cell, meeting.cell_id)
    committee = await inherited(session, cell.committee_id)
    summary = summary or await meeting_summary.compute(session, meeting, tz)
    known, facts = await known_facts(session, meeting, tz, summary, warnings)
    answers = dict(assessment.answers) if assessment is not None else {}
    return quality.assess(known, answers, committee_weights(committee), facts)


def level_label(lang: str, level: str) -> str:
    return t(lang, f"quality.level.{level}")


def fmt_points(value: float, lang: str = "vi") -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "vi" else text  # 4,5 in Vietnamese


def item_lines(q: QualityScore, lang: str, *, asked: bool | None = None) -> list[str]:
    """One line per criterion with a weight (only the asked ones, or only the known ones, if ``asked`` is set)."""
    lines = []
    for item in q.items:
        if item.weight == 0 or (asked is not None and (item.key in q.asked) != asked):
            continue
        name = t(lang, f"quality.criterion.{item.key}")
        if item.points is None:
            line = t(lang, "quality.sheet_unjudged", name=name, weight=item.weight)
        else:
            line = t(lang, "quality.sheet_line", name=name, points=fmt_points(item.points, lang), weight=item.weight)
        parts = fact_parts(item.facts, lang)
        lines.append(line + (t(lang, "quality.parts", parts=Html("; ".join(parts))) if parts else ""))
    return lines


def fact_parts(facts: object, lang: str) -> list[str]:
    """What a known criterion was judged from, in words: both parts of attendance, the tasks that were due."""
    if isinstance(facts, quality.AttendanceParts):
        rate = t(lang, "quality.part.rate_ok" if facts.rate_ok else "quality.part.rate_fail",
                 rate=fmt_rate(facts.rate, facts.target, lang), target=fmt_rate(facts.target, lang=lang))
        if facts.unexcused:
            conduct = t(lang, "quality.part.unexcused", count=facts.unexcused)
        elif not facts.conduct_ok:
            conduct = t(lang, "quality.part.excused_streak", over=facts.streak_over)
        else:
            conduct = t(lang, "quality.part.nobody_unexcused")
        return [rate, conduct]
    if isinstance(facts, quality.Spoke):
        return [t(lang, "spoke.part", spoke=facts.spoke, present=facts.present)]
    if isinstance(facts, quality.LastTasks):
        parts = [t(lang, "quality.part.tasks_due", on_time=facts.on_time, counted=facts.counted)] if facts.counted else []
        if facts.not_yet_due:
            parts.append(t(lang, "quality.part.tasks_not_due", count=facts.not_yet_due))
        return parts
    return []


def sheet_lines(q: QualityScore, lang: str) -> list[str]:
    """The score sheet: each criterion with its points, then the proposed level."""
    lines = item_lines(q, lang)
    if q.score is not None and q.level is not None:
        lines.append(t(lang, "quality.result", level=level_label(lang, q.level.value), score=q.score))
        lines.append(t(lang, "quality.proposed_note"))
    return lines
