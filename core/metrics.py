"""Prometheus metrics (prometheus-client), in a registry of chibo's own.

Labels hold only bounded, non-personal values: platform, command name (from chibo's own list, "other"
for anything else), outcome, job name, outbox kind, Zalo bot key (chosen by the operator). Never a
chat id, a name, a phone or a text. Counters count in this process; the outbox and quota gauges are
read from the database when /metrics is scraped, so every process shows the same shared figures.
"""

from __future__ import annotations

import time
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import OutboxMessage, PlatformUsage

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter("chibo_updates_handled", "Updates handled, by platform, command and outcome",
                  ["platform", "command", "outcome"], registry=REGISTRY)
LATENCY = Histogram("chibo_update_handling_seconds", "Time to handle one update (database work included)",
                    ["platform"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                    registry=REGISTRY)
BATCHES = Histogram("chibo_request_batch_size", "Requests handled in one transaction (those that waited for a "
                    "database slot are handled together)", buckets=(1, 2, 5, 10, 20, 50, 100), registry=REGISTRY)
BATCHES_SPLIT = Counter("chibo_request_batches_split", "Batches handled again one request at a time (a duplicate, "
                        "a database error or a failing flow among them)", registry=REGISTRY)
DELIVERIES = Counter("chibo_outbox_deliveries", "Outbox rows handled by the dispatcher, by platform and outcome "
                     "(sent, retried, failed, blocked, dropped, rate_limited = HTTP 429)",
                     ["platform", "outcome"], registry=REGISTRY)
OUTBOX_DUE = Gauge("chibo_outbox_due", "Outbox rows due and not yet sent, by platform and kind",
                   ["platform", "kind"], registry=REGISTRY)
OUTBOX_OLDEST = Gauge("chibo_outbox_oldest_due_age_seconds", "Age of the oldest due row, by platform and kind",
                      ["platform", "kind"], registry=REGISTRY)
ZALO_QUOTA_USED = Gauge("chibo_zalo_quota_used", "Messages a Zalo bot sent this month", ["bot"], registry=REGISTRY)
ZALO_QUOTA_LIMIT = Gauge("chibo_zalo_quota_limit", "The monthly quota of each Zalo bot", ["bot"], registry=REGISTRY)
JOBS = Counter("chibo_job_runs", "Periodic job runs, by job and outcome", ["job", "outcome"], registry=REGISTRY)
ACTIVE_SENDER = Gauge("chibo_active_sender", "1 when this process is the one sending the outbox, 0 when it stands by",
                      registry=REGISTRY)
TAKING_UPDATES = Gauge("chibo_taking_updates", "1 while this process takes a platform's updates (long polling "
                       "with its poll lock, or a webhook), 0 while it stands by or waits for the database",
                       ["platform"], registry=REGISTRY)
DATABASE_UP = Gauge("chibo_database_up", "1 when this process's last election round reached the database, 0 during "
                    "an outage (PostgreSQL)", registry=REGISTRY)
LAST_TICK = Gauge("chibo_last_tick_timestamp_seconds", "When a loop last ran (unix time): dispatcher, scheduler",
                  ["loop"], registry=REGISTRY)

_ticks: dict[str, float] = {}


def record_update(platform: str, command: str | None, outcome: str, seconds: float) -> None:
    UPDATES.labels(platform, command or "none", outcome).inc()
    LATENCY.labels(platform).observe(seconds)


def record_batch(size: int, split: bool = False) -> None:
    BATCHES.observe(size)
    if split:
        BATCHES_SPLIT.inc()


def record_delivery(platform: str, outcome: str) -> None:
    DELIVERIES.labels(platform, outcome).inc()


def record_job(job: str, outcome: str) -> None:
    JOBS.labels(job, outcome).inc()


def set_active_sender(active: bool) -> None:
    """The active-sender election (one process sends at a time) reports its state here."""
    ACTIVE_SENDER.set(1 if active else 0)


def set_taking_updates(platform: str, taking: bool) -> None:
    TAKING_UPDATES.labels(platform).set(1 if taking else 0)


def set_database_up(up: bool) -> None:
    DATABASE_UP.set(1 if up else 0)


def tick(loop: str) -> None:
    """A loop (``dispatcher``, ``scheduler``) has just run; /readyz checks it did so recently."""
    now = time.time()
    _ticks[loop] = time.monotonic()
    LAST_TICK.labels(loop).set(now)


def seconds_since_tick(loop: str) -> float | None:
    at = _ticks.get(loop)
    return None if at is None else time.monotonic() - at


async def refresh_from_database(sessions: async_sessionmaker[AsyncSession], now: datetime, month: str,
                                quotas: dict[str, int]) -> None:
    """Set the outbox and quota gauges from the shared tables (called when /metrics is scraped);
    ``month`` is the quota's month ("YYYY-MM" in the committee's zone), ``quotas`` bot key -> quota."""
    async with sessions() as session:
        due = (await session.execute(
            select(OutboxMessage.platform, OutboxMessage.kind, func.count(), func.min(OutboxMessage.due_at))
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                   OutboxMessage.dropped_at.is_(None), OutboxMessage.due_at <= now)
            .group_by(OutboxMessage.platform, OutboxMessage.kind))).all()
        used = dict((await session.execute(
            select(PlatformUsage.bot_key, PlatformUsage.sent).where(PlatformUsage.month == month))).all())
    OUTBOX_DUE.clear()
    OUTBOX_OLDEST.clear()
    for platform, kind, count, oldest in due:
        platform = getattr(platform, "value", platform)
        OUTBOX_DUE.labels(platform, kind).set(count)
        OUTBOX_OLDEST.labels(platform, kind).set(max(0.0, (now - oldest).total_seconds()) if oldest else 0)
    ZALO_QUOTA_USED.clear()
    ZALO_QUOTA_LIMIT.clear()
    for bot, limit in quotas.items():
        ZALO_QUOTA_USED.labels(bot).set(used.get(bot, 0))
        ZALO_QUOTA_LIMIT.labels(bot).set(limit)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
