"""A committee's cells over any period (a month, a quarter, a year), and the yearly rating.

Every number comes from the functions the weekly summary uses: the rows it loads
(``weekly_data.load``), each meeting's numbers and status (``weekly.meeting_numbers``, ``weekly.judged``,
``rules.regular_status``), the tasks' record (``rules.task_record``), the dues (``storage.dues.collections``)
and the meetings' proposed levels (``web_committee.add_quality``). A year adds the level chibo proposes
(``rules.yearly``) and the one the committee set (``storage.ratings``).

The web page, the workbook and the printable page all read a ``CommitteePeriod``: one place computes it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import fmt_rate, t
from reports import attention, weekly_data
from reports.web_committee import MonthMeeting, add_quality, meetings_below
from reports.weekly import collector_paused, judged, meeting_numbers
from reports.weekly_data import CommitteeYear
from rules import MISSES, AttendanceVerdict, TaskRecord, on_record, regular_status, task_record, task_state
from rules.dues import Collection
from rules.names import title_key
from rules.period import MONTH, QUARTER, YEAR, Period
from rules.yearly import Reason, YearProposal, YearRecord, propose_year_level
from storage.committees import cells_below, rules_for
from storage.dues import collections_by_month
from storage.models import Committee, CommitteeMember, MeetingKind, Task
from storage.ratings import ratings

NOT_JUDGED = ("untracked", "scheduled", "in_progress")  # months neither held nor missed (yet)


@dataclass(frozen=True)
class Rating:
    """The level the committee set for the cell's year (``storage.ratings``)."""

    level: str
    previous: str | None
    reason: str | None
    actor: str
    at: datetime  # local
    who: str | None = None  # the committee member's name (None: the operator, by command)


@dataclass
class CellPeriod:
    cell_id: int
    name: str
    members: int  # active members on the period's last day (or today)
    months: list[MonthMeeting] = field(default_factory=list)  # its regular meeting of each month begun
    thematic_days: list[date] = field(default_factory=list)  # thematic meetings (or combined sessions) held
    quarters_without_thematic: list[str] = field(default_factory=list)  # "2026-Q2"
    quarters_judged: int = 0
    tasks: TaskRecord = field(default_factory=lambda: TaskRecord(0, 0, 0))  # tasks due in the period
    dues: Collection | None = None  # member-months paid of those owed (None: dues not kept in chibo)
    proposal: YearProposal | None = None  # a year only
    rating: Rating | None = None  # a year only: the committee's decision, if any

    @property
    def held(self) -> list[MonthMeeting]:
        return [m for m in self.months if m.status == "held"]

    @property
    def months_judged(self) -> int:
        return sum(1 for m in self.months if m.status not in NOT_JUDGED)

    @property
    def months_missed(self) -> list[str]:
        return [m.month for m in self.months if m.status in MISSES]

    @property
    def present(self) -> int:
        return sum(m.present or 0 for m in self.held)

    @property
    def expected(self) -> int:
        return sum(m.expected or 0 for m in self.held)

    @property
    def rate(self) -> float | None:
        """Attendance at the regular meetings held: present over expected, summed (as the weekly chart)."""
        return self.present / self.expected if self.expected else None

    @property
    def level(self) -> str | None:
        """The yearly level: the committee's when set, else the one proposed."""
        if self.rating is not None:
            return self.rating.level
        return self.proposal.level.value if self.proposal and self.proposal.level else None


@dataclass
class CommitteePeriod:
    committee_id: int
    committee_name: str
    period: Period
    today: date
    target: float
    rows: list[CellPeriod] = field(default_factory=list)  # by name

    @property
    def is_year(self) -> bool:
        return self.period.kind == YEAR

    @property
    def held(self) -> int:
        return sum(len(r.held) for r in self.rows)

    @property
    def months_judged(self) -> int:
        return sum(r.months_judged for r in self.rows)

    @property
    def missed(self) -> int:
        return sum(len(r.months_missed) for r in self.rows)

    @property
    def rate(self) -> float | None:
        expected = sum(r.expected for r in self.rows)
        return sum(r.present for r in self.rows) / expected if expected else None

    @property
    def without_thematic(self) -> int:
        return sum(len(r.quarters_without_thematic) for r in self.rows)

    def levels(self) -> dict[str, int]:
        """How many cells at each yearly level (a year only), best first; "none" for those not judged."""
        out = {"tot": 0, "kha": 0, "trung_binh": 0, "kem": 0, "none": 0}
        for r in self.rows:
            out[r.level or "none"] += 1
        return out


async def compute(session: AsyncSession, committee_id: int, period: Period, now: datetime, tz: ZoneInfo) -> CommitteePeriod:
    with collector_paused():
        return await _compute(session, committee_id, period, now, tz)


async def _cells(session: AsyncSession, committee_id: int, start: date, tz: ZoneInfo) -> CommitteeYear:
    """The committee's cells and their rows from ``start`` on: the one place this module reads which cells a
    committee has (a committee with committees below it would read its whole subtree here)."""
    return await weekly_data.load(session, committee_id, datetime(start.year, start.month, start.day, tzinfo=tz), ())


async def _compute(session: AsyncSession, committee_id: int, period: Period, now: datetime,
                   tz: ZoneInfo) -> CommitteePeriod:
    committee = await session.get(Committee, committee_id)
    assert committee is not None  # the callers checked it
    rules = await rules_for(session, committee_id)  # set here or on a committee above
    today = now.astimezone(tz).date()
    page = CommitteePeriod(committee_id=committee.id, committee_name=committee.name, period=period, today=today,
                           target=rules.attendance_target)
    data = await _cells(session, committee_id, period.start, tz)
    last_day = min(period.end, today)
    months = period.months_until(today)
    begun = set(months)
    first = period.start
    regular_kind, thematic_kind = MeetingKind.THUONG_KY.value, MeetingKind.CHUYEN_DE.value
    verdicts: dict[tuple[int, int], AttendanceVerdict] = {}
    for cell_id, name in data.cells:
        row = CellPeriod(cell_id=cell_id, name=name, members=data.rosters[cell_id].on(last_day)[0])
        since = data.created[cell_id].astimezone(tz).date()
        regular: dict[str, MonthMeeting] = {}
        for mt in data.meetings_by_cell.get(cell_id, []):
            day = mt.scheduled_at.astimezone(tz).date()
            if not first <= day <= last_day:  # the period's meetings, up to today
                continue
            if (mt.kind == thematic_kind or mt.combined) and mt.ended_at is not None:
                row.thematic_days.append(day)
            if mt.kind == regular_kind and mt.period in begun and mt.period not in regular:
                regular[mt.period] = judged(MonthMeeting(month=mt.period, status="scheduled", date=day, meeting_id=mt.id),
                                            mt, meeting_numbers(data, mt, day, rules, verdicts), today)
        row.months = [regular.get(m) or MonthMeeting(m, regular_status(m, None, False, False, today, since))
                      for m in months]
        _quarters(row, period, today, since)
        page.rows.append(row)
    # Each of the following reads the committee's subtree in one query (a select of its cells or meetings,
    # never a parameter per cell or meeting: a district's year has 2,000 cells and 24,000 meetings).
    after = period.end + timedelta(days=1)
    await add_quality(session, [m for r in page.rows for m in r.months],
                      meetings_below(committee_id, _local_start(period.start, tz), _local_start(after, tz)))
    ids = cells_below(committee_id)
    await _tasks(session, page, ids, tz)
    await _dues(session, page, ids, months, today)
    if page.is_year:
        decided = await ratings(session, ids, period.year)
        who = {d.committee_member_id for d in decided.values() if d.committee_member_id}
        people = {i: n for i, n in await session.execute(  # noqa: C416 -- a Result has keys(): dict() would misread it
            select(CommitteeMember.id, CommitteeMember.full_name).where(CommitteeMember.id.in_(who)))} if who else {}
        for r in page.rows:
            r.proposal = propose_year_level(year_record(r), rules)
            if (done := decided.get(r.cell_id)) is not None:
                r.rating = Rating(done.level, done.previous_level, done.reason, done.actor, done.at.astimezone(tz),
                                  people.get(done.committee_member_id or 0))
    page.rows.sort(key=lambda r: title_key(r.name))
    return page


def _quarters(row: CellPeriod, period: Period, today: date, since: date) -> None:
    """The quarters of the period without a thematic meeting held: each quarter over, if the cell was on record
    from its first day; the current one once its first month is over (``attention.thematic_due``, as the weekly
    summary). A month is not judged for its quarter (the thematic meeting may come in another month of it)."""
    if period.kind == MONTH:
        return
    for year, q in period.quarters:
        quarter = Period(QUARTER, year, q)
        if quarter.start > today:
            continue
        held = any(quarter.contains(d) for d in row.thematic_days)
        if today <= quarter.end:  # the current quarter
            counted, due = attention.thematic_due(today, since, False), attention.thematic_due(today, since, held)
        else:
            counted = on_record(since, quarter.start)
            due = counted and not held
        row.quarters_judged += counted
        if due:
            row.quarters_without_thematic.append(quarter.key)


def _local_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


async def _tasks(session: AsyncSession, page: CommitteePeriod, ids: Select, tz: ZoneInfo) -> None:
    """Tasks whose deadline falls in the period, per cell, as the weekly summary counts them (``rules.task_record``)."""
    if not page.rows:
        return
    states = defaultdict(list)
    for cell_id, due_on, done_at in await session.execute(
        select(Task.cell_id, Task.due_on, Task.done_at).where(
            Task.cell_id.in_(ids), Task.due_on >= page.period.start, Task.due_on <= page.period.end)
    ):
        done_on = done_at.astimezone(tz).date() if done_at else None
        states[cell_id].append((due_on, task_state(due_on, done_on, page.today)))
    for r in page.rows:
        r.tasks = task_record(states.get(r.cell_id, []), page.today)


async def _dues(session: AsyncSession, page: CommitteePeriod, ids: Select, months: list[str], today: date) -> None:
    """Each month's dues (``storage.dues.collections``, as the weekly summary), summed over the period's months."""
    if not page.rows:
        return
    totals: dict[int, Collection] = {}
    ends = [(month, min(Period(MONTH, int(month[:4]), int(month[5:])).end, today)) for month in months]
    for cells in (await collections_by_month(session, ids, ends)).values():
        for cell_id, c in cells.items():
            was = totals.get(cell_id, Collection(0, 0, 0))
            totals[cell_id] = Collection(was.paid + c.paid, was.owing + c.owing, was.amount + c.amount)
    for r in page.rows:
        r.dues = totals.get(r.cell_id)


def year_record(r: CellPeriod) -> YearRecord:
    """What the yearly rating looks at (``rules.yearly``), from the cell's year."""
    return YearRecord(months_judged=r.months_judged, months_missed=r.months_missed, quarters_judged=r.quarters_judged,
                      quarters_without_thematic=r.quarters_without_thematic,
                      levels=[m.quality for m in r.held], attendance=r.rate, tasks_share=r.tasks.share,
                      dues_share=r.dues.rate if r.dues else None)


def period_label(period: Period, lang: str) -> str:
    """"Tháng 11/2026", "Quý 4/2026", "Năm 2026" (the catalog's ``web.period.*``)."""
    if period.kind == MONTH:
        return t(lang, "web.period.month", month=f"{period.number:02d}", year=period.year)
    if period.kind == QUARTER:
        return t(lang, "web.period.quarter", quarter=period.number, year=period.year)
    return t(lang, "web.period.year", year=period.year)


def reason_text(reason: Reason, lang: str) -> str:
    """One reason of a proposed yearly level in words (catalog ``rating.reason.<code>``): months as 03/2026,
    quarters as Q2/2026, rates and shares as percentages never rounded onto the target they missed."""
    params: dict[str, object] = {}
    target = reason.params.get("target")
    for name, value in reason.params.items():
        if name == "months" and isinstance(value, list):
            params[name] = ", ".join(f"{m[5:]}/{m[:4]}" for m in value)
        elif name == "quarters" and isinstance(value, list):
            params[name] = ", ".join(f"{q[5:]}/{q[:4]}" for q in value)
        elif name in ("rate", "share", "target"):
            params[name] = fmt_rate(value if isinstance(value, float) else None,
                                    target if name == "rate" and isinstance(target, float) else None, lang)
        else:
            params[name] = value
    return t(lang, f"rating.reason.{reason.code}", **params)


def level_text(level: str | None, lang: str) -> str:
    return t(lang, f"quality.level.{level}") if level else "–"
