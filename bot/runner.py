"""Running chibo: every platform that has a token, the dispatcher and the scheduler, in one process."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import signal
from dataclasses import dataclass, field

from bot.http_server import HttpServer
from bot.telegram_adapter import TelegramSender, build_application, set_menu
from bot.zalo_adapter import ZaloAdapter, ZaloSender, ZaloSenders
from bot.zalo_client import ZaloClient
from core.clock import SystemClock
from core.services import Services
from core.settings import DEFAULT_ZALO_BOT, Settings
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import build_scheduler
from storage.db import create_engine, ensure_ready, session_factory
from storage.models import Platform

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "tornado.access",
                 "aiosqlite", "asyncpg", "sqlalchemy.engine")  # the last three log SQL parameters (names, reasons)


def quiet_third_party_logs() -> None:
    """Libraries that log request URLs (which hold the bot token) or update contents stay at WARNING."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


class NoPlatform(RuntimeError):
    """Neither a Telegram nor a Zalo token is configured."""


@dataclass
class WebhookOptions:
    url: str
    listen: str = "127.0.0.1"
    port: int = 8443


def _derived_secret(label: bytes, token: str) -> str:
    return hashlib.sha256(label + token.encode()).hexdigest()[:48]


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook request: configured, or derived from the token."""
    if settings.webhook_secret:
        return settings.webhook_secret.get_secret_value()
    return _derived_secret(b"chibo-webhook:", settings.token_value())


def zalo_webhook_secret(settings: Settings, bot_key: str = DEFAULT_ZALO_BOT) -> str:
    if settings.zalo_webhook_secret:
        return settings.zalo_webhook_secret.get_secret_value()
    return _derived_secret(b"chibo-zalo-webhook:", settings.zalo_tokens()[bot_key])


def zalo_path(bot_key: str) -> str:
    """Where a Zalo bot's webhook is served: /zalo for the default bot, /zalo/<key> for the others."""
    return "/zalo" if bot_key == DEFAULT_ZALO_BOT else f"/zalo/{bot_key}"


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
        if not settings.token_value() and not settings.zalo_tokens():
            raise NoPlatform
        self.engine = create_engine(settings.database_url)
        await ensure_ready(self.engine)
        sessions = session_factory(self.engine)
        self.services = Services(settings=settings, sessions=sessions, clock=self.clock)
        senders = {}
        self.app = self.http = self.scheduler = None
        self.zalos: dict[str, ZaloAdapter] = {}
        if settings.token_value():
            self.app = build_application(self.services, settings.token_value(), settings.telegram_api_url,
                                         updater=self.take_updates and self.webhook is None)
            await self.app.initialize()
            self.services.bot_usernames[Platform.TELEGRAM.value] = self.app.bot.username
            senders[Platform.TELEGRAM] = TelegramSender(self.app.bot)
        for key, token in settings.zalo_tokens().items():  # one adapter per Zalo bot, each with its quota
            client = ZaloClient(token, settings.zalo_api_url)
            self.zalos[key] = ZaloAdapter(self.services, client, ZaloSender(client, self.services, key), key)
        if self.zalos:
            senders[Platform.ZALO] = ZaloSenders({k: a.sender for k, a in self.zalos.items()})
        self.dispatcher = Dispatcher(settings, sessions, self.clock, senders)
        self.services.wake_dispatcher = self.dispatcher.wake
        self.scheduler = build_scheduler(self.services, self.dispatcher)
        if self.take_updates:
            await self._take_updates()
        self.dispatcher.start()
        self.scheduler.start()
        log.info("chibo is running: %s", ", ".join(p.value for p in senders))

    async def _take_updates(self) -> None:
        settings, hook = self.settings, self.webhook
        if hook is not None or settings.public_url:
            self.http = HttpServer(
                self.services, listen=hook.listen if hook else "127.0.0.1", port=hook.port if hook else self.http_port,
                telegram_app=self.app if hook else None,
                telegram_secret=webhook_secret(settings) if self.app and hook else None,
                zalo_webhooks={zalo_path(k): (a, zalo_webhook_secret(settings, k)) for k, a in self.zalos.items()}
                if hook else {},
            )
            await self.http.start()
        if self.app is not None:
            await set_menu(self.app, settings.language)
            await self.app.start()
            if hook is not None:
                await self.app.bot.set_webhook(url=hook.url.rstrip("/") + "/telegram", secret_token=webhook_secret(settings),
                                               allowed_updates=ALLOWED_UPDATES)
            else:
                await self.app.updater.start_polling(poll_interval=0.0, timeout=30, allowed_updates=ALLOWED_UPDATES)
        for key, adapter in self.zalos.items():
            if hook is not None:
                await adapter.client.set_webhook(hook.url.rstrip("/") + zalo_path(key), zalo_webhook_secret(settings, key))
            else:
                try:  # a webhook left from an earlier run would make every poll fail
                    await adapter.client.delete_webhook()
                except Exception as exc:  # polling reports its own errors; this is only a clean-up
                    log.warning("could not clear the Zalo webhook of bot %s before polling: %s", key,
                                type(exc).__name__)
                adapter.start_polling()

    async def stop(self) -> None:
        if getattr(self, "scheduler", None) is None:  # start() failed before anything ran
            if getattr(self, "engine", None) is not None:
                await self.engine.dispose()
            return
        self.scheduler.shutdown(wait=False)
        await self.dispatcher.stop()
        if self.http is not None:
            await self.http.stop()
        for adapter in self.zalos.values():
            await adapter.stop()
            await adapter.client.close()
        if self.app is not None:
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
