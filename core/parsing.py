"""Reading dates and times the way people type them."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$"),
    re.compile(r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})$"),
)
_TIME_RE = re.compile(r"^(?P<h>\d{1,2})(?::|h)(?P<m>\d{2})?$", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    for pattern in _DATE_FORMATS:
        match = pattern.match(text.strip())
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


_DAY_MONTH = re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})$")


def parse_due_date(text: str, today: date) -> date | None:
    """A deadline as people type it: '20/12/2026', '2026-12-20', or '20/12' (the next 20/12 from today on)."""
    full = parse_date(text)
    if full is not None:
        return full
    match = _DAY_MONTH.match(text.strip())
    if not match:
        return None
    for year in (today.year, today.year + 1):
        try:
            day = date(year, int(match["m"]), int(match["d"]))
        except ValueError:
            continue
        if day >= today:
            return day
    return None


def parse_time(text: str) -> time | None:
    """'19:30', '19h30', '19h' -> time; None if not a time of day."""
    match = _TIME_RE.match(text.strip())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)
