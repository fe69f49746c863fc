"""Telegram, registered: python-telegram-bot's Application (client and polling), ``bot.platforms.telegram.adapter``
(updates in, payloads out, ``TelegramSender``), the webhook at /telegram, and ``fakeapi.telegram``."""

from __future__ import annotations

import hashlib
import hmac
import logging

import tornado.web
from telegram.error import BadRequest, InvalidToken, NetworkError, TimedOut
from telegram.ext import Application

from bot.platforms.base import PlatformProblem, Registration, Route, WebhookOptions, json_body, network_error, register
from bot.platforms.telegram.adapter import (
    PollingErrors,
    TelegramSender,
    TelegramSenders,
    build_application,
    incoming,
    parses,
    set_menu,
    update_id_of,
)
from core.services import Services
from core.settings import DEFAULT_TELEGRAM_BOT, Settings
from core.weblinks import mini_app_url
from scheduler.delivery.senders import Sender
from storage.inbox import Incoming
from storage.models import Platform

log = logging.getLogger(__name__)

NAME = Platform.TELEGRAM.value
ALLOWED_UPDATES = ["message", "callback_query"]


def webhook_secret(settings: Settings, bot_key: str | None = None) -> str:
    """The secret Telegram sends with every webhook request: configured, or derived from the bot's token."""
    if settings.webhook_secret and bot_key is None:
        return settings.webhook_secret.get_secret_value()
    token = settings.telegram_tokens()[bot_key or DEFAULT_TELEGRAM_BOT]
    return hashlib.sha256(b"chibo-webhook:" + token.encode()).hexdigest()[:48]


def webhook_path(bot_key: str | None) -> str:
    """Where a bot's updates arrive: /telegram for the default bot, /telegram/<key> for the others."""
    return "/telegram" if bot_key is None else f"/telegram/{bot_key}"


class _Webhook(tornado.web.RequestHandler):
    def initialize(self, keep, secret: str) -> None:
        self.keep, self.secret = keep, secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        body = json_body(self.request.body)
        if not isinstance(body, dict) or update_id_of(body) is None or not parses(body):  # null, [], a wrong shape
            self.set_status(400)
            return
        try:  # kept before the 200: an update Telegram considers delivered is never lost
            await self.keep([incoming(body)])
        except Exception as exc:
            log.warning("a Telegram update could not be kept (%s); Telegram will send it again", type(exc).__name__)
            self.set_status(503)
            return
        self.set_status(200)


class RunningTelegram:
    """The Telegram bots of a deployment (one, or several with CHIBO_TELEGRAM_BOTS), keyed None for the default."""

    name: str = NAME

    def __init__(self, services: Services, apps: dict[str | None, Application]):
        self.services, self.apps = services, apps
        self.app = apps.get(None) or next(iter(apps.values()))  # the default bot
        # Each bot one pace, for its answers and its outbox rows alike.
        self.sender: Sender = TelegramSenders({key: TelegramSender(app.bot, app.bot_data["adapter"].pacer)
                                               for key, app in apps.items()})

    def webhook_routes(self, hook: WebhookOptions) -> list[Route]:
        return [(webhook_path(key), _Webhook, {"keep": app.bot.keep, "secret": webhook_secret(self.services.settings, key)})
                for key, app in self.apps.items()]

    async def take_updates(self, hook: WebhookOptions | None) -> None:
        settings = self.services.settings
        for key, app in self.apps.items():
            if not app.running:  # the first time; polling taken up again after an outage only polls
                await set_menu(app, settings.language, mini_app_url(settings))
                await app.start()
            if hook is not None:
                await app.bot.set_webhook(url=hook.url.rstrip("/") + webhook_path(key),
                                          secret_token=webhook_secret(settings, key), allowed_updates=ALLOWED_UPDATES)
            else:
                assert app.updater is not None  # built with an updater when it takes updates
                await app.updater.start_polling(poll_interval=0.0, timeout=30, allowed_updates=ALLOWED_UPDATES,
                                                error_callback=PollingErrors())

    async def stop_taking(self) -> None:
        for app in self.apps.values():
            if app.updater and app.updater.running:
                await app.updater.stop()

    async def stop(self) -> None:
        await self.stop_taking()
        for app in self.apps.values():
            if app.running:
                await app.stop()
            await app.shutdown()


async def start(services: Services, take_updates: bool, webhook: bool) -> RunningTelegram:
    settings = services.settings
    apps: dict[str | None, Application] = {}
    for name, token in settings.telegram_tokens().items():  # only a configured platform is started
        key = None if name == DEFAULT_TELEGRAM_BOT else name
        app = build_application(services, token, settings.telegram_api_url, updater=take_updates and not webhook,
                                bot_key=key)
        try:
            await app.initialize()  # getMe: the token is checked here
        except InvalidToken:
            where = "CHIBO_TELEGRAM_TOKEN" if key is None else f"CHIBO_TELEGRAM_BOTS ({key})"
            raise PlatformProblem(f"Telegram từ chối token trong {where}; lấy lại token từ @BotFather / "
                                  "Telegram refused the bot token.") from None
        if key is None or NAME not in services.bot_usernames:
            services.bot_usernames[NAME] = app.bot.username
        if services.intake is not None:  # updates go through the inbox (bot.runtime.intake)
            services.intake.register(Platform.TELEGRAM, key, app.bot_data["adapter"].handle_kept)
            app.bot.set_keep(_keeper(services.intake, key))
        apps[key] = app
    return RunningTelegram(services, apps)


def _keeper(intake, key: str | None):
    """What a bot calls with a batch of updates: kept in the inbox under the bot's key (update ids overlap)."""
    async def keep(items: list[Incoming]) -> None:
        await intake.take(Platform.TELEGRAM, key, [incoming(i.payload, key) for i in items] if key else items)
    return keep


def _fake() -> type:
    from fakeapi.telegram import FakeTelegramServer

    return FakeTelegramServer


def unreachable(exc: BaseException) -> bool:
    """The Bot API did not answer (refused, timed out, a 5xx or a proxy's page): not a refusal of ours."""
    if isinstance(exc, BadRequest | InvalidToken):  # BadRequest is a NetworkError in python-telegram-bot
        return False
    return isinstance(exc, NetworkError | TimedOut) or network_error(exc)


TELEGRAM = register(Registration(name=NAME, configured=lambda settings: bool(settings.telegram_tokens()), start=start,
                                 fake=_fake, label="Telegram", unreachable=unreachable))
