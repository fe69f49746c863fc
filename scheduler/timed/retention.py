"""The daily pruning job (see storage.retention): once a day across processes, in bounded batches."""

from __future__ import annotations

from core.services import Services
from storage.retention import Pruned, prune


async def run_retention(services: Services) -> Pruned:
    settings, now = services.settings, services.clock.now()
    return await prune(services.sessions, now, day_key=now.astimezone(settings.tz).date().isoformat(),
                       updates_days=settings.keep_updates_days, sent_days=settings.keep_sent_days)
