"""What the fake chat-platform API servers have in common.

:class:`fakeapi.telegram.FakeTelegramServer` and :class:`fakeapi.zalo.FakeZaloServer`
are both small tornado servers on 127.0.0.1 that answer ``/bot<token>/<method>``
with ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": ...}``.  :class:`FakeBotApiServer` is the part that does not depend
on the platform:

* the lifecycle: :meth:`~FakeBotApiServer.start`, :meth:`~FakeBotApiServer.stop`,
  ``async with``, :attr:`~FakeBotApiServer.port` and :attr:`~FakeBotApiServer.root`;
* the HTTP plumbing (:class:`ApiHandler`, :class:`NotFoundHandler`, a quiet access
  log) and the dispatching of one call (:meth:`~FakeBotApiServer._dispatch`):
  token check, recording in :attr:`~FakeBotApiServer.requests`, injected failures,
  the method handler, and the answer;
* failure injection (rules added by each platform's ``fail_next``,
  :meth:`~FakeBotApiServer.block`/:meth:`~FakeBotApiServer.unblock`);
* waking what waits for a change (:meth:`~FakeBotApiServer._notify`,
  :meth:`~FakeBotApiServer._wait_for_change`), the webhook sender, and the test
  helpers :meth:`~FakeBotApiServer.wait_for`, :meth:`~FakeBotApiServer.calls`,
  :meth:`~FakeBotApiServer.texts` and :meth:`~FakeBotApiServer.describe_activity`.

A platform subclass sets the class attributes that name and word things (see
"Platform settings" in :class:`FakeBotApiServer`), implements the abstract hooks
(how a request is decoded; the methods both platforms have - ``getMe``,
``getUpdates``, ``setWebhook``, ``deleteWebhook``, ``getWebhookInfo`` -, which the
base class serves; what a webhook POST looks like; what the bot sent) and
registers its other methods with :meth:`~FakeBotApiServer._add_method`.  Nothing here is public API: import the platform modules instead.
"""

from __future__ import annotations

import abc
import asyncio
import copy
import inspect
import json
import logging
import socket
from collections.abc import Awaitable, Callable, MutableSequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import httpx
import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.web

#: A method handler: ``handler(params)`` returns the ``result`` (or an awaitable of it,
#: or an :class:`Answer`) or raises :class:`ApiError`.
MethodHandler = Callable[[dict[str, Any]], Any]


class ApiError(Exception):
    """An error answer ``{"ok": false, "error_code": status, "description": ...}``.

    Raise it from a method handler (for Telegram also from one registered with
    :meth:`fakeapi.telegram.FakeTelegramServer.register_method`).
    """

    def __init__(self, status: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        """The JSON body of the answer.

        ``parameters.retry_after`` is Telegram's field; Zalo is not known to send
        one, so its fake only does when a test asks for it.
        """
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Answer:
    """A complete answer (HTTP status + JSON body), for the few that are not a plain
    ``{"ok": true, "result": ...}``; return it from a method handler."""

    status: int
    body: dict[str, Any]


@dataclass
class FailureRule:
    """One ``fail_next`` instruction."""

    method: str  # as given by FakeBotApiServer._method_key
    status: int
    remaining: int
    chat_id: Any  # only calls to this chat fail; None: any call
    description: str
    retry_after: int | None


@dataclass
class RequestContext:
    """Per-HTTP-request state a held call needs (client gone? who to wake?)."""

    disconnected: bool = False
    waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


# --------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------


class JsonHandler(tornado.web.RequestHandler):
    """Shared bits: JSON answers, no ETag/304 magic, JSON errors in the platform's words."""

    def initialize(self, server: FakeBotApiServer) -> None:
        self._server = server

    def compute_etag(self) -> None:
        return None

    def send_json(self, status: int, body: Any) -> None:
        self.set_status(status)
        if isinstance(body, str):  # a proxy's HTML error page in front of the API (a 502 from nginx)
            self.set_header("Content-Type", "text/html")
            self.finish(body)
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        description = self._server._unhandled_error_description(self._reason)
        self.send_json(
            status_code, {"ok": False, "error_code": status_code, "description": description}
        )


class NotFoundHandler(JsonHandler):
    """Any path that is not served: 404 in the platform's words."""

    def prepare(self) -> None:
        self.send_json(
            404, {"ok": False, "error_code": 404, "description": self._server._not_found_description}
        )


class ApiHandler(JsonHandler):
    """``/bot<token>/<method>``, GET or POST: decodes the parameters and hands over to
    :meth:`FakeBotApiServer._dispatch`."""

    def initialize(self, server: FakeBotApiServer) -> None:
        super().initialize(server)
        self._context = RequestContext()

    async def get(self, token: str, method: str) -> None:
        try:
            params = self._server._decode_request(self.request)
        except ApiError as error:
            self.send_json(error.status, error.envelope())
            return
        status, body = await self._server._dispatch(token, method, params, self._context)
        if not self._context.disconnected:
            self.send_json(status, body)

    post = get

    def on_connection_close(self) -> None:
        self._context.disconnected = True
        self._context.wake()


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class FakeBotApiServer(abc.ABC):
    """The platform-independent part of a fake bot API server (see the module docstring).

    Call everything from the event loop the server was started in; nothing here is
    thread-safe.

    Platform settings (class attributes a subclass sets):
        _platform: Name used in log lines ("Fake <platform> Bot API listening...").
        _logger: The logger of the platform module (log records keep its name).
        _case_sensitive_methods: Whether ``getMe`` and ``getme`` are different methods
            (for serving, :meth:`calls` and ``fail_next``).
        _unauthorized_description, _not_found_description: Descriptions of the 401
            answer to a wrong token and of the 404 answer to an unknown method or path.
        _internal_error_description: Description of a 500 answer when the fake itself
            fails (followed by the exception).
        _activity_title: First words of :meth:`describe_activity`.

    Subclasses also set ``self._pending`` (what the bot has not taken yet, oldest
    first) in ``__init__``, and ``self._webhook`` (an object with ``url``) while a
    webhook is set.
    """

    _platform: ClassVar[str]
    _logger: ClassVar[logging.Logger]
    _case_sensitive_methods: ClassVar[bool]
    _unauthorized_description: ClassVar[str] = "Unauthorized"
    _not_found_description: ClassVar[str]
    _internal_error_description: ClassVar[str]
    _activity_title: ClassVar[str]

    _pending: MutableSequence[dict[str, Any]]

    def __init__(self, token: str) -> None:
        self.token = token
        self._other_bots: dict[str, FakeBotApiServer] = {}

        self.port: int = 0
        #: ``http://127.0.0.1:<port>`` once started.
        self.root: str = ""

        #: Every call with the right token, in order: ``(method, decoded params)``.
        self.requests: list[tuple[str, dict[str, Any]]] = []
        #: Number of 429 answers sent.
        self.http_429 = 0
        #: What was successfully POSTed to the webhook, in order.
        self.webhook_deliveries: list[dict[str, Any]] = []
        #: Every call answered with an error (injected failures included): (method, status, description).
        self.errors: list[tuple[str, int, str]] = []

        # method key -> (method name as registered, handler)
        self._methods: dict[str, tuple[str, MethodHandler]] = {}
        # What both platforms serve: the bot itself, long polling and the webhook.
        common: dict[str, Callable[..., Any]] = {  # getUpdates also takes the request's context
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }
        for name, handler in common.items():
            self._add_method(name, handler)
        self._webhook: Any = None
        self._failures: list[FailureRule] = []
        self._blocked: set[int | str] = set()

        self._waiters: set[asyncio.Future[None]] = set()
        self._watchers: set[asyncio.Future[None]] = set()  # wait_for's: woken by every call and delivery
        self._active_requests = 0
        self._http_server: tornado.httpserver.HTTPServer | None = None
        self._http_client: httpx.AsyncClient | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._closing = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 on an ephemeral port, in the running event loop."""
        if self._http_server is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        app = tornado.web.Application(
            self._routes(),
            default_handler_class=NotFoundHandler,
            default_handler_args={"server": self},
            log_function=self._log_request,
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        self._http_server = tornado.httpserver.HTTPServer(app)
        self._http_server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        self.root = f"http://127.0.0.1:{self.port}"
        self._closing = False
        self._http_client = httpx.AsyncClient(trust_env=False, timeout=10.0)
        self._webhook_task = asyncio.create_task(
            self._deliver_webhooks(), name=f"{type(self).__name__}:webhook"
        )
        self._logger.debug("Fake %s Bot API listening on %s", self._platform, self.root)

    async def stop(self) -> None:
        """Answer held polls, close all connections and stop listening."""
        if self._http_server is None:
            return
        self._closing = True
        self._notify()  # held calls answer right away
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            try:
                await self._webhook_task
            except asyncio.CancelledError:
                pass
            self._webhook_task = None
        self._http_server.stop()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.0
        while self._active_requests and loop.time() < deadline:
            await asyncio.sleep(0.005)
        try:
            await asyncio.wait_for(self._http_server.close_all_connections(), timeout=2.0)
        except TimeoutError:
            self._logger.warning(
                "Fake %s server: some connections did not close in time", self._platform
            )
        self._http_server = None
        if self._http_client is not None:
            await self._http_client.aclose()
            self._http_client = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _routes(self) -> list[Any]:
        """The tornado rules served; anything else answers 404 (:class:`NotFoundHandler`)."""
        return [(r"/bot([^/]*)/([^/]*)", ApiHandler, {"server": self})]

    def _log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Access log, at DEBUG only (tornado's default logs every request at INFO)."""
        request = handler.request
        path = self._loggable_path(request.path)
        self._logger.debug("%d %s %s", handler.get_status(), request.method, path)

    def _loggable_path(self, path: str) -> str:
        """The request path as the access log shows it."""
        return path

    # ------------------------------------------------------------------ what the bot did

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The params of every call of ``method``, in order (the method name is
        case-insensitive where the platform's is)."""
        wanted = self._method_key(method)
        return [params for name, params in self.requests if self._method_key(name) == wanted]

    @abc.abstractmethod
    def _sent_kept(self, chat_id: Any = None) -> list[dict[str, Any]]:
        """The messages the bot sent (to ``chat_id``, if given) as the server keeps them: never handed out."""

    def sent_messages(self, chat_id: Any = None, start: int = 0) -> list[dict[str, Any]]:
        """Copies of the messages the bot sent (to ``chat_id``, if given), from the ``start``-th on: only
        those are copied (a scene looks at the new ones after every step)."""
        return [copy.deepcopy(message) for message in self._sent_kept(chat_id)[start:]]

    def texts(self, chat_id: Any = None) -> list[str]:
        """Text (or caption) of :meth:`sent_messages`, ``""`` when there is none."""
        return [
            message.get("text", message.get("caption", ""))
            for message in self._sent_kept(chat_id)
        ]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate`` is true: looked at again after every API call, update queued and webhook
        delivery (what changes the server's state), and every 50 ms for what changes elsewhere.

        Raises:
            AssertionError: after ``timeout`` seconds, describing what the bot did.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout:g}s waiting for {_describe(predicate)}\n"
                    f"{self.describe_activity()}"
                )
            watcher: asyncio.Future[None] = loop.create_future()
            self._watchers.add(watcher)
            try:
                await asyncio.wait({watcher}, timeout=min(remaining, _LOOK_AGAIN))
            finally:
                self._watchers.discard(watcher)

    def describe_activity(self, last: int = 15) -> str:
        """A short human-readable summary of the latest calls, for error messages."""
        interesting = [(name, params) for name, params in self.requests if name != "getUpdates"]
        polls = len(self.requests) - len(interesting)
        lines = [f"{self._activity_title}: {len(self.requests)} ({polls} getUpdates); latest:"]
        for name, params in interesting[-last:]:
            lines.append(f"  {name} {_shorten(repr(self._printable_params(params)), 200)}")
        if not interesting:
            lines.append("  (none)")
        lines.append(self._describe_state())
        return "\n".join(lines)

    def _printable_params(self, params: dict[str, Any]) -> Any:
        """``params`` as :meth:`describe_activity` shows them."""
        return params

    @abc.abstractmethod
    def _describe_state(self) -> str:
        """The last line of :meth:`describe_activity` (what is pending...)."""

    # ------------------------------------------------------------------ failure injection

    def block(self, chat_id: int | str) -> None:
        """From now on, the bot's calls to ``chat_id`` answer 403 (with the platform's
        description: see the class)."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int | str) -> None:
        """Undo :meth:`block`."""
        self._blocked.discard(chat_id)

    def _add_failure(
        self,
        method: str,
        status: int,
        times: int,
        chat_id: Any,
        description: str,
        retry_after: int | None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id`` only, unless it
        is None) fail; for the platforms' ``fail_next``."""
        self._failures.append(
            FailureRule(
                method=self._method_key(method),
                status=status,
                remaining=times,
                chat_id=chat_id,
                description=description,
                retry_after=retry_after,
            )
        )

    def _raise_injected_failure(self, method: str, params: dict[str, Any]) -> None:
        """Raise the :class:`ApiError` of the first rule this call matches, if any."""
        wanted = self._method_key(method)
        for rule in self._failures:
            if rule.method != wanted or rule.remaining <= 0:
                continue
            if rule.chat_id is not None and self._failure_chat_id(params) != rule.chat_id:
                continue
            rule.remaining -= 1
            self._failures = [r for r in self._failures if r.remaining > 0]
            raise ApiError(rule.status, rule.description, retry_after=rule.retry_after)

    @abc.abstractmethod
    def _failure_chat_id(self, params: dict[str, Any]) -> Any:
        """The call's ``chat_id``, in the form ``fail_next`` is given it."""

    # ------------------------------------------------------------------ dispatching

    def _method_key(self, name: str) -> str:
        """How method names are compared (lower case unless case-sensitive)."""
        return name if self._case_sensitive_methods else name.lower()

    def _add_method(self, name: str, handler: MethodHandler) -> None:
        """Serve (or override) method ``name`` with ``handler`` (see :data:`MethodHandler`)."""
        self._methods[self._method_key(name)] = (name, handler)

    @abc.abstractmethod
    def _decode_request(self, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any]:
        """The call's parameters; raises :class:`ApiError` (400) if they can't be read."""

    @abc.abstractmethod
    def _get_me(self, params: dict[str, Any]) -> Any:
        """``getMe``: the bot's own account."""

    @abc.abstractmethod
    def _get_updates(self, params: dict[str, Any], context: RequestContext) -> Awaitable[Any]:
        """``getUpdates``: it gets the request's context, to notice a client that left."""

    @abc.abstractmethod
    def _set_webhook(self, params: dict[str, Any]) -> Any:
        """``setWebhook``: sets :attr:`_webhook` (and :meth:`_notify`)."""

    @abc.abstractmethod
    def _delete_webhook(self, params: dict[str, Any]) -> Any:
        """``deleteWebhook``: clears :attr:`_webhook` (and :meth:`_notify`)."""

    def serve_also(self, other: FakeBotApiServer) -> None:
        """Answer calls with ``other``'s token at this address too, as ``other`` would (its own updates,
        messages and limits): several bots behind one API address, as on the real platform."""
        self._other_bots[other.token] = other

    @abc.abstractmethod
    def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        """``getWebhookInfo``."""

    async def _dispatch(
        self, token: str, method: str, params: dict[str, Any], context: RequestContext
    ) -> tuple[int, dict[str, Any]]:
        """Run one API call; never raises.  Returns (HTTP status, JSON body)."""
        if token != self.token:
            other = self._other_bots.get(token)
            if other is not None:  # another bot at the same address (as every bot shares Telegram's)
                return await other._dispatch(token, method, params, context)
            return self._error_answer(ApiError(401, self._unauthorized_description))
        name, handler = self._methods.get(self._method_key(method), (method, None))
        self.requests.append((name, params))
        self._active_requests += 1
        try:
            if handler is None:
                raise ApiError(404, self._not_found_description)
            await self._before_handling(name, context)
            self._raise_injected_failure(name, params)
            if handler == self._get_updates:  # the long poll must notice disconnects
                result = await self._get_updates(params, context)
            else:
                result = handler(params)
                if inspect.isawaitable(result):
                    result = await result
        except ApiError as error:
            self.errors.append((name, error.status, error.description))
            return self._error_answer(error)
        except Exception as exc:  # a bug in the fake: answer 500, don't kill the server
            self._logger.exception("Fake %s server failed to handle %s", self._platform, name)
            return self._error_answer(
                ApiError(500, f"{self._internal_error_description}: {exc!r}")
            )
        finally:
            self._active_requests -= 1
            self._touch()
        if isinstance(result, Answer):
            return result.status, result.body
        return 200, {"ok": True, "result": result}

    async def _before_handling(self, method: str, context: RequestContext) -> None:
        """Called before the injected failures and the handler of a known method
        (Zalo's fake holds stalled calls here); by default it does nothing."""
        return None

    def _error_answer(self, error: ApiError) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) of an error; counts the 429s in :attr:`http_429`."""
        if error.status == 429:
            self.http_429 += 1
        if error.description.lstrip().startswith("<html"):  # a front proxy's page, not the API's JSON
            return error.status, error.description  # type: ignore[return-value]
        return error.status, error.envelope()

    def _unhandled_error_description(self, reason: str) -> str:
        """Description of an error tornado answers itself (405, an exception in a
        handler...), given the HTTP reason phrase."""
        return reason or self._internal_error_description

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        """Wake everything waiting for a change (held polls, the webhook sender, :meth:`wait_for`)."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
        self._touch()

    def _touch(self) -> None:
        """Wake :meth:`wait_for` to look at its predicate again (the server's state may have changed)."""
        for watcher in self._watchers:
            if not watcher.done():
                watcher.set_result(None)
        self._watchers.clear()

    async def _wait_for_change(
        self, timeout: float, context: RequestContext | None = None
    ) -> None:
        """Sleep until :meth:`_notify` (or ``context.wake()``) is called, or ``timeout``."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        if context is not None:
            context.waiter = waiter
        try:
            await asyncio.wait({waiter}, timeout=timeout)
        finally:
            self._waiters.discard(waiter)
            if context is not None:
                context.waiter = None

    # ------------------------------------------------------------------ webhook

    async def _deliver_webhooks(self) -> None:
        """Background task: POST pending items, in order, to the webhook if one is set.

        An item leaves :attr:`_pending` once the webhook answered 2xx; after a failure
        the same item is tried again, after 0.1 s, 0.2 s... up to 1 s.
        """
        failures = 0
        while not self._closing:
            webhook = self._webhook
            if webhook is None or not self._pending or self._http_client is None:
                await self._wait_for_change(1.0)
                continue
            item = self._pending[0]
            body, headers = self._webhook_request(webhook, item)
            try:
                response = await self._http_client.post(webhook.url, json=body, headers=headers)
                error = (
                    None
                    if 200 <= response.status_code < 300
                    else f"Wrong response from the webhook: {response.status_code} "
                    f"{response.reason_phrase}"
                )
            except httpx.HTTPError as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            if error is None:
                failures = 0
                if self._pending and self._pending[0] is item:
                    del self._pending[0]
                self._webhook_delivered(body, headers)
                self._touch()
            else:
                failures += 1
                self._webhook_failed(webhook, error)
                self._touch()
                await asyncio.sleep(min(0.05 * 2**failures, 1.0))

    @abc.abstractmethod
    def _webhook_request(self, webhook: Any, item: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        """(JSON body, headers) of the POST that delivers ``item`` to ``webhook``."""

    def _webhook_delivered(self, body: Any, headers: dict[str, str]) -> None:
        """Called after a successful webhook POST."""
        self.webhook_deliveries.append(body)

    @abc.abstractmethod
    def _webhook_failed(self, webhook: Any, error: str) -> None:
        """Called after a failed webhook POST (``error`` says why)."""


_LOOK_AGAIN = 0.05  # seconds: wait_for looks at its predicate at least this often (for state kept elsewhere)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(predicate: Callable[[], bool]) -> str:
    """The source of ``predicate`` (a lambda, usually), for error messages."""
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
