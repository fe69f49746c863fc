"""/healthz, /readyz and /metrics: tornado handlers added to chibo's HTTP endpoint.

- ``/healthz``: the process answers (200, always).
- ``/readyz``: 200 when the database answers, its schema is at the code's revision, and the dispatcher
  and the scheduler have ticked within ``stale_after`` seconds; 503 with what is wrong otherwise.
- ``/metrics``: Prometheus text. Not public by accident: answered only to a client on the same host
  that came straight to chibo (not through a proxy: no X-Forwarded-For / X-Real-IP), or to one
  presenting ``Authorization: Bearer <CHIBO_METRICS_TOKEN>``; anyone else gets 404.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass, field

import tornado.httpserver
import tornado.netutil
import tornado.web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.runtime.http_headers import TRANSFORMS
from core import metrics
from core.services import Services
from rules import month_key
from storage.db import current_revision, schema_state

log = logging.getLogger(__name__)

FORWARDED = ("X-Forwarded-For", "X-Real-Ip", "Forwarded")


@dataclass
class Readiness:
    """What /readyz checks: the database and the loops this process runs."""

    engine: AsyncEngine
    loops: tuple[str, ...] = ("dispatcher", "scheduler")
    stale_after: float = 120.0
    timeout: float = 3.0
    started: float = field(default_factory=time.monotonic)

    async def check(self) -> tuple[bool, dict[str, str]]:
        report: dict[str, str] = {}
        try:
            current = await asyncio.wait_for(current_revision(self.engine), self.timeout)
            report["database"] = "ok"
            state = schema_state(current)
            report["schema"] = "ok" if state == "ok" else f"{state} ({current or 'none'})"
        except Exception as exc:  # unreachable, timed out: not ready, and say which
            report["database"] = f"error: {type(exc).__name__}"
            report["schema"] = "unknown"
        for loop in self.loops:
            since_start = time.monotonic() - self.started
            ago = metrics.seconds_since_tick(loop)
            if ago is None or ago > since_start:  # not ticked since this process started: count from start-up
                ago = since_start
            report[loop] = "ok" if ago <= self.stale_after else f"stale: last tick {ago:.0f} s ago"
        return all(v == "ok" for v in report.values()), report


class _Healthz(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish({"status": "ok"})


class _Readyz(tornado.web.RequestHandler):
    def initialize(self, readiness: Readiness) -> None:
        self.readiness = readiness

    async def get(self) -> None:
        ready, report = await self.readiness.check()
        self.set_status(200 if ready else 503)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": "ok" if ready else "not ready", **report}))


def metrics_allowed(request, token: str | None) -> bool:
    """The socket's peer (not a forwarded address) is this host and nothing forwarded it, or the token."""
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    address = getattr(request.connection.context, "address", None)
    try:
        peer = ipaddress.ip_address(address[0]) if address else None
    except ValueError:
        return False
    forwarded = any(request.headers.get(name) for name in FORWARDED)
    return peer is not None and peer.is_loopback and not forwarded


class _Metrics(tornado.web.RequestHandler):
    def initialize(self, services: Services, token: str | None, quotas: dict[str, int]) -> None:
        self.services, self.token, self.quotas = services, token, quotas

    async def get(self) -> None:
        if not metrics_allowed(self.request, self.token):
            self.set_status(404)
            return
        settings, now = self.services.settings, self.services.clock.now()
        try:
            await metrics.refresh_from_database(self.services.sessions, now,
                                                month_key(now.astimezone(settings.tz).date()), self.quotas)
        except Exception as exc:  # the counters still tell something when the database does not answer
            log.warning("metrics: could not read the outbox (%s)", type(exc).__name__)
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(metrics.exposition())


def routes(services: Services, readiness: Readiness, *, metrics_token: str | None = None,
           zalo_quotas: dict[str, int] | None = None) -> list:
    return [
        (r"/healthz", _Healthz),
        (r"/readyz", _Readyz, {"readiness": readiness}),
        (r"/metrics", _Metrics, {"services": services, "token": metrics_token, "quotas": zalo_quotas or {}}),
    ]


class HealthServer:
    """A small HTTP server of its own for the health routes (polling mode, workers, or a separate port)."""

    def __init__(self, routes: list, *, listen: str, port: int):
        self.app = tornado.web.Application(routes, transforms=TRANSFORMS, log_function=lambda handler: None)
        self.listen, self.port = listen, port
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(self.port, self.listen, family=socket.AF_INET)
        self.port = sockets[0].getsockname()[1]  # the real one when 0 was asked for
        self._server = tornado.httpserver.HTTPServer(self.app)
        self._server.add_sockets(sockets)
        log.info("health endpoint on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
