"""The inbox: updates kept durably before the platform is told they were delivered.

An adapter keeps a batch (``keep``) before it acknowledges it (the next getUpdates, the webhook's
200), hands the rows to the intake, and the request that handles one marks it handled in its own
transaction (``mark_handled``), so an update is handled exactly once even across a kill -9: the mark
only takes an unhandled row, so it is every request's de-duplication too.
Rows nobody finished (their process died) are taken again once their lease ran out (``reclaim``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import InboxUpdate
from storage.upsert import insert_for, rowcount

LEASE = timedelta(seconds=10)  # a process that is alive renews the lease of what it holds


@dataclass(frozen=True)
class Kept:
    id: int
    platform: str
    bot_key: str | None
    update_key: str
    chat_key: str
    payload: dict[str, Any]
    attempts: int = 0


@dataclass(frozen=True)
class Incoming:
    update_key: str
    chat_key: str
    payload: dict[str, Any]


async def keep(sessions: async_sessionmaker[AsyncSession], platform: str, bot_key: str | None,
               items: list[Incoming], now: datetime) -> list[Kept]:
    """Store a batch (one transaction); returns the rows this call stored (a repeat delivery is dropped)."""
    if not items:
        return []
    async with sessions() as session, session.begin():
        stmt = insert_for(session)(InboxUpdate).values([
            dict(platform=platform, bot_key=bot_key, update_key=i.update_key, chat_key=i.chat_key, payload=i.payload,
                 received_at=now, claimed_until=now + LEASE, attempts=0)
            for i in items
        ]).on_conflict_do_nothing(index_elements=["platform", "update_key"]).returning(InboxUpdate.id, InboxUpdate.update_key)
        fresh = {key: id_ for id_, key in (await session.execute(stmt)).all()}
    return [Kept(fresh[i.update_key], platform, bot_key, i.update_key, i.chat_key, i.payload)
            for i in items if i.update_key in fresh]


async def mark_handled(session: AsyncSession, platform: str, update_key: str, now: datetime,
                       reply: dict[str, Any] | None = None) -> bool:
    """In the request's transaction: handled, with the answers still to send (``reply``). False when the
    row was already handled (a second delivery, or another process first): the request must roll back.
    This is the de-duplication of every request; on PostgreSQL a second request for the same update
    waits here for the first one's transaction and then finds the row handled."""
    result = await session.execute(_MARK_HANDLED, {"p_platform": platform, "p_key": update_key, "p_now": now,
                                                   "p_reply": reply})
    return bool(rowcount(result))


# Built once (the names are not the columns': those are reserved in an UPDATE): every request runs it, and building it costs more than running it.
_MARK_HANDLED = (update(InboxUpdate)
                 .where(InboxUpdate.platform == bindparam("p_platform"), InboxUpdate.update_key == bindparam("p_key"),
                        InboxUpdate.handled_at.is_(None))
                 .values(handled_at=bindparam("p_now"), reply=bindparam("p_reply", type_=InboxUpdate.reply.type)))


async def is_handled(session: AsyncSession, platform: str, update_key: str) -> bool:
    return await session.scalar(select(InboxUpdate.id).where(
        InboxUpdate.platform == platform, InboxUpdate.update_key == update_key,
        InboxUpdate.handled_at.is_not(None))) is not None


async def mark_replied(sessions: async_sessionmaker[AsyncSession], ids: Iterable[int], now: datetime) -> None:
    ids = list(ids)
    if ids:
        async with sessions() as session, session.begin():
            await session.execute(update(InboxUpdate).where(InboxUpdate.id.in_(ids))
                                  .values(replied_at=now, claimed_until=None))


async def unreplied(sessions: async_sessionmaker[AsyncSession], now: datetime, limit: int = 500) -> list[InboxUpdate]:
    """Handled rows whose answers a dead process did not send (lease run out), taken with a new lease."""
    async with sessions() as session, session.begin():
        query = (select(InboxUpdate)
                 .where(InboxUpdate.handled_at.is_not(None), InboxUpdate.replied_at.is_(None),
                        InboxUpdate.claimed_until.is_not(None), InboxUpdate.claimed_until < now)
                 .order_by(InboxUpdate.id).limit(limit))
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(await session.scalars(query))
        if rows:
            await session.execute(update(InboxUpdate).where(InboxUpdate.id.in_([r.id for r in rows]))
                                  .values(claimed_until=now + LEASE))
        return rows


async def mark_done(sessions: async_sessionmaker[AsyncSession], ids: Iterable[int], now: datetime) -> None:
    """Rows handled without a request (unparseable, not for us): done, so nobody takes them again."""
    ids = list(ids)
    if ids:
        async with sessions() as session, session.begin():
            await session.execute(update(InboxUpdate).where(InboxUpdate.id.in_(ids), InboxUpdate.handled_at.is_(None))
                                  .values(handled_at=now, claimed_until=None))


async def renew(sessions: async_sessionmaker[AsyncSession], ids: Iterable[int], now: datetime) -> None:
    ids = list(ids)
    if ids:
        async with sessions() as session, session.begin():
            await session.execute(update(InboxUpdate).where(InboxUpdate.id.in_(ids), InboxUpdate.handled_at.is_(None))
                                  .values(claimed_until=now + LEASE))


async def reclaim(sessions: async_sessionmaker[AsyncSession], now: datetime, platforms: set[str],
                  limit: int = 500) -> list[Kept]:
    """Take the unhandled rows whose lease ran out (their process died), oldest first."""
    async with sessions() as session, session.begin():
        query = (select(InboxUpdate)
                 .where(InboxUpdate.handled_at.is_(None), InboxUpdate.platform.in_(platforms),
                        or_(InboxUpdate.claimed_until.is_(None), InboxUpdate.claimed_until < now))
                 .order_by(InboxUpdate.id).limit(limit))
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(await session.scalars(query))
        if rows:
            await session.execute(update(InboxUpdate).where(InboxUpdate.id.in_([r.id for r in rows]))
                                  .values(claimed_until=now + LEASE, attempts=InboxUpdate.attempts + 1))
        return [Kept(r.id, r.platform, r.bot_key, r.update_key, r.chat_key, r.payload, r.attempts + 1) for r in rows]
