"""One meeting's summary: does it meet the rules, and who was where."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import Html, esc, fmt_date, fmt_rate, fmt_time, kind_text, t
from reports import votes
from rules import (
    AbsenceFlags,
    AttendanceCount,
    AttendanceVerdict,
    DurationVerdict,
    RuleSet,
    absence_flags,
    attendance_count,
    attendance_verdict,
    duration_verdict,
    expected_members,
    minutes_late,
)
from rules.dues import Article81, article_8_1, owed_months, unpaid_months
from rules.names import name_key
from rules.quality import Spoke
from storage import dues as stored_dues
from storage.committees import rules_for
from storage.models import (
    Attendance,
    AttendanceStatus,
    Cell,
    Meeting,
    MeetingAssessment,
    Member,
    Task,
    Vote,
)
from storage.quality import assessments_by_meeting
from storage.queries import active_members, active_on, cell_members, member_span, reachable_members
from storage.speakers import speakers_by_meeting
from storage.tasks import guests_by_meeting, tasks_by_meeting
from storage.votes import votes_by_meeting


@dataclass
class MeetingSummary:
    meeting_id: int
    cell_name: str
    kind: str
    combined: bool
    scheduled_at: datetime
    started_at: datetime | None
    start_manual: bool
    ended_at: datetime | None
    end_manual: bool
    cell_size: int
    rules: RuleSet
    duration: DurationVerdict | None
    attendance: AttendanceVerdict
    present: list[str] = field(default_factory=list)
    late: list[tuple[str, int]] = field(default_factory=list)  # (name, minutes late)
    excused: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    absent: list[str] = field(default_factory=list)
    exempt: list[str] = field(default_factory=list)
    exempt_attended: list[str] = field(default_factory=list)  # exempt, came anyway: not counted in the rate
    checked_in_by_secretary: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)  # put right by the secretary after the meeting ended
    unreachable: list[str] = field(default_factory=list)
    # What the meeting produced (see _add_tasks_and_guests): tasks given, who present got none, guests.
    tasks: list[tuple[str, str, date]] = field(default_factory=list)  # (member name, task, deadline)
    present_without_task: list[str] = field(default_factory=list)
    guests: list[str] = field(default_factory=list)  # committee members who attended (not counted)
    votes: list[Vote] = field(default_factory=list)  # the votes held (closed ones carry their result)
    quality_level: str | None = None  # the proposed level (rules.quality.Level), once the secretary answered
    quality_score: int | None = None
    count: AttendanceCount | None = None  # who was in the room: the expected who came and the exempt who came
    speakers: list[str] = field(default_factory=list)  # who spoke, of those in the room (/phatbieu)
    spoke: Spoke | None = None  # how many of the room spoke, once recorded (HD 12: many members speak)

    @property
    def ok(self) -> bool:
        return self.duration is not None and self.duration.ok and self.attendance.ok


async def compute(session: AsyncSession, meeting: Meeting, tz: ZoneInfo) -> MeetingSummary:
    return (await compute_many(session, [meeting], tz))[0]


async def compute_many(session: AsyncSession, meetings: Sequence[Meeting], tz: ZoneInfo) -> list[MeetingSummary]:
    """The summaries of ``meetings`` (a committee's cells' latest, for /baocao) with a fixed number of queries,
    however many: what each is computed from is read for all at once (``_Inputs``)."""
    inputs = await _gather(session, meetings, tz)
    return [_summary(meeting, inputs[meeting.id]) for meeting in meetings]


@dataclass
class _Inputs:
    """What one meeting's summary is computed from."""

    cell: Cell
    rules: RuleSet
    day: date
    members: list[Any]  # active on the meeting's day, by name (``storage.queries.cell_members``' rows)
    rows: dict[int, Any]  # member id -> its attendance row's columns (``_ROW``: a Row)
    reachable: set[int] = field(default_factory=set)  # member ids with a chat link that is not blocked
    speakers: set[int] = field(default_factory=set)
    tasks: list[tuple[Task, str]] = field(default_factory=list)
    guests: list[str] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    assessment: MeetingAssessment | None = None


# The columns of an attendance row the summary reads (not the ORM objects: a committee's report reads thousands).
_ROW = (Attendance.meeting_id, Attendance.member_id, Attendance.status, Attendance.reason, Attendance.checked_in_at,
        Attendance.recorded_by_member_id, Attendance.updated_at)


async def _gather(session: AsyncSession, meetings: Sequence[Meeting], tz: ZoneInfo) -> dict[int, _Inputs]:
    ids = [mt.id for mt in meetings]
    cell_ids = sorted({mt.cell_id for mt in meetings})
    cells = {c.id: c for c in await session.scalars(select(Cell).where(Cell.id.in_(cell_ids)))}
    rules = {of: await rules_for(session, of) for of in sorted({c.committee_id for c in cells.values()})}
    members = await cell_members(session, cell_ids)
    rows: dict[int, dict[int, Any]] = {mt.id: {} for mt in meetings}
    for row in await session.execute(select(*_ROW).where(Attendance.meeting_id.in_(ids))):
        rows[row.meeting_id][row.member_id] = row
    out = {}
    for mt in meetings:
        cell = cells[mt.cell_id]
        day = mt.scheduled_at.astimezone(tz).date()
        out[mt.id] = _Inputs(cell=cell, rules=rules[cell.committee_id], day=day,
                             members=active_on(members.get(cell.id, []), day), rows=rows[mt.id])
    reachable = await reachable_members(session, cell_ids)
    speakers = await speakers_by_meeting(session, ids)
    tasks = await tasks_by_meeting(session, ids)
    guests = await guests_by_meeting(session, ids)
    votes = await votes_by_meeting(session, ids)
    assessments = await assessments_by_meeting(session, ids)
    for meeting_id, i in out.items():
        i.reachable, i.speakers, i.tasks = reachable, speakers.get(meeting_id, set()), tasks.get(meeting_id, [])
        i.guests, i.votes, i.assessment = guests.get(meeting_id, []), votes.get(meeting_id, []), assessments.get(meeting_id)
    return out


def _summary(meeting: Meeting, i: _Inputs) -> MeetingSummary:
    cell, rules, day, members, rows = i.cell, i.rules, i.day, i.members, i.rows
    by_id = {m.id: m for m in members}
    expected_ids, exempt_ids = expected_members([member_span(m) for m in members], day)

    summary = MeetingSummary(
        meeting_id=meeting.id, cell_name=cell.name, kind=meeting.kind.value, combined=meeting.combined,
        scheduled_at=meeting.scheduled_at,
        started_at=meeting.started_at, start_manual=meeting.start_manual, ended_at=meeting.ended_at,
        end_manual=meeting.end_manual, cell_size=len(members), rules=rules, duration=None,
        attendance=attendance_verdict(0, 0, rules),
    )
    if meeting.started_at and meeting.ended_at:
        summary.duration = _verdict(meeting, len(members), rules, meeting.started_at, meeting.ended_at)
    came: set[int] = set()
    for member_id in expected_ids:
        name = by_id[member_id].full_name
        row = rows.get(member_id)
        status = row.status if row else None
        if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
            came.add(member_id)
            summary.present.append(name)
            if status is AttendanceStatus.LATE:
                assert row is not None and row.checked_in_at is not None and meeting.started_at is not None, \
                    "late is set on check-in to a started meeting"
                minutes = minutes_late(meeting.started_at, meeting.opened_at, row.checked_in_at)
                summary.late.append((name, minutes))
        elif status is AttendanceStatus.EXCUSED:
            assert row is not None, "the status is the row's"
            summary.excused.append((name, row.reason or ""))
        elif meeting.ended_at is not None:
            summary.absent.append(name)
        if row and row.recorded_by_member_id is not None and meeting.ended_at is not None \
                and row.updated_at >= meeting.ended_at:
            summary.corrected.append(name)
        elif row and row.recorded_by_member_id is not None and row.checked_in_at is not None:
            summary.checked_in_by_secretary.append(name)
        if member_id not in i.reachable:
            summary.unreachable.append(name)
    for member_id in exempt_ids:
        row = rows.get(member_id)
        attended = row is not None and row.status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
        if attended:
            came.add(member_id)
        (summary.exempt_attended if attended else summary.exempt).append(by_id[member_id].full_name)
    summary.count = attendance_count(expected_ids, exempt_ids, came, rules)
    summary.attendance = summary.count.verdict
    spoke_ids = i.speakers & came
    if spoke_ids:
        summary.speakers = [by_id[i].full_name for i in sorted(spoke_ids, key=lambda i: name_key(by_id[i].full_name))]
        summary.spoke = Spoke(len(spoke_ids), summary.count.in_room)
    _add_tasks_and_guests(i, summary, [by_id[member_id] for member_id in expected_ids])
    assessment = i.assessment
    if assessment is not None and assessment.completed_at is not None:
        summary.quality_level, summary.quality_score = assessment.level, assessment.score
    return summary


def _verdict(meeting: Meeting, cell_size: int, rules: RuleSet, started_at: datetime,
             ended_at: datetime) -> DurationVerdict:
    return duration_verdict(meeting.kind.value, cell_size, started_at, ended_at, rules, meeting.combined)


async def duration_if_ended(session: AsyncSession, meeting: Meeting, tz: ZoneInfo, started_at: datetime,
                            ended_at: datetime) -> DurationVerdict:
    """The duration verdict the summary would give the meeting with these times (before /ketthuc ends it
    early, or /suagio corrects a time): the same cell size, rules and computation as ``compute``."""
    cell = await session.get_one(Cell, meeting.cell_id)
    members = await active_members(session, cell.id, meeting.scheduled_at.astimezone(tz).date())
    return _verdict(meeting, len(members), await rules_for(session, cell.committee_id), started_at, ended_at)


def _add_tasks_and_guests(i: _Inputs, summary: MeetingSummary, expected: list[Any]) -> None:
    """The tasks given at the meeting, the members present who got none, and the guests from the committee."""
    summary.tasks = [(name, task.description, task.due_on) for task, name in i.tasks]
    with_task = {task.member_id for task, _ in i.tasks}
    summary.present_without_task = [
        m.full_name for m in expected
        if m.id not in with_task and i.rows.get(m.id) is not None
        and i.rows[m.id].status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)]
    summary.guests = i.guests
    summary.votes = i.votes


def render(s: MeetingSummary, lang: str, tz: ZoneInfo) -> str:
    """The summary as one chat message (HTML): when and how long, who came, what was done by hand."""

    def tr(key: str, **kw: object) -> str:
        return t(lang, key, **kw)

    lines = [tr("summary.title", kind=kind_text(lang, s.kind, s.combined), cell=s.cell_name, date=fmt_date(s.scheduled_at, tz))]
    lines += _time_lines(s, tr, tz)
    lines += _attendance_lines(s, tr, lang)
    lines += _guest_lines(s, tr)
    lines += _speaker_lines(s, tr)
    lines += _task_lines(s, tr)
    lines += _vote_lines(s, tr)
    lines += _manual_lines(s, tr)
    if s.unreachable:
        lines.append(tr("summary.unreachable", names=", ".join(s.unreachable)))
    if s.ended_at is not None:
        lines.append(tr("summary.verdict_ok" if s.ok else "summary.verdict_fail"))
        lines += _quality_lines(s, tr)
    return "\n".join(lines)


def _quality_lines(s: MeetingSummary, tr: Callable[..., str]) -> list[str]:
    """The proposed quality level (handlers.quality asks for it after /ketthuc)."""
    if s.quality_level is not None and s.quality_score is not None:
        return [tr("quality.summary_done", level=tr(f"quality.level.{s.quality_level}"), score=s.quality_score)]
    return [tr("quality.summary_pending")]


def _time_lines(s: MeetingSummary, tr: Callable[..., str], tz: ZoneInfo) -> list[str]:
    manual = Html(tr("manual_mark"))
    if s.started_at is None:
        return [tr("summary.not_started", when=fmt_time(s.scheduled_at, tz))]
    if s.ended_at is None or s.duration is None:
        return [tr("summary.in_progress", start=fmt_time(s.started_at, tz), start_manual=manual if s.start_manual else "")]
    d = s.duration
    lines = [tr("summary.time", start=fmt_time(s.started_at, tz), start_manual=manual if s.start_manual else "",
                end=fmt_time(s.ended_at, tz), end_manual=manual if s.end_manual else "", minutes=d.minutes)]
    why = tr(f"why.{d.reason.value}", minimum=d.minimum, size=s.rules.small_cell_size)
    if d.ok:
        lines.append(tr("summary.duration_ok", minimum=d.minimum, why=why))
    else:
        lines.append(tr("summary.duration_fail", minimum=d.minimum, why=why, short=d.short_by))
    return lines


def _attendance_lines(s: MeetingSummary, tr: Callable[..., str], lang: str) -> list[str]:
    a = s.attendance
    key = "summary.attendance_ok" if a.ok else "summary.attendance_fail"
    lines = [tr(key, present=a.present, expected=a.expected, rate=fmt_rate(a.rate, a.target, lang),
                target=fmt_rate(a.target, lang=lang))]
    exempt = len(s.exempt) + len(s.exempt_attended)
    if exempt:
        lines.append(tr("summary.expected_note", active=s.cell_size, exempt=exempt))
    if s.count is not None and s.count.exempt_present:
        lines.append(tr("summary.in_room", in_room=s.count.in_room, present=a.present, expected=a.expected,
                        exempt_present=s.count.exempt_present))
    if s.late:
        lines.append(tr("summary.late", names=Html(", ".join(tr("summary.late_item", name=n, minutes=m) if m > 0 else esc(n)
                                                 for n, m in s.late))))
    if s.excused:
        lines.append(tr("summary.excused", names="; ".join(f"{n} – {r}" if r else n for n, r in s.excused)))
    if s.absent:
        lines.append(tr("summary.absent", names=", ".join(s.absent)))
    if s.exempt_attended:
        lines.append(tr("summary.exempt_attended", names=", ".join(s.exempt_attended)))
    if s.exempt:
        lines.append(tr("summary.exempt", names=", ".join(s.exempt)))
    return lines


def _speaker_lines(s: MeetingSummary, tr: Callable[..., str]) -> list[str]:
    """Who spoke (/phatbieu), counted of the members in the room as the assessment counts them."""
    if s.spoke is None:
        return []
    return [tr("spoke.summary", spoke=s.spoke.spoke, present=s.spoke.present, names=", ".join(s.speakers))]


def _guest_lines(s: MeetingSummary, tr: Callable[..., str]) -> list[str]:
    return [tr("summary.guests", names=", ".join(s.guests))] if s.guests else []


def _vote_lines(s: MeetingSummary, tr: Callable[..., str]) -> list[str]:
    """Each vote held, with its result (rules.votes, kept when it was closed)."""
    if not s.votes:
        return []
    return [tr("vote.summary_title", count=len(s.votes))] + [
        votes.result_text(tr, v) if v.closed_at is not None else tr("vote.still_open", subject=v.subject)
        for v in s.votes]


def _task_lines(s: MeetingSummary, tr: Callable[..., str]) -> list[str]:
    """The tasks given at the meeting; once it has ended, who present has none ("every member a task")."""
    lines = []
    if s.tasks:
        lines.append(tr("summary.tasks", count=len(s.tasks)))
        groups: dict[tuple[str, date], list[str]] = {}  # one line per task given, with everyone who has it
        for name, task, due in s.tasks:
            groups.setdefault((task, due), []).append(name)
        lines += [tr("summary.task_item", names=", ".join(names), task=task, due=due.strftime("%d/%m/%Y"))
                  for (task, due), names in groups.items()]
    elif s.ended_at is not None:
        lines.append(tr("summary.no_tasks"))
    if s.tasks and s.present_without_task and s.ended_at is not None:
        lines.append(tr("summary.without_task", names=", ".join(s.present_without_task)))
    return lines


def _manual_lines(s: MeetingSummary, tr: Callable[..., str]) -> list[str]:
    """What the secretary recorded by hand (a typed start or end time, check-ins for others)."""
    items = []
    if s.start_manual:
        items.append(tr("summary.manual_start"))
    if s.end_manual:
        items.append(tr("summary.manual_end"))
    if s.checked_in_by_secretary:
        items.append(tr("summary.manual_checkin", names=", ".join(s.checked_in_by_secretary)))
    if s.corrected:
        items.append(tr("summary.manual_corrected", names=", ".join(s.corrected)))
    return [tr("summary.manual", items=Html("; ".join(items)))] if items else []


@dataclass(frozen=True)
class AbsenceWarning:
    member_id: int
    name: str
    year: int
    flags: AbsenceFlags
    article: Article81 | None = None  # Điều 8.1 with the months of unpaid dues, when there are any

    @property
    def with_dues(self) -> bool:
        """Months of unpaid dues count towards Điều 8.1 and reach the warning."""
        return self.article is not None and bool(self.article.unpaid_months) and self.article.warn

    def level_keys(self) -> list[str]:
        """One key per level reached (months with an unexcused absence or unpaid dues, excused absences in a
        row): the secretary is told once for each new level, whatever corrections or restarts follow."""
        keys = []
        if self.with_dues:
            assert self.article is not None
            keys.append(f"article81:{self.member_id}:{self.year}:{self.article.count}")
        elif self.flags.warn_unexcused:
            keys.append(f"unexcused:{self.member_id}:{self.year}:{self.flags.months}")
        if self.flags.warn_excused_streak:
            keys.append(f"excused:{self.member_id}:{self.year}:{self.flags.excused_streak}")
        return keys


async def absence_warnings(session: AsyncSession, meeting: Meeting, tz: ZoneInfo) -> list[AbsenceWarning]:
    """Members of the meeting's cell whose absences this calendar year call for a word: months with an
    unexcused absence or unpaid dues (Điều lệ Đảng, Điều 8.1), excused absences in a row (HD 12). At the first
    meeting of a year, the year just ended is looked at once more: its December's dues were not due at any of
    its meetings, and a third month then still calls for the cell to consider the case."""
    cell = await session.get_one(Cell, meeting.cell_id)
    rules = await rules_for(session, cell.committee_id)
    day = meeting.scheduled_at.astimezone(tz).date()
    ended, statuses = await _year_record(session, cell.id, day.year, tz)
    members = await active_members(session, cell.id, day)
    since = await stored_dues.first_month(session, cell.id)  # no dues on record: none are owed
    paid = await stored_dues.cell_year(session, cell.id, day.year) if since is not None else {}
    out = []
    for m in members:
        if member_span(m).exempt_on(day):
            continue
        flags = absence_flags([(period, statuses.get(m.id, {}).get(mid)) for mid, period in ended], rules)
        unpaid = unpaid_months(owed_months(day.year, m.active_from, m.active_to, day, since), paid.get(m.id, ()))
        article = article_8_1(flags.unexcused_months, unpaid, rules)
        if flags.any or (unpaid and article.warn):
            out.append(AbsenceWarning(m.id, m.full_name, day.year, flags, article))
    if since is not None and len(ended) <= 1:  # the year's first meeting (being ended, or just ended)
        out += await _year_ended(session, cell.id, members, day, since, rules, tz)
    return out


async def _year_record(session: AsyncSession, cell_id: int, year: int, tz: ZoneInfo
                       ) -> tuple[list[tuple[int, str]], dict[int, dict[int, str | None]]]:
    """The cell's ended meetings of ``year`` (id, period), oldest first, and each member's final status at each."""
    year_start = datetime(year, 1, 1, tzinfo=tz)
    ended = [(mid, period) for mid, period in await session.execute(
        select(Meeting.id, Meeting.period).where(
            Meeting.cell_id == cell_id, Meeting.ended_at.is_not(None), Meeting.cancelled_at.is_(None),
            Meeting.scheduled_at >= year_start, Meeting.scheduled_at < year_start.replace(year=year + 1))
        .order_by(Meeting.scheduled_at))]
    statuses: dict[int, dict[int, str | None]] = {}
    for a in await session.scalars(select(Attendance).where(Attendance.meeting_id.in_([mid for mid, _ in ended]))):
        statuses.setdefault(a.member_id, {})[a.meeting_id] = a.status.value if a.status else None
    return ended, statuses


async def _year_ended(session: AsyncSession, cell_id: int, members: Sequence[Member], day: date, since: str,
                      rules: RuleSet, tz: ZoneInfo) -> list[AbsenceWarning]:
    """Điều 8.1 for the year before ``day``'s, now that all its months have ended: only where its unpaid dues
    take a member to the warning (the absences alone were counted at its meetings)."""
    year = day.year - 1
    ended, statuses = await _year_record(session, cell_id, year, tz)
    paid = await stored_dues.cell_year(session, cell_id, year)
    out = []
    for m in members:
        if member_span(m).exempt_on(date(year, 12, 31)):
            continue
        unpaid = unpaid_months(owed_months(year, m.active_from, m.active_to, day, since), paid.get(m.id, ()))
        if not unpaid:
            continue
        flags = absence_flags([(period, statuses.get(m.id, {}).get(mid)) for mid, period in ended], rules)
        article = article_8_1(flags.unexcused_months, unpaid, rules)
        if article.warn:  # no absence flags: they were the year's own, told at its meetings
            out.append(AbsenceWarning(m.id, m.full_name, year, _NO_FLAGS, article))
    return out


_NO_FLAGS = AbsenceFlags(unexcused=0, unexcused_months=(), excused_streak=0, warn_unexcused=False,
                         warn_excused_streak=False)


def _month_reasons(article: Article81, lang: str) -> list[str]:
    """ "tháng 3: vắng sinh hoạt không lý do", "tháng 5: chưa đóng đảng phí", each month named once."""
    out = []
    for month in article.months:
        why = [t(lang, key) for key, months in (("absence.why_absent", article.absent_months),
                                                ("absence.why_unpaid", article.unpaid_months)) if month in months]
        out.append(t(lang, "absence.month_reason", month=int(month[5:]), why=", ".join(why)))
    return out


def render_warnings(warnings: list[AbsenceWarning], lang: str) -> str | None:
    if not warnings:
        return None
    lines = []
    for w in warnings:
        f = w.flags
        if w.with_dues:
            assert w.article is not None
            lines.append(t(lang, "absence.article81", name=w.name, count=w.article.count, year=w.year,
                           months=Html("; ".join(_month_reasons(w.article, lang))),
                           flag=Html(t(lang, "absence.article81_flag") if w.article.flag else "")))
        elif f.warn_unexcused:
            months = ", ".join(str(int(m[5:])) for m in f.unexcused_months)
            lines.append(t(lang, "absence.unexcused", name=w.name, count=f.months, year=w.year, months=months))
        if f.warn_excused_streak:
            lines.append(t(lang, "absence.excused_streak", name=w.name, count=f.excused_streak))
    return t(lang, "absence.warning", lines=Html("\n".join(lines)))
