"""Putting messages in the outbox: one row per unique key, whatever happens twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatLink, JobRun, OutboxMessage
from storage.upsert import insert_for, rowcount


def link_row(*, key: str, kind: str, link: ChatLink, payload: dict[str, Any], due_at: datetime, now: datetime,
             member_id: int | None = None, meeting_id: int | None = None, priority: int = 5) -> dict[str, Any]:
    """The outbox row of a message for ``link``'s chat (queued with ``enqueue_many``)."""
    if link.bot_key:  # several bots on one platform: the one this person talks to
        payload = dict(payload, bot_key=link.bot_key)
    return chat_row(key=key, kind=kind, platform=link.platform, chat_id=link.chat_id, payload=payload,
                    due_at=due_at, now=now, priority=priority, meeting_id=meeting_id,
                    member_id=member_id if member_id is not None else link.member_id)


def chat_row(*, key: str, kind: str, platform: str, chat_id: str, payload: dict[str, Any], due_at: datetime,
             now: datetime, priority: int, member_id: int | None = None, meeting_id: int | None = None
             ) -> dict[str, Any]:
    """The outbox row of a message for a chat named by its platform and id (``enqueue_chat``)."""
    return dict(key=key, kind=kind, platform=platform, chat_id=chat_id, member_id=member_id, meeting_id=meeting_id,
                payload=payload, priority=priority, due_at=due_at, attempts=0, created_at=now)


async def enqueue_chat(session: AsyncSession, *, key: str, kind: str, platform: str, chat_id: str,
                       payload: dict[str, Any], due_at: datetime, now: datetime, priority: int,
                       member_id: int | None = None, meeting_id: int | None = None) -> bool:
    """Queue a message for a chat named by its platform and id. Returns False when ``key`` was already queued."""
    return await enqueue_raw(session, chat_row(key=key, kind=kind, platform=platform, chat_id=chat_id,
                                               payload=payload, due_at=due_at, now=now, priority=priority,
                                               member_id=member_id, meeting_id=meeting_id))


async def enqueue_raw(session: AsyncSession, values: dict[str, Any]) -> bool:
    insert = insert_for(session)
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(stmt)
    return bool(rowcount(result))


ENQUEUE_CHUNK = 500  # rows a statement (12 parameters each: within SQLite's and PostgreSQL's limits)


async def enqueue_many(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Queue many rows (``link_row``, ``chat_row``) in a statement per ``ENQUEUE_CHUNK``, in their order; a
    key already queued is left as it is. Returns how many were new."""
    if len(rows) == 1:
        return int(await enqueue_raw(session, rows[0]))
    insert = insert_for(session)
    new = 0
    for start in range(0, len(rows), ENQUEUE_CHUNK):
        stmt = (insert(OutboxMessage).values(rows[start:start + ENQUEUE_CHUNK])
                .on_conflict_do_nothing(index_elements=["key"]).returning(OutboxMessage.id))
        new += len((await session.execute(stmt)).all())
    return new


async def ask_again(session: AsyncSession, key: str, *, now: datetime, gap: timedelta) -> bool:
    """A message edited in place (core.outgoing ``keep_up``) asked for again: a row that went (or is going:
    claimed) is due again, ``gap`` after it last went at the earliest. Its claim is let go too, so a
    dispatcher sending it now does not mark it sent: what changed meanwhile is shown by the next edit. A row
    still waiting is left as it is (its content is read when it goes); a failed or dropped one stays so.
    True when the row was asked for again."""
    row = (await session.execute(select(OutboxMessage.sent_at, OutboxMessage.claimed_until).where(
        OutboxMessage.key == key, OutboxMessage.failed_at.is_(None), OutboxMessage.dropped_at.is_(None)))).first()
    if row is None or (row.sent_at is None and row.claimed_until is None):
        return False
    due = max(now, row.sent_at + gap) if row.sent_at is not None else now
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == key, or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.claimed_until.is_not(None)))
        .values(sent_at=None, claimed_until=None, due_at=due, attempts=0, last_error=None)
    )
    return bool(rowcount(result))


async def drop_pending(session: AsyncSession, *, meeting_id: int, kinds: tuple[str, ...], now: datetime) -> int:
    """Mark a meeting's unsent messages of ``kinds`` as dropped (kept for the record)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.meeting_id == meeting_id,
            OutboxMessage.kind.in_(kinds),
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.dropped_at.is_(None),
        )
        .values(dropped_at=now, last_error="cancelled")
    )
    return rowcount(result) or 0


async def claim_job(session: AsyncSession, job: str, key: str, now: datetime) -> bool:
    """Record that ``job`` ran for ``key``; False if it already had (in any process)."""
    insert = insert_for(session)
    result = await session.execute(
        insert(JobRun).values(job=job, key=key, at=now).on_conflict_do_nothing(index_elements=["job", "key"])
    )
    return bool(rowcount(result))

