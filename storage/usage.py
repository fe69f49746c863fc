"""Counting messages per bot per month, for platforms with a monthly quota."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlatformUsage
from storage.upsert import insert_for


async def add_sent(session: AsyncSession, bot_key: str, month: str, count: int = 1) -> None:
    insert = insert_for(session)
    stmt = insert(PlatformUsage).values(bot_key=bot_key, month=month, sent=count)
    stmt = stmt.on_conflict_do_update(index_elements=["bot_key", "month"],
                                      set_={"sent": PlatformUsage.sent + stmt.excluded.sent})
    await session.execute(stmt)


async def sent_in(session: AsyncSession, bot_key: str, month: str) -> int:
    value = await session.scalar(
        select(PlatformUsage.sent).where(PlatformUsage.bot_key == bot_key, PlatformUsage.month == month))
    return value or 0
