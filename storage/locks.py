"""Locks that live as long as a process's database connection: who sends, who polls.

On PostgreSQL each lock is a session-level advisory lock held on one dedicated connection: it is
released the moment that connection ends, so a process killed with ``kill -9`` gives up its locks
as soon as the server sees the socket close. On SQLite one process is the norm (one writer, one
file): every lock is granted, and there is nobody to share it with.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.private_files import create_private

log = logging.getLogger(__name__)
RUNNING = "running"  # held shared by every running chibo process; a restore holds it alone while it runs
RESTORE_POLL = 1.0  # a starting chibo looks this often whether the restore that holds the mark has ended


def running_file(engine: AsyncEngine) -> Path | None:
    """SQLite: the file beside the database that running chibo processes hold a shared ``flock`` on."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database + ".running")


async def chibo_running(engine: AsyncEngine) -> bool:
    """True if a chibo process (``chibo run`` or ``worker``) is running against this database now: it holds
    the running mark (PostgreSQL: a shared advisory lock; SQLite: a shared flock). Nothing is left held."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            free = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(RUNNING)}))
            if free:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(RUNNING)})
            return not free
    path = running_file(engine)
    if path is None or not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing gives the lock back
    return False


@asynccontextmanager
async def running_alone(engine: AsyncEngine) -> AsyncIterator[bool]:
    """``chibo db restore``'s hold on the running mark, alone, for as long as the restore runs: a chibo that starts
    meanwhile waits for it (``ProcessLocks.mark_running``). Yields False (and holds nothing) when a chibo process
    holds it now."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            alone = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(RUNNING)}))
            try:
                yield alone
            finally:
                if alone:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(RUNNING)})
        return
    path = running_file(engine)
    if path is None:
        yield True
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    create_private(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            alone = False
        yield alone
    finally:
        os.close(fd)  # closing gives the lock back


class _RestoreWait:
    """Says once that a starting chibo waits for a restore."""

    def __init__(self) -> None:
        self.waited = False

    async def __call__(self) -> None:
        if not self.waited:
            log.warning("chibo db restore is running against this database; waiting for it to end")
            self.waited = True
        await asyncio.sleep(RESTORE_POLL)


class DatabaseUnreachable(Exception):
    """The database did not answer: whether a lock is free is unknown (not "another process holds it")."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` from a readable name."""
    return int.from_bytes(hashlib.sha256(b"chibo:" + name.encode()).digest()[:8], "big", signed=True)


class ProcessLocks:
    """Named locks held by this process for as long as it lives (or until its connection breaks)."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"  # several processes can share the database
        self._conn: AsyncConnection | None = None
        self.held: set[str] = set()
        self._running = False
        self._running_fd: int | None = None

    async def mark_running(self) -> bool:
        """Say that a chibo process runs against this database, for as long as it lives (``chibo db restore``
        refuses then): a shared advisory lock on PostgreSQL (taken again after a reconnection), a shared
        ``flock`` on the file beside the database on SQLite. Both go when the process dies, even by kill -9.
        While a restore holds the mark alone (``running_alone``) this waits for it to end; True if it waited
        (the database is then the restored one)."""
        wait = _RestoreWait()
        if self.shared:
            try:
                conn = await self._connection()
                while not await conn.scalar(text("SELECT pg_try_advisory_lock_shared(:k)"), {"k": lock_key(RUNNING)}):
                    await wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not reach the database to mark this process as running", exc_info=True)
                await self._lost()
            self._running = True  # a new connection takes it again
            return wait.waited
        self._running = True
        path = running_file(self.engine)
        if path is None or self._running_fd is not None:
            return False
        create_private(path)
        fd = os.open(path, os.O_RDONLY)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await wait()
        except BaseException:
            os.close(fd)
            raise
        self._running_fd = fd
        return wait.waited

    async def try_acquire(self, name: str) -> bool:
        """Take ``name`` if nobody holds it; True if this process holds it now, False if another does.
        Raises ``DatabaseUnreachable`` when the database does not answer (the locks held are lost then)."""
        if name in self.held:
            return True
        if not self.shared:
            self.held.add(name)
            return True
        try:
            conn = await self._connection()
            got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)}))
        except Exception as exc:
            await self._lost()
            raise DatabaseUnreachable(type(exc).__name__) from exc
        if got:
            self.held.add(name)
        return got

    async def check(self) -> set[str]:
        """The locks still held: a broken connection has lost them all (the server released them)."""
        if not self.shared or not (self.held or self._running):
            return set(self.held)
        try:
            conn = await self._connection()
            await conn.scalar(text("SELECT 1"))
        except Exception as exc:
            log.warning("the connection holding %s broke (%s): those locks are lost", sorted(self.held),
                        type(exc).__name__)
            await self._lost()
        return set(self.held)

    async def release(self, name: str) -> None:
        """Give ``name`` back (a role this process took but could not take up)."""
        if name not in self.held:
            return
        self.held.discard(name)
        if self.shared and self._conn is not None:
            try:
                await self._conn.scalar(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
            except Exception:  # the connection is gone: the server has released it already
                await self._lost()

    async def release_all(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                await self._conn.close()
            except Exception:  # the connection is gone: the server has released the locks already
                pass
            self._conn = None
        self.held.clear()
        self._running = False
        if self._running_fd is not None:
            os.close(self._running_fd)  # the flock goes with it
            self._running_fd = None

    async def _connection(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = await self.engine.connect()
            # Autocommit: an advisory lock taken at session level must not sit inside an open transaction.
            await self._conn.execution_options(isolation_level="AUTOCOMMIT")
            if self._running:  # a new connection: the running mark went with the old one
                await self._conn.scalar(text("SELECT pg_try_advisory_lock_shared(:k)"), {"k": lock_key(RUNNING)})
        return self._conn

    async def _lost(self) -> None:
        self.held.clear()
        if self._conn is not None:
            try:
                await self._conn.invalidate()
                await self._conn.close()
            except Exception:
                pass
            self._conn = None
