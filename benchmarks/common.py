"""What the measures share: the machine, memory, percentiles, databases, a timed fake server."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.settings import Settings
from fakeapi.telegram import GLOBAL_MESSAGES_PER_SECOND, FakeTelegramServer
from storage.db import create_engine, upgrade

REPO = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/chibo_bench"
TOKEN = "123456:TEST-TOKEN"
BOT_USERNAME = "chibo_bench_bot"
GLOBAL_LIMIT = GLOBAL_MESSAGES_PER_SECOND  # what the fake Bot API lets through in any second


# --- a `chibo run` process ------------------------------------------------------------------------


def chibo_command() -> list[str]:
    """The ``chibo`` console script next to this Python, else on PATH, else ``python -m bot.cli``."""
    here = Path(sys.executable).with_name("chibo")
    if here.exists():
        return [str(here)]
    found = shutil.which("chibo")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


async def start_chibo(url: str, api_root: str, token: str, workdir: Path, *args: str, log: Path | None = None,
                      **env: str) -> asyncio.subprocess.Process:
    """``chibo run ARGS`` on the database ``url`` and the fake Bot API at ``api_root``, with none of this process's
    CHIBO_ variables but ``env``; its output goes to ``log`` (a new file in ``workdir`` by default)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_")}
    environ.update(CHIBO_DATABASE_URL=url, CHIBO_TELEGRAM_TOKEN=token, CHIBO_TELEGRAM_API_URL=api_root,
                   CHIBO_REPORTS_DIR=str(workdir / "reports"), **env)
    with open(log or workdir / f"chibo-{time.monotonic_ns()}.log", "wb") as out:
        return await asyncio.create_subprocess_exec(*chibo_command(), "run", *args, cwd=workdir, env=environ,
                                                    stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out)


async def stop_chibo(proc: asyncio.subprocess.Process, timeout: float = 30) -> None:
    """SIGTERM, as systemd stops it; killed if it has not ended within ``timeout`` seconds."""
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def until(predicate: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    """Wait until ``predicate()`` holds, looking every ``step`` seconds: False if ``timeout`` passed first."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


# --- the machine -------------------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                             timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def python_speed() -> float:
    """Seconds for a fixed pure-Python loop (10 million additions): how fast this machine runs Python
    right now. On a shared machine it moves by a factor of two or more from one hour to the next."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return round(time.perf_counter() - started, 2)


def machine_info() -> dict:
    import sqlite3

    import sqlalchemy
    import telegram

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_mb": _memory_mb(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "python_telegram_bot": telegram.__version__,
        "commit": _commit(),
    }


# --- memory and statistics ---------------------------------------------------------------------

def proc_status_kb(field: str, pid: int | str = "self") -> int | None:
    """A ``kB`` field of /proc/PID/status (VmRSS, VmHWM...), or None when unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (from /proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def percentile(values: Iterable[float], p: float) -> float:
    """The ``p``-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# --- databases ---------------------------------------------------------------------------------

def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def postgres_ready(url: str) -> str | None:
    """Create the benchmark database if it is missing and empty it; None when ready, else why not."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                          isolation_level="AUTOCOMMIT")
    try:
        async with asyncio.timeout(10):
            async with admin.connect() as conn:
                exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                           {"n": parsed.database})
                if not exists:
                    await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    except Exception as exc:  # unreachable, refused, no rights: the PostgreSQL part is skipped
        return f"PostgreSQL unreachable at {parsed.host}:{parsed.port or 5432} ({type(exc).__name__}: {exc})"[:300]
    finally:
        await admin.dispose()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
    return None


async def migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def fix_sequences(conn, tables: Iterable[str]) -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        await conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
        ))


def bench_settings(database_url: str, server: FakeTelegramServer | None, workdir: Path) -> Settings:
    return Settings(_env_file=None, database_url=database_url, telegram_token=TOKEN,
                    telegram_api_url=server.root if server else "http://127.0.0.1:9",
                    telegram_bot_username=BOT_USERNAME, quiet_hours="off", reports_dir=str(workdir / "reports"))


# --- the fake Bot API, with the time of every message it accepted ------------------------------

class TimedServer(FakeTelegramServer):
    """FakeTelegramServer that stamps (perf_counter) every message it accepts, and times the first
    answer in each chat a user wrote to with :meth:`inject`."""

    def __init__(self, **kwargs):
        if not callable(getattr(FakeTelegramServer, "_deliver_bot_message", None)):  # the hook below
            raise RuntimeError("fakeapi.telegram changed: FakeTelegramServer._deliver_bot_message is gone")
        super().__init__(token=TOKEN, bot_username=BOT_USERNAME, **kwargs)
        self.accepted = 0  # bot messages accepted, all chats
        self.per_chat: dict[int, int] = {}
        self.last_accepted_at = 0.0
        self.injected_at: dict[int, float] = {}
        self.answered_at: dict[int, float] = {}
        self.first_answer: dict[int, str] = {}
        self._unanswered: set[int] = set()
        self._event: asyncio.Event | None = None
        self._count_target: int | None = None

    def _deliver_bot_message(self, chat, content, params):
        message = super()._deliver_bot_message(chat, content, params)
        now = time.perf_counter()
        chat_id = chat["id"]
        self.accepted += 1
        self.last_accepted_at = now
        self.per_chat[chat_id] = self.per_chat.get(chat_id, 0) + 1
        if chat_id in self._unanswered:
            self._unanswered.discard(chat_id)
            self.answered_at[chat_id] = now
            self.first_answer[chat_id] = message.get("text", "")
        if self._event is not None and (
            (self._count_target is None and not self._unanswered)
            or (self._count_target is not None and self.accepted >= self._count_target)
        ):
            self._event.set()
        return message

    def inject(self, user_id: int, text: str, first_name: str) -> None:
        """A user writes ``text`` in their private chat; their first answer after now is timed."""
        self._unanswered.add(user_id)
        self.injected_at[user_id] = time.perf_counter()
        self.send_text(user_id, text, first_name=first_name)

    def forget_timings(self) -> None:
        self.injected_at.clear()
        self.answered_at.clear()
        self.first_answer.clear()

    @property
    def unanswered(self) -> int:
        return len(self._unanswered)

    async def wait_answered(self, timeout: float) -> bool:
        """Wait until every chat written to with :meth:`inject` was answered; False on time-out."""
        return await self._wait(lambda: not self._unanswered, None, timeout)

    async def wait_accepted(self, count: int, timeout: float) -> bool:
        """Wait until the server has accepted ``count`` bot messages in all; False on time-out."""
        return await self._wait(lambda: self.accepted >= count, count, timeout)

    async def _wait(self, done, count_target: int | None, timeout: float) -> bool:
        if done():
            return True
        self._event, self._count_target = asyncio.Event(), count_target
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
            return True
        except TimeoutError:
            return done()
        finally:
            self._event = self._count_target = None

