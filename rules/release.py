"""When a burst of reminders must be let go so each arrives in its window.

A reminder "``offset`` before the meeting" is *intended* at ``meeting - offset``. It may arrive at
most a quarter of its offset early (a "2 hours before" reminder between 2 h 30 and 2 h before) and
never after its intended time. A bot sends at most ``capacity`` messages a second, so when many
reminders are intended around the same time the burst must start early enough that its last
message still arrives in time.

:func:`release_schedule` plans that, per bot, for groups of reminders (one group: the messages of
one meeting at one offset through one bot): as late as possible (backwards from the last deadline,
each message taking ``1 / capacity`` seconds), never before a group's earliest moment. Then it plays
the queue forwards from those release times to say when each group's last message is expected, and
how many of its messages could only arrive after the meeting has begun (those are dropped, not sent).

Earliest-deadline-first is optimal for unit-length jobs on one server with release times, so if
the forward play finds a message late, no order of sending at that capacity would have been on time.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

EARLY_SHARE = 4  # at most a quarter of the offset early


@dataclass(frozen=True)
class Burst:
    """``count`` messages of one meeting at one offset, through one bot."""

    key: Hashable  # the caller's id of the group (a plan's id, say)
    bot: Hashable  # messages of the same bot share its capacity
    count: int
    meeting_at: datetime  # when the meeting begins
    offset: timedelta  # "this long before the meeting"
    intended_at: datetime | None = None  # meeting_at - offset unless moved (out of the quiet hours)
    earliest_at: datetime | None = None  # meeting_at - offset * 5/4 unless moved later (quiet hours)

    @property
    def deadline(self) -> datetime:
        return self.intended_at if self.intended_at is not None else self.meeting_at - self.offset

    @property
    def earliest(self) -> datetime:
        if self.earliest_at is not None:
            return min(self.earliest_at, self.deadline)
        return self.deadline - self.offset / EARLY_SHARE


@dataclass(frozen=True)
class Release:
    """What :func:`release_schedule` decided for one :class:`Burst`."""

    key: Hashable
    count: int
    send_not_before: datetime  # let the burst's messages go from then, not before
    deadline: datetime  # each must have arrived by then
    last_arrival: datetime  # when its last message is expected, the bot's queue played forwards
    late: int  # how many are expected after ``deadline``
    too_late: int  # how many are expected only after the meeting has begun: dropped, not sent

    @property
    def on_time(self) -> bool:
        return self.late == 0


def release_schedule(bursts: Iterable[Burst], capacity: Mapping[Any, float]) -> dict[Any, Release]:
    """Send-not-before and deadline for every burst, and what is expected of it at ``capacity``
    (messages a second, per bot). A bot missing from ``capacity`` or with none raises ValueError."""
    by_bot: dict[Hashable, list[Burst]] = {}
    for burst in bursts:
        if burst.count < 0:
            raise ValueError(f"a burst of {burst.count} messages")
        by_bot.setdefault(burst.bot, []).append(burst)
    result: dict[Hashable, Release] = {}
    for bot, group in by_bot.items():
        rate = capacity.get(bot, 0.0)
        if not rate or rate <= 0 or math.isnan(rate):
            raise ValueError(f"no capacity for bot {bot!r}")
        result.update(_one_bot(group, rate))
    return result


def _one_bot(bursts: list[Burst], rate: float) -> dict[Hashable, Release]:
    # Backwards, as late as possible: the latest deadline last, each burst ending where the next began.
    start: dict[Hashable, datetime] = {}
    ceiling: datetime | None = None
    for b in sorted(bursts, key=lambda b: (b.deadline, _order(b.key)), reverse=True):
        end = b.deadline if ceiling is None else min(b.deadline, ceiling)
        begin = end - _span(b.count, rate)
        start[b.key] = max(begin, b.earliest)
        ceiling = begin
    # Forwards from those release times, earliest deadline first among what is released.
    releases: dict[Hashable, Release] = {}
    cursor: datetime | None = None
    for b in sorted(bursts, key=lambda b: (start[b.key], b.deadline, _order(b.key))):
        first = start[b.key] if cursor is None else max(cursor, start[b.key])
        cursor = first + _span(b.count, rate)
        late = _after(first, rate, b.count, b.deadline)
        too_late = _after(first, rate, b.count, b.meeting_at)  # arriving after it began
        releases[b.key] = Release(b.key, b.count, start[b.key], b.deadline, cursor, late, too_late)
    return releases


def _span(count: int, rate: float) -> timedelta:
    return timedelta(seconds=count / rate)


def _after(first: datetime, rate: float, count: int, limit: datetime) -> int:
    """How many of ``count`` messages sent at ``rate`` from ``first`` (the i-th, from 1, done at
    ``first + i / rate``) are done after ``limit``."""
    if count == 0:
        return 0
    in_time = math.floor((limit - first).total_seconds() * rate + 1e-6)
    return count - max(0, min(count, in_time))


def _order(key: Hashable) -> tuple[str, str]:
    return (type(key).__name__, str(key))
