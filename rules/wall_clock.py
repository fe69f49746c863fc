"""Wall-clock times that a daylight-saving change makes impossible or ambiguous.

When clocks spring forward (Europe/Berlin, 02:00 → 03:00 on the last Sunday of March) 02:30 does not
exist that night; when they fall back (03:00 → 02:00 in October) 02:30 happens twice. A meeting typed
at such a time must be refused or asked back, not announced at a time nobody meant. Zones without
daylight saving (Asia/Ho_Chi_Minh, chibo's default) never have either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

GAP, FOLD = "gap", "fold"  # the time does not exist / exists twice
_STEP = timedelta(minutes=30)


@dataclass(frozen=True)
class WallClockProblem:
    kind: str  # GAP or FOLD
    day: date
    at: time
    suggestion: time  # the nearest later time that day (or the next) that exists exactly once


def _kind(day: date, at: time, tz: tzinfo) -> str | None:
    naive = datetime.combine(day, at)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    # A time in the gap does not come back from UTC as itself; one in the fold does, twice.
    return GAP if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive else FOLD


def wall_clock_problem(day: date, at: time, tz: tzinfo) -> WallClockProblem | None:
    """None if ``at`` on ``day`` names exactly one moment in ``tz``; else whether it falls in a gap or a
    fold, and a time to suggest instead (in half hours after it)."""
    kind = _kind(day, at, tz)
    if kind is None:
        return None
    moment = datetime.combine(day, at)
    for _ in range(48):
        moment += _STEP
        if _kind(moment.date(), moment.time(), tz) is None:
            break
    return WallClockProblem(kind=kind, day=day, at=at, suggestion=moment.time())
