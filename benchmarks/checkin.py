"""Check-in throughput: chibo's real bot next to a bare python-telegram-bot application.

Both poll the same kind of fake Bot API server (``fakeapi.telegram``) on loopback, in this
process's event loop. N distinct linked members of cells whose meeting is open each send
``/diemdanh`` at once (a burst: many cells meet at the same hour at the start of a month); we
time from the first injection to the last answer, and each update from its injection to its answer.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, Defaults, MessageHandler, filters

from benchmarks.common import TOKEN, TimedServer, bench_settings, fix_sequences, migrate, percentile, rounded
from bot.runtime.runner import Runtime, freeze_startup_objects
from core.clock import FakeClock
from scheduler.delivery.pacing import NO_LIMITS
from scheduler.timed.nudges import run_daily
from storage.db import create_engine, session_factory
from storage.models import (
    Attendance,
    Cell,
    ChatLink,
    Committee,
    InboxUpdate,
    Meeting,
    MeetingKind,
    Member,
    MemberStatus,
    Platform,
    Role,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # chibo's default zone: a meeting's period is its local month
CELL_SIZE = 20
FIRST_USER = 500_000
WARMUP = 40
CHIBO_TEXT = "/diemdanh"


def _name(i: int) -> tuple[str, str]:
    """(full name, first name as Telegram shows it) of member ``i``."""
    family = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")[i % 8]
    given = ("An", "Bình", "Cường", "Dung", "Giang", "Hải", "Lan", "Minh", "Ngọc", "Phúc")[i % 10]
    return f"{family} Văn {given} {i}", given


async def seed(url: str, count: int, now) -> list[tuple[int, str]]:
    """Committee, cells of CELL_SIZE linked members, one meeting open in each: written directly.

    Returns ``(telegram user id, first name)`` of every member, in cell order."""
    await migrate(url)
    started = now - timedelta(minutes=5)
    cells = -(-count // CELL_SIZE)
    local = started.astimezone(TZ)
    users: list[tuple[int, str]] = []
    members, links = [], []
    for i in range(count):
        full, first = _name(i)
        mid = i + 1
        members.append(dict(id=mid, cell_id=i // CELL_SIZE + 1, full_name=full,
                            role=Role.BI_THU if i % CELL_SIZE == 0 else Role.DANG_VIEN, status=MemberStatus.CHINH_THUC,
                            exempt=False, active_from=(now - timedelta(days=400)).date(), created_at=now))
        uid = FIRST_USER + i
        links.append(dict(platform=Platform.TELEGRAM, platform_user_id=str(uid), chat_id=str(uid), member_id=mid,
                          display_name=first, linked_at=now, last_seen_at=now))
        users.append((uid, first))
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(Committee), [dict(id=1, name="Đảng ủy phường (benchmark)", created_at=now)])
            await conn.execute(insert(Cell), [dict(id=c + 1, committee_id=1, name=f"Chi bộ số {c + 1}", created_at=now)
                                              for c in range(cells)])
            for start in range(0, count, 5000):
                await conn.execute(insert(Member), members[start:start + 5000])
                await conn.execute(insert(ChatLink), links[start:start + 5000])
            await conn.execute(insert(Meeting), [
                dict(id=c + 1, cell_id=c + 1, kind=MeetingKind.THUONG_KY, period=f"{local.year}-{local.month:02d}",
                     scheduled_at=started, started_at=started, start_manual=False, end_manual=False,
                     auto_created=False, created_at=started)
                for c in range(cells)
            ])
            await fix_sequences(conn, ["committees", "cells", "members", "meetings"])
    finally:
        await engine.dispose()
    return users


def _figures(server: TimedServer, users: list[tuple[int, str]], started: float, expect: str) -> dict:
    ids = [u for u, _ in users]
    latencies = [server.answered_at[u] - server.injected_at[u] for u in ids if u in server.answered_at]
    answered = len(latencies)
    last = max((server.answered_at[u] for u in ids if u in server.answered_at), default=started)
    elapsed = last - started
    return {
        "updates": len(ids),
        "answered": answered,
        "wrong_answers": sum(1 for u in ids if u in server.first_answer and not server.first_answer[u].startswith(expect)),
        "seconds": rounded(elapsed),
        "per_s": rounded(answered / elapsed if elapsed > 0 else 0.0, 1),
        "p50_ms": rounded(percentile(latencies, 50) * 1000, 1) if latencies else None,
        "p99_ms": rounded(percentile(latencies, 99) * 1000, 1) if latencies else None,
    }


async def _burst(server: TimedServer, users: list[tuple[int, str]], text: str, timeout: float) -> float:
    started = time.perf_counter()
    for uid, first in users:
        server.inject(uid, text, first)
    await server.wait_answered(timeout)
    return started


async def run_bare(users: list[tuple[int, str]], warm: list[tuple[int, str]], timeout: float,
                   database_url: str | None = None) -> dict:
    """A bare python-telegram-bot Application: one MessageHandler answering "ok".

    With ``database_url``, the handler first writes one row in its own transaction (SQLAlchemy,
    chibo's engine settings): the least any bot that stores the check-in must do."""
    engine = create_engine(database_url) if database_url else None
    sessions = session_factory(engine) if engine else None
    async with TimedServer() as server:
        app = (
            ApplicationBuilder().token(TOKEN).base_url(server.base_url).base_file_url(server.base_file_url)
            .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
            .concurrent_updates(False).build()
        )

        async def ok(update, context) -> None:
            if sessions is not None:
                async with sessions() as session, session.begin():
                    now = datetime.now(UTC)  # a row of its own platform, handled: chibo's run after it ignores it
                    session.add(InboxUpdate(platform="floor", update_key=f"floor:{update.update_id}", chat_key="floor",
                                            payload={}, received_at=now, handled_at=now, attempts=0))
            await update.message.reply_text("ok")

        app.add_handler(MessageHandler(filters.TEXT, ok))
        await app.initialize()
        await app.start()
        assert app.updater is not None  # built with an updater
        await app.updater.start_polling(poll_interval=0.0, timeout=30, allowed_updates=["message", "callback_query"])
        try:
            await _burst(server, warm, "/diemdanh", timeout)
            server.forget_timings()
            started = await _burst(server, users, "/diemdanh", timeout)
            return _figures(server, users, started, "ok")
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            if engine is not None:
                await engine.dispose()


async def run_chibo(url: str, users: list[tuple[int, str]], warm: list[tuple[int, str]], now, workdir: Path,
                    timeout: float, profile: Path | None = None) -> dict:
    """chibo's Runtime (python-telegram-bot Application, dispatcher, scheduler) with a FakeClock."""
    async with TimedServer() as server:
        runtime = Runtime(settings=bench_settings(url, server, workdir), clock=FakeClock(now))
        await runtime.start()
        # The fake enforces no flood limits here, as for the bare bot beside it: chibo's pacer keeps none either,
        # so this measures chibo's own speed. With Telegram's limits a bot answers at most 30 a second, answers
        # ahead of the outbox (tests/flow/test_answers_paced.py).
        for app in runtime.platforms["telegram"].apps.values():  # type: ignore[attr-defined]
            app.bot_data["adapter"].pacer.set_limits(NO_LIMITS)
        # The start-up planner pass is done before the burst rather than during it.
        assert runtime.scheduler is not None  # started
        runtime.scheduler.remove_job("daily-planner-startup")
        await run_daily(runtime.services)
        freeze_startup_objects()  # as `chibo run` does once started (bot.runtime.runner.run_forever)
        try:
            await _burst(server, warm, CHIBO_TEXT, timeout)
            server.forget_timings()
            profiler = _profiler(profile)
            with profiler or nullcontext():
                started = await _burst(server, users, CHIBO_TEXT, timeout)
            figures = _figures(server, users, started, "✅")
            if profiler is not None:
                assert profile is not None  # a profiler only for a profile path
                _write_profile(profiler, profile)
        finally:
            await runtime.stop()
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            written = await conn.scalar(select(func.count()).select_from(Attendance).where(
                Attendance.checked_in_at.is_not(None), Attendance.member_id > len(warm)))  # ids follow seed()
    finally:
        await engine.dispose()
    figures["written"] = written
    return figures


def _profiler(path: Path | None):
    if path is None:
        return None
    try:
        from pyinstrument import Profiler
    except ImportError:  # pragma: no cover - optional
        print("pyinstrument is not installed: pip install pyinstrument (no profile written)")
        return None
    return Profiler(async_mode="disabled", interval=0.0005)


def _write_profile(profiler, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    path.with_suffix(".html").write_text(profiler.output_html())


async def measure(kind: str, url: str, count: int, now, workdir: Path, profile: Path | None = None) -> dict:
    """Bare application then chibo, side by side, on one database."""
    users = await seed(url, WARMUP + count, now)
    warm, measured = users[:WARMUP], users[WARMUP:]
    timeout = 60 + count * 0.1
    bare = await run_bare(measured, warm, timeout)
    floor = await run_bare(measured, warm, timeout, database_url=url)
    chibo = await run_chibo(url, measured, warm, now, workdir, timeout, profile)
    return {
        "chibo_per_s": chibo["per_s"],
        "bare_per_s": bare["per_s"],
        "ratio": rounded(chibo["per_s"] / bare["per_s"] if bare["per_s"] else 0.0),
        "p50_ms": chibo["p50_ms"],
        "p99_ms": chibo["p99_ms"],
        "bare_p50_ms": bare["p50_ms"],
        "bare_p99_ms": bare["p99_ms"],
        # The bare application writing one row per update in its own transaction: the most a bot
        # that stores each check-in could hope for with this stack.
        "bare_one_insert_per_s": floor["per_s"],
        "bare_one_insert_ratio": rounded(floor["per_s"] / bare["per_s"] if bare["per_s"] else 0.0),
        "ratio_one_insert": rounded(chibo["per_s"] / floor["per_s"] if floor["per_s"] else 0.0),
        "updates": count,
        "chibo": chibo,
        "bare": bare,
        "bare_one_insert": floor,
        "database": kind,
    }
