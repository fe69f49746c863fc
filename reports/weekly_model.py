"""The numbers of a committee's weekly summary: computed once, rendered as text, XLSX and PNG."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class CellWeek:
    cell_id: int
    cell_name: str
    members_active: int  # active members of the cell today
    members_exempt: int
    regular_status: str  # "held" | "in_progress" | "scheduled" | "missing" (this month's regular meeting)
    regular_date: date | None = None  # local date of this month's regular meeting, if any
    regular_minutes: int | None = None  # duration, when held
    regular_minimum: int | None = None
    duration_ok: bool | None = None
    present: int | None = None  # at this month's regular meeting, when held
    expected: int | None = None
    rate: float | None = None  # present / expected, None when not held or nobody expected
    attendance_ok: bool | None = None
    thematic_this_quarter: bool = False  # a thematic meeting held (ended) this quarter
    unreachable: list[str] = field(default_factory=list)  # expected members the bot cannot reach
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (member name, why): absence patterns
    attention: list[str] = field(default_factory=list)  # short reasons this cell needs attention, most serious first
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
class WeeklyReport:
    committee_id: int
    committee_name: str
    week: str  # ISO week, e.g. "2026-W49"
    month: str  # "2026-12": the month whose regular meetings are judged
    quarter: str  # "2026-Q4"
    generated_at: datetime
    target: float  # attendance target, e.g. 0.9
    cells: list[CellWeek] = field(default_factory=list)
    meetings: list[MeetingRow] = field(default_factory=list)  # this year's meetings of every cell
    attendance: list[AttendanceLine] = field(default_factory=list)  # per member, this month's meetings

    @property
    def cells_held(self) -> int:
        return sum(1 for c in self.cells if c.regular_status == "held")

    @property
    def overall_rate(self) -> float | None:
        present = sum(c.present or 0 for c in self.cells if c.regular_status == "held")
        expected = sum(c.expected or 0 for c in self.cells if c.regular_status == "held")
        return present / expected if expected else None

    def attention_first(self) -> list[CellWeek]:
        return sorted((c for c in self.cells if c.needs_attention), key=lambda c: (-len(c.attention), c.cell_name))
