"""The database away (a restart, a network cut, a failover) is an outage, not a bug: the loops that meet
it say so in one line when it starts, then once a minute, and once when it ends, without a traceback.
Anything else they meet is a bug and keeps its traceback."""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

_CONNECTION_WORDS = ("connection", "closed", "terminat", "refused", "timeout", "timed out", "shutdown")


def unreachable(exc: BaseException) -> bool:
    """True when ``exc`` (or what it was raised from) says the database could not be reached or the
    connection to it broke."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError | TimeoutError | InterfaceError | OperationalError):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        name = type(current).__name__
        if name in {"ConnectionDoesNotExistError", "ConnectionFailureError", "CannotConnectNowError",
                    "AdminShutdownError", "InterfaceError"}:
            return True
        if isinstance(current, DBAPIError) and any(w in str(current.orig).lower() for w in _CONNECTION_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE PostgreSQL gave with ``exc`` (or what it was raised from), if any."""
    for candidate in (exc, getattr(exc, "orig", None), getattr(exc, "__cause__", None),
                      getattr(getattr(exc, "orig", None), "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if state:
            return str(state)
    return None


def deadlocked(exc: BaseException) -> bool:
    """PostgreSQL broke a deadlock by rolling this transaction back: tried again, it goes through."""
    return sqlstate(exc) == "40P01"


class Outage:
    """One loop's view of an outage: ``failed`` for each failure (logs the first, then once a minute),
    ``ok`` after a success (logs the end, once)."""

    def __init__(self, log: logging.Logger, what: str, every: float = 60.0):
        self.log, self.what, self.every = log, what, every
        self.since: float | None = None
        self._last = 0.0
        self._count = 0

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._count += 1
        if self.since is None:
            self.since = self._last = now
            self.log.warning("%s: the database is unreachable (%s); retrying", self.what, type(exc).__name__)
        elif now - self._last >= self.every:
            self._last = now
            self.log.warning("%s: the database is still unreachable (%s) after %.0f s, %d failure(s); retrying",
                             self.what, type(exc).__name__, now - self.since, self._count)

    def ok(self) -> None:
        if self.since is not None:
            self.log.warning("%s: the database is back after %.0f s", self.what, time.monotonic() - self.since)
        self.since, self._count = None, 0
