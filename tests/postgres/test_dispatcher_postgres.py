"""Several dispatchers on one PostgreSQL database: every row sent once, none lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from telegram import Bot

from bot.platforms.telegram.adapter import TelegramSender
from core.clock import FakeClock
from fakeapi.telegram import FakeTelegramServer
from scheduler import planner
from scheduler.delivery.dispatcher import Dispatcher
from scheduler.delivery.pacing import Limits, Pacer
from storage.db import session_factory
from storage.models import (
    Cell,
    ChatLink,
    Committee,
    Meeting,
    MeetingKind,
    Member,
    OutboxMessage,
    PlannedMessage,
    Platform,
)
from tests.conftest import needs_postgres

FAST = Limits(per_second=100_000, burst=100_000, per_chat_per_second=100, per_chat_burst=100)


async def drain_with_two_dispatchers(settings, sessions, clock) -> tuple[list[dict], list[Dispatcher]]:
    """Two dispatchers, each with its own Bot as two processes would have, empty the outbox together:
    what the fake Bot API received, and the dispatchers (their stats say how much each sent)."""
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
        return server.sent_messages(), dispatchers


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
    sent, dispatchers = await drain_with_two_dispatchers(settings, sessions, clock)
    sent_chats = [m["chat"]["id"] for m in sent]
    assert len(sent_chats) == 1000 and len(set(sent_chats)) == 1000  # no duplicate, none lost
    assert all(d.stats.sent > 100 for d in dispatchers)  # both really worked
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) == 0


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=needs_postgres)], indirect=True)
async def test_two_dispatchers_carry_out_each_planned_reminder_once(engine, settings):
    """Plans are addressed when due by whichever process gets them first; each reminder goes once."""
    start = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    clock = FakeClock(start - timedelta(days=4))
    sessions = session_factory(engine)
    async with sessions() as s, s.begin():
        committee = Committee(name="Đảng ủy", created_at=clock.now())
        s.add(committee)
        for c in range(30):
            cell = Cell(committee=committee, name=f"Chi bộ {c}", created_at=clock.now())
            s.add(cell)
            await s.flush()
            for m in range(10):
                member = Member(cell_id=cell.id, full_name=f"Đảng viên {c}-{m}", active_from=date(2026, 1, 1),
                                created_at=clock.now())
                s.add(member)
                await s.flush()
                s.add(ChatLink(platform=Platform.TELEGRAM, platform_user_id=str(member.id), chat_id=str(member.id),
                               member_id=member.id, linked_at=clock.now()))
            meeting = Meeting(cell_id=cell.id, kind=MeetingKind.CHUYEN_DE, period="2026-12", scheduled_at=start,
                              created_at=clock.now())
            s.add(meeting)
            await s.flush()
            await planner.plan_meeting(s, settings, meeting, clock.now())
    clock.set(start - timedelta(hours=2))  # all three offsets are due
    sent, _ = await drain_with_two_dispatchers(settings, sessions, clock)
    assert len(sent) == 30 * 10 * 3  # three reminders to each of 300 members, none twice
    async with sessions() as s:
        keys = list(await s.scalars(select(OutboxMessage.key).where(OutboxMessage.kind == "reminder")))
        undone = await s.scalar(select(func.count()).select_from(PlannedMessage).where(
            PlannedMessage.done_at.is_(None), PlannedMessage.due_at <= clock.now()))  # every plan due was carried out
    assert len(keys) == len(set(keys)) == 900 and undone == 0
