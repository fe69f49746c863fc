"""The long-lived things every request and job shares."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.settings import Settings
from storage.last_seen import LastSeen


@dataclass
class Services:
    """Long-lived things every request and job shares."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    wake_dispatcher: Callable[[], None] = lambda: None
    bot_usernames: dict[str, str] = field(default_factory=dict)  # platform -> bot username
    # Requests handled at once: SQLite has one writer (more would answer "database is locked"),
    # PostgreSQL takes many. Sending the answers happens outside, so a slow chat holds no slot.
    handling: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    intake: Any = None  # bot.intake.Intake when updates are taken (the inbox in front of the handlers)
    last_seen: LastSeen = field(default_factory=LastSeen)  # written behind the requests (storage.last_seen)

    def __post_init__(self) -> None:
        bind = getattr(self.sessions, "kw", {}).get("bind")
        if bind is not None and bind.dialect.name != "sqlite":
            self.handling = asyncio.Semaphore(16)
