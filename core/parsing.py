"""Reading dates and times the way people type them."""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from rules.names import fold

_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$", re.ASCII),
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$", re.ASCII),
    re.compile(r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})$", re.ASCII),
)


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


_DAY_MONTH = re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})$", re.ASCII)


@dataclass(frozen=True)
class DateReading:
    """What a typed date means: ``day`` when it is one; else ``passed`` (a day and month without a year
    that fell in the last half year: never moved to next year in silence), or ``no_such_day`` (29/02 in the
    nearest year, which has no 29/02), or nothing (not a date at all)."""

    day: date | None = None
    passed: date | None = None
    no_such_day: date | None = None  # the 1st of the month, in the year that lacks the day typed


def read_date(text: str, today: date) -> DateReading:
    """A date as people type it: '20/12/2026', '2026-12-20', or '20/12' without a year. A day and month
    mean their nearest occurrence to ``today``: today or later is that day ('02/01' typed on 30/12 is the
    coming 2 January); earlier (up to half a year back) has passed."""
    full = parse_date(text)
    if full is not None:
        return DateReading(day=full)
    match = _DAY_MONTH.match(_normalized(text))
    if not match:
        return DateReading()
    day_no, month = int(match["d"]), int(match["m"])
    if not 1 <= month <= 12 or not 1 <= day_no <= 31:
        return DateReading()
    if day_no > max(monthrange(2000, month)[1], 0):  # 31/04: in no year at all (2000 has 29/02)
        return DateReading()
    # The nearest year, judged on the month and day (29/02 judged as if the year had it).
    year = min((today.year - 1, today.year, today.year + 1),
               key=lambda y: abs((date(y, month, min(day_no, monthrange(y, month)[1])) - today).days))
    if day_no > monthrange(year, month)[1]:
        return DateReading(no_such_day=date(year, month, 1))
    found = date(year, month, day_no)
    return DateReading(day=found) if found >= today else DateReading(passed=found)


def parse_due_date(text: str, today: date) -> date | None:
    """A deadline as people type it (``read_date``): the day, or None when it is no day ahead or passed."""
    return read_date(text, today).day


# A time of day as Vietnamese people type it, matched on folded words (lower case, no diacritics):
# "19:30", "19h30", "19h", "19 giờ 30", "7 giờ rưỡi", "7h30 tối", "7g30", "7:30 PM", "8h sáng".
_PARTS = {"sang": "sang", "trua": "trua", "chieu": "chieu", "toi": "toi", "dem": "dem", "khuya": "dem",
          "am": "am", "a.m.": "am", "pm": "pm", "p.m.": "pm"}
_CLOCK_RE = re.compile(
    r"^(?P<h>\d{1,2})"
    r"(?:(?P<colon>[:.])(?P<cm>\d{2})"  # 19:30, 19.30
    r"|\s*(?P<sep>h|g|gio)(?:\s*(?P<m>\d{2}|ruoi)(?:\s*(?:phut|p))?)?)?"  # 19h30, 19h, 19 giờ 30 (phút), 7 giờ rưỡi
    r"(?:\s*(?P<part>sang|trua|chieu|toi|dem|khuya|a\.m\.|p\.m\.|am|pm))?"
    r"(?=\s|$)", re.ASCII)
_MAX_TIME_WORDS = 6  # "7 giờ 30 phút tối": the words a time may take


@dataclass(frozen=True)
class TimeReading:
    """A time of day read from the words typed: ``at`` (24-hour), how many words it took, and whether
    it is certain: False for an hour 1-11 typed without a word for the part of the day ("7:30": 07:30 or
    19:30?), where a meeting's time is asked back."""

    at: time
    words: int
    certain: bool

    @property
    def other(self) -> time:
        """The other reading of an uncertain time: 07:30 -> 19:30."""
        return time((self.at.hour + 12) % 24, self.at.minute)


def as_typed(at: time) -> str:
    """``at`` as a command may carry it without being asked back: "03:00 sáng" for an hour 1-11 (see
    ``TimeReading.certain``), "19:30" otherwise."""
    return f"{at:%H:%M} sáng" if 1 <= at.hour <= 11 else f"{at:%H:%M}"


def read_time(words: Sequence[str]) -> TimeReading | None:
    """The time of day the first of ``words`` spell ("7h30 tối Nhà văn hóa" -> 19:30 in 2 words); None when
    they spell none, or an impossible one (25h, 7h70, "tối" alone, "19h sáng")."""
    head = [fold(_normalized(w)) for w in words[:_MAX_TIME_WORDS]]
    text = " ".join(head)
    match = _CLOCK_RE.match(text)
    if not match:
        return None
    if match["colon"] is None and match["sep"] is None and match["part"] is None:
        return None  # a bare number is no time
    hour = int(match["h"])
    minutes = match["cm"] or match["m"] or "0"
    minute = 30 if minutes == "ruoi" else int(minutes)
    if hour > 23 or minute > 59:
        return None
    used = len(text[:match.end()].split())
    part = _PARTS.get(match["part"] or "")
    if part is None:
        return TimeReading(time(hour, minute), used, certain=not 1 <= hour <= 11)
    hour24 = _with_part(hour, part)
    return None if hour24 is None else TimeReading(time(hour24, minute), used, certain=True)


def twelve_in_the_evening(words: Sequence[str]) -> bool:
    """Whether the first of ``words`` say "12 giờ tối" (12h tối, 12:00 tối): no usual phrase, so ``read_time``
    refuses it; the answer then says what to type (midnight is "12 giờ đêm" or "0h", noon "12 giờ trưa")."""
    match = _CLOCK_RE.match(" ".join(fold(_normalized(w)) for w in words[:_MAX_TIME_WORDS]))
    return match is not None and int(match["h"]) == 12 and match["part"] == "toi"


def _with_part(hour: int, part: str) -> int | None:
    """The 24-hour hour of ``hour`` said with a part of the day; None when they contradict ("19h sáng")."""
    if part in ("sang", "am"):
        return 0 if part == "am" and hour == 12 else hour if hour <= 11 else None
    if part == "trua":  # 11 giờ trưa, 12 giờ trưa, 1 giờ trưa (13:00)
        return hour if 10 <= hour <= 12 else hour + 12 if 1 <= hour <= 2 else 13 if hour == 13 else None
    if part == "pm":
        return 12 if hour == 12 else hour + 12 if 1 <= hour <= 11 else None
    if part == "chieu":  # 2 giờ chiều, 14h chiều, 7 giờ chiều (19:00)
        return hour + 12 if 1 <= hour <= 11 else hour if 12 <= hour <= 19 else None
    if part == "toi":  # 7 giờ tối, 19h30 tối
        return hour + 12 if 5 <= hour <= 11 else hour if 17 <= hour <= 23 else None
    # đêm, khuya: 10 giờ đêm (22:00), 12 giờ đêm (00:00), 1 giờ đêm (01:00)
    return hour + 12 if 8 <= hour <= 11 else 0 if hour in (0, 12) else hour if hour <= 4 or hour >= 20 else None


_STRICT_TIME_RE = re.compile(r"^(?P<h>\d{1,2})(?::|h)(?P<m>\d{2})?$", re.IGNORECASE | re.ASCII)


def parse_time(text: str) -> time | None:
    """'19:30', '19h30', '19h' -> time; None if not a time of day. Strict, for settings and the command
    line; what people type in the chat is read by ``read_time``."""
    match = _STRICT_TIME_RE.match(_normalized(text))
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
