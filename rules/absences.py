"""Absence patterns the secretary must hear about.

Điều lệ Đảng, Điều 8.1 counts *months* of a calendar year in which a member missed Party
activities without good reason (three such months: the cell considers the case and proposes to
strike the member off). Two meetings missed in one month are one month. chibo warns the secretary
from the second such month, once for each new month reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.ruleset import RuleSet


@dataclass(frozen=True)
class AbsenceFlags:
    unexcused: int  # unexcused absences (meetings) in the calendar year
    unexcused_months: tuple[str, ...]  # the months ("YYYY-MM") with at least one, oldest first
    excused_streak: int  # excused absences in a row, up to the latest meeting
    warn_unexcused: bool  # at least `unexcused_warn_at` such months
    warn_excused_streak: bool

    @property
    def months(self) -> int:
        return len(self.unexcused_months)

    @property
    def any(self) -> bool:
        return self.warn_unexcused or self.warn_excused_streak


def absence_flags(history: Sequence[tuple[str, str | None]], rules: RuleSet = RuleSet()) -> AbsenceFlags:
    """``history``: one member's (month "YYYY-MM", final status) for the cell's ended meetings of one
    calendar year, oldest first; statuses are 'present', 'late', 'excused', 'absent' or None."""
    unexcused = 0
    months: list[str] = []
    for month, status in history:
        if status == "absent":
            unexcused += 1
            if month not in months:
                months.append(month)
    streak = 0
    for _month, status in reversed(history):
        if status != "excused":
            break
        streak += 1
    return AbsenceFlags(
        unexcused=unexcused,
        unexcused_months=tuple(months),
        excused_streak=streak,
        warn_unexcused=len(months) >= rules.unexcused_warn_at,
        warn_excused_streak=streak > rules.excused_streak_over,
    )
