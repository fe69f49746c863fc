"""Zalo, registered: ``bot.platforms.zalo.client`` (the Bot API client), ``bot.platforms.zalo.adapter`` (events in, plain
texts out, the monthly quota, ``ZaloSender``), one adapter per configured bot, the webhooks at
/zalo and /zalo/<key>, and ``fakeapi.zalo``."""

from __future__ import annotations

import asyncio
import hashlib
import logging

import tornado.web

from bot.platforms.base import BAD, Registration, Route, WebhookOptions, json_body, network_error, register
from bot.platforms.zalo.adapter import ZaloAdapter, ZaloSender, ZaloSenders
from bot.platforms.zalo.client import ZaloClient, ZaloServerError, check_secret, parse_event
from core.services import Services
from core.settings import DEFAULT_ZALO_BOT, Settings
from scheduler.delivery.senders import Sender
from storage.models import Platform

log = logging.getLogger(__name__)

NAME = Platform.ZALO.value


def webhook_secret(settings: Settings, bot_key: str = DEFAULT_ZALO_BOT) -> str:
    if settings.zalo_webhook_secret:
        return settings.zalo_webhook_secret.get_secret_value()
    return hashlib.sha256(b"chibo-zalo-webhook:" + settings.zalo_tokens()[bot_key].encode()).hexdigest()[:48]


def webhook_path(bot_key: str) -> str:
    """Where a Zalo bot's webhook is served: /zalo for the default bot, /zalo/<key> for the others."""
    return "/zalo" if bot_key == DEFAULT_ZALO_BOT else f"/zalo/{bot_key}"


class _Webhook(tornado.web.RequestHandler):
    def initialize(self, adapter: ZaloAdapter, secret: str, tasks: set) -> None:
        self.adapter, self.secret, self.tasks = adapter, secret, tasks

    async def post(self) -> None:
        if not check_secret(self.request.headers.get("X-Bot-Api-Secret-Token"), self.secret):
            self.set_status(403)
            return
        body = json_body(self.request.body)
        if body is BAD:
            self.set_status(400)
            return
        event = parse_event(body)
        if event is not None:  # kept before the 200 (bot.runtime.intake); handled, and de-duplicated, behind
            try:
                await self.adapter.take(event)
            except Exception as exc:
                log.warning("a Zalo event could not be kept (%s); Zalo will send it again", type(exc).__name__)
                self.set_status(503)
                return
        self.set_status(200)
        self.finish({"ok": True})


class RunningZalo:
    """Every configured Zalo bot: one adapter (and quota) each, one sender for the dispatcher."""

    name = NAME

    def __init__(self, services: Services, adapters: dict[str, ZaloAdapter]):
        self.services, self.adapters = services, adapters
        self.sender: Sender = ZaloSenders({k: a.sender for k, a in adapters.items()})
        self._tasks: set[asyncio.Task] = set()  # webhook events still being handled

    def webhook_routes(self, hook: WebhookOptions) -> list[Route]:
        settings = self.services.settings
        return [(webhook_path(key), _Webhook, {"adapter": adapter, "secret": webhook_secret(settings, key),
                                               "tasks": self._tasks})
                for key, adapter in self.adapters.items()]

    async def take_updates(self, hook: WebhookOptions | None) -> None:
        settings = self.services.settings
        for key, adapter in self.adapters.items():
            if hook is not None:
                await adapter.client.set_webhook(hook.url.rstrip("/") + webhook_path(key), webhook_secret(settings, key))
            else:
                try:  # a webhook left from an earlier run would make every poll fail
                    await adapter.client.delete_webhook()
                except Exception as exc:  # polling reports its own errors; this is only a clean-up
                    log.warning("could not clear the Zalo webhook of bot %s before polling: %s", key,
                                type(exc).__name__)
                adapter.start_polling()

    async def stop_taking(self) -> None:
        for adapter in self.adapters.values():
            await adapter.stop()

    async def stop(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for adapter in self.adapters.values():
            await adapter.stop()
            await adapter.client.close()


async def start(services: Services, take_updates: bool, webhook: bool) -> RunningZalo:
    adapters = {}
    for key, token in services.settings.zalo_tokens().items():  # one adapter per Zalo bot, each with its quota
        client = ZaloClient(token, services.settings.zalo_api_url)
        adapters[key] = adapter = ZaloAdapter(services, client, ZaloSender(client, services, key), key)
        if services.intake is not None:  # events go through the inbox (bot.runtime.intake)
            adapter.intake = services.intake
            services.intake.register(Platform.ZALO, key, adapter.handle_kept)
    return RunningZalo(services, adapters)


def _fake() -> type:
    from fakeapi.zalo import FakeZaloServer

    return FakeZaloServer


ZALO = register(Registration(name=NAME, configured=lambda settings: bool(settings.zalo_tokens()), start=start,
                             fake=_fake, label="Zalo",
                             unreachable=lambda exc: isinstance(exc, ZaloServerError) or network_error(exc)))
