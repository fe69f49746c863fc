"""Pruning what only needs to be kept for a while: the inbox (each update's key, which stops a second
delivery, and its contents, which are personal data) and delivered outbox rows.

The audit log, attendance, meetings and tasks are kept for ever (they are the cell's record). Rows go
in batches of ``batch`` ids, each batch its own short transaction, so a large backlog never holds a
long lock on SQLite's single writer or on PostgreSQL rows the dispatcher wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import InboxUpdate, OutboxMessage
from storage.outbox import claim_job

BATCH = 500


@dataclass
class Pruned:
    updates: int = 0
    outbox: int = 0
    ran: bool = True  # False: another process (or an earlier run today) has done it


async def _in_batches(sessions: async_sessionmaker[AsyncSession], model, condition, batch: int) -> int:
    total = 0
    while True:
        async with sessions() as session, session.begin():
            ids = list(await session.scalars(select(model.id).where(condition).order_by(model.id).limit(batch)))
            if ids:
                await session.execute(delete(model).where(model.id.in_(ids)))
        total += len(ids)
        if len(ids) < batch:
            return total


async def prune(sessions: async_sessionmaker[AsyncSession], now: datetime, *, day_key: str, updates_days: int,
                sent_days: int, batch: int = BATCH) -> Pruned:
    """Prune once per ``day_key`` across every process sharing the database."""
    async with sessions() as session, session.begin():
        if not await claim_job(session, "retention", day_key, now):
            return Pruned(ran=False)
    # An update older than this is not delivered again (Telegram keeps one for a day): its key and its
    # contents go, handled or not (one no process could handle in days was given up long ago).
    updates = await _in_batches(sessions, InboxUpdate, InboxUpdate.received_at < now - timedelta(days=updates_days),
                                batch)
    cutoff = now - timedelta(days=sent_days)
    outbox = await _in_batches(sessions, OutboxMessage,
                               or_(OutboxMessage.sent_at < cutoff, OutboxMessage.dropped_at < cutoff), batch)
    return Pruned(updates=updates, outbox=outbox)
