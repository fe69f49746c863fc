"""A bad day: PostgreSQL goes away for 3, 12 and 30 seconds (connections refused, those open cut) under
real ``chibo run`` processes, alone and beside a ``chibo worker``. Nobody exits: /readyz says 503 while
the database is away, and a message written during the outage is answered within seconds of its return.

The outage is a TCP proxy on loopback (``tests/support/pg_proxy.py``) between chibo and the test's database:
the PostgreSQL server others use is never touched."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.common import REPO, TOKEN, TimedServer, migrate
from benchmarks.fanout_processes import wait_started
from tests.conftest import PG_URL, free_port, needs_postgres, reset_postgres
from tests.support.pg_proxy import PgProxy, TcpProxy

pytestmark = needs_postgres

OUTAGES = (3, 12, 30)
ELECTION_INTERVAL = 1.0  # shorter than the default 5 s, to keep the test's time reasonable
WITHIN = 12.0  # seconds after the database's return by which a message written during the outage is answered


def spawn(command: str, url: str, server: TimedServer, workdir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_")}
    env.update(CHIBO_DATABASE_URL=url, CHIBO_TELEGRAM_TOKEN=TOKEN, CHIBO_TELEGRAM_API_URL=server.root,
               CHIBO_QUIET_HOURS="off", CHIBO_REPORTS_DIR=str(workdir / "reports"),
               CHIBO_ELECTION_INTERVAL_SECONDS=str(ELECTION_INTERVAL), CHIBO_HTTP_PORT=str(port),
               PYTHONPATH=str(REPO))
    with (workdir / f"{command}.log").open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", command], cwd=workdir, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


async def readyz(port: int) -> tuple[int, dict]:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(f"http://127.0.0.1:{port}/readyz")
    return answer.status_code, answer.json()


async def until_ready(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (await readyz(port))[0] == 200:
            return True
        await asyncio.sleep(0.5)
    return False


@pytest.mark.parametrize("commands", [["run"], ["run", "worker"]], ids=["run", "run+worker"])
async def test_database_outages_of_3_12_and_30_seconds_the_bot_stays_up(tmp_path, commands):
    await reset_postgres(PG_URL)
    await migrate(PG_URL)
    proxy = PgProxy(PG_URL)
    await proxy.up()
    ports = {command: free_port() for command in commands}
    procs: list[subprocess.Popen] = []
    try:
        async with TimedServer() as server:
            procs = [spawn(command, proxy.url, server, tmp_path, ports[command]) for command in commands]
            await wait_started([tmp_path / f"{command}.log" for command in commands])
            user = 900
            server.inject(user, "/start", first_name="An")
            assert await server.wait_answered(timeout=30)
            for seconds in OUTAGES:
                await proxy.down()
                await asyncio.sleep(1.5)
                assert [proc.poll() for proc in procs] == [None] * len(procs), (seconds, _logs(tmp_path, commands))
                for command, port in ports.items():  # not ready while the database is away, and it says why
                    try:
                        status, report = await readyz(port)
                    except httpx.ConnectError:
                        raise AssertionError(_logs(tmp_path, commands)) from None
                    assert status == 503 and report["database"].startswith("error"), (command, seconds, report)
                user += 1
                server.inject(user, "/start", first_name="Bình")  # written during the outage
                await asyncio.sleep(seconds - 1.5)
                assert [proc.poll() for proc in procs] == [None] * len(procs), (seconds, _logs(tmp_path, commands))
                await proxy.up()
                back = time.perf_counter()
                assert await server.wait_answered(timeout=WITHIN + 20), (seconds, _logs(tmp_path, commands))
                assert server.answered_at[user] - back < WITHIN, (seconds, server.answered_at[user] - back)
                for command, port in ports.items():
                    assert await until_ready(port, 20), (command, seconds, await readyz(port))
            assert [proc.poll() for proc in procs] == [None] * len(procs), _logs(tmp_path, commands)
            server.inject(user + 1, "/start", first_name="Cường")  # and still the one that takes updates
            assert await server.wait_answered(timeout=20)
            await _stop(procs)  # while the Bot API is still there
    finally:
        await _stop(procs)
        await proxy.close()
    logs = _logs(tmp_path, commands)
    assert "another process polls" not in logs
    assert "Conflict" not in logs  # never two getUpdates at once (Telegram's 409)
    assert "Traceback" not in logs


async def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        for _ in range(300):
            if proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        else:
            proc.kill()


def _logs(tmp_path: Path, commands: list[str]) -> str:
    return "\n".join((tmp_path / f"{command}.log").read_text(errors="replace") for command in commands)


# --- the platform away at start-up ---------------------------------------------------------------------

@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgresql", marks=needs_postgres)])
async def test_telegram_unreachable_at_start_up_is_named_and_retried(tmp_path, db):
    """The Bot API does not answer when chibo run starts: the log names Telegram (not the database), the
    process waits and retries with back-off instead of exiting, and takes updates once Telegram answers."""
    if db == "postgresql":
        await reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}"
    await migrate(url)
    async with TimedServer() as server:
        front = TcpProxy("127.0.0.1", server.port)
        await front.up()
        await front.down()  # its port is known, and nothing answers there
        server.root = f"http://127.0.0.1:{front.port}"
        port = free_port()
        proc = spawn("run", url, server, tmp_path, port)
        try:
            # Polled, not a fixed sleep: as soon as it has failed and retried (after 1 s of back-off); a
            # process slow to start on a busy machine (several test workers) gets up to a minute.
            await until_log(tmp_path / "run.log", "2 failure(s) so far", 60)
            log = _logs(tmp_path, ["run"])
            assert proc.poll() is None, log  # still up: systemd would not restart an exit 2
            assert "Telegram" in log and "database" not in log.lower(), log
            assert "Traceback" not in log and "2 failure(s) so far" in log, log
            await front.up()
            assert await until_log(tmp_path / "run.log", "chibo started", 40), _logs(tmp_path, ["run"])
            server.inject(950, "/start", first_name="An")
            assert await server.wait_answered(timeout=30), _logs(tmp_path, ["run"])
            await _stop([proc])
        finally:
            await _stop([proc])
            await front.close()
    assert proc.returncode == 0


async def until_log(path: Path, words: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if words in path.read_text(errors="replace"):
            return True
        await asyncio.sleep(0.2)
    return False
