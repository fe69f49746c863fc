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
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import InboxUpdate
from storage.upsert import insert_for, rowcount

LEASE = timedelta(seconds=10)  # a process that is alive renews the lease of what it holds
_INBOX = cast(Table, InboxUpdate.__table__)


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
        # On the table, many rows of parameters (not one statement with the rows in it): the statement is
        # compiled once per process, and the driver sends the rows together.
        stmt = (insert_for(session)(_INBOX).on_conflict_do_nothing(index_elements=["platform", "update_key"])
                .returning(_INBOX.c.id, _INBOX.c.update_key))
        rows = [dict(platform=platform, bot_key=bot_key, update_key=i.update_key, chat_key=i.chat_key,
                     payload=i.payload, received_at=now, claimed_until=now + LEASE, attempts=0) for i in items]
        fresh = {key: id_ for id_, key in (await session.execute(stmt, rows)).all()}
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


@dataclass(frozen=True)
class Mark:
    """An update's handled mark, with the answers still to send."""

    platform: str
    update_key: str
    reply: dict[str, Any] | None


async def mark_handled_together(session: AsyncSession, marks: list[Mark], now: datetime) -> int:
    """``mark_handled`` for the requests of one transaction (``core.batching``): the rows among them not yet
    handled are marked (one statement a platform) and their answers written (one statement for all); how
    many were marked. Fewer than ``marks``: one was handled already, and the transaction must roll back."""
    keys: dict[str, list[str]] = {}
    for mark in marks:
        keys.setdefault(mark.platform, []).append(mark.update_key)
    marked = 0
    for platform, update_keys in keys.items():
        marked += rowcount(await session.execute(_MARK_MANY, {"p_platform": platform, "p_keys": update_keys,
                                                              "p_now": now}))
    await session.execute(_SET_REPLY, [{"p_platform": m.platform, "p_key": m.update_key, "p_reply": m.reply}
                                       for m in marks])
    return marked


# Built once, on the table (not the mapped class: an ORM UPDATE would look for the rows it changes in the
# session): every request runs one, and building it costs more than running it. The parameters' names are
# not the columns' (those are reserved in an UPDATE).
_MARK_HANDLED = (update(_INBOX)
                 .where(_INBOX.c.platform == bindparam("p_platform"), _INBOX.c.update_key == bindparam("p_key"),
                        _INBOX.c.handled_at.is_(None))
                 .values(handled_at=bindparam("p_now"), reply=bindparam("p_reply", type_=_INBOX.c.reply.type)))
_MARK_MANY = (update(_INBOX)
              .where(_INBOX.c.platform == bindparam("p_platform"),
                     _INBOX.c.update_key.in_(bindparam("p_keys", expanding=True)), _INBOX.c.handled_at.is_(None))
              .values(handled_at=bindparam("p_now")))
_SET_REPLY = (update(_INBOX)
              .where(_INBOX.c.platform == bindparam("p_platform"), _INBOX.c.update_key == bindparam("p_key"))
              .values(reply=bindparam("p_reply", type_=_INBOX.c.reply.type)))


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


async def mark_replied_in(session: AsyncSession, ids: Iterable[int], now: datetime) -> None:
    """``mark_replied`` inside a transaction already under way (a request's): the marks ride on a write
    that happens anyway, instead of waiting for SQLite's one writer behind it."""
    ids = list(ids)
    if ids:
        await session.execute(update(InboxUpdate).where(InboxUpdate.id.in_(ids)).values(replied_at=now,
                                                                                         claimed_until=None))


class ReplyMarks:
    """The marks of answers sent, written on a connection of their own (PostgreSQL: autocommit), so they
    never wait for a pooled connection behind a burst's transactions."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._conn: AsyncConnection | None = None

    async def write(self, ids: Iterable[int], now: datetime) -> None:
        ids = list(ids)
        if not ids:
            return
        try:
            if self._conn is None or self._conn.closed or self._conn.invalidated:
                self._conn = await self.engine.connect()
                if self.engine.dialect.name == "postgresql":
                    await self._conn.execution_options(isolation_level="AUTOCOMMIT")
            statement = update(InboxUpdate).where(InboxUpdate.id.in_(ids)).values(replied_at=now, claimed_until=None)
            if self.engine.dialect.name == "postgresql":
                await self._conn.execute(statement)
            else:
                async with self._conn.begin():
                    await self._conn.execute(statement)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close()
            except Exception:  # a broken connection: nothing to give back
                pass


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


async def drop(sessions: async_sessionmaker[AsyncSession], platform: str, update_key: str, now: datetime) -> bool:
    """An update whose request failed and was answered "not recorded, send it again": handled, so no
    process takes it again. False when it was handled already (or was never kept)."""
    async with sessions() as session, session.begin():
        result = await session.execute(update(InboxUpdate).where(
            InboxUpdate.platform == platform, InboxUpdate.update_key == update_key, InboxUpdate.handled_at.is_(None))
            .values(handled_at=now, claimed_until=None))
        return bool(rowcount(result))


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
