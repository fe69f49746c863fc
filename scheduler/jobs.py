"""APScheduler wakes the periodic work inside one process; what is due lives in our own tables.

APScheduler 3's job stores cannot be shared between processes, so jobs are in memory, added at
start-up, and every job is idempotent (outbox keys and job runs are unique), so several processes
or a restart never send anything twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, is_dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.metrics import record_job, tick
from core.parsing import parse_time
from core.services import Services
from scheduler.delivery.dispatcher import Dispatcher
from scheduler.timed.nudges import run_daily
from scheduler.timed.retention import run_retention
from scheduler.timed.weekly import run_weekly
from storage.outage import unreachable

log = logging.getLogger(__name__)


def _summary(result) -> str:
    """Counts only (never names or texts): an int, a list's length, or a dataclass of numbers."""
    if isinstance(result, bool) or result is None:
        return ""
    if isinstance(result, int):
        return f" count={result}"
    if isinstance(result, list | tuple):
        return f" items={len(result)}"
    if is_dataclass(result) and not isinstance(result, type):
        return "".join(f" {k}={v}" for k, v in asdict(result).items() if isinstance(v, int | float))
    return ""


async def _safely(name: str, job, services: Services) -> None:
    """Run one job; one log line per run (job, outcome, duration, counts), whatever happens."""
    started = time.monotonic()
    try:
        result = await job(services)
    except asyncio.CancelledError:  # stopping (SIGTERM) while it ran: its transaction rolled back, one line
        log.info("job %s outcome=cancelled duration=%.2fs (stopping; it runs again at the next start)", name,
                 time.monotonic() - started)
        record_job(name, "cancelled")
        return  # not re-raised: APScheduler would log the cancellation as an ERROR with a traceback
    except Exception as exc:  # one failed run must not stop the next one
        if unreachable(exc):  # an outage, not a bug: one line (the job runs again at its next time)
            log.warning("job %s outcome=error duration=%.2fs error=database unreachable (%s)", name,
                        time.monotonic() - started, type(exc).__name__)
        else:
            log.exception("job %s outcome=error duration=%.2fs", name, time.monotonic() - started)
        record_job(name, "error")
        return
    log.info("job %s outcome=ok duration=%.2fs%s", name, time.monotonic() - started, _summary(result))
    record_job(name, "ok")


def build_scheduler(services: Services, dispatcher: Dispatcher) -> AsyncIOScheduler:
    settings = services.settings
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    common = dict(coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)

    def heartbeat() -> None:  # the scheduler is alive (readiness) and the dispatcher looks for due rows
        tick("scheduler")
        dispatcher.wake()

    scheduler.add_job(heartbeat, IntervalTrigger(seconds=max(1, int(settings.dispatch_interval_seconds))),
                      id="dispatcher-tick", coalesce=True, max_instances=1)
    scheduler.add_job(_safely, CronTrigger.from_crontab(settings.weekly_summary_cron, timezone=settings.tz),
                      args=("weekly", run_weekly, services), id="weekly-summary", **common)
    at = parse_time(settings.daily_planner_time)
    assert at is not None  # checked by the settings: always a time
    scheduler.add_job(_safely, CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.tz),
                      args=("daily", run_daily, services), id="daily-planner", **common)
    scheduler.add_job(_safely, CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.tz),
                      args=("retention", run_retention, services), id="retention", **common)
    # Once at start-up too: what fell due while chibo was down is planned now (idempotent); the
    # pruning is claimed once a day across processes, so running it at start-up too is harmless.
    scheduler.add_job(_safely, args=("daily", run_daily, services), id="daily-planner-startup")
    scheduler.add_job(_safely, args=("retention", run_retention, services), id="retention-startup")
    return scheduler
