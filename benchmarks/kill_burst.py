"""Answers sent again after a kill -9 in a burst: a real ``chibo run`` (polling or webhook) takes a burst
of check-ins and help requests, answering as it goes; it is killed with SIGKILL part-way, started again,
and every member's answers are counted. An answer that went before the kill but was not yet marked sent
goes again after the restart (at least once, never lost): the figure is how many of the answers already
sent went twice."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from benchmarks.idle import chibo_command


async def _start(url: str, api_root: str, token: str, workdir: Path, args: tuple[str, ...]):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_")}
    env.update(CHIBO_DATABASE_URL=url, CHIBO_TELEGRAM_TOKEN=token, CHIBO_TELEGRAM_API_URL=api_root,
               CHIBO_QUIET_HOURS="off", CHIBO_REPORTS_DIR=str(workdir / "reports"), CHIBO_HTTP_PORT="0")
    log = open(workdir / f"chibo-{time.monotonic_ns()}.log", "wb")
    proc = await asyncio.create_subprocess_exec(*chibo_command(), "run", *args, cwd=workdir, env=env,
                                                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    return proc


async def _until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def measure(url: str, server, token: str, users: list[int], workdir: Path, *args: str,
                  ready=None, kill_after: int = 20) -> dict:
    """``server``: a started fake Telegram server; ``users``: linked members of a cell whose meeting is in
    progress. Each sends /diemdanh and /huongdan; after ``kill_after`` answers the process is killed."""
    ready = ready or (lambda: bool(server.calls("getUpdates")))
    proc = await _start(url, server.root, token, workdir, args)
    try:
        if not await _until(lambda: ready() or proc.returncode is not None, 60) or proc.returncode is not None:
            raise RuntimeError("chibo run did not start")
        base = {u: server.sent_count(u) for u in users}
        for user in users:
            server.send_text(user, "/diemdanh", first_name="ĐV")
            server.send_text(user, "/huongdan", first_name="ĐV")
        await _until(lambda: sum(server.sent_count(u) - base[u] for u in users) >= kill_after, 60)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        sent_before = {u: server.sent_count(u) - base[u] for u in users}
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    proc = await _start(url, server.root, token, workdir, args)
    try:
        complete = await _until(lambda: all(server.sent_count(u) - base[u] >= 2 for u in users), 180)
        await asyncio.sleep(2.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    answers = {u: server.sent_count(u) - base[u] for u in users}
    return {
        "requests": 2 * len(users),
        "answered_before_kill": sum(sent_before.values()),
        "sent_again": sum(max(0, n - 2) for n in answers.values()),
        "lost": sum(max(0, 2 - n) for n in answers.values()),
        "complete": complete,
    }
