"""chibo's own HTTP endpoint: the Telegram and Zalo webhooks and the signed report files, on one port.

python-telegram-bot's webhook server serves Telegram only; Zalo's webhook and the files Zalo fetches
by URL need the same public address, so chibo runs one small tornado server (tornado is already
there as python-telegram-bot's webhook dependency) and hands Telegram updates to the Application's
update queue itself. Every webhook request must carry its platform's secret header.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import mimetypes
import socket

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import Update

from bot.zalo_client import check_secret, parse_event
from core.files import resolve

log = logging.getLogger(__name__)


class _TelegramWebhook(tornado.web.RequestHandler):
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


class _ZaloWebhook(tornado.web.RequestHandler):
    def initialize(self, adapter, secret: str, tasks: set) -> None:
        self.adapter, self.secret, self.tasks = adapter, secret, tasks

    async def post(self) -> None:
        if not check_secret(self.request.headers.get("X-Bot-Api-Secret-Token"), self.secret):
            self.set_status(403)
            return
        try:
            body = json.loads(self.request.body)
        except ValueError:
            self.set_status(400)
            return
        event = parse_event(body)
        if event is not None:  # answer at once; the event is handled (and de-duplicated) behind
            task = asyncio.create_task(self.adapter.handle_event(event))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        self.set_status(200)
        self.finish({"ok": True})


class _Files(tornado.web.RequestHandler):
    def initialize(self, services) -> None:
        self.services = services

    def get(self, name: str) -> None:
        path = resolve(self.services.settings, name, self.get_argument("exp", ""), self.get_argument("sig", ""),
                       self.services.clock.now())
        if path is None:
            self.set_status(404)
            return
        self.set_header("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        self.write(path.read_bytes())


class HttpServer:
    def __init__(self, services, *, listen: str, port: int, telegram_app=None, telegram_secret: str | None = None,
                 zalo_webhooks: dict | None = None):
        """``zalo_webhooks``: path -> (adapter, secret), one per Zalo bot."""
        self._tasks: set = set()
        routes = [(r"/files/([A-Za-z0-9._-]+)", _Files, {"services": services})]
        if telegram_app is not None:
            routes.append((r"/telegram", _TelegramWebhook, {"app": telegram_app, "secret": telegram_secret}))
        for path, (adapter, secret) in (zalo_webhooks or {}).items():
            routes.append((path, _ZaloWebhook, {"adapter": adapter, "secret": secret, "tasks": self._tasks}))
        self.app = tornado.web.Application(routes, log_function=lambda handler: None)
        self.listen, self.port = listen, port
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(self.port, self.listen, family=socket.AF_INET)
        self._server = tornado.httpserver.HTTPServer(self.app, xheaders=True)
        self._server.add_sockets(sockets)
        log.info("HTTP endpoint on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
