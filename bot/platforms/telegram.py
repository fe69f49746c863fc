"""Telegram, registered: python-telegram-bot's Application (client and polling), ``bot.telegram_adapter``
(updates in, payloads out, ``TelegramSender``), the webhook at /telegram, and ``fakeapi.telegram``."""

from __future__ import annotations

import hashlib
import hmac
import json

import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.platforms.base import Registration, Route, WebhookOptions, register
from bot.telegram_adapter import TelegramSender, build_application, set_menu
from core.services import Services
from core.settings import Settings
from core.weblinks import mini_app_url
from storage.models import Platform

NAME = Platform.TELEGRAM.value
ALLOWED_UPDATES = ["message", "callback_query"]


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook request: configured, or derived from the token."""
    if settings.webhook_secret:
        return settings.webhook_secret.get_secret_value()
    return hashlib.sha256(b"chibo-webhook:" + settings.token_value().encode()).hexdigest()[:48]


class _Webhook(tornado.web.RequestHandler):
    def initialize(self, app, secret: str) -> None:
        self.app, self.secret = app, secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        await self.app.update_queue.put(update)
        self.set_status(200)


class RunningTelegram:
    name = NAME

    def __init__(self, services: Services, app: Application):
        self.services, self.app = services, app
        self.sender = TelegramSender(app.bot)

    def webhook_routes(self, hook: WebhookOptions) -> list[Route]:
        return [(r"/telegram", _Webhook, {"app": self.app, "secret": webhook_secret(self.services.settings)})]

    async def take_updates(self, hook: WebhookOptions | None) -> None:
        settings = self.services.settings
        await set_menu(self.app, settings.language, mini_app_url(settings))
        await self.app.start()
        if hook is not None:
            await self.app.bot.set_webhook(url=hook.url.rstrip("/") + "/telegram", secret_token=webhook_secret(settings),
                                           allowed_updates=ALLOWED_UPDATES)
        else:
            await self.app.updater.start_polling(poll_interval=0.0, timeout=30, allowed_updates=ALLOWED_UPDATES)

    async def stop(self) -> None:
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()


async def start(services: Services, take_updates: bool, webhook: bool) -> RunningTelegram:
    settings = services.settings
    app = build_application(services, settings.token_value(), settings.telegram_api_url,
                            updater=take_updates and not webhook)
    await app.initialize()
    services.bot_usernames[NAME] = app.bot.username
    return RunningTelegram(services, app)


def _fake() -> type:
    from fakeapi.telegram import FakeTelegramServer

    return FakeTelegramServer


TELEGRAM = register(Registration(name=NAME, configured=lambda settings: bool(settings.token_value()), start=start,
                                 fake=_fake))
