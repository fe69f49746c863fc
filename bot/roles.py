"""Who does what when several chibo processes share one PostgreSQL database.

Every process may take updates (webhook: all of them behind a load balancer; polling: one per bot,
the others wait as standbys, since Telegram answers 409 to a second ``getUpdates``) and run the
scheduled jobs (each runs once: ``storage.outbox.claim_job``). Only one process at a time sends a
platform's outbox: the holder of that platform's sender lock (``storage.locks``). The others check
every ``election_interval_seconds``; when the holder dies its lock goes with its connection, the
first standby to see it free waits one more interval (so a holder that merely lost its connection
has stopped sending), takes back the rows the old sender had claimed, and sends. On SQLite there is
one process: it holds every lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core import metrics
from scheduler.dispatcher import Dispatcher
from storage.locks import ProcessLocks

log = logging.getLogger(__name__)


def sender_lock(platform: str) -> str:
    return f"sender:{platform}"


def poll_lock(platform: str) -> str:
    return f"poll:{platform}"


@dataclass
class Roles:
    """The election loop of one process: its sender locks, and its poll locks in polling mode."""

    locks: ProcessLocks
    dispatcher: Dispatcher
    interval: float
    # platform -> start polling (called once the poll lock is ours); empty in webhook mode and in a worker
    pollers: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    on_poll_lost: Callable[[], None] = lambda: None
    polling: set[str] = field(default_factory=set)
    _task: asyncio.Task | None = None
    _pending: dict[str, float] = field(default_factory=dict)  # platform -> when its sender lock was won

    async def elect(self) -> None:
        """The first round, before the first log line: take whatever is free now."""
        self.dispatcher.active = set()
        for platform in self.dispatcher.senders:
            if await self.locks.try_acquire(sender_lock(platform)):
                await self._become_sender(platform, first=True)
        for platform, start in self.pollers.items():
            if await self.locks.try_acquire(poll_lock(platform)):
                await start()
                self.polling.add(platform)
        metrics.set_active_sender(bool(self.dispatcher.active))

    def start(self) -> None:
        if self.locks.shared and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="chibo-roles")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.dispatcher.active = set()
        metrics.set_active_sender(False)
        await self.locks.release_all()

    @property
    def standby_senders(self) -> list[str]:
        return [p for p in self.dispatcher.senders if p not in self.dispatcher.active]

    @property
    def standby_pollers(self) -> list[str]:
        return [p for p in self.pollers if p not in self.polling]

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.round()
            except Exception:  # the database is away: try again next round
                log.exception("election round failed")

    async def round(self) -> None:
        held = await self.locks.check()
        for platform in list(self.dispatcher.active):
            if sender_lock(platform) not in held:
                self.dispatcher.active.discard(platform)
                log.warning("no longer the active sender for %s (lost the database connection); standing by",
                            platform)
        for platform in self.polling:
            if poll_lock(platform) not in held and not await self.locks.try_acquire(poll_lock(platform)):
                log.error("another process polls %s now; stopping this one (restart it as a standby)", platform)
                self.on_poll_lost()
        for platform in self.standby_senders:
            if platform in self._pending:
                del self._pending[platform]
                await self._become_sender(platform, first=False)
            elif await self.locks.try_acquire(sender_lock(platform)):
                self._pending[platform] = asyncio.get_running_loop().time()  # take over next round
        for platform, start in self.pollers.items():
            if platform not in self.polling and await self.locks.try_acquire(poll_lock(platform)):
                await start()
                self.polling.add(platform)
                log.info("now taking updates for %s (long polling): the process that polled is gone", platform)
        metrics.set_active_sender(bool(self.dispatcher.active))

    async def _become_sender(self, platform: str, *, first: bool) -> None:
        released = await self.dispatcher.release_claims(platform) if not first else 0
        self.dispatcher.active.add(platform)
        self.dispatcher.wake()
        if not first:
            log.info("now the active sender for %s (took over %d claimed messages)", platform, released)
