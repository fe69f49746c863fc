"""Clocks: code that needs "now" takes one, so tests move time instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything with ``now()`` returning an aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock tests (and the demo) move by hand."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, **kwargs: float) -> datetime:
        self._now += timedelta(**kwargs)
        return self._now


@dataclass(frozen=True)
class PaceTime:
    """The time the platforms' limits are counted in (scheduler.delivery.pacing): the machine's, at ``speed`` 1.

    The tests' scene plays it ``speed`` times faster, its fake Bot API counting its flood limits in the same time:
    what is paced, in which order, and what Telegram would refuse stay the same; only the real waits shrink. The
    tests of the pace itself keep speed 1. Never faster in production: the real platforms count real seconds.
    """

    speed: float = 1.0

    def monotonic(self) -> float:
        return time.monotonic() * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


REAL_PACE = PaceTime()
