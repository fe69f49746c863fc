"""Running chibo: every registered platform that has a token, the dispatcher and the scheduler, in one process."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import platforms
from bot.platforms import Running, WebhookOptions
from bot.runtime import health
from bot.runtime.http_server import HttpServer
from bot.runtime.intake import Intake
from bot.runtime.logs import quiet_third_party_logs
from bot.runtime.roles import Roles
from core.clock import REAL_PACE, Clock, PaceTime, SystemClock
from core.services import Services
from core.settings import Settings
from scheduler.delivery.dispatcher import Dispatcher
from scheduler.jobs import build_scheduler
from storage.db import create_engine, ensure_ready, session_factory
from storage.locks import ProcessLocks

log = logging.getLogger(__name__)

class NoPlatform(RuntimeError):
    """No registered platform has a token configured."""


class StoppedWhileStarting(Exception):
    """SIGTERM came while start-up waited for a platform: nothing more to do."""


FIRST_RETRY, LAST_RETRY = 1.0, 60.0  # back-off while a platform does not answer at start-up (doubling)


@dataclass
class Runtime:
    """Everything a running chibo holds; ``start`` and ``stop`` bring it up and down."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    pace: PaceTime = REAL_PACE  # the time the platforms' limits are counted in (faster only in the tests' scene)
    webhook: WebhookOptions | None = None
    take_updates: bool = True
    http_port: int = 8443  # chibo's HTTP endpoint without a webhook (signed files, with CHIBO_PUBLIC_URL)
    health: bool = False  # serve /healthz, /readyz and /metrics (the CLI's run and worker do)
    health_port: int | None = None  # in webhook mode: a port of their own (None: the webhook's)
    health_listen: str = "127.0.0.1"

    async def start(self) -> None:
        settings = self.settings
        self.scheduler: AsyncIOScheduler | None = None
        self._started = False
        if getattr(self, "stop_requested", None) is None:  # run_forever makes it first, for SIGTERM during start-up
            self.stop_requested = asyncio.Event()
        quiet_third_party_logs()
        chosen = platforms.configured(settings)
        if not chosen:
            raise NoPlatform
        self.engine = create_engine(settings.database_url)
        await ensure_ready(self.engine)
        self.locks = ProcessLocks(self.engine)
        if await self.locks.mark_running():  # chibo db restore refuses while this process runs; waited for one
            await ensure_ready(self.engine)  # the database restored meanwhile: its schema checked again
        sessions = session_factory(self.engine)
        self.services = Services(settings=settings, sessions=sessions, clock=self.clock, pace=self.pace)
        self.intake = self.services.intake = Intake(self.services)
        self.http: HttpServer | None = None
        self.scheduler = None
        self.platforms: dict[str, Running] = {}
        self.registrations = {platform.name: platform for platform in chosen}
        for platform in chosen:
            self.platforms[platform.name] = await self._retrying(
                platform, "start", lambda p=platform: p.start(self.services, self.take_updates, self.webhook is not None))
        self.dispatcher = Dispatcher(settings, sessions, self.clock,
                                     {name: running.sender for name, running in self.platforms.items()},
                                     last_seen=self.services.last_seen, pace=self.pace)
        self.services.wake_dispatcher = self.dispatcher.wake
        self.scheduler = build_scheduler(self.services, self.dispatcher)
        polling = self.take_updates and self.webhook is None
        self.roles = Roles(self.locks, self.dispatcher, settings.election_interval_seconds,
                           pollers={name: self._poller(running) for name, running in self.platforms.items()}
                           if polling else {},
                           unpollers={name: running.stop_taking for name, running in self.platforms.items()}
                           if polling else {})
        if self.take_updates:
            await self.intake.recover()  # what a process that died had kept but not handled
            self.intake.start()
            await self._take_updates()
        await self.roles.elect()
        log.info(self.describe())
        self.dispatcher.start()
        self.roles.start()
        self.scheduler.start()
        self._started = True
        await self._serve_health()
        log.info("chibo started: pid=%d mode=%s platforms=%s health_port=%s", os.getpid(), self._mode(),
                 ",".join(self.platforms), self.health_server.port if self.health_server else
                 (self.http.port if self.health and self.http else "-"))

    def _mode(self) -> str:
        return "worker" if not self.take_updates else "webhook" if self.webhook else "polling"

    async def _serve_health(self) -> None:
        """/healthz, /readyz, /metrics: on the HTTP endpoint already serving this port, else on their own."""
        self.health_server: health.HealthServer | None = None
        if not self.health:
            return
        self.readiness = health.Readiness(self.engine,
                                          stale_after=max(120.0, 10 * self.settings.dispatch_interval_seconds))
        token = self.settings.metrics_token.get_secret_value() if self.settings.metrics_token else None
        quotas = dict.fromkeys(self.settings.zalo_tokens(), self.settings.zalo_monthly_quota)
        routes = health.routes(self.services, self.readiness, metrics_token=token, zalo_quotas=quotas)
        shared = self.http is not None and (self.webhook is None or self.health_port in (None, self.webhook.port))
        if shared:
            assert self.http is not None  # shared: the HTTP endpoint serves this port
            self.http.app.add_handlers(r".*", routes)
            return
        port = self.health_port if self.webhook is not None and self.health_port is not None else self.http_port
        self.health_server = health.HealthServer(routes, listen=self.health_listen, port=port)
        await self.health_server.start()

    def _poller(self, running: Running):
        async def start() -> None:
            if self._started:  # taken up again after an outage: one try, the next election round retries
                await running.take_updates(None)
            else:
                await self._retrying(self.registrations[running.name], "take updates",
                                     lambda: running.take_updates(None))
        return start

    async def _retrying(self, platform, what: str, action):
        """``action()``, again and again with back-off while ``platform`` does not answer (a platform away
        at start-up is not configuration the operator must fix: systemd would not restart an exit 2)."""
        delay, failures = FIRST_RETRY, 0
        while True:
            try:
                return await action()
            except Exception as exc:
                if not platform.unreachable(exc):
                    raise
                failures += 1
                log.warning("cannot reach the %s Bot API (%s) to %s; retrying in %.0f s (%d failure(s) so far)",
                            platform.label or platform.name, type(exc).__name__, what, delay, failures)
            try:
                await asyncio.wait_for(self.stop_requested.wait(), delay)
                raise StoppedWhileStarting
            except TimeoutError:
                pass
            delay = min(delay * 2, LAST_RETRY)

    def describe(self) -> str:
        """What this process does, in one line: the first thing it logs (bot.runtime.roles logs every change)."""
        roles, names = self.roles, ", ".join(self.platforms)
        command = "chibo run" if self.take_updates else "chibo worker"
        if not self.take_updates:
            updates = "takes no updates"
        elif self.webhook is not None:
            updates = f"takes updates by webhook ({names})"
        elif roles.standby_pollers:
            updates = (f"takes updates by long polling ({', '.join(sorted(roles.polling)) or 'none'}; standby for "
                       f"{', '.join(roles.standby_pollers)}: another process polls, this one takes over if it stops)")
        else:
            updates = f"takes updates by long polling ({names})"
        active, standby = sorted(self.dispatcher.active), roles.standby_senders
        parts = []
        if active:
            parts.append(f"active sender for {', '.join(active)} (sends the outbox, paced)")
        if standby:
            parts.append(f"standby sender for {', '.join(standby)} (another process sends; this one takes over "
                         "if it stops)")
        sends = "; ".join(parts)
        shared = "several processes may share this PostgreSQL database" if roles.locks.shared \
            else "SQLite: run only this one process"
        return f"{command}: {updates}; {sends}; plans reminders and reports (each job runs once); {shared}"

    async def _take_updates(self) -> None:
        settings, hook = self.settings, self.webhook
        if hook is not None or settings.public_url:
            routes = [route for running in self.platforms.values() for route in running.webhook_routes(hook)] \
                if hook else []
            self.http = HttpServer(self.services, listen=hook.listen if hook else "127.0.0.1",
                                   port=hook.port if hook else self.http_port, webhooks=routes)
            await self.http.start()
        if hook is not None:  # long polling waits for the poll lock (Roles.elect)
            for name, running in self.platforms.items():
                await self._retrying(self.registrations[name], "set the webhook",
                                     lambda r=running: r.take_updates(hook))

    async def stop(self) -> None:
        if getattr(self, "scheduler", None) is None:  # start() failed before anything ran
            for running in reversed(getattr(self, "platforms", {}).values()):
                await running.stop()
            if getattr(self, "locks", None) is not None:
                await self.locks.release_all()
            if getattr(self, "engine", None) is not None:
                await self.engine.dispose()
            return
        assert self.scheduler is not None  # set above when start() got this far
        self.scheduler.shutdown(wait=False)
        if (health_server := getattr(self, "health_server", None)) is not None:
            await health_server.stop()
        if self.http is not None:
            await self.http.stop()
        for running in self.platforms.values():
            await running.stop_taking()
        await self.intake.stop()  # what was taken is answered; the rest stays kept for the next start
        await self.dispatcher.stop()
        await self.roles.stop()  # the locks go last: another process takes over the sending
        for running in reversed(self.platforms.values()):
            await running.stop()
        await self.engine.dispose()
        log.info("chibo stopped: pid=%d mode=%s", os.getpid(), self._mode())


def freeze_startup_objects() -> None:
    """What start-up made (modules, the ORM's mappings, the texts) lives as long as the process: moved out of
    the garbage collector's sight (``gc.freeze``), so its full passes under load look only at what requests
    make. Once a process, after start-up (a test suite starting many runtimes in one process must not)."""
    gc.collect()
    gc.freeze()


async def run_forever(runtime: Runtime) -> None:
    stop = runtime.stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before start-up: it may wait for a platform that is away
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # pragma: no cover - Windows
            pass
    try:
        await runtime.start()
    except StoppedWhileStarting:
        await runtime.stop()
        return
    freeze_startup_objects()
    try:
        await stop.wait()
    finally:
        await runtime.stop()
