"""Pacing sends to a platform's limits with token buckets, so a fan-out causes no 429."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    per_second: float = 28.0  # Telegram: about 30 messages a second overall
    burst: float = 28.0
    per_chat_per_second: float = 1.0  # one a second in one private chat
    per_chat_burst: float = 3.0
    per_group_per_minute: float = 20.0  # 20 a minute in one group
    per_group_burst: float = 3.0


TELEGRAM_LIMITS = Limits()


class _Bucket:
    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, rate: float, capacity: float, now: float):
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, now

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class Pacer:
    """Waits until one more message to ``chat_id`` fits every limit, then counts it."""

    def __init__(self, limits: Limits = TELEGRAM_LIMITS, monotonic=time.monotonic, sleep=asyncio.sleep):
        self.limits = limits
        self._monotonic, self._sleep = monotonic, sleep
        self._global = _Bucket(limits.per_second, limits.burst, monotonic())
        self._chats: dict[str, _Bucket] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def _chat_bucket(self, chat_id: str, is_group: bool, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) > 50_000:  # forget idle chats so memory stays flat
                self._chats = {k: b for k, b in self._chats.items() if b.tokens < b.capacity}
            if is_group:
                bucket = _Bucket(self.limits.per_group_per_minute / 60, self.limits.per_group_burst, now)
            else:
                bucket = _Bucket(self.limits.per_chat_per_second, self.limits.per_chat_burst, now)
            self._chats[chat_id] = bucket
        return bucket

    def pause(self, seconds: float) -> None:
        """After a 429: nothing goes out for ``seconds``."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def chat_wait(self, chat_id: str, is_group: bool) -> float:
        """How long the chat itself must wait (so a caller can skip it and send to others first)."""
        return self._chat_bucket(chat_id, is_group, self._monotonic()).wait_time(self._monotonic())

    async def acquire(self, chat_id: str, is_group: bool = False) -> None:
        async with self._lock:
            while True:
                now = self._monotonic()
                chat = self._chat_bucket(chat_id, is_group, now)
                wait = max(self._paused_until - now, self._global.wait_time(now), chat.wait_time(now))
                if wait <= 0:
                    self._global.take()
                    chat.take()
                    return
                await self._sleep(wait)
