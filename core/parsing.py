"""Reading dates and times the way people type them."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$", re.ASCII),
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$", re.ASCII),
    re.compile(r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})$", re.ASCII),
)
_TIME_RE = re.compile(r"^(?P<h>\d{1,2})(?::|h)(?P<m>\d{2})?$", re.IGNORECASE | re.ASCII)


def _normalized(text: str) -> str:
    """Full-width digits and punctuation ('２０２６－１２－０５', '１９：３０') as ASCII; other scripts'
    digits stay what they are, and the ASCII-only patterns refuse them."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str) -> date | None:
    for pattern in _DATE_FORMATS:
        match = pattern.match(_normalized(text))
        if match:
            if not 1900 <= int(match["y"]) <= 9999:  # far outside any plan; also keeps UTC conversions in range
                return None
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
    match = _TIME_RE.match(_normalized(text))
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


MAX_ID = 2**31 - 1  # ids are 32-bit integer columns: a forged button's 999… is no row


def button_id(text: str) -> int | None:
    """The id a button carries, if it can be one (digits only, in the columns' range)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
