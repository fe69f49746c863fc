"""chibo's own HTTP endpoint: every registered platform's webhooks and the signed report files, on one port.

python-telegram-bot's webhook server serves Telegram only; Zalo's webhook and the files Zalo fetches
by URL need the same public address, so chibo runs one small tornado server (tornado is already
there as python-telegram-bot's webhook dependency). Each platform brings its webhook routes
(``Running.webhook_routes`` in ``bot.platforms``); every webhook request must carry its platform's
secret header.
"""

from __future__ import annotations

import logging
import mimetypes
import socket

import tornado.httpserver
import tornado.netutil
import tornado.web

from bot.platforms import Route
from bot.runtime.http_headers import TRANSFORMS
from bot.web.routes import routes as web_routes
from core.files import resolve

log = logging.getLogger(__name__)


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
    def __init__(self, services, *, listen: str, port: int, webhooks: list[Route] | None = None):
        """``webhooks``: the registered platforms' webhook routes (none without a webhook)."""
        routes: list = [(r"/files/([A-Za-z0-9._-]+)", _Files, {"services": services})]
        routes += webhooks or []
        routes += web_routes(services)  # the committee's web view (bot/web)
        self.app = tornado.web.Application(routes, transforms=TRANSFORMS, log_function=lambda handler: None)
        self.listen, self.port = listen, port
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(self.port, self.listen, family=socket.AF_INET)
        self._server = tornado.httpserver.HTTPServer(self.app, xheaders=True)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]  # the port bound, when asked for 0
        log.info("HTTP endpoint on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
