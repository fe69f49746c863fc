"""The numbers of a committee's weekly summary: computed once, rendered as text, XLSX and PNG."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from rules.dues import Collection

if TYPE_CHECKING:
    from reports.attention import Reason


@dataclass
class MonthResult:
    """A cell's regular meeting of one month, as the weekly summary judges it."""

    month: str  # "2026-12"
    status: str  # "held" | "in_progress" | "scheduled" | "not_held" (its date passed, never started) | "missing"
    date: date | None = None  # local date it was held on or scheduled for
    combined: bool = False  # held together with the quarter's thematic meeting
    minutes: int | None = None
    minimum: int | None = None
    duration_ok: bool | None = None
    present: int | None = None
    expected: int | None = None
    rate: float | None = None
    attendance_ok: bool | None = None

    @property
    def ok(self) -> bool:
        return self.status == "held" and bool(self.duration_ok) and bool(self.attendance_ok)


@dataclass
class CellWeek:
    cell_id: int
    cell_name: str
    members_active: int  # active members of the cell today
    members_exempt: int
    regular: MonthResult  # this month's regular meeting (rules.regular_status, and its numbers when held)
    thematic_this_quarter: bool = False  # a thematic meeting held (ended) this quarter
    unreachable: list[str] = field(default_factory=list)  # expected members the bot cannot reach
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (member name, why): absence patterns
    attention: list[Reason] = field(default_factory=list)  # why it needs attention, most serious first (reports.attention)
    previous: MonthResult | None = None  # the month just ended, in the first week of a month
    # Tasks from the resolutions this year, and guests from the committee (reports.weekly_substance).
    tasks_counted: int = 0  # tasks whose deadline has come, or done already
    tasks_on_time: int = 0  # of them, done by the deadline
    tasks_overdue: int = 0  # not done, deadline passed
    guest_last: date | None = None  # when a committee member last attended one of its meetings
    guest_this_quarter: bool = False
    dues: Collection | None = None  # this month's Party dues (None: the cell records none in chibo)
    dues_month: str = ""  # "YYYY-MM"

    @property
    def tasks_share(self) -> float | None:
        return self.tasks_on_time / self.tasks_counted if self.tasks_counted else None
    quality_level: str | None = None  # proposed level of this month's regular meeting (rules.quality.Level)
    quality_score: int | None = None

    @property
    def needs_attention(self) -> bool:
        return bool(self.attention)


@dataclass
class MeetingRow:
    cell_name: str
    kind: str  # "thuong_ky" | "chuyen_de"
    scheduled_at: datetime  # aware
    started_at: datetime | None
    ended_at: datetime | None
    minutes: int | None
    minimum: int | None
    duration_ok: bool | None
    present: int
    expected: int
    rate: float | None
    attendance_ok: bool | None


@dataclass
class AttendanceLine:
    cell_name: str
    meeting_date: date
    meeting_kind: str
    member_name: str
    status: str  # "present" | "late" | "excused" | "absent" | "exempt" | "" (no answer yet)
    reason: str | None
    checked_in_at: datetime | None
    by_secretary: bool


@dataclass
class VoteRow:
    """One vote closed at a meeting this year (reports.weekly_votes), its result as rules.votes counted it."""

    cell_name: str
    meeting_day: date
    subject: str
    approve: int
    against: int
    not_voted: int
    counted: int
    adopted: bool


class CellTotals:
    """The totals of a set of cells (``cells``): a committee's summary, or one branch of it rolled up.
    Computed here only, so a ward's numbers read the same in its own summary and in its district's."""

    cells: list[CellWeek]

    @property
    def previous_tracked(self) -> int:
        """The cells judged for the month just ended (not those new to chibo then: "untracked")."""
        return sum(1 for c in self.cells if c.previous is not None and c.previous.status != "untracked")

    @property
    def previous_untracked(self) -> int:
        return sum(1 for c in self.cells if c.previous is not None and c.previous.status == "untracked")

    @property
    def previous_held(self) -> int:
        return sum(1 for c in self.cells if c.previous is not None and c.previous.status == "held")

    @property
    def previous_rate(self) -> float | None:
        held = [c.previous for c in self.cells if c.previous is not None and c.previous.status == "held"]
        expected = sum(p.expected or 0 for p in held)
        return sum(p.present or 0 for p in held) / expected if expected else None

    @property
    def cells_held(self) -> int:
        return sum(1 for c in self.cells if c.regular.status == "held")

    @property
    def cells_tracked(self) -> int:
        """The cells judged this month: not those new to chibo this month ("untracked"), which are not
        counted as held or not held (the denominator of "đã họp x/y")."""
        return sum(1 for c in self.cells if c.regular.status != "untracked")

    @property
    def cells_untracked(self) -> int:
        return len(self.cells) - self.cells_tracked

    @property
    def overall_rate(self) -> float | None:
        held = [c.regular for c in self.cells if c.regular.status == "held"]
        expected = sum(r.expected or 0 for r in held)
        return sum(r.present or 0 for r in held) / expected if expected else None

@dataclass
class Rollup(CellTotals):
    """One direct child of a committee in its summary: a committee below it with every cell of its branch
    (``kind`` "committee"), or a cell of the committee's own (``kind`` "cell", its one cell)."""

    kind: str  # "committee" | "cell"
    id: int
    name: str
    target: float  # the attendance target of the child (its committee's rules, or its cell's committee's)
    cells: list[CellWeek] = field(default_factory=list)

    def attention_first(self) -> list[CellWeek]:
        return attention_first(self.cells)


def attention_first(cells: list[CellWeek]) -> list[CellWeek]:
    """The cells that need attention, those with the most reasons first."""
    return sorted((c for c in cells if c.needs_attention), key=lambda c: (-len(c.attention), c.cell_name))


@dataclass
class WeeklyReport(CellTotals):
    committee_id: int
    committee_name: str
    week: str  # ISO week, e.g. "2026-W49": the key of the week (job, files), never shown to people
    month: str  # "2026-12": the month whose regular meetings are judged
    quarter: str  # "2026-Q4"
    generated_at: datetime
    target: float  # attendance target, e.g. 0.9
    cells: list[CellWeek] = field(default_factory=list)
    week_start: date | None = None  # Monday of the week reported, local (reports.weekly.reported_week)
    week_end: date | None = None  # its last day: Sunday, or today when made mid-week
    previous_month: str | None = None  # "2026-11": the month just ended, shown in a month's first week
    meetings: list[MeetingRow] = field(default_factory=list)  # this year's meetings of every cell
    attendance: list[AttendanceLine] = field(default_factory=list)  # per member, this month's meetings
    votes: list[VoteRow] = field(default_factory=list)  # this year's votes of every cell
    # The direct children rolled up, when committees lie below this one (empty for a committee of cells only).
    children: list[Rollup] = field(default_factory=list)

    @property
    def week_label(self) -> str:
        """The week reported, by its dates: "07/12 – 13/12/2026" (both years when it spans two)."""
        if self.week_start is None:
            return self.week
        end = self.week_end or self.week_start + timedelta(days=6)
        first = "%d/%m" if end.year == self.week_start.year else "%d/%m/%Y"
        return f"{self.week_start.strftime(first)} – {end.strftime('%d/%m/%Y')}"

    def longest_without_guest(self) -> list[CellWeek]:
        """Cells no committee member attended this quarter, those never visited first, then the longest ago."""
        return sorted((c for c in self.cells if not c.guest_this_quarter),
                      key=lambda c: (c.guest_last or date.min, c.cell_name))

    def attention_first(self) -> list[CellWeek]:
        return attention_first(self.cells)
