"""How long a meeting must last, and whether it did."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from rules.ruleset import RuleSet


class MinimumReason(enum.StrEnum):
    REGULAR = "regular"
    THEMATIC = "thematic"
    SMALL_CELL = "small_cell"
    COMBINED = "combined"  # a regular and a thematic meeting in one session (HD 42-HD/BTCTW, 2025)


def minimum_duration(kind: str, cell_size: int, rules: RuleSet = RuleSet(),
                     combined: bool = False) -> tuple[int, MinimumReason]:
    """Minimum minutes for a meeting of ``kind`` ('thuong_ky' or 'chuyen_de') in a cell of
    ``cell_size`` members, and why. A small cell's minimum applies to any kind of meeting. A
    ``combined`` session (regular and thematic together) needs the thematic minimum (HD 42)."""
    if kind not in ("thuong_ky", "chuyen_de"):
        raise ValueError(f"unknown meeting kind {kind!r}")  # whatever the cell's size
    if cell_size < rules.small_cell_size:
        return rules.min_small_cell_minutes, MinimumReason.SMALL_CELL
    if combined:
        return rules.min_thematic_minutes, MinimumReason.COMBINED
    if kind == "chuyen_de":
        return rules.min_thematic_minutes, MinimumReason.THEMATIC
    return rules.min_regular_minutes, MinimumReason.REGULAR


@dataclass(frozen=True)
class DurationVerdict:
    minutes: int
    minimum: int
    reason: MinimumReason
    ok: bool

    @property
    def short_by(self) -> int:
        return max(0, self.minimum - self.minutes)


def duration_verdict(
    kind: str, cell_size: int, started_at: datetime, ended_at: datetime, rules: RuleSet = RuleSet(),
    combined: bool = False,
) -> DurationVerdict:
    if ended_at < started_at:
        raise ValueError("a meeting cannot end before it starts")
    minutes = int((ended_at - started_at).total_seconds() // 60)
    minimum, reason = minimum_duration(kind, cell_size, rules, combined)
    return DurationVerdict(minutes=minutes, minimum=minimum, reason=reason, ok=minutes >= minimum)


def beyond_bound(started_at: datetime, ended_at: datetime, max_hours: float) -> bool:
    """A duration longer than any real meeting (6 hours by default): an end time typed wrong or
    forgotten, which chibo refuses rather than record."""
    return (ended_at - started_at).total_seconds() > max_hours * 3600
