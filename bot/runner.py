"""Running chibo: the Telegram application, the dispatcher and the scheduler in one process."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import signal
from dataclasses import dataclass, field

from bot.clock import SystemClock
from bot.config import Settings
from bot.telegram_adapter import TelegramSender, build_application, set_menu
from handlers.context import Services
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import build_scheduler
from storage.db import create_engine, ensure_ready, session_factory
from storage.models import Platform

log = logging.getLogger(__name__)


@dataclass
class WebhookOptions:
    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    secret: str | None = None


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook request: configured, or derived from the token."""
    if settings.webhook_secret:
        return settings.webhook_secret.get_secret_value()
    return hashlib.sha256(b"chibo-webhook:" + settings.token_value().encode()).hexdigest()[:48]


@dataclass
class Runtime:
    """Everything a running chibo holds; ``start`` and ``stop`` bring it up and down."""

    settings: Settings
    clock: object = field(default_factory=SystemClock)
    webhook: WebhookOptions | None = None
    take_updates: bool = True

    async def start(self) -> None:
        self.engine = create_engine(self.settings.database_url)
        await ensure_ready(self.engine)
        sessions = session_factory(self.engine)
        self.services = Services(settings=self.settings, sessions=sessions, clock=self.clock)
        token = self.settings.token_value()
        self.app = build_application(self.services, token, self.settings.telegram_api_url,
                                     updater=self.take_updates)
        await self.app.initialize()
        self.services.bot_usernames[Platform.TELEGRAM.value] = self.app.bot.username
        self.dispatcher = Dispatcher(self.settings, sessions, self.clock, {Platform.TELEGRAM: TelegramSender(self.app.bot)})
        self.services.wake_dispatcher = self.dispatcher.wake
        self.scheduler = build_scheduler(self.services, self.dispatcher)
        if self.take_updates:
            await set_menu(self.app, self.settings.language)
            await self.app.start()
            if self.webhook:
                await self.app.updater.start_webhook(
                    listen=self.webhook.listen, port=self.webhook.port, url_path="telegram",
                    webhook_url=self.webhook.url.rstrip("/") + "/telegram",
                    secret_token=self.webhook.secret or webhook_secret(self.settings),
                    allowed_updates=["message", "callback_query"],
                )
            else:
                await self.app.updater.start_polling(
                    poll_interval=0.0, timeout=30, allowed_updates=["message", "callback_query"]
                )
        self.dispatcher.start()
        self.scheduler.start()
        log.info("chibo is running as @%s", self.app.bot.username)

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await self.dispatcher.stop()
        if self.take_updates:
            if self.app.updater and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
        await self.app.shutdown()
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
