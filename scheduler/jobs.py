"""APScheduler wakes the periodic work inside one process; what is due lives in our own tables.

APScheduler 3's job stores cannot be shared between processes, so jobs are in memory, added at
start-up, and every job is idempotent (outbox keys are unique).
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.context import Services
from scheduler.dispatcher import Dispatcher

log = logging.getLogger(__name__)


def build_scheduler(services: Services, dispatcher: Dispatcher) -> AsyncIOScheduler:
    settings = services.settings
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(dispatcher.wake, IntervalTrigger(seconds=max(1, int(settings.dispatch_interval_seconds))),
                      id="dispatcher-tick", coalesce=True, max_instances=1)
    return scheduler
