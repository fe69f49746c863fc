"""Answers sent again after a kill -9 in a burst: a real ``chibo run`` (polling or webhook) takes a burst
of check-ins and help requests, answering as it goes; it is killed with SIGKILL part-way, started again,
and every member's answers are counted. An answer that went before the kill but was not yet marked sent
goes again after the restart (at least once, never lost): the figure is how many of the answers already
sent went twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from benchmarks.common import start_chibo, stop_chibo, until


async def measure(url: str, server, token: str, users: list[int], workdir: Path, *args: str,
                  ready=None, kill_after: int = 20) -> dict:
    """``server``: a started fake Telegram server; ``users``: linked members of a cell whose meeting is in
    progress. Each sends /diemdanh and /huongdan; after ``kill_after`` answers the process is killed."""
    ready = ready or (lambda: bool(server.calls("getUpdates")))
    proc = await start_chibo(url, server.root, token, workdir, *args, CHIBO_QUIET_HOURS="off", CHIBO_HTTP_PORT="0")
    try:
        if not await until(lambda: ready() or proc.returncode is not None, 60, step=0.01) or proc.returncode is not None:
            raise RuntimeError("chibo run did not start")
        base = {u: server.sent_count(u) for u in users}
        for user in users:
            server.send_text(user, "/diemdanh", first_name="ĐV")
            server.send_text(user, "/huongdan", first_name="ĐV")
        await until(lambda: sum(server.sent_count(u) - base[u] for u in users) >= kill_after, 60, step=0.01)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        sent_before = {u: server.sent_count(u) - base[u] for u in users}
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    proc = await start_chibo(url, server.root, token, workdir, *args, CHIBO_QUIET_HOURS="off", CHIBO_HTTP_PORT="0")
    try:
        complete = await until(lambda: all(server.sent_count(u) - base[u] >= 2 for u in users), 180, step=0.01)
        await asyncio.sleep(2.0)
    finally:
        await stop_chibo(proc)
    answers = {u: server.sent_count(u) - base[u] for u in users}
    return {
        "requests": 2 * len(users),
        "answered_before_kill": sum(sent_before.values()),
        "sent_again": sum(max(0, n - 2) for n in answers.values()),
        "lost": sum(max(0, 2 - n) for n in answers.values()),
        "complete": complete,
    }
