"""Idle footprint: the resident memory of a ``chibo run`` process once it has started.

The process is the installed ``chibo`` command, on the summary's generated database, polling a
fake Bot API served from this process. VmRSS is read from /proc when it first calls getUpdates
(start-up done), and again once its start-up planner pass is over (its CPU time stops growing).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from benchmarks.common import TOKEN, TimedServer, cpu_seconds, proc_status_kb, rounded, start_chibo, stop_chibo, until


async def measure(database_url: str, workdir: Path, settle_timeout: float = 120.0) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    async with TimedServer() as server:
        log = workdir / "chibo-run.log"
        started = time.perf_counter()
        proc = await start_chibo(database_url, server.root, TOKEN, workdir, log=log,
                                 CHIBO_HTTP_PORT="0")  # no health endpoint: its default port may be taken on a shared machine
        try:
            polling = await until(lambda: any(m == "getUpdates" for m, _ in server.requests) or proc.returncode is not None,
                                   60.0)
            if not polling or proc.returncode is not None:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
                err = log.read_text(errors="replace").strip().splitlines()[-3:]
                return {"error": "chibo run did not start polling: " + " | ".join(err)}
            ready_s = time.perf_counter() - started
            rss_ready = proc_status_kb("VmRSS", proc.pid)
            settled_s = await _settle(proc.pid, settle_timeout)
            rss_settled = proc_status_kb("VmRSS", proc.pid)
            hwm = proc_status_kb("VmHWM", proc.pid)
            menu = sum(1 for m, _ in server.requests if m == "setMyCommands")
        finally:
            await stop_chibo(proc, 20)
    return {
        "idle_rss_mb": rounded((rss_ready or 0) / 1024, 1),
        "settled_rss_mb": rounded((rss_settled or 0) / 1024, 1),
        "peak_rss_mb": rounded((hwm or 0) / 1024, 1),
        "ready_s": rounded(ready_s, 2),
        "settled_s": rounded(settled_s, 1) if settled_s is not None else None,
        "set_my_commands_calls": menu,
        "exit_code": proc.returncode,
        "note": "VmRSS of `chibo run` at its first getUpdates (idle_rss_mb) and once its CPU time stopped "
                "growing after the start-up planner pass (settled_rss_mb); VmHWM is its peak",
    }


async def _settle(pid: int, timeout: float) -> float | None:
    """Seconds until the process used under 2% CPU over half a second (None: still busy at timeout)."""
    began = time.perf_counter()
    last = cpu_seconds(pid)
    while time.perf_counter() - began < timeout:
        await asyncio.sleep(0.5)
        now = cpu_seconds(pid)
        if now is None or last is None:
            return None
        if now - last < 0.01:
            return time.perf_counter() - began
        last = now
    return None
