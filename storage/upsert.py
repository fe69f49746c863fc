"""INSERT … ON CONFLICT for the database in use (SQLite and PostgreSQL both have it), and the rows a
writing statement touched."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession):
    """The dialect's ``insert`` construct, which has ``on_conflict_do_nothing`` / ``_do_update``."""
    assert session.bind is not None, "our sessions are bound to the engine"
    return insert_for_dialect(session.bind.dialect.name)


def insert_for_dialect(name: str):
    """``insert_for`` by the dialect's name (for a connection of its own)."""
    return postgresql.insert if name == "postgresql" else sqlite.insert


def rowcount(result: Result[Any]) -> int:
    """The rows an INSERT, UPDATE or DELETE touched. ``AsyncSession.execute`` is typed as giving a
    ``Result``; for these statements it is a ``CursorResult``, which has ``rowcount``."""
    return cast("CursorResult[Any]", result).rowcount or 0
