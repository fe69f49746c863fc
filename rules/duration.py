"""How long a meeting must last, and whether it did."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def shown_minute(when: datetime) -> datetime:
    """A time as chibo shows it (HH:MM): the seconds cut off."""
    return when.replace(second=0, microsecond=0)


def duration_minutes(started_at: datetime, ended_at: datetime) -> int:
    """How long a meeting lasted, as the times shown for it say: the minutes between its start and its
    end, each cut to the minute it is shown as. A start stored at 21:31:40 and an end typed as 23:40
    are "21:31–23:40", 129 minutes (not the 128 whole minutes between the stored instants), so the
    duration a secretary reads off the summary is the one judged. Across midnight it is the same: the
    instants are full dates and times. Every view takes the duration from here (``duration_verdict``)."""
    if ended_at < started_at:
        raise ValueError("a meeting cannot end before it starts")
    return (shown_minute(ended_at) - shown_minute(started_at)) // timedelta(minutes=1)


def duration_verdict(
    kind: str, cell_size: int, started_at: datetime, ended_at: datetime, rules: RuleSet = RuleSet(),
    combined: bool = False,
) -> DurationVerdict:
    minutes = duration_minutes(started_at, ended_at)
    minimum, reason = minimum_duration(kind, cell_size, rules, combined)
    return DurationVerdict(minutes=minutes, minimum=minimum, reason=reason, ok=minutes >= minimum)


def beyond_bound(started_at: datetime, ended_at: datetime, max_hours: float) -> bool:
    """A duration longer than any real meeting (6 hours by default): an end time typed wrong or
    forgotten, which chibo refuses rather than record. Judged on the shown duration (``duration_minutes``)."""
    return duration_minutes(started_at, ended_at) > max_hours * 60
