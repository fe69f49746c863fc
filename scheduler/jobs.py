"""APScheduler wakes the periodic work inside one process; what is due lives in our own tables.

APScheduler 3's job stores cannot be shared between processes, so jobs are in memory, added at
start-up, and every job is idempotent (outbox keys and job runs are unique), so several processes
or a restart never send anything twice.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.parsing import parse_time
from core.services import Services
from scheduler.dispatcher import Dispatcher
from scheduler.nudges import run_daily
from scheduler.weekly import run_weekly

log = logging.getLogger(__name__)


async def _safely(name: str, job, services: Services) -> None:
    try:
        await job(services)
    except Exception:  # one failed run must not stop the next one
        log.exception("job %s failed", name)


def build_scheduler(services: Services, dispatcher: Dispatcher) -> AsyncIOScheduler:
    settings = services.settings
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    common = dict(coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
    scheduler.add_job(dispatcher.wake, IntervalTrigger(seconds=max(1, int(settings.dispatch_interval_seconds))),
                      id="dispatcher-tick", coalesce=True, max_instances=1)
    scheduler.add_job(_safely, CronTrigger.from_crontab(settings.weekly_summary_cron, timezone=settings.tz),
                      args=("weekly", run_weekly, services), id="weekly-summary", **common)
    at = parse_time(settings.daily_planner_time) or parse_time("07:00")
    scheduler.add_job(_safely, CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.tz),
                      args=("daily", run_daily, services), id="daily-planner", **common)
    # Once at start-up too: what fell due while chibo was down is planned now (idempotent).
    scheduler.add_job(_safely, args=("daily", run_daily, services), id="daily-planner-startup")
    return scheduler
