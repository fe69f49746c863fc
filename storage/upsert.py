"""INSERT … ON CONFLICT for the database in use (SQLite and PostgreSQL both have it)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession):
    """The dialect's ``insert`` construct, which has ``on_conflict_do_nothing`` / ``_do_update``."""
    assert session.bind is not None, "our sessions are bound to the engine"
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
