"""Running chibo: every registered platform that has a token, the dispatcher and the scheduler, in one process."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field

from bot import log_redaction, platforms
from bot.http_server import HttpServer
from bot.intake import Intake
from bot.platforms import Running, WebhookOptions
from core.clock import SystemClock
from core.services import Services
from core.settings import Settings
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import build_scheduler
from storage.db import create_engine, ensure_ready, session_factory

log = logging.getLogger(__name__)

QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "tornado.access",
                 "aiosqlite", "asyncpg", "sqlalchemy.engine")  # the last three log SQL parameters (names, reasons)


def quiet_third_party_logs() -> None:
    """Libraries that log request URLs (which hold the bot token) or update contents stay at WARNING,
    and their records lose their arguments whatever the level (``bot.log_redaction``)."""
    log_redaction.install()
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


class NoPlatform(RuntimeError):
    """No registered platform has a token configured."""


@dataclass
class Runtime:
    """Everything a running chibo holds; ``start`` and ``stop`` bring it up and down."""

    settings: Settings
    clock: object = field(default_factory=SystemClock)
    webhook: WebhookOptions | None = None
    take_updates: bool = True
    http_port: int = 8443  # chibo's HTTP endpoint without a webhook (signed files, with CHIBO_PUBLIC_URL)

    async def start(self) -> None:
        settings = self.settings
        self.scheduler = None
        quiet_third_party_logs()
        chosen = platforms.configured(settings)
        if not chosen:
            raise NoPlatform
        self.engine = create_engine(settings.database_url)
        await ensure_ready(self.engine)
        sessions = session_factory(self.engine)
        self.services = Services(settings=settings, sessions=sessions, clock=self.clock)
        self.intake = self.services.intake = Intake(self.services)
        self.http = self.scheduler = None
        self.platforms: dict[str, Running] = {}
        for platform in chosen:
            self.platforms[platform.name] = await platform.start(self.services, self.take_updates,
                                                                 self.webhook is not None)
        self.dispatcher = Dispatcher(settings, sessions, self.clock,
                                     {name: running.sender for name, running in self.platforms.items()})
        self.services.wake_dispatcher = self.dispatcher.wake
        self.scheduler = build_scheduler(self.services, self.dispatcher)
        if self.take_updates:
            await self.intake.recover()  # what a process that died had kept but not handled
            self.intake.start()
            await self._take_updates()
        self.dispatcher.start()
        self.scheduler.start()
        log.info("chibo is running: %s", ", ".join(self.platforms))

    async def _take_updates(self) -> None:
        settings, hook = self.settings, self.webhook
        if hook is not None or settings.public_url:
            routes = [route for running in self.platforms.values() for route in running.webhook_routes(hook)] \
                if hook else []
            self.http = HttpServer(self.services, listen=hook.listen if hook else "127.0.0.1",
                                   port=hook.port if hook else self.http_port, webhooks=routes)
            await self.http.start()
        for running in self.platforms.values():
            await running.take_updates(hook)

    async def stop(self) -> None:
        if getattr(self, "scheduler", None) is None:  # start() failed before anything ran
            for running in reversed(getattr(self, "platforms", {}).values()):
                await running.stop()
            if getattr(self, "engine", None) is not None:
                await self.engine.dispose()
            return
        self.scheduler.shutdown(wait=False)
        if self.http is not None:
            await self.http.stop()
        for running in self.platforms.values():
            await running.stop_taking()
        await self.intake.stop()  # what was taken is answered; the rest stays kept for the next start
        await self.dispatcher.stop()
        for running in reversed(self.platforms.values()):
            await running.stop()
        await self.engine.dispose()


async def run_forever(runtime: Runtime) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # pragma: no cover - Windows
            pass
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()
