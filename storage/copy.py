"""Copying a whole chibo database into another, empty one (SQLite to PostgreSQL, typically).

Both must be at the code's schema revision (the target is migrated here first). Every table of the
schema is copied in dependency order, rows in id order and in batches, inside one transaction on the
target: a failure leaves the target as empty as it was. PostgreSQL's id sequences are then moved past
the copied ids so new rows do not collide.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import ensure_ready, upgrade
from storage.models import Base

BATCH = 1000


class TargetNotEmpty(RuntimeError):
    """The target database already holds chibo rows; copying would mix two databases."""


@dataclass
class TableCount:
    table: str
    rows: int


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = await conn.scalar(select(func.count()).select_from(table)) or 0
    return counts


async def copy_database(source: AsyncEngine, target: AsyncEngine) -> list[TableCount]:
    """Copy every row of ``source`` into the empty ``target``; returns the rows copied per table."""
    await ensure_ready(source)
    await upgrade(target)
    filled = {name: n for name, n in (await _counts(target)).items() if n}
    if filled:
        raise TargetNotEmpty(", ".join(f"{name} ({n})" for name, n in filled.items()))
    copied = []
    # Kept results last: the triggers of attendance and meetings would drop them if copied before (storage.results).
    tables = sorted(Base.metadata.sorted_tables, key=lambda table: table.name == "meeting_results")
    async with source.connect() as src, target.begin() as dst:
        for table in tables:
            order = list(table.primary_key.columns) or list(table.columns)
            total, offset = 0, 0
            while True:
                rows = (await src.execute(select(table).order_by(*order).limit(BATCH).offset(offset))).mappings().all()
                if not rows:
                    break
                await dst.execute(table.insert(), [dict(row) for row in rows])
                total += len(rows)
                offset += len(rows)
            copied.append(TableCount(table.name, total))
        if target.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto"):
                    await dst.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
    return copied
