"""Reminder fan-out with several chibo processes on one PostgreSQL database: one ``chibo run`` (long
polling) and one or two ``chibo worker``, real subprocesses, against the fake Bot API that enforces
Telegram's limits. Optionally the active sender is killed with SIGKILL part-way (a takeover)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.common import GLOBAL_LIMIT, REPO, TOKEN, TimedServer, bench_settings, rounded
from benchmarks.fanout import FIRST_CHAT, seed
from core.clock import SystemClock
from storage.db import create_engine, session_factory
from storage.models import OutboxMessage

ELECTION_INTERVAL = 2.0


class StampedServer(TimedServer):
    """TimedServer that keeps the time of every accepted message (for the gap at a takeover)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stamps: list[float] = []

    def _deliver_bot_message(self, chat, content, params):
        message = super()._deliver_bot_message(chat, content, params)
        self.stamps.append(self.last_accepted_at)
        return message


def commands(processes: int) -> list[list[str]]:
    """``chibo run`` (long polling) first, then workers."""
    return [["run"]] + [["worker"]] * (processes - 1)


def spawn(args: list[str], url: str, server: TimedServer, workdir: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, CHIBO_DATABASE_URL=url, CHIBO_TELEGRAM_TOKEN=TOKEN,
               CHIBO_TELEGRAM_API_URL=server.root, CHIBO_QUIET_HOURS="off",
               CHIBO_REPORTS_DIR=str(workdir / "reports"),
               CHIBO_ELECTION_INTERVAL_SECONDS=str(ELECTION_INTERVAL), PYTHONPATH=str(REPO),
               CHIBO_HTTP_PORT="0")  # several processes on one machine: no health endpoint, so no port to share
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=workdir, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to every process still running, then wait for each (killed after 30 seconds)."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def first_chibo_line(log: Path) -> str:
    for line in log.read_text(errors="replace").splitlines():
        if "chibo run:" in line or "chibo worker:" in line:
            return line
    return ""


async def wait_started(logs: list[Path], timeout: float = 120.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [first_chibo_line(log) for log in logs]
        if all(lines):
            return lines
        await asyncio.sleep(0.2)
    raise RuntimeError("a chibo process did not start: " + " | ".join(log.read_text()[-500:] for log in logs))


async def measure(url: str, count: int, processes: int, workdir: Path, kill_active_at: int | None = None) -> dict:
    """``kill_active_at``: after that many messages were accepted, SIGKILL the active sender."""
    workdir.mkdir(parents=True, exist_ok=True)
    clock = SystemClock()
    now = clock.now().replace(microsecond=0) - timedelta(seconds=1)
    procs: list[subprocess.Popen] = []
    killed_at, killed = None, None
    async with StampedServer(enforce_limits=True) as server:
        settings = bench_settings(url, server, workdir)
        await seed(url, count, now, settings)
        logs = [workdir / f"process-{i}.log" for i in range(processes)]
        try:
            for args, log in zip(commands(processes), logs, strict=True):
                procs.append(spawn(args, url, server, workdir, log))
            first_lines = await wait_started(logs)
            ideal = count / GLOBAL_LIMIT
            if kill_active_at is not None:
                await server.wait_accepted(kill_active_at, timeout=ideal * 3 + 60)
                active = [i for i, line in enumerate(first_lines) if "active sender for" in line]
                if len(active) != 1:
                    raise RuntimeError(f"expected one active sender, first lines: {first_lines}")
                killed = active[0]
                procs[killed].send_signal(signal.SIGKILL)
                killed_at = time.perf_counter()
            delivered = await server.wait_accepted(count, timeout=ideal * 3 + 90)
            await asyncio.sleep(2.0)  # a duplicate in flight would show up now
        finally:
            stop(procs)
        engine = create_engine(url)
        async with session_factory(engine)() as s:
            unsent = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.sent_at.is_(None)))
        await engine.dispose()
    stamps = server.stamps
    seconds = (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    chats = {FIRST_CHAT + i for i in range(count)}
    duplicates = sum(n - 1 for chat, n in server.per_chat.items() if chat in chats and n > 1)
    lost = sum(1 for chat in chats if chat not in server.per_chat)
    result = {
        "processes": [" ".join(["chibo", *args]) for args in commands(processes)],
        "messages": count,
        "delivered_all": delivered,
        "seconds": rounded(seconds, 2),
        "ideal_seconds": rounded(count / GLOBAL_LIMIT, 2),
        "ratio": rounded((count / GLOBAL_LIMIT) / seconds if seconds > 0 else 0.0),
        "http_429": server.http_429,
        "duplicates": duplicates,
        "lost": lost,
        "unsent_rows": unsent,
        "other_messages": sum(n for chat, n in server.per_chat.items() if chat not in chats),
        "first_log_lines": [line.split(": ", 1)[-1] if "chibo" in line else line for line in first_lines],
    }
    if killed_at is not None:
        after = [s for s in stamps if s > killed_at]
        result["takeover_seconds"] = rounded(after[0] - killed_at, 2) if after else None
        # Messages in the killed sender's hands when it died may go out twice (delivery is at least once).
        result["killed_after_messages"] = kill_active_at
        result["killed_process"] = killed
    return result
