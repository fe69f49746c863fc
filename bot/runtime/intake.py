"""Taking updates: kept in the inbox before they are acknowledged, then handled concurrently, each
chat's in order, exactly once (after a kill -9 too).

An adapter calls ``take`` with a batch before it acknowledges it (before the next getUpdates confirms
the offset, before the webhook answers 200). Each chat gets its own queue and worker, so one chat
waiting out a 429 or a burst of guesses from one account holds nobody else; the database work of the
requests goes through ``Services.handling`` (``core.batching``: one transaction at a time on SQLite, the
requests waiting for it handled together). Rows this process holds keep
their lease; rows whose process died are taken again when theirs runs out (``storage.inbox.reclaim``).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from core import outgoing
from core.messages import GIVEN_UP, intake_take
from core.services import Services
from storage import inbox
from storage.inbox import Incoming, Kept

log = logging.getLogger(__name__)

# Handles one kept update; True if its request marked it handled (else the intake marks it done).
Handler = Callable[[Kept], Awaitable[bool]]
MAX_ATTEMPTS = 5
# Updates whose answers went and whose mark "sent" is not saved yet, at most: a kill -9 sends again after the
# restart only these. An update waits for a slot before its first answer goes; the slot is given back when its
# mark is committed (by the marker, or by a request's transaction: ``take_marks``/``marks_saved``).
UNMARKED_AT_ONCE = 8
# How long an answer waits for a slot: when the marks cannot be saved (the database away), answers still go
# (at least once, never held back); the bound holds again when the database is back.
SLOT_WAIT = 10.0


class _Slot:
    """The slot of the update being handled in this task (``answer_slot``)."""

    __slots__ = ("held", "intake")

    def __init__(self, intake: Intake):
        self.intake, self.held = intake, False


_current: contextvars.ContextVar[_Slot | None] = contextvars.ContextVar("chibo_answer_slot", default=None)


async def answer_slot() -> None:
    """Called by an adapter before it sends an answer: the update being handled takes a slot of
    ``UNMARKED_AT_ONCE`` (once), waiting while that many answered updates are not yet marked sent. Outside the
    intake (a bare adapter) it does nothing."""
    slot = _current.get()
    if slot is None or slot.held:
        return
    try:
        await asyncio.wait_for(slot.intake._unmarked.acquire(), SLOT_WAIT)
    except TimeoutError:
        return
    slot.held = True


class Intake:
    def __init__(self, services: Services):
        self.services = services
        self.handlers: dict[tuple[str, str | None], Handler] = {}
        self._queues: dict[str, deque[Kept]] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._held: dict[int, Kept] = {}
        self._task: asyncio.Task | None = None
        self._outage = OncePerMinute("the inbox")
        self._closed = False
        # Rows whose answers went, to be marked replied as they go: by the next request's transaction
        # (``take_marks``: under a burst, a write that happens anyway) or by the marker on a connection of its
        # own, at once, with all that gathered while its last statement ran. A kill -9 sends again after
        # the restart only the answers not yet marked: those in flight.
        self._answered: set[int] = set()
        self._answered_ready = asyncio.Event()
        self._marker: asyncio.Task | None = None
        self._unmarked = asyncio.Semaphore(UNMARKED_AT_ONCE)
        self._holding: set[int] = set()  # rows holding a slot until their mark is saved
        bind = getattr(services.sessions, "kw", {}).get("bind")
        self._marks = inbox.ReplyMarks(bind) if bind is not None else None

    def register(self, platform: str, bot_key: str | None, handler: Handler) -> None:
        self.handlers[(platform, bot_key)] = handler

    async def take(self, platform: str, bot_key: str | None, items: list[Incoming]) -> None:
        """Keep a batch durably (raises if the database cannot: then the batch is not acknowledged and
        the platform delivers it again), then queue it for handling."""
        unique = list({i.update_key: i for i in items}.values())
        try:
            kept = await inbox.keep(self.services.sessions, platform, bot_key, unique, self.services.clock.now())
        except Exception as exc:
            self._outage.report(exc)
            raise
        self._outage.recovered()
        self.submit(kept)

    def submit(self, rows: list[Kept]) -> None:
        if self._closed:  # stopping: what is kept stays in the inbox for the next start
            return
        for row in rows:
            if row.id in self._held:
                continue
            self._held[row.id] = row
            self._queues.setdefault(row.chat_key, deque()).append(row)
            if row.chat_key not in self._workers:
                self._workers[row.chat_key] = asyncio.create_task(self._work(row.chat_key),
                                                                  name=f"chibo-chat-{len(self._workers)}")

    async def _work(self, chat_key: str) -> None:
        queue = self._queues[chat_key]
        try:
            while queue:
                row = queue.popleft()
                try:
                    await self._handle(row)
                finally:
                    self._held.pop(row.id, None)
        finally:
            self._queues.pop(chat_key, None)
            self._workers.pop(chat_key, None)

    async def _handle(self, row: Kept) -> None:
        slot = _Slot(self)
        token = _current.set(slot)
        take = intake_take.set(GIVEN_UP if row.attempts > MAX_ATTEMPTS else row.attempts)
        try:
            await self._handle_with(row, slot)
        finally:
            intake_take.reset(take)
            _current.reset(token)
            if slot.held and row.id not in self._holding:  # nothing waits for its mark: given back now
                self._unmarked.release()

    async def _handle_with(self, row: Kept, slot: _Slot) -> None:
        handler = self.handlers.get((row.platform, row.bot_key)) or self.handlers.get((row.platform, None))
        marked = False
        try:
            if handler is None:
                log.warning("no handler for a %s update; it stays in the inbox", row.platform)
                if row.attempts <= MAX_ATTEMPTS:
                    return
            else:
                marked = await handler(row)
        except Exception as exc:  # a bug must not make the update come back forever: logged, done
            log.error("update %s could not be handled (%s); skipped", row.update_key, type(exc).__name__,
                      exc_info=exc)
        if marked and self._marker is not None:  # its answers went (or wait in the outbox): none to resend
            if slot.held:
                self._holding.add(row.id)  # its slot is given back when the mark is saved
            self._answered.add(row.id)
            self._answered_ready.set()
            return
        try:
            if marked:
                await inbox.mark_replied(self.services.sessions, [row.id], self.services.clock.now())
            else:
                await inbox.mark_done(self.services.sessions, [row.id], self.services.clock.now())
        except Exception as exc:
            self._outage.report(exc)

    @property
    def busy(self) -> bool:
        """Updates taken and not yet handled to the end (their answers sent, or waiting in the outbox)."""
        return bool(self._held)

    async def until_idle(self, timeout: float) -> bool:
        """Wait until nothing is :attr:`busy` (True), at most ``timeout`` seconds (False): woken as each chat's
        worker ends, not by polling."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.busy:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            workers = set(self._workers.values())
            if workers:
                await asyncio.wait(workers, timeout=remaining)
            else:  # rows held between their worker's end and the next one's start: a turn of the loop
                await asyncio.sleep(0.01)
        return True

    def take_marks(self) -> set[int]:
        """The rows answered and not yet marked, for a request's transaction to mark (``restore_marks`` if it
        rolls back)."""
        ids, self._answered = self._answered, set()
        return ids

    def marks_saved(self, ids: set[int]) -> None:
        """The marks of ``ids`` are committed: their slots are given back (``answer_slot``)."""
        for row_id in ids & self._holding:
            self._holding.discard(row_id)
            self._unmarked.release()

    def restore_marks(self, ids: set[int]) -> None:
        if ids:
            self._answered |= ids
            self._answered_ready.set()

    async def _mark_answered(self) -> None:
        while True:
            await self._answered_ready.wait()
            await asyncio.sleep(0)  # the answers that went in this turn of the loop: one statement
            self._answered_ready.clear()
            await self._flush_answered()

    async def _flush_answered(self) -> None:
        ids, self._answered = self._answered, set()
        if not ids:
            return
        try:
            if self._marks is not None:
                await self._marks.write(ids, self.services.clock.now())
            else:
                await inbox.mark_replied(self.services.sessions, ids, self.services.clock.now())
            self.marks_saved(ids)
        except asyncio.CancelledError:
            self._answered |= ids
            raise
        except Exception as exc:  # kept for the next pass; after a crash their answers would go again
            self._answered |= ids
            self._outage.report(exc)
            await asyncio.sleep(1)
            self._answered_ready.set()

    # --- leases and recovery ---
    def start(self) -> None:
        self._task = asyncio.create_task(self._maintain(), name="chibo-intake")
        self._marker = asyncio.create_task(self._mark_answered(), name="chibo-intake-marks")

    async def recover(self) -> None:
        """Take the rows left unhandled by a process that died (their lease ran out)."""
        platforms = {platform for platform, _ in self.handlers}
        if not platforms:
            return
        now = self.services.clock.now()
        rows = await inbox.reclaim(self.services.sessions, now, platforms)
        for row in rows:  # one taken too often is handed over to be given up (the member told, once)
            if row.id not in self._held:
                self._too_many_attempts(row)
        self.submit(rows)
        await self._resend_unreplied(now)

    async def _resend_unreplied(self, now) -> None:
        """Answers a dead process committed but did not send: through the outbox (its keys are the ones
        a deferred answer gets, so none goes twice from here)."""
        for row in await inbox.unreplied(self.services.sessions, now):
            if row.id in self._held or row.id in self._answered or row.id in self._holding:
                continue
            reply = row.reply or {}
            for index, payload in enumerate(reply.get("payloads", [])):
                if reply.get("bot_key"):
                    payload = dict(payload, bot_key=reply["bot_key"])
                await outgoing.defer_reply(self.services.sessions, platform=row.platform, chat_id=str(reply.get("chat_id")),
                                           update=row.update_key, index=index, payload=payload, due_at=now, now=now)
            await inbox.mark_replied(self.services.sessions, [row.id], now)
            self.services.wake_dispatcher()

    def _too_many_attempts(self, row: Kept) -> bool:
        if row.attempts <= MAX_ATTEMPTS:
            return False
        log.warning("update %s was taken %d times without being handled; given up", row.update_key, row.attempts)
        return True

    async def _maintain(self) -> None:
        while True:
            try:
                if self._held:
                    await inbox.renew(self.services.sessions, list(self._held), self.services.clock.now())
                await self.services.last_seen.flush(self.services.sessions)
                await self.recover()
                self._outage.recovered()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._outage.report(exc)
            await asyncio.sleep(self.services.settings.intake_maintenance_seconds)

    async def stop(self, timeout: float = 10.0) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        workers = list(self._workers.values())
        if workers:  # finish what was taken; what is left stays in the inbox for the next start
            _done, pending = await asyncio.wait(workers, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        await self.services.handling.stop()  # a transaction under way commits or rolls back before the last marks
        if self._marker is not None:
            self._marker.cancel()
            await asyncio.gather(self._marker, return_exceptions=True)
            self._marker = None
        for last in (self._flush_answered, lambda: self.services.last_seen.flush(self.services.sessions)):
            try:
                await last()
            except Exception as exc:
                self._outage.report(exc)
        if self._marks is not None:
            await self._marks.close()


class OncePerMinute:
    """An outage (the database down) is reported in one line when it starts and then once a minute,
    without a traceback; its end in one line too."""

    def __init__(self, what: str, every: float = 60.0):
        self.what, self.every = what, every
        self._since: float | None = None
        self._last = 0.0
        self._count = 0

    def report(self, exc: BaseException) -> None:
        now = asyncio.get_running_loop().time()
        self._count += 1
        if self._since is None:
            self._since = now
        if self._count == 1 or now - self._last >= self.every:
            log.warning("%s: the database is unreachable (%s), %d failure(s) so far; retrying", self.what,
                        type(exc).__name__, self._count)
            self._last = now

    def recovered(self) -> None:
        if self._since is not None:
            log.warning("%s: the database is back after %d failure(s)", self.what, self._count)
        self._since, self._count = None, 0
