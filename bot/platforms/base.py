"""What a chat platform is to chibo, and the one table where each platform registers.

A platform is: its client (the Bot API it talks to), its adapter (updates in as neutral
``Request``s, ``Response``s out as its own payloads, within its own limits), its sender for the
dispatcher (``scheduler.delivery.senders.Sender``), its fake Bot API server for tests, and one call to
``register``. The runner, the HTTP server and the CLI only loop over what is registered.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from core.services import Services
from core.settings import Settings
from scheduler.delivery.senders import Sender
from storage.types import PLATFORM_NAME

Route = tuple[str, type, dict[str, Any]]  # a tornado route: path, handler class, its initialize() arguments


@dataclass
class WebhookOptions:
    url: str
    listen: str = "127.0.0.1"
    port: int = 8443


class Running(Protocol):
    """One platform brought up by the runner."""

    name: str
    sender: Sender  # what the dispatcher delivers outbox rows with

    def webhook_routes(self, hook: WebhookOptions) -> list[Route]:
        """The webhook endpoints chibo's HTTP server serves for this platform (webhook mode only)."""
        ...

    async def take_updates(self, hook: WebhookOptions | None) -> None:
        """Start receiving: register the webhook at ``hook``, or poll when there is none."""
        ...

    async def stop_taking(self) -> None:
        """Stop receiving (polling, webhook registrations stay); what was kept stays in the inbox."""
        ...

    async def stop(self) -> None: ...


class PlatformProblem(Exception):
    """A platform refused chibo's configuration (a wrong token): ``str()`` is the one line for the operator,
    and the command exits with status 2. A platform that does not answer is not one: it is retried."""


def network_error(exc: BaseException) -> bool:
    """The platform could not be reached (refused, reset, timed out, a name that does not resolve)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError | TimeoutError):
            return True
        current = current.__cause__ or current.__context__
    return False


@dataclass(frozen=True)
class Registration:
    """One registration: everything the entry points need to know about a platform."""

    name: str  # the value of the ``platform`` columns and of ``Request.platform``
    configured: Callable[[Settings], bool]  # has a token: the runner starts it
    start: Callable[[Services, bool, bool], Awaitable[Running]]  # (services, take_updates, webhook mode)
    fake: Callable[[], type]  # its fake Bot API server class (fakeapi/), for tests and the demo
    label: str = ""  # its name for people ("Telegram"); the runner's log lines say which service is away
    # True when an exception from the platform means it could not be reached (then the runner retries)
    unreachable: Callable[[BaseException], bool] = network_error


REGISTRY: dict[str, Registration] = {}


def register(platform: Registration) -> Registration:
    if not PLATFORM_NAME.fullmatch(platform.name):
        raise ValueError(f"platform name {platform.name!r}: lowercase letters, digits and _, at most 20")
    if platform.name in REGISTRY:
        raise ValueError(f"platform {platform.name!r} is registered twice")
    REGISTRY[platform.name] = platform
    return platform


MAX_BODY = 1_000_000
BAD = object()  # what ``json_body`` gives for a body that is no JSON


def json_body(raw: bytes) -> object:
    """A webhook request's JSON, or ``BAD`` for anything that is not (too big, not UTF-8, nested so
    deeply that the parser gives up): answered 400, never a traceback."""
    if len(raw) > MAX_BODY:
        return BAD
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return BAD
