"""What an hour typed to correct a meeting's start means (/suagio batdau 19:30).

The end is read as /ketthuc reads it (``rules.clock_times.end_time_for``). Pure functions on aware datetimes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta


def corrected_start(started: datetime, at: time) -> datetime:
    """``at`` as the corrected start of a meeting recorded as begun at ``started`` (aware, local): the
    reading of ``at`` on the start's day, the day before or the day after that is nearest the recorded
    start (a meeting begun at 00:10 corrected to 23:50 began the evening before)."""
    readings = [datetime.combine(started.date() + timedelta(days=d), at, tzinfo=started.tzinfo) for d in (0, -1, 1)]
    return min(readings, key=lambda r: abs(r - started))
