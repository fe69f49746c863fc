"""The committee's table on the web view: every cell, this month and last, what needs attention.

Computed from the same loaded rows and the same per-meeting numbers as the weekly summary
(``weekly_data.load``, ``weekly.meeting_numbers``), but only from the start of last month (or of the
quarter, if earlier): a page for 300 cells is a few queries and well under the 300 ms it may take
(``python -m benchmarks --only web``). The committee's last guest at each cell and the quality
levels proposed for the two months' regular meetings take one query each, whatever the size."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import fmt_rate, t
from reports import attention, weekly_data
from reports.attention import Reason
from reports.weekly import collector_paused, judged, meeting_numbers
from reports.weekly_data import CommitteeYear
from reports.weekly_model import MonthResult
from rules import (
    MISSES,
    AttendanceVerdict,
    first_month_on_record,
    month_key,
    quarter_of,
    regular_status,
)
from rules.dues import Collection, fmt_amount
from rules.names import title_key
from storage.committees import cells_below, rules_for
from storage.dues import collections
from storage.models import Committee, Meeting, MeetingKind, Task
from storage.quality import completed_levels
from storage.tasks import last_guests_of_committee

STATUSES = ("attention", "pending", "ok")  # what the page filters on


@dataclass
class MonthMeeting(MonthResult):
    """A cell's regular meeting of one month as the weekly summary judges it (``rules.regular_status``),
    with what the table links to and shows besides."""

    meeting_id: int | None = None
    quality: str | None = None  # the level proposed by the meeting's completed assessment (rules.quality.Level)
    quality_score: int | None = None


@dataclass
class CellRow:
    cell_id: int
    name: str
    this_month: MonthMeeting
    last_month: MonthMeeting
    thematic_day: date | None  # the thematic meeting held this quarter (the latest), if any
    overdue_tasks: int = 0
    unreachable: int = 0  # expected members the bot cannot reach
    dues: Collection | None = None  # this month's Party dues (storage.dues.collections)
    members: int = 0
    last_guest: str | None = None  # the committee member last at a meeting of the cell, when recorded
    last_guest_day: date | None = None  # the local day they came
    guest_this_quarter: bool = False  # seed 004: the committee attends each cell once a quarter
    attention: list[Reason] = field(default_factory=list)  # why the cell needs attention, most serious first

    def dues_text(self, lang: str) -> str | None:
        """This month's Party dues as the weekly summary reads them (None: the cell records none in chibo)."""
        if self.dues is None or not self.dues.owing:
            return None
        return t(lang, "web.dues", paid=self.dues.paid, owing=self.dues.owing, share=fmt_rate(self.dues.rate),
                 amount=fmt_amount(self.dues.amount))

    def why(self, lang: str, target: float | None = None) -> list[str]:
        """The reasons in words, as the weekly text and the workbook say them (``attention.render``)."""
        return attention.render_all(self.attention, lang, target)

    @property
    def status(self) -> str:
        if self.attention:
            return "attention"
        return "ok" if self.this_month.status == "held" else "pending"


@dataclass
class CommitteePage:
    committee_id: int
    committee_name: str
    month: str  # "2026-12"
    last_month: str
    quarter: str  # "2026-Q4"
    target: float
    rows: list[CellRow] = field(default_factory=list)  # attention first

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def held(self) -> int:
        return sum(1 for r in self.rows if r.this_month.status == "held")

    @property
    def tracked(self) -> int:
        """The cells judged this month: not those new to chibo this month ("untracked"), as the weekly summary."""
        return sum(1 for r in self.rows if r.this_month.status != "untracked")

    @property
    def untracked(self) -> int:
        return len(self.rows) - self.tracked

    @property
    def rate(self) -> float | None:
        held = [r.this_month for r in self.rows if r.this_month.status == "held"]
        expected = sum(m.expected or 0 for m in held)
        return sum(m.present or 0 for m in held) / expected if expected else None

    @property
    def overdue_tasks(self) -> int:
        return sum(r.overdue_tasks for r in self.rows)

    @property
    def unreachable(self) -> int:
        return sum(r.unreachable for r in self.rows)

    @property
    def thematic(self) -> int:
        return sum(1 for r in self.rows if r.thematic_day is not None)


def previous_month(day: date) -> date:
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


async def committee_page(session: AsyncSession, committee_id: int, now: datetime, tz: ZoneInfo,
                         lang: str = "vi") -> CommitteePage:
    with collector_paused():
        return await _committee_page(session, committee_id, now, tz, lang)


async def _committee_page(session: AsyncSession, committee_id: int, now: datetime, tz: ZoneInfo,
                          lang: str) -> CommitteePage:
    committee = await session.get(Committee, committee_id)
    assert committee is not None  # the web view's viewer belongs to it
    rules = await rules_for(session, committee_id)
    today = now.astimezone(tz).date()
    last = previous_month(today)
    q_year, q = quarter_of(today)
    quarter_start = datetime(q_year, 3 * q - 2, 1, tzinfo=tz)
    page = CommitteePage(committee_id=committee.id, committee_name=committee.name, month=month_key(today),
                         last_month=month_key(last), quarter=f"{q_year}-Q{q}", target=rules.attendance_target)
    # Attendance is counted for last month's and this month's meetings only; of the quarter's thematic
    # meetings only the date of the latest held one is shown, read on its own.
    data = await weekly_data.load(session, committee_id, datetime(last.year, last.month, 1, tzinfo=tz), ())
    thematic = await thematic_held_since(session, committee_id, quarter_start, tz)
    overdue = await overdue_by_cell(session, committee_id, today)
    guests = await last_guests_of_committee(session, committee_id)
    dues = await collections(session, cells_below(committee_id), page.month, today)
    verdicts: dict[tuple, AttendanceVerdict] = {}
    for cell_id, name in data.cells:
        row = _row(data, cell_id, name, page, today, tz, verdicts, thematic.get(cell_id), overdue.get(cell_id, 0))
        row.dues = dues.get(cell_id)
        if (visit := guests.get(cell_id)) is not None:
            row.last_guest, row.last_guest_day = visit.name, visit.at.astimezone(tz).date()
            row.guest_this_quarter = quarter_of(row.last_guest_day) == (q_year, q)
        page.rows.append(row)
    await add_quality(session, [m for r in page.rows for m in (r.this_month, r.last_month)],
                      meetings_below(committee_id, datetime(last.year, last.month, 1, tzinfo=tz)))
    # Attention first; among those, a cell with no meeting this month first, then the most reasons.
    page.rows.sort(key=lambda r: (STATUSES.index(r.status), r.this_month.status not in MISSES, -len(r.attention), title_key(r.name)))
    return page


async def add_quality(session: AsyncSession, months: Iterable[MonthMeeting], among: Select | None = None) -> None:
    """The level proposed for each held regular meeting of ``months``, once its assessment is complete (one query).
    ``among``: a select of meeting ids that holds them (the committee's meetings of the period), looked in rather
    than one parameter per meeting: a district's year has tens of thousands."""
    held = {m.meeting_id: m for m in months if m.status == "held" and m.meeting_id is not None}
    if not held:
        return
    for meeting_id, (level, score) in (await completed_levels(session, among if among is not None
                                                               else list(held))).items():
        if (month := held.get(meeting_id)) is not None:
            month.quality, month.quality_score = level, score


def meetings_below(committee_id: int, since: datetime, until: datetime | None = None) -> Select:
    """A select of the ids of the meetings of the committee's cells (its subtree) scheduled from ``since``
    (to before ``until``)."""
    where = [Meeting.cell_id.in_(cells_below(committee_id)), Meeting.scheduled_at >= since]
    if until is not None:
        where.append(Meeting.scheduled_at < until)
    return select(Meeting.id).where(*where)


def _row(data: CommitteeYear, cell_id: int, name: str, page: CommitteePage, today: date, tz: ZoneInfo,
         verdicts: dict, thematic_day: date | None, overdue_tasks: int) -> CellRow:
    active, expected_now, _exempt, _set = data.rosters[cell_id].on(today)
    since = data.created[cell_id].astimezone(tz).date()  # the cell's record starts the day it was added
    months: dict[str, MonthMeeting] = {}
    for mt in data.meetings_by_cell.get(cell_id, []):
        if mt.kind != MeetingKind.THUONG_KY.value or mt.period not in (page.month, page.last_month):
            continue
        day = mt.scheduled_at.astimezone(tz).date()
        months[mt.period] = judged(MonthMeeting(month=mt.period, status="scheduled", date=day, meeting_id=mt.id), mt,
                                   meeting_numbers(data, mt, day, data.rules[cell_id], verdicts), today)

    def month(key: str) -> MonthMeeting:
        return months.get(key) or MonthMeeting(key, regular_status(key, None, False, False, today, since))

    row = CellRow(cell_id=cell_id, name=name, this_month=month(page.month), last_month=month(page.last_month),
                  thematic_day=thematic_day, overdue_tasks=overdue_tasks,
                  unreachable=sum(1 for i in expected_now if i not in data.reachable), members=active)
    row.attention = attention.reasons(
        row.this_month, row.last_month, overdue_tasks=overdue_tasks,
        thematic_missing=attention.thematic_due(today, since, thematic_day is not None))
    return row


async def thematic_held_since(session: AsyncSession, committee_id: int, since: datetime, tz: ZoneInfo) -> dict[int, date]:
    """The local date of each cell's latest thematic meeting held (ended) since ``since`` (a regular meeting
    combined with the thematic one counts, as in the weekly summary)."""
    rows = await session.execute(
        select(Meeting.cell_id, func.max(Meeting.scheduled_at)).where(
            Meeting.cell_id.in_(cells_below(committee_id)),
            or_(Meeting.kind == MeetingKind.CHUYEN_DE, Meeting.combined.is_(True)),  # a combined one counts too
            Meeting.cancelled_at.is_(None), Meeting.ended_at.is_not(None),
            Meeting.scheduled_at >= since,
        ).group_by(Meeting.cell_id)
    )
    return {cell_id: _aware(latest).astimezone(tz).date() for cell_id, latest in rows}


def _aware(when: datetime) -> datetime:
    """max() of a UTC column comes back naive on SQLite (the column type is not applied to it)."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


async def overdue_by_cell(session: AsyncSession, committee_id: int, today: date) -> Counter:
    """Open tasks past their deadline, per cell of the committee."""
    rows = await session.execute(
        select(Task.cell_id, func.count()).where(
            Task.cell_id.in_(cells_below(committee_id)),
            Task.done_at.is_(None), Task.due_on < today,
        ).group_by(Task.cell_id)
    )
    return Counter({cell_id: count for cell_id, count in rows})  # noqa: C416 -- a Result has keys(): dict() would misread it


async def committee_months(session: AsyncSession, committee_id: int, now: datetime, tz: ZoneInfo) -> list:
    """The committee's regular meetings' attendance by month, January to now: ``MonthPoint``s."""
    from reports.web_cell import MonthPoint

    today = now.astimezone(tz).date()
    with collector_paused():
        data = await weekly_data.load(session, committee_id, datetime(today.year, 1, 1, tzinfo=tz), ())
        # From the first month chibo judges for any of its cells (months before are not drawn as "not held").
        first = min((first_month_on_record(at.astimezone(tz).date()) for at in data.created.values()), default="")
        points = {f"{today.year}-{n:02d}": MonthPoint(f"{today.year}-{n:02d}", 0, 0) for n in range(1, today.month + 1)}
        verdicts: dict[tuple, AttendanceVerdict] = {}
        for mt in data.meetings:
            if mt.kind != MeetingKind.THUONG_KY.value or mt.ended_at is None or mt.period not in points:
                continue
            present, count, _verdict, _duration = meeting_numbers(data, mt, mt.scheduled_at.astimezone(tz).date(),
                                                                  data.rules[mt.cell_id], verdicts)
            points[mt.period].present += present
            points[mt.period].expected += count
    return [p for p in points.values() if p.month >= first or p.expected]
