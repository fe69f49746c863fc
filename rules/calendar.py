"""What a cell owes the calendar: a regular meeting each month, a thematic one each quarter."""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


class Obligation(enum.StrEnum):
    REGULAR_THIS_MONTH = "regular_this_month"  # Điều lệ Đảng, Điều 24.2
    THEMATIC_THIS_QUARTER = "thematic_this_quarter"  # Chỉ thị 50-CT/TW


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class MeetingOnCalendar:
    kind: str  # 'thuong_ky' | 'chuyen_de'
    day: date  # the local date it is (or was) scheduled for
    cancelled: bool = False
    combined: bool = False  # a regular meeting held together with the quarter's thematic one (HD 42)


def on_record(since: date, first_day: date) -> bool:
    """Whether chibo can judge a period (a month, a quarter) starting on ``first_day`` for a cell added
    to chibo on ``since`` (local date): only if it was added by that first day. A cell added in the
    middle of a month may well have met before it was added, so that month, and every one before, is
    not counted against it."""
    return since <= first_day


def first_month_on_record(since: date) -> str:
    """The first month chibo judges for a cell added on ``since``: that month if added on its first
    day, else the next one."""
    if since.day == 1:
        return month_key(since)
    return month_key(date(since.year + since.month // 12, since.month % 12 + 1, 1))


def month_start(month: str) -> date:
    """"2026-12" -> 1 December 2026."""
    return date(int(month[:4]), int(month[5:7]), 1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def regular_status(month: str, scheduled: date | None, started: bool, ended: bool, today: date,
                   since: date) -> str:
    """What a cell's regular meeting of ``month`` is, in every view (web table, weekly text, workbook,
    chart, /baocao), on ``today``:

    - "held": it ended; "in_progress": begun, not ended;
    - "scheduled": its date (``scheduled``, local) is today or ahead;
    - "not_held": its date passed and it was never begun (a miss, until the secretary records the
      start with /batdau HH:MM or moves it with /doilich);
    - "missing": none scheduled in a month chibo judges;
    - "untracked": none scheduled in a month the cell was not on chibo from its first day (``since``,
      the local date it was added): never counted as a miss."""
    if ended:
        return "held"
    if started:
        return "in_progress"
    if scheduled is not None:
        return "not_held" if scheduled < today else "scheduled"
    return "missing" if on_record(since, month_start(month)) else "untracked"


MISSES = ("not_held", "missing")  # the statuses of a regular meeting counted against the cell


def missing_obligations(meetings: Iterable[MeetingOnCalendar], today: date) -> list[Obligation]:
    """What is missing for the cell on ``today``: no regular meeting held or scheduled in this
    month, no thematic meeting (or combined session) held or scheduled in this quarter."""
    has_regular = has_thematic = False
    for m in meetings:
        if m.cancelled:
            continue
        if m.kind == "thuong_ky" and month_key(m.day) == month_key(today):
            has_regular = True
        if (m.kind == "chuyen_de" or m.combined) and quarter_of(m.day) == quarter_of(today):
            has_thematic = True
    missing = []
    if not has_regular:
        missing.append(Obligation.REGULAR_THIS_MONTH)
    if not has_thematic:
        missing.append(Obligation.THEMATIC_THIS_QUARTER)
    return missing


SCHEDULE_HORIZON = timedelta(days=366)  # a meeting is planned at most a year ahead


def beyond_horizon(start: datetime, now: datetime) -> bool:
    """A meeting more than a year ahead is a typo (9999-12-31), not a plan."""
    return start - now > SCHEDULE_HORIZON


def horizon_end(now: datetime) -> datetime:
    return now + SCHEDULE_HORIZON


def next_month_day(today: date, day: int) -> date:
    """The ``day`` of the month after ``today``'s (the month's last day if it is shorter): the date an
    example in a text shows, so an example never lies in the past (31 -> 28/02, 29/02 in a leap year)."""
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def later_this_month(today: date, days: int = 3) -> date:
    """A date ``days`` ahead but still in ``today``'s month (its last day at most): the example of a
    nudge to schedule this month's meeting, which a date of next month would not satisfy."""
    last = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    return min(today + timedelta(days=days), last)


def a_little_later(now: datetime, minutes: int = 5) -> datetime:
    """The first whole ``minutes`` mark at least ``minutes`` after ``now`` (19:57 -> 20:05): the time an
    example shows when it must be typed now and still be ahead."""
    at = (now + timedelta(minutes=minutes, seconds=59, microseconds=999999)).replace(second=0, microsecond=0)
    return at + timedelta(minutes=-at.minute % minutes) if at.minute % minutes else at
