"""The long-lived things every request and job shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.settings import Settings


@dataclass
class Services:
    """Long-lived things every request and job shares."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    wake_dispatcher: Callable[[], None] = lambda: None
    bot_usernames: dict[str, str] = field(default_factory=dict)  # platform -> bot username
