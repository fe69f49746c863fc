"""Kept results (``meeting_results``): each ended meeting's member ids by status, read by the summaries
instead of counting every attendance row of the year each time.

Kept correct in one place, whoever writes:

- **Dropped** in the writer's own transaction by the database itself: triggers on ``attendance`` (insert,
  update, delete, and so a member deleted with their rows) and on ``meetings`` (update) delete the kept
  results of the meetings written (migration 0021). No handler, import or bulk statement needs to
  remember it, and a check-in costs no statement more.
- **Kept again** when read (``lists``): missing results are counted live from the attendance rows,
  and those of ended meetings are written in a separate short transaction (``_keep``), so the next
  read finds them.
- **Races** between a writer and the keeping: on PostgreSQL the writer holds a shared advisory lock on
  each meeting it touches until it commits, and the keeping takes (without waiting) an exclusive one on
  each meeting it keeps before it counts, in a statement of its own: a meeting being written is not kept
  (it is counted live), and a writer that comes after waits for the keeping to commit, then drops what
  it kept (the triggers take the writer's locks). On SQLite one transaction writes at a time: the keeping
  counts and writes in one statement and does not wait for a writer (the database is busy: nothing is
  kept this time).

No rule (target, minimum, expected members) is applied here: the rules and the rosters are applied when
the lists are read, so a change of rules or of a member's dates needs nothing dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Integer, String, bindparam, case, cast, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.models import Attendance, AttendanceStatus, Meeting, MeetingResult
from storage.upsert import insert_for_dialect, rowcount

log = logging.getLogger(__name__)

STATUSES = tuple(status.value for status in AttendanceStatus)  # the order of the lists (and of the columns)
NOBODY: tuple[str | None, ...] = (None,) * len(STATUSES)
CHUNK = 500  # meeting ids per statement (the databases' limits on parameters are far above)
LOCKS = 21061  # the advisory locks' first key (the triggers of migration 0021 use it); the second: a meeting id


def _aggregate(dialect: str, *columns):
    """SELECT ``columns``, then the member ids of each status as the text "12,15,31" (None when nobody),
    over ``attendance`` (to be joined and grouped by the caller)."""
    member_text = (Attendance.member_id if dialect == "sqlite"  # group_concat takes numbers,
                   else cast(Attendance.member_id, String))  # string_agg only text (and SQLite's CAST is slow)
    return select(*columns, *(func.aggregate_strings(case((type_coerce(Attendance.status, String) == status, member_text)),
                                                     ",").label(status)
                              for status in STATUSES))


async def lists(session: AsyncSession, meetings: Sequence[tuple[int, bool]]) -> dict[int, tuple[str | None, ...]]:
    """Each meeting's member ids by status (``STATUSES``' order; meetings without any row are left out), for
    ``meetings``: (id, ended). Read from the kept results; the others counted from the attendance rows, and
    kept for the ended ones."""
    if not meetings:
        return {}
    assert session.bind is not None  # sessions come from storage.db.session_factory(engine)
    dialect = session.bind.dialect.name
    ids = [meeting_id for meeting_id, _ in meetings]
    out: dict[int, tuple[str | None, ...]] = {}
    kept: set[int] = set()
    columns = [getattr(MeetingResult, status) for status in STATUSES]
    conn = await session.connection()  # plain rows (no ORM row handling), in the session's transaction
    for chunk in _reads(ids, dialect):
        for meeting_id, *by_status in await conn.execute(
                select(MeetingResult.meeting_id, *columns).where(among(MeetingResult.meeting_id, chunk, dialect))):
            kept.add(meeting_id)
            if any(by_status):
                out[meeting_id] = tuple(by_status)
    missing = [meeting_id for meeting_id in ids if meeting_id not in kept]
    for chunk in _reads(missing, dialect):
        for meeting_id, *by_status in await conn.execute(
                _aggregate(dialect, Attendance.meeting_id).where(among(Attendance.meeting_id, chunk, dialect))
                .group_by(Attendance.meeting_id)):
            out[meeting_id] = tuple(by_status)
    ended = {meeting_id for meeting_id, is_ended in meetings if is_ended}
    to_keep = [meeting_id for meeting_id in missing if meeting_id in ended]
    if to_keep and isinstance(session.bind, AsyncEngine):
        await keep(session.bind, to_keep)
    return out


async def keep(engine: AsyncEngine, meeting_ids: Iterable[int]) -> int:
    """Count and keep the results of those of ``meeting_ids`` that are ended (not cancelled) and not kept,
    in a transaction of its own; those being written meanwhile are left for another time. Returns how
    many were kept."""
    done = 0
    for chunk in _chunks(list(meeting_ids)):
        try:
            done += await _keep(engine, chunk)
        except SQLAlchemyError as exc:  # busy with a writer, no connection free: counted live until the next read
            log.info("kept results not written this time (%s)", type(getattr(exc, "orig", exc)).__name__)
            return done
    return done


async def _keep(engine: AsyncEngine, meeting_ids: list[int]) -> int:
    dialect = engine.dialect.name
    async with engine.connect() as conn:
        if dialect == "sqlite":
            await conn.exec_driver_sql("PRAGMA busy_timeout = 0")  # never wait for a writer
        try:
            kept = await _count_and_keep(conn, dialect, meeting_ids)
            await conn.commit()
            return kept
        finally:
            await conn.rollback()  # nothing left open (after a commit: nothing to do)
            if dialect == "sqlite":
                await conn.exec_driver_sql(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
                await conn.commit()


async def _count_and_keep(conn: AsyncConnection, dialect: str, meeting_ids: list[int]) -> int:
    if dialect == "postgresql":  # locked first, counted in the next statement (a later snapshot)
        await conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")  # never held up long by a row lock
        meeting_ids = list(await conn.scalars(
            select(Meeting.id).where(among(Meeting.id, meeting_ids, dialect))
            .where(func.pg_try_advisory_xact_lock(LOCKS, Meeting.id))))
        if not meeting_ids:
            return 0
    query = (_aggregate(dialect, Meeting.id, bindparam("computed_at", datetime.now(UTC),
                                                       type_=MeetingResult.computed_at.type))
             .select_from(Meeting).outerjoin(Attendance, Attendance.meeting_id == Meeting.id)
             .where(among(Meeting.id, meeting_ids, dialect), Meeting.ended_at.is_not(None),
                    Meeting.cancelled_at.is_(None))
             .group_by(Meeting.id))
    insert = insert_for_dialect(dialect)(MeetingResult).from_select(
        ["meeting_id", "computed_at", *STATUSES], query).on_conflict_do_nothing()
    return rowcount(await conn.execute(insert))


_SQLITE_BUSY_MS = 30_000  # storage.db.create_engine's timeout


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _reads(ids: list[int], dialect: str) -> Iterable[list[int]]:
    """The statements a read takes: on PostgreSQL one (the ids are one array parameter), on SQLite one per
    ``CHUNK`` (its limit on parameters)."""
    if dialect == "postgresql":
        return [ids] if ids else []
    return _chunks(ids)


def among(column, ids: list[int], dialect: str):
    """``column`` is one of ``ids``. On PostgreSQL a semi-join on the ids as one array, never ``IN ($1, …,
    $500)``: asyncpg prepares each statement and, after five runs, PostgreSQL may plan it once for any values.
    Planned while ``meeting_results`` was empty (a new or restored database, before autovacuum analyses it),
    that plan scans the table and compares each row with 500 parameters: 150 ms a statement, a district's
    year page 11 s instead of 1.5 (benchmarks/district.py). Joined to ``unnest`` the cost stays one pass
    whatever the plan."""
    if dialect == "postgresql":
        return column.in_(select(func.unnest(bindparam(None, ids, type_=ARRAY(Integer)))))
    return column.in_(ids)
