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
    build_application,
    incoming,
    parses,
    set_menu,
    update_id_of,
)
from core.services import Services
from core.settings import Settings
from core.weblinks import mini_app_url
from scheduler.delivery.senders import Sender
from storage.models import Platform

log = logging.getLogger(__name__)

NAME = Platform.TELEGRAM.value
ALLOWED_UPDATES = ["message", "callback_query"]


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook request: configured, or derived from the token."""
    if settings.webhook_secret:
        return settings.webhook_secret.get_secret_value()
    token = settings.token_value()
    assert token is not None  # Telegram is configured
    return hashlib.sha256(b"chibo-webhook:" + token.encode()).hexdigest()[:48]


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
    name: str = NAME

    def __init__(self, services: Services, app: Application):
        self.services, self.app = services, app
        self.sender: Sender = TelegramSender(app.bot, app.bot_data["adapter"].pacer)  # one pace for answers and outbox

    def webhook_routes(self, hook: WebhookOptions) -> list[Route]:
        return [(r"/telegram", _Webhook, {"keep": self.app.bot.keep, "secret": webhook_secret(self.services.settings)})]

    async def take_updates(self, hook: WebhookOptions | None) -> None:
        settings = self.services.settings
        if not self.app.running:  # the first time; polling taken up again after an outage only polls
            await set_menu(self.app, settings.language, mini_app_url(settings))
            await self.app.start()
        if hook is not None:
            await self.app.bot.set_webhook(url=hook.url.rstrip("/") + "/telegram", secret_token=webhook_secret(settings),
                                           allowed_updates=ALLOWED_UPDATES)
        else:
            assert self.app.updater is not None  # built with an updater when it takes updates
            await self.app.updater.start_polling(poll_interval=0.0, timeout=30, allowed_updates=ALLOWED_UPDATES,
                                                 error_callback=PollingErrors())

    async def stop_taking(self) -> None:
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()

    async def stop(self) -> None:
        await self.stop_taking()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()


async def start(services: Services, take_updates: bool, webhook: bool) -> RunningTelegram:
    settings = services.settings
    token = settings.token_value()
    assert token is not None  # only a configured platform is started
    app = build_application(services, token, settings.telegram_api_url,
                            updater=take_updates and not webhook)
    try:
        await app.initialize()  # getMe: the token is checked here
    except InvalidToken:
        raise PlatformProblem("Telegram từ chối token trong CHIBO_TELEGRAM_TOKEN; lấy lại token từ @BotFather / "
                              "Telegram refused the bot token.") from None
    services.bot_usernames[NAME] = app.bot.username
    intake = services.intake
    if intake is not None:  # updates go through the inbox (bot.runtime.intake)
        intake.register(Platform.TELEGRAM, None, app.bot_data["adapter"].handle_kept)
        app.bot.set_keep(lambda items: intake.take(Platform.TELEGRAM, None, items))
    return RunningTelegram(services, app)


def _fake() -> type:
    from fakeapi.telegram import FakeTelegramServer

    return FakeTelegramServer


def unreachable(exc: BaseException) -> bool:
    """The Bot API did not answer (refused, timed out, a 5xx or a proxy's page): not a refusal of ours."""
    if isinstance(exc, BadRequest | InvalidToken):  # BadRequest is a NetworkError in python-telegram-bot
        return False
    return isinstance(exc, NetworkError | TimedOut) or network_error(exc)


TELEGRAM = register(Registration(name=NAME, configured=lambda settings: bool(settings.token_value()), start=start,
                                 fake=_fake, label="Telegram", unreachable=unreachable))
