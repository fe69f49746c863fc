"""The figures the rules use, with chibo's defaults and a committee's overrides."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class RuleSet:
    min_regular_minutes: int = 90  # HD 12 (2018), HD 42 (2025); seed 001
    min_thematic_minutes: int = 120  # seed 001
    min_small_cell_minutes: int = 60  # cells of fewer than `small_cell_size` members
    small_cell_size: int = 9
    attendance_target: float = 0.90  # seed 003
    late_after_minutes: int = 15
    unexcused_warn_at: int = 2  # months with an unexcused absence; Điều lệ Đảng, Điều 8.1: three, and the cell considers striking off
    excused_streak_over: int = 3  # HD 12 (2018) quality criteria

    @classmethod
    def from_overrides(cls, source: Any) -> RuleSet:
        """Defaults, replaced by every attribute of ``source`` (e.g. a Committee) that is not None."""
        changes = {}
        for f in fields(cls):
            value = getattr(source, f.name, None)
            if value is not None:
                changes[f.name] = value
        return replace(cls(), **changes)
