"""Check-in button presses at a city's peak, acknowledged while reminders fill the bot's pace.

At a city's busiest evening about 125,000 members check in within fifteen minutes: 139 a second on one
deployment. A press on the check-in button is acknowledged with ``answerCallbackQuery``, which Telegram does not
count against a bot's 30 messages a second; chibo answers it as soon as the check-in is written, before any
message. Here chibo's own Runtime (python-telegram-bot over HTTP, the intake, the router, the dispatcher) runs
against the fake Bot API keeping Telegram's flood limits, a burst of reminders to other people is queued ahead
(the bot's whole pace for a while), and members press at a steady rate. Each press is timed from when the fake
queued it to chibo's ``answerCallbackQuery`` (#23's target: p99 within 5 s at the peak rate). The written
check-ins are counted in the database; the 429 answers and the reminders sent meanwhile too.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from benchmarks import checkin
from benchmarks.common import TimedServer, bench_settings, percentile, rounded, until
from bot.runtime.runner import Runtime, freeze_startup_objects
from core import outgoing
from core.buttons import Checkin
from core.clock import FakeClock
from scheduler.timed.nudges import run_daily
from storage.db import create_engine, session_factory
from storage.models import Attendance, OutboxMessage, Platform

PEAK_PER_S = 139.0  # 125,000 check-ins in fifteen minutes
FIRST_OTHER_CHAT = 7_700_000_000  # the reminders' chats: people of other cells, not pressing


class PressServer(TimedServer):
    """The fake Bot API keeping Telegram's limits, stamping each press and its answerCallbackQuery."""

    def __init__(self) -> None:
        super().__init__(enforce_limits=True)
        self.pressed_at: dict[str, float] = {}  # callback query id -> when queued
        self.acked_at: dict[str, float] = {}

    def press(self, user_id: int, first_name: str, data: str) -> None:
        prompt = {"message_id": 1, "date": int(time.time()), "text": "Cuộc họp đã bắt đầu.",
                  "chat": {"id": user_id, "type": "private", "first_name": first_name}}
        update = self.press_button(user_id, prompt, data, first_name=first_name, forged=True)
        self.pressed_at[update["callback_query"]["id"]] = time.perf_counter()

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        answered = super()._answer_callback_query(params)
        self.acked_at[str(params.get("callback_query_id", ""))] = time.perf_counter()
        return answered


async def _queue_reminders(url: str, count: int, now) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s, s.begin():
            for start in range(0, count, 1000):
                await s.execute(insert(OutboxMessage), [
                    dict(key=f"reminder:bench:{i}", kind=outgoing.REMINDER.kind, platform=Platform.TELEGRAM,
                         chat_id=str(FIRST_OTHER_CHAT + i), member_id=None, meeting_id=None,
                         payload={"text": f"Nhắc họp chi bộ {i}", "buttons": []}, priority=outgoing.REMINDER.priority,
                         due_at=now, attempts=0, created_at=now)
                    for i in range(start, min(count, start + 1000))])
    finally:
        await engine.dispose()


async def _written(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(Attendance).where(
                Attendance.checked_in_at.is_not(None))) or 0)
    finally:
        await engine.dispose()


async def measure(url: str, presses: int, per_second: float, reminders: int, now: datetime, workdir: Path) -> dict:
    """``presses`` members press their meeting's check-in button, ``per_second`` of them a second, while
    ``reminders`` are queued for others; figures of the acknowledgements. ``now``: the evening (meetings begun
    five minutes before, as ``checkin.seed`` writes them)."""
    users = await checkin.seed(url, presses, now)
    await _queue_reminders(url, reminders, now)
    async with PressServer() as server:
        runtime = Runtime(settings=bench_settings(url, server, workdir), clock=FakeClock(now))
        await runtime.start()
        assert runtime.scheduler is not None  # started
        runtime.scheduler.remove_job("daily-planner-startup")  # its pass done before the presses, not during
        await run_daily(runtime.services)
        freeze_startup_objects()
        try:
            await _wait(lambda: server.accepted > 0, 30)  # the reminders are going out
            began, accepted_before = time.perf_counter(), server.accepted
            batch = max(1, round(per_second / 10))  # ten times a second, the presses due by then
            for start in range(0, presses, batch):
                await asyncio.sleep(max(0.0, began + start / per_second - time.perf_counter()))
                for i in range(start, min(presses, start + batch)):
                    uid, first = users[i]
                    server.press(uid, first, Checkin(i // checkin.CELL_SIZE + 1).encode())
            pressing = time.perf_counter() - began + batch / per_second  # the last batch's tenth of a second
            await _wait(lambda: len(server.acked_at) >= presses, 60 + presses / per_second)
            sent_meanwhile = server.accepted - accepted_before  # reminders and the presses' replies
        finally:
            await runtime.stop()
    latencies = [server.acked_at[q] - at for q, at in server.pressed_at.items() if q in server.acked_at]
    return {
        "presses": presses, "per_second_asked": per_second, "per_second_pressed": rounded(presses / pressing, 1),
        "reminders_queued": reminders, "messages_sent_meanwhile": sent_meanwhile,
        "acknowledged": len(latencies),
        "ack_p50_s": rounded(percentile(latencies, 50), 3) if latencies else None,
        "ack_p99_s": rounded(percentile(latencies, 99), 3) if latencies else None,
        "ack_max_s": rounded(max(latencies), 3) if latencies else None,
        "written": await _written(url),
        "http_429": server.http_429,
    }


async def _wait(predicate, timeout: float) -> None:
    if not await until(predicate, timeout, step=0.05):
        raise TimeoutError(f"not within {timeout:.0f} s")

