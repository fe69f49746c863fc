"""What an hour typed without a date means, and when the time-bound nudges fall.

A secretary types ``/ketthuc 23:40`` at 00:20: the evening just gone is meant, not the coming one.
Every function takes aware local datetimes and returns aware local datetimes (or None)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from rules.quiet import in_quiet_hours, shift_out_of_quiet

# How far back an hour typed for a start may reach ("/batdau 23:40" typed at 00:20). Further back, a
# time later than now is a typo for the future, not yesterday.
START_LOOKBACK = timedelta(hours=6)
PREP_NUDGE_BEFORE = timedelta(days=7)
PREP_NUDGE_MIN_LEFT = timedelta(days=1)
OPEN_NUDGE_AFTER = timedelta(hours=3)


def start_time_for(now: datetime, at: time, lookback: timedelta = START_LOOKBACK) -> datetime | None:
    """The moment ``at`` means as a start: today at ``at`` if that is not after ``now``, else
    yesterday at ``at`` if that is within ``lookback``; None when ``at`` is still to come."""
    today = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if today <= now:
        return today
    yesterday = _same_clock_days_before(today, 1)
    return yesterday if now - yesterday <= lookback else None


def end_time_for(started: datetime, now: datetime, at: time) -> tuple[datetime | None, str | None]:
    """The moment ``at`` means as the end of a meeting begun at ``started``: its first occurrence at or
    after the start (on the start's day, else the day after). (moment, None), or (None, why) when there
    is no such moment yet: "before_start" or "future", whichever reading of ``at`` is nearer."""
    start_local = started.astimezone(now.tzinfo)
    candidate = start_local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate < start_local:
        next_day = _next_day(candidate)
        if next_day > now:  # both readings fail: name the nearer one
            return None, "before_start" if start_local - candidate < next_day - now else "future"
        candidate = next_day
    if candidate > now:
        return None, "future"
    return candidate, None


def start_time_of(now: datetime, readings: Sequence[time]) -> datetime | None:
    """``start_time_for`` of an hour that has two readings ("7:30": 07:30 or 19:30): the latest moment either
    means, so "7:30" typed at 19:40 is 19:30 this evening and at 08:00 is 07:30 this morning."""
    found = [m for m in (start_time_for(now, at) for at in readings) if m is not None]
    return max(found, default=None)


def end_time_of(started: datetime, now: datetime, readings: Sequence[time]) -> tuple[datetime | None, str | None]:
    """``end_time_for`` of an hour that has two readings: the earliest end either means ("9h" after a
    meeting begun at 19:30 is 21:00; after one begun at 08:00, 09:00); else why the first has none."""
    results = [end_time_for(started, now, at) for at in readings]
    found = [m for m, _ in results if m is not None]
    return (min(found), None) if found else results[0]


def preparation_due(meeting_start: datetime, now: datetime, quiet: tuple[time, time] | None) -> datetime | None:
    """When the cell committee is nudged to prepare: 7 days before; for a meeting scheduled closer
    than that, at once (or when the quiet hours end), if at least a day is left then. None: too late."""
    due = max(meeting_start - PREP_NUDGE_BEFORE, now)
    due = _after_quiet(due, quiet)
    return due if meeting_start - due >= PREP_NUDGE_MIN_LEFT else None


def open_meeting_nudges(started: datetime, morning: time, quiet: tuple[time, time] | None) -> list[datetime]:
    """When a meeting still open is brought to the secretary's mind: 3 hours after its start (unless
    that falls in the quiet hours) and the next morning at ``morning`` (after the quiet hours)."""
    first = started + OPEN_NUDGE_AFTER
    next_day = _next_day(started).replace(hour=morning.hour, minute=morning.minute, second=0, microsecond=0)
    next_day = _after_quiet(next_day, quiet)
    nudges = [] if in_quiet_hours(first, quiet) or first >= next_day else [first]
    return nudges + [next_day]


def missed_start_nudge(scheduled: datetime, morning: time, quiet: tuple[time, time] | None) -> datetime:
    """When the secretary is told that a meeting was never begun on chibo: 3 hours after its time, that
    evening, unless that falls in the quiet hours (or after the next morning); else the next morning at
    ``morning`` (after the quiet hours)."""
    return open_meeting_nudges(scheduled, morning, quiet)[0]


def _after_quiet(moment: datetime, quiet: tuple[time, time] | None) -> datetime:
    """``moment``, or the end of the quiet hours it falls in."""
    return shift_out_of_quiet(moment, quiet, moment + timedelta(days=2))  # no meeting to stop the shift


def _next_day(moment: datetime) -> datetime:
    return _same_clock_days_before(moment, -1)


def _same_clock_days_before(moment: datetime, days: int) -> datetime:
    """The same wall-clock time ``days`` calendar days earlier (negative: later), in the same zone."""
    day = moment.date() - timedelta(days=days)
    return datetime.combine(day, moment.timetz().replace(tzinfo=None), tzinfo=moment.tzinfo)
