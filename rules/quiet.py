"""Quiet hours: no reminder at night."""

from __future__ import annotations

from datetime import datetime, time, timedelta


def in_quiet_hours(local: datetime, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    now = local.timetz().replace(tzinfo=None)
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # the range crosses midnight


def shift_out_of_quiet(due_local: datetime, quiet: tuple[time, time] | None, meeting_start: datetime) -> datetime:
    """When a reminder due at ``due_local`` (aware, local zone) should go out: at the end of the
    quiet hours if it falls inside them, unless that is after the meeting starts, then at once."""
    if quiet is None or not in_quiet_hours(due_local, quiet):
        return due_local
    end = quiet[1]
    candidate = due_local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= due_local:
        candidate += timedelta(days=1)
    return due_local if candidate >= meeting_start else candidate
