"""Pacing sends to a platform's limits, so a fan-out causes no 429.

Token buckets pace each chat. The overall limit and each group's are sliding windows (at most N
messages in any span), the way Telegram counts them: a message taken with :meth:`Pacer.slot`
holds its place in the window from the moment it is let go until ``span`` seconds after its answer
came back. The platform counted it at some moment in between, so however long the request took,
the platform never sees more than N in one span; and the window can be filled to the limit, which
a token bucket with a safety margin cannot.

Two lanes share one pacer: an answer to a member's own action (a check-in's reply, a command's answer) is
taken ``urgent`` and goes ahead of queued reminders. Answered at once (``direct``), it counts against its
private chat but does not wait for it (a person writes no faster than their answers may go; a group's
minute is waited for); it empties the chat at most, never leaves it in debt, so the chat's next reminder
waits one turn of its pace, not the whole burst the person typed. While an answer waits only for room overall (its own
chat is ready), no message of the ordinary lane is let go, so a burst of reminders delays an answer by at
most the window's turn, and both lanes together never exceed the platform's limits.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass

from core.clock import PaceTime


@dataclass(frozen=True)
class Limits:
    per_second: float = 30.0  # Telegram: 30 messages in any second overall
    burst: float = 30.0
    per_chat_per_second: float = 1.0  # one a second in one private chat
    per_chat_burst: float = 3.0
    per_group_per_minute: float = 20.0  # 20 in any minute in one group
    per_group_burst: float = 3.0


TELEGRAM_LIMITS = Limits()
# No limit at all: for a measure of chibo's own speed against a fake that enforces none (benchmarks.checkin).
NO_LIMITS = Limits(per_second=1e9, burst=1e9, per_chat_per_second=1e9, per_chat_burst=1e9,
                   per_group_per_minute=1e9, per_group_burst=1e9)


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens", "window")

    def __init__(self, rate: float, capacity: float, now: float, window: _Window | None = None):
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, now
        self.window = window

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1

    def take_without_debt(self) -> None:
        """Count one that did not wait: the bucket is emptied at most, never owed (see ``Pacer._take``)."""
        self.tokens = max(0.0, self.tokens - 1)

    def idle_at(self, now: float) -> bool:
        """Full again and nothing counted in its window: forgetting it changes nothing."""
        self.wait_time(now)
        if self.window is not None:
            self.window.wait_time(now)
        return self.tokens >= self.capacity and (self.window is None or self.window.empty)


class _Window:
    """At most ``limit`` messages in any ``span`` seconds. A message counts from when it is taken
    until ``span`` seconds after it is finished (its answer came back)."""

    __slots__ = ("finished", "in_flight", "limit", "span")

    def __init__(self, limit: float, span: float):
        self.limit = max(1, math.ceil(limit))
        self.span = span
        self.in_flight = 0
        self.finished: deque[float] = deque()  # when each counted message finished, oldest first

    def wait_time(self, now: float) -> float | None:
        """0 when one more fits now; else how long until one does, or None until a message finishes."""
        while self.finished and self.finished[0] <= now - self.span:
            self.finished.popleft()
        excess = self.in_flight + len(self.finished) - self.limit + 1  # how many must leave first
        if excess <= 0:
            return 0.0
        if excess > len(self.finished):
            return None
        return self.finished[excess - 1] + self.span - now

    def take(self) -> None:
        self.in_flight += 1

    def finish(self, now: float) -> None:
        self.in_flight -= 1
        self.finished.append(now)

    @property
    def empty(self) -> bool:
        return not self.in_flight and not self.finished


class _Ticket:
    __slots__ = ("open", "windows")

    def __init__(self, windows: tuple[_Window, ...]):
        self.windows, self.open = windows, True


class Pacer:
    """Waits until one more message to ``chat_id`` fits every limit, then counts it."""

    #: How often to look again while the window is full of messages still in flight.
    POLL = 0.005

    def __init__(self, limits: Limits = TELEGRAM_LIMITS, monotonic=time.monotonic, sleep=asyncio.sleep):
        self.limits = limits
        self._monotonic, self._sleep = monotonic, sleep
        self._global = _Bucket(limits.per_second, limits.burst, monotonic())
        self._window = _Window(limits.per_second, 1.0)
        self._chats: dict[str, _Bucket] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._urgent_ready = 0  # answers whose chat is ready, waiting for room overall: the ordinary lane yields
        self._urgent_chats: dict[str, int] = {}  # chats with an answer waiting: nothing of the ordinary lane overtakes it

    @classmethod
    def counting_in(cls, pace: PaceTime, limits: Limits = TELEGRAM_LIMITS) -> Pacer:
        """A pacer counting ``limits`` in ``pace``'s time (the machine's but in the tests, core.clock.PaceTime)."""
        pacer = cls(limits, pace.monotonic, pace.sleep)
        pacer.POLL = cls.POLL * pace.speed  # looked at again every 5 ms of the machine's time at any pace
        return pacer

    def _chat_bucket(self, chat_id: str, is_group: bool, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) > 50_000:  # forget idle chats so memory stays flat
                self._chats = {k: b for k, b in self._chats.items() if not b.idle_at(now)}
            if is_group:
                bucket = _Bucket(self.limits.per_group_per_minute / 60, self.limits.per_group_burst, now,
                                 _Window(self.limits.per_group_per_minute, 60.0))
            else:
                bucket = _Bucket(self.limits.per_chat_per_second, self.limits.per_chat_burst, now)
            self._chats[chat_id] = bucket
        return bucket

    def set_limits(self, limits: Limits) -> None:
        """Keep to ``limits`` from now on (nothing may be in flight)."""
        now = self._monotonic()
        self.limits, self._chats = limits, {}
        self._global = _Bucket(limits.per_second, limits.burst, now)
        self._window = _Window(limits.per_second, 1.0)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` counted as the limits are (a platform's retry_after), in the pacer's time."""
        await self._sleep(seconds)

    def pause(self, seconds: float) -> None:
        """After a 429: nothing goes out for ``seconds``."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def chat_wait(self, chat_id: str, is_group: bool) -> float:
        """How long the chat itself must wait (so a caller can skip it and send to others first)."""
        return self._chat_bucket(chat_id, is_group, self._monotonic()).wait_time(self._monotonic())

    async def _take(self, chat_id: str, is_group: bool, urgent: bool = False, direct: bool = False) -> _Ticket:
        ready = False  # this answer is counted in _urgent_ready
        unheld = direct and not is_group  # a direct answer in a private chat: not held for its chat
        if urgent:
            self._urgent_chats[chat_id] = self._urgent_chats.get(chat_id, 0) + 1
        # Answers take no lock: one waiting for its own chat (a group's minute) must not hold the others.
        async with nullcontext() if urgent else self._lock:
            try:
                while True:
                    now = self._monotonic()
                    chat = self._chat_bucket(chat_id, is_group, now)
                    windows = (self._window,) if chat.window is None else (self._window, chat.window)
                    waits = [w.wait_time(now) for w in windows]
                    chat_wait = chat.wait_time(now)
                    if unheld:  # answered as a person writes, at their own typing speed: counted
                        chat_wait = 0.0  # against the chat (the outbox then waits) but never held for it
                    if urgent:  # ready for its chat: the ordinary lane waits until this one is out
                        chat_ready = chat_wait <= 0 and (chat.window is None or waits[-1] == 0)
                        if chat_ready != ready:
                            ready = chat_ready
                            self._urgent_ready += 1 if ready else -1
                    elif self._urgent_ready or chat_id in self._urgent_chats:
                        await self._sleep(self.POLL)
                        continue
                    # A pause after a 429 holds the ordinary lane; an answer goes (a 429 then sends it to the
                    # outbox): one chat's long retry_after must not hold everyone's answers.
                    paused = 0.0 if urgent else self._paused_until - now
                    wait = max(paused, self._global.wait_time(now), chat_wait,
                               *(w for w in waits if w is not None))
                    if wait <= 0 and None not in waits:
                        self._global.take()
                        # An answer that did not wait for its chat leaves it empty, not in debt: debt would
                        # hold the chat's next outbox message (a reminder, a file) for the whole burst typed,
                        # seconds behind the person; empty, it waits one turn of the chat's pace.
                        (chat.take_without_debt if unheld else chat.take)()
                        for w in windows:
                            w.take()
                        return _Ticket(windows)
                    await self._sleep(wait if wait > 0 else self.POLL)
            finally:
                if ready:
                    self._urgent_ready -= 1
                if urgent:
                    left = self._urgent_chats.pop(chat_id) - 1
                    if left:
                        self._urgent_chats[chat_id] = left

    def _finish(self, ticket: _Ticket) -> None:
        if ticket.open:
            ticket.open = False
            now = self._monotonic()
            for w in ticket.windows:
                w.finish(now)

    @asynccontextmanager
    async def slot(self, chat_id: str, is_group: bool = False, *, urgent: bool = False, direct: bool = False):
        """Wait for room, then hold it while the message is sent::

            async with pacer.slot(chat_id):
                await send(...)

        The message counts against the windows until a span after the block ends. ``urgent``: an answer to
        the person's own action, let go ahead of the messages waiting in the ordinary lane; ``direct``: urgent and
        answered while the person writes (their private chat is counted, not waited for)."""
        ticket = await self._take(chat_id, is_group, urgent or direct, direct)
        try:
            yield
        finally:
            self._finish(ticket)

    async def acquire(self, chat_id: str, is_group: bool = False) -> None:
        """Wait for room and count one message from now (prefer :meth:`slot`, which also covers
        the time the request takes to reach the platform)."""
        self._finish(await self._take(chat_id, is_group))
