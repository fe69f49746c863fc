"""Who does what when several chibo processes share one PostgreSQL database.

Every process may take updates (webhook: all of them behind a load balancer; polling: one per bot,
the others wait as standbys, since Telegram answers 409 to a second ``getUpdates``) and run the
scheduled jobs (each runs once: ``storage.outbox.claim_job``). Only one process at a time sends a
platform's outbox: the holder of that platform's sender lock (``storage.locks``). The others check
every ``election_interval_seconds``; when the holder dies its lock goes with its connection, the
first standby to see it free waits one more interval (so a holder that merely lost its connection
has stopped sending), takes back the rows the old sender had claimed, and sends. On SQLite there is
one process: it holds every lock.

A database that does not answer is not "another process holds the lock": during an outage the locks
are gone with the connection, so the process stops sending and stops polling (nothing it takes could be
kept anyway, and the platform keeps what is not acknowledged), and stays up. Each round tries again;
when the database answers, it takes back whatever is free and carries on within one interval. A process
that finds its poll lock taken by another after an outage stands by; none exits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core import metrics
from scheduler.delivery.dispatcher import Dispatcher
from storage.locks import DatabaseUnreachable, ProcessLocks
from storage.outage import unreachable

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
    # platform -> stop polling (the poll lock is lost: an outage, or another process took it)
    unpollers: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    polling: set[str] = field(default_factory=set)
    database_up: bool = True
    _task: asyncio.Task | None = None
    _pending: dict[str, float] = field(default_factory=dict)  # platform -> when its sender lock was won
    _outage_since: float | None = None
    _outage_reported: float = 0.0

    async def elect(self) -> None:
        """The first round, before the first log line: take whatever is free now."""
        self.dispatcher.active = set()
        try:
            for platform in self.dispatcher.senders:
                if await self.locks.try_acquire(sender_lock(platform)):
                    await self._become_sender(platform, first=True)
            for platform, start in self.pollers.items():
                if await self.locks.try_acquire(poll_lock(platform)):
                    await start()
                    self.polling.add(platform)
        except DatabaseUnreachable as exc:  # the database went away since start-up checked it: the loop retries
            self._database_away(exc)
        self._report()

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
            except DatabaseUnreachable as exc:  # told once a minute by _database_away; the next round retries
                self._database_away(exc)
            except Exception as exc:  # a bug: logged, and the next round tries again
                if unreachable(exc):
                    self._database_away(exc)
                else:
                    log.exception("election round failed")
            self._report()

    async def round(self) -> None:
        held = await self.locks.check()
        for platform in list(self._pending):  # a sender lock won last round and lost with the connection since
            if sender_lock(platform) not in held:
                del self._pending[platform]
        for platform in list(self.dispatcher.active):
            if sender_lock(platform) not in held:
                self.dispatcher.active.discard(platform)
                log.warning("no longer the active sender for %s (lost the database connection); standing by",
                            platform)
        for platform in list(self.polling):
            if poll_lock(platform) not in held:  # the connection broke: not ours any more, whoever takes it
                await self._stop_polling(platform)
                log.warning("stopped taking updates for %s (lost the database connection); Telegram keeps them "
                            "until a process polls again", platform)
        for platform in self.standby_senders:
            if platform in self._pending:
                del self._pending[platform]
                await self._become_sender(platform, first=False)
            elif await self.locks.try_acquire(sender_lock(platform)):
                self._pending[platform] = asyncio.get_running_loop().time()  # take over next round
        for platform, start in self.pollers.items():
            if platform not in self.polling and await self.locks.try_acquire(poll_lock(platform)):
                try:
                    await start()
                except Exception as exc:  # the platform does not answer: give the lock back, try next round
                    log.warning("could not start taking updates for %s (%s); trying again in %g s", platform,
                                type(exc).__name__, self.interval)
                    await self.locks.release(poll_lock(platform))
                    continue
                self.polling.add(platform)
                log.info("now taking updates for %s (long polling)", platform)
        self._database_back()

    async def _stop_polling(self, platform: str) -> None:
        self.polling.discard(platform)
        stop = self.unpollers.get(platform)
        if stop is not None:
            try:
                await stop()
            except Exception as exc:  # stopping must not end the round: the lock is gone anyway
                log.warning("stopping the polling of %s failed (%s)", platform, type(exc).__name__)

    def _database_away(self, exc: BaseException) -> None:
        """Reported in one line when the outage starts and then once a minute, without a traceback."""
        now = asyncio.get_running_loop().time()
        self.database_up = False
        if self._outage_since is None:
            self._outage_since = self._outage_reported = now
            log.warning("the database does not answer (%s): not sending, not taking updates; retrying every %g s",
                        _name(exc), self.interval)
        elif now - self._outage_reported >= 60:
            self._outage_reported = now
            log.warning("the database still does not answer (%s) after %.0f s; retrying every %g s", _name(exc),
                        now - self._outage_since, self.interval)

    def _database_back(self) -> None:
        self.database_up = True
        if self._outage_since is not None:
            log.warning("the database answers again after %.0f s", asyncio.get_running_loop().time()
                        - self._outage_since)
            self._outage_since = None

    def _report(self) -> None:
        metrics.set_active_sender(bool(self.dispatcher.active))
        metrics.set_database_up(self.database_up)
        for platform in self.pollers:
            metrics.set_taking_updates(platform, platform in self.polling)

    async def _become_sender(self, platform: str, *, first: bool) -> None:
        released = await self.dispatcher.release_claims(platform) if not first else 0
        self.dispatcher.active.add(platform)
        self.dispatcher.wake()
        if not first:
            log.info("now the active sender for %s (took over %d claimed messages)", platform, released)


def _name(exc: BaseException) -> str:
    """What went wrong, by type: the exception's own words may hold a host or a user name."""
    return str(exc) if isinstance(exc, DatabaseUnreachable) else type(exc).__name__
