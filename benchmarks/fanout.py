"""Reminder fan-out: N reminder rows due at once, to N distinct private chats, delivered by chibo's
dispatcher through python-telegram-bot against a fake Bot API that enforces Telegram's flood limits
(429 beyond 30 messages a second overall, 1 a second per private chat after a burst of 3, 20 a
minute per group)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from benchmarks.common import GLOBAL_LIMIT, TimedServer, bench_settings, fix_sequences, migrate, rounded
from bot.platforms.telegram.adapter import TelegramSender, build_application
from core.clock import SystemClock
from core.services import Services
from scheduler.delivery.dispatcher import Dispatcher
from scheduler.planner import meeting_reply
from storage.db import create_engine, session_factory
from storage.models import (
    Cell,
    Committee,
    Meeting,
    MeetingKind,
    Member,
    MemberStatus,
    OutboxMessage,
    Platform,
    Role,
)

CELL_SIZE = 25
FIRST_CHAT = 700_000


async def seed(url: str, count: int, now: datetime, settings) -> None:
    """Cells, members and a meeting two days ahead per cell; one due reminder per member, as the
    planner writes it (same payload, key, kind and priority), all due now."""
    await migrate(url)
    cells = -(-count // CELL_SIZE)
    scheduled = now + timedelta(days=2)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(Committee), [dict(id=1, name="Đảng ủy (benchmark)", created_at=now)])
            cell_rows = [dict(id=c + 1, committee_id=1, name=f"Chi bộ khu dân cư số {c + 1}", created_at=now)
                         for c in range(cells)]
            await conn.execute(insert(Cell), cell_rows)
            meeting_rows = [dict(id=c + 1, cell_id=c + 1, kind=MeetingKind.THUONG_KY,
                                 period=scheduled.astimezone(settings.tz).strftime("%Y-%m"), scheduled_at=scheduled,
                                 place="Nhà văn hóa", start_manual=False, end_manual=False, auto_created=False,
                                 created_at=now) for c in range(cells)]
            await conn.execute(insert(Meeting), meeting_rows)
            payloads = {}
            for c in range(cells):
                cell = Cell(**cell_rows[c])
                meeting = Meeting(**meeting_rows[c])
                payloads[c + 1] = meeting_reply(settings, cell, meeting).to_payload()
            stamp = int(scheduled.timestamp())
            members, outbox = [], []
            for i in range(count):
                cell_id = i // CELL_SIZE + 1
                members.append(dict(id=i + 1, cell_id=cell_id, full_name=f"Đảng viên {i + 1}",
                                    role=Role.BI_THU if i % CELL_SIZE == 0 else Role.DANG_VIEN,
                                    status=MemberStatus.CHINH_THUC, exempt=False,
                                    active_from=(now - timedelta(days=365)).date(), created_at=now))
                outbox.append(dict(key=f"reminder:{cell_id}:{stamp}:172800:{i + 1}", kind="reminder",
                                   platform=Platform.TELEGRAM, chat_id=str(FIRST_CHAT + i), member_id=i + 1,
                                   meeting_id=cell_id, payload=payloads[cell_id], priority=6, due_at=now,
                                   attempts=0, created_at=now))
            for start in range(0, count, 5000):
                await conn.execute(insert(Member), members[start:start + 5000])
                await conn.execute(insert(OutboxMessage), outbox[start:start + 5000])
            await fix_sequences(conn, ["committees", "cells", "members", "meetings"])
    finally:
        await engine.dispose()


async def measure(url: str, count: int, workdir: Path) -> dict:
    clock = SystemClock()
    now = clock.now().replace(microsecond=0) - timedelta(seconds=1)
    async with TimedServer(enforce_limits=True) as server:
        settings = bench_settings(url, server, workdir)
        await seed(url, count, now, settings)
        engine = create_engine(url)
        sessions = session_factory(engine)
        # The same python-telegram-bot Bot chibo runs with (defaults, timeouts, connection pool).
        token = settings.token_value()
        assert token is not None  # bench_settings gives the fake server's token
        app = build_application(Services(settings=settings, sessions=sessions, clock=clock), token,
                                settings.telegram_api_url, updater=False)
        await app.initialize()
        dispatcher = Dispatcher(settings, sessions, clock, {Platform.TELEGRAM: TelegramSender(app.bot)})
        ideal = count / GLOBAL_LIMIT
        try:
            started = time.perf_counter()
            dispatcher.start()
            delivered = await server.wait_accepted(count, timeout=ideal * 3 + 60)
            seconds = (server.last_accepted_at if delivered else time.perf_counter()) - started
            # Anything still in flight (a duplicate would show up now), then stop.
            await asyncio.sleep(1.0)
            await dispatcher.stop()
        finally:
            await app.shutdown()
        async with sessions() as s:
            unsent = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
        await engine.dispose()
    chats = {str(FIRST_CHAT + i) for i in range(count)}
    received = {str(chat): n for chat, n in server.per_chat.items()}
    duplicates = sum(n - 1 for chat, n in received.items() if chat in chats and n > 1)
    lost = sum(1 for chat in chats if chat not in received)
    strays = sum(n for chat, n in received.items() if chat not in chats)
    return {
        "messages": count,
        "seconds": rounded(seconds, 2),
        "ideal_seconds": rounded(ideal, 2),
        "ratio": rounded(ideal / seconds if seconds > 0 else 0.0),
        "http_429": server.http_429,
        "duplicates": duplicates,
        "lost": lost,
        "unsent_rows": unsent,
        "other_messages": strays,
        "rate_per_s": rounded(count / seconds if seconds > 0 else 0.0, 2),
        "dispatcher": {"sent": dispatcher.stats.sent, "retried": dispatcher.stats.retried,
                       "failed": dispatcher.stats.failed, "http_429": dispatcher.stats.http_429,
                       "dropped_late": dispatcher.stats.dropped_late},
        "limits": _limits(dispatcher),
        "database": url.split(":", 1)[0],
        "started_utc": now.astimezone(UTC).isoformat(timespec="seconds"),
    }


def _limits(dispatcher: Dispatcher) -> dict:
    pacer = dispatcher.pacers[Platform.TELEGRAM]
    limits = getattr(pacer, "limits", None)
    if limits is None:
        return {}
    return {k: getattr(limits, k) for k in getattr(limits, "__dataclass_fields__", {})}
