"""What only one of the two databases has: SQLite's pragmas, PostgreSQL's column types."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import needs_postgres


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_sqlite_connections_enforce_foreign_keys_and_use_wal(engine):
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=needs_postgres)], indirect=True)
async def test_postgres_stores_datetimes_as_timestamptz(engine):
    async with engine.connect() as conn:
        kind = (await conn.execute(text(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'meetings' AND column_name = 'scheduled_at'"
        ))).scalar()
    assert kind == "timestamp with time zone"
