"""The dispatcher: claims due outbox rows, sends them at a pace the platform accepts, marks them.

Each row is claimed for a short lease before sending (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several dispatchers share one database), sent, then marked sent. A crash between the send and the
mark resends that one row after the lease: delivery is at least once, and the unique key makes sure
the row itself exists only once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import outgoing
from core.clock import REAL_PACE, PaceTime
from core.metrics import record_delivery, tick
from core.settings import Settings
from core.texts import t
from scheduler import planner
from scheduler.delivery import live, long_answers
from scheduler.delivery.coalesce import Coalesced
from scheduler.delivery.pacing import Pacer
from scheduler.delivery.senders import Blocked, DeliveryError, Permanent, RateLimited, Sender, Transient
from scheduler.release import Releases
from storage.last_seen import LastSeen
from storage.models import ChatLink, Meeting, Member, OutboxMessage
from storage.outage import Outage, unreachable
from storage.upsert import rowcount

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6
NO_FOLLOW_UP = {outgoing.UNREACHABLE.kind, outgoing.DELIVERY_FAILED.kind}  # failures of these tell nobody (no loops)


# A row's sent mark (one statement for every mark asked for while the previous one was being written).
_outbox = cast(Table, OutboxMessage.__table__)
MARK_SENT = (update(_outbox).where(_outbox.c.id == bindparam("row_id"))
             .values(sent_at=bindparam("row_sent_at"), attempts=bindparam("row_attempts"), claimed_until=None))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    dropped_late: int = 0
    dropped_budget: int = 0
    http_429: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class Dispatcher:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession], clock,
                 senders: dict[str, Sender], pacers: dict[str, Pacer] | None = None,
                 batch_size: int = 200, concurrency: int = 8, last_seen: LastSeen | None = None,
                 pace: PaceTime = REAL_PACE):
        self.settings, self.sessions, self.clock = settings, sessions, clock
        self.last_seen = last_seen  # this process's notes of who wrote last: written before plans pick a chat
        self.senders = senders
        # The platforms this process sends for now: all of them, unless an election (bot.runtime.roles) says
        # another process is the active sender for some (one sender per bot across processes).
        self.active: set[str] = set(senders)
        # A sender that also answers people directly shares its pacer, so answers and the outbox keep one pace.
        self.pacers = pacers or {p: getattr(s, "pacer", None) or Pacer.counting_in(pace)
                                 for p, s in senders.items()}
        self.batch_size, self.concurrency = batch_size, concurrency
        self.stats = DispatchStats()
        self.releases = Releases()  # when reminder plans must be let go for the bots' pace (scheduler.release)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._outage = Outage(log, "the dispatcher")
        # The database's part of each row, gathered while a statement is in flight (scheduler.delivery.coalesce):
        # the sent marks, and the meeting and member a reminder is checked against.
        self._marks: Coalesced[tuple[int, datetime, int], None] = Coalesced(self._write_marks)
        self._reminder_checks: Coalesced[tuple[int, int | None], tuple[Meeting | None, Member | None]] = \
            Coalesced(self._read_reminder_checks)

    # --- running ---
    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="chibo-dispatcher")

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the row in hand, hand back the rest of the batch, and stop.

        A flag, not a cancellation, ends the loop: on Python 3.11 ``wait_for`` can swallow a
        cancel that arrives together with a wake-up, and the task would never end."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=timeout)
        except TimeoutError:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                while not self._stopping and await self.run_once():
                    pass
                self._outage.ok()
            except Exception as exc:  # a broken database connection must not kill the loop
                if unreachable(exc):
                    self._outage.failed(exc)
                else:
                    log.exception("dispatcher pass failed")
            if self._stopping:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.dispatch_interval_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    # --- one pass ---
    async def run_once(self) -> int:
        """Claim and send one batch of due rows; returns how many rows were handled."""
        tick("dispatcher")  # alive (readiness), even when there is nothing to send
        async with self._lock:
            if self.last_seen is not None and len(self.last_seen):
                await self.last_seen.flush(self.sessions)
            await self._carry_out_plans()
            rows = await self._claim()
            if not rows:
                return 0
            queue: asyncio.Queue[OutboxMessage] = asyncio.Queue()
            for row in rows:
                queue.put_nowait(row)
            handed_back: list[int] = []
            workers = [asyncio.create_task(self._worker(queue, handed_back))
                       for _ in range(min(self.concurrency, len(rows)))]
            await asyncio.gather(*workers)
            # Stopping, or no longer the active sender: the rest goes back at once, not after the lease.
            left = handed_back + [queue.get_nowait().id for _ in range(queue.qsize())]
            if left:
                async with self.sessions() as session, session.begin():
                    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(left))
                                          .values(claimed_until=None))
            return len(rows)

    async def _carry_out_plans(self) -> None:
        """Plans that fell due become outbox rows, addressed to the roster as it is now."""
        while True:
            async with self.sessions() as session, session.begin():
                done = await planner.send_due(session, self.settings, self.clock.now(), releases=self.releases)
            if done < planner.BATCH:
                return

    async def _claim(self) -> list[OutboxMessage]:
        now = self.clock.now()
        platforms = [p for p in self.senders if p in self.active]
        if not platforms:
            return []
        async with self.sessions() as session, session.begin():
            stmt = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                    OutboxMessage.dropped_at.is_(None), OutboxMessage.due_at <= now,
                    OutboxMessage.platform.in_(platforms),
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                )
                .order_by(OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list(await session.scalars(stmt))
            if rows:
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.id.in_([r.id for r in rows]))
                    .values(claimed_until=now + LEASE)
                )
            return rows

    async def release_claims(self, platform: str) -> int:
        """Hand back every unsent row of ``platform`` claimed by anyone: called by a process that has
        just become the platform's only sender, so a dead sender's batch goes out now, not after the lease."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.platform == platform, OutboxMessage.sent_at.is_(None),
                       OutboxMessage.failed_at.is_(None), OutboxMessage.dropped_at.is_(None),
                       OutboxMessage.claimed_until.is_not(None))
                .values(claimed_until=None)
            )
        return rowcount(result)

    async def _worker(self, queue: asyncio.Queue[OutboxMessage], handed_back: list[int]) -> None:
        while not queue.empty() and not self._stopping:
            row = queue.get_nowait()
            if row.platform not in self.active:
                handed_back.append(row.id)
                continue
            try:
                await self._deliver(row)
            except Exception:
                log.exception("outbox row %s could not be handled", row.id)

    async def _deliver(self, row: OutboxMessage) -> None:
        if row.kind == long_answers.JOB:  # not a message: a long answer to put together, then queue
            await self._carry_out(row)
            return
        begins = None  # a reminder's meeting: it is dropped if that begins while it waits for the pace
        if row.kind == outgoing.REMINDER.kind:
            begins = await self._reminder_too_late(row)
            if begins is True:
                return
        shown = row.payload  # an edited message: what it shows now (its last content, kept when it went)
        if row.kind in live.KINDS and not await self._refresh(row):
            return
        if row.kind in outgoing.EDITED_KINDS and _unchanged(shown, row.payload):
            await self._mark_sent(row, self.clock.now(), shown.get("edit"))  # nothing to edit: no request
            return
        sender = self.senders[row.platform]
        pacer = self._pacer(row, sender)
        admission = await sender.admit(row)  # a platform with a budget (Zalo) may cut a row
        if admission.refused:
            await self._drop(row, admission.refused)
            return
        try:
            # Held until the platform answered; a deferred answer (priority 0) goes ahead of reminders.
            async with pacer.slot(row.chat_id, sender.is_group(row.chat_id), urgent=row.priority == 0):
                if isinstance(begins, datetime) and self.clock.now() >= begins:
                    await self._too_late(row, "meeting already begun")
                    return
                message_id = await sender.send(row.chat_id, row.payload, admission)
                sent_at = self.clock.now()  # when the platform took it (not when the mark is written)
        except RateLimited as exc:
            self.stats.http_429 += 1
            self._log_failure(row, "rate_limited", exc)
            pacer.pause(exc.retry_after)
            await self._retry(row, self.clock.now() + timedelta(seconds=exc.retry_after), str(exc), count=False)
        except Blocked as exc:
            self.stats.blocked += 1
            self._log_failure(row, "blocked", exc)
            await self._blocked(row, str(exc))
        except Transient as exc:
            if row.attempts + 1 >= MAX_ATTEMPTS:
                self._log_failure(row, "failed", exc)
                await self._failed(row, str(exc))
            else:
                self.stats.retried += 1
                self._log_failure(row, "retried", exc)
                await self._retry(row, self.clock.now() + backoff(row.attempts + 1), str(exc), count=True)
        except (Permanent, DeliveryError) as exc:
            self._log_failure(row, "failed", exc)
            await self._failed(row, str(exc))
        else:
            await self._mark_sent(row, sent_at, message_id)
            self.stats.sent += 1
            self.stats.by_kind[row.kind] = self.stats.by_kind.get(row.kind, 0) + 1
            record_delivery(str(row.platform), "sent")

    async def _mark_sent(self, row: OutboxMessage, sent_at: datetime, message_id: str | None) -> None:
        """Marked sent, committed before this returns (the platform took it: ``sent_at``)."""
        if row.kind not in outgoing.EDITED_KINDS:
            await self._marks((row.id, sent_at, row.attempts + 1))
            return
        # An edited message: edited next time, not sent again, and what it shows kept to compare with the next
        # content (``_unchanged``); marked sent only while still claimed (asked for again meanwhile,
        # ``storage.outbox.ask_again``, it goes once more with what changed).
        this_row = update(OutboxMessage).where(OutboxMessage.id == row.id)
        async with self.sessions() as session, session.begin():
            await session.execute(this_row.values(payload=dict(row.payload, edit=message_id or row.payload.get("edit"))))
            await session.execute(this_row.where(OutboxMessage.claimed_until.is_not(None))
                                  .values(sent_at=sent_at, attempts=row.attempts + 1, claimed_until=None))

    async def _write_marks(self, marks: list[tuple[int, datetime, int]]) -> None:
        async with self.sessions() as session, session.begin():
            connection = await session.connection()
            await connection.execute(MARK_SENT, [dict(row_id=row_id, row_sent_at=sent_at, row_attempts=attempts)
                                                 for row_id, sent_at, attempts in marks])

    async def _read_reminder_checks(self, keys: list[tuple[int, int | None]]
                                    ) -> dict[tuple[int, int | None], tuple[Meeting | None, Member | None]]:
        """The meetings and members of reminders about to go (``_reminder_too_late``), read together."""
        member_ids = {member_id for _, member_id in keys if member_id is not None}
        async with self.sessions() as session:
            meetings = {m.id: m for m in await session.scalars(
                select(Meeting).where(Meeting.id.in_({meeting_id for meeting_id, _ in keys})))}
            members = {m.id: m for m in await session.scalars(
                select(Member).where(Member.id.in_(member_ids)))} if member_ids else {}
        return {key: (meetings.get(key[0]), members.get(key[1]) if key[1] is not None else None) for key in keys}

    def _pacer(self, row: OutboxMessage, sender: Sender) -> Pacer:
        """The pace of the bot that sends ``row``: a platform with several bots paces each on its own."""
        pacer_for = getattr(sender, "pacer_for", None)
        if pacer_for is not None and getattr(sender, "pacer", None) is self.pacers[row.platform]:
            return pacer_for(row.payload)
        return self.pacers[row.platform]

    async def _carry_out(self, row: OutboxMessage) -> None:
        try:
            await long_answers.carry_out(self.sessions, self.settings, row, self.clock.now())
        except Exception as exc:  # the database, or a bug: tried again later, a few times, like a send
            log.warning("long answer row=%s attempt=%d failed: %s", row.id, row.attempts + 1, type(exc).__name__)
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._failed(row, type(exc).__name__)
            else:
                await self._retry(row, self.clock.now() + backoff(row.attempts + 1), type(exc).__name__, count=True)
            return
        self._wake.set()  # its messages are due now

    def _log_failure(self, row: OutboxMessage, outcome: str, exc: Exception) -> None:
        """One line per failed delivery: ids and the error's class, never the chat, the text or the URL."""
        record_delivery(str(row.platform), outcome)
        log.warning("delivery row=%s platform=%s kind=%s member=%s attempt=%d outcome=%s error=%s", row.id,
                    row.platform, row.kind, row.member_id, row.attempts + 1, outcome, type(exc).__name__)

    async def _reminder_too_late(self, row: OutboxMessage) -> bool | datetime:
        """A reminder goes out only if the meeting is still ahead (it may have fallen due while chibo
        was down) and its member is still expected (not gone, not exempt since it was queued). True: it
        was dropped; else when the meeting begins (False: no meeting)."""
        if not row.meeting_id:
            return False
        meeting, member = await self._reminder_checks((row.meeting_id, row.member_id)) or (None, None)
        if meeting is None:
            return False
        now = self.clock.now()
        reason = None
        if meeting.started_at is not None or meeting.cancelled_at is not None or meeting.scheduled_at <= now:
            reason = "meeting already begun"
        elif row.member_id is not None and not planner.still_expected(self.settings, member, meeting, now):
            reason = "no longer expected"
        begins = meeting.scheduled_at
        if reason is None:
            return begins
        await self._too_late(row, reason)
        return True

    async def _too_late(self, row: OutboxMessage, reason: str) -> None:
        """Drop a reminder that would come too late (or to someone no longer expected), counted and logged."""
        async with self.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                                  .values(dropped_at=self.clock.now(), last_error=reason, claimed_until=None))
        self.stats.dropped_late += 1
        record_delivery(str(row.platform), "too_late" if reason == "meeting already begun" else "dropped")
        log.info("reminder dropped row=%s platform=%s meeting=%s reason=%s", row.id, row.platform, row.meeting_id,
                 reason)

    async def _refresh(self, row: OutboxMessage) -> bool:
        """Settle a live message's content now (scheduler.delivery.live); False if it was dropped instead."""
        async with self.sessions() as session, session.begin():
            payload = await live.refresh(session, self.settings, row, self.clock.now())
            if payload is not None:
                row.payload = payload
                return True
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                                  .values(dropped_at=self.clock.now(), last_error="no longer needed", claimed_until=None))
        return False

    async def _drop(self, row: OutboxMessage, reason: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                                  .values(dropped_at=self.clock.now(), last_error=reason[:500], claimed_until=None))
        self.stats.dropped_budget += 1
        record_delivery(str(row.platform), "dropped")

    async def _retry(self, row: OutboxMessage, due: datetime, error: str, *, count: bool) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id)
                .values(due_at=due, attempts=row.attempts + (1 if count else 0), last_error=error[:500],
                        claimed_until=None)
            )

    async def _failed(self, row: OutboxMessage, error: str) -> None:
        self.stats.failed += 1
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id)
                .values(failed_at=now, attempts=row.attempts + 1, last_error=error[:500], claimed_until=None)
            )
            await self._tell_leaders(session, row, "delivery.failed", outgoing.DELIVERY_FAILED, now)

    async def _blocked(self, row: OutboxMessage, error: str) -> None:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id)
                .values(failed_at=now, attempts=row.attempts + 1, last_error=("blocked: " + error)[:500],
                        claimed_until=None)
            )
            await session.execute(
                update(ChatLink).where(ChatLink.platform == row.platform, ChatLink.chat_id == row.chat_id)
                .values(blocked_at=now)
            )
            await self._tell_leaders(session, row, "unreachable.notice", outgoing.UNREACHABLE, now)

    async def _tell_leaders(self, session: AsyncSession, row: OutboxMessage, text_key: str,
                            message: outgoing.Message, now: datetime) -> None:
        if row.kind in NO_FOLLOW_UP or row.member_id is None:
            return
        member = await session.get(Member, row.member_id)
        assert member is not None  # the row goes with its member (ON DELETE CASCADE)
        tz = self.settings.tz
        day = now.astimezone(tz).date()
        text = t(self.settings.language, text_key, name=member.full_name)
        await outgoing.send(session, message, await outgoing.leaders(session, member.cell_id, day, member.id),
                            {"text": text, "buttons": []}, now=now, member=member.id, day=day.isoformat())
        self._wake.set()


def _unchanged(shown: dict, payload: dict) -> bool:
    """Whether an edited message already shows ``payload``: it went before (it has a message to edit) with the
    same text and buttons. Telegram would refuse the edit ("message is not modified") and count the request."""
    return shown.get("edit") is not None and all(shown.get(k) == payload.get(k) for k in ("text", "buttons"))
