"""Absence patterns the secretary must hear about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.ruleset import RuleSet


@dataclass(frozen=True)
class AbsenceFlags:
    unexcused: int  # unexcused absences in the calendar year
    excused_streak: int  # excused absences in a row, up to the latest meeting
    warn_unexcused: bool
    warn_excused_streak: bool

    @property
    def any(self) -> bool:
        return self.warn_unexcused or self.warn_excused_streak


def absence_flags(statuses_in_year: Sequence[str | None], rules: RuleSet = RuleSet()) -> AbsenceFlags:
    """``statuses_in_year``: one member's final statuses ('present', 'late', 'excused', 'absent')
    for the cell's ended meetings of one calendar year, oldest first."""
    unexcused = sum(1 for s in statuses_in_year if s == "absent")
    streak = 0
    for status in reversed(statuses_in_year):
        if status != "excused":
            break
        streak += 1
    return AbsenceFlags(
        unexcused=unexcused,
        excused_streak=streak,
        warn_unexcused=unexcused >= rules.unexcused_warn_at,
        warn_excused_streak=streak > rules.excused_streak_over,
    )
