"""Several dispatchers on one PostgreSQL database: every row sent once, none lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from conftest import needs_postgres
from sqlalchemy import func, select
from telegram import Bot

from bot.telegram_adapter import TelegramSender
from core.clock import FakeClock
from fakeapi.telegram import FakeTelegramServer
from scheduler.dispatcher import Dispatcher
from scheduler.pacing import Limits, Pacer
from storage.db import session_factory
from storage.models import OutboxMessage, Platform

FAST = Limits(per_second=100_000, burst=100_000, per_chat_per_second=100, per_chat_burst=100)


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=needs_postgres)], indirect=True)
async def test_two_dispatchers_send_1000_rows_once_each(engine, settings):
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    clock = FakeClock(now)
    sessions = session_factory(engine)
    async with sessions() as s, s.begin():
        for i in range(1000):
            s.add(OutboxMessage(key=f"bulk:{i}", kind="reminder", platform=Platform.TELEGRAM, chat_id=str(10_000 + i),
                                payload={"text": f"Tin số {i}", "buttons": []}, priority=5, due_at=now, attempts=0,
                                created_at=now))
    async with FakeTelegramServer() as server:
        bots = [Bot("123456:TEST-TOKEN", base_url=server.base_url) for _ in range(2)]
        for bot in bots:
            await bot.initialize()
        dispatchers = [
            Dispatcher(settings, sessions, clock, {Platform.TELEGRAM: TelegramSender(bot)},
                       pacers={Platform.TELEGRAM: Pacer(FAST)}, batch_size=50, concurrency=4)
            for bot in bots
        ]

        async def drain(d: Dispatcher) -> None:
            while await d.run_once():
                pass

        await asyncio.gather(*(drain(d) for d in dispatchers))
        for bot in bots:
            await bot.shutdown()
        sent_chats = [m["chat"]["id"] for m in server.sent_messages()]
    assert len(sent_chats) == 1000 and len(set(sent_chats)) == 1000  # no duplicate, none lost
    assert all(d.stats.sent > 100 for d in dispatchers)  # both really worked
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) == 0
