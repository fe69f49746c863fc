"""The long-lived things every request and job shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.batching import Batcher
from core.clock import REAL_PACE, Clock, PaceTime
from core.settings import Settings
from storage.last_seen import LastSeen

# Request transactions at once on PostgreSQL. More would not be faster: on a burst, Python's time per request
# is the limit, not the database, and requests that wait are handled together (fewer, larger transactions:
# `python -m benchmarks` measured 2 and 4 slots ahead of 8 and 16). Four leave room beside a long request.
POSTGRESQL_SLOTS = 4


@dataclass
class Services:
    """Long-lived things every request and job shares."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    pace: PaceTime = REAL_PACE  # the time the platforms' limits are counted in (faster only in the tests)
    wake_dispatcher: Callable[[], None] = lambda: None
    bot_usernames: dict[str, str] = field(default_factory=dict)  # platform -> bot username
    # Request transactions at once: SQLite has one writer (more would answer "database is locked"),
    # PostgreSQL takes many. Requests that wait for a slot are handled together (core.batching).
    # Sending the answers happens outside, so a slow chat holds no slot.
    handling: Batcher = field(default_factory=lambda: Batcher(slots=1))
    intake: Any = None  # bot.runtime.intake.Intake when updates are taken (the inbox in front of the handlers)
    last_seen: LastSeen = field(default_factory=LastSeen)  # written behind the requests (storage.last_seen)

    def __post_init__(self) -> None:
        bind = getattr(self.sessions, "kw", {}).get("bind")
        if bind is not None and bind.dialect.name != "sqlite":
            self.handling = Batcher(slots=POSTGRESQL_SLOTS)
