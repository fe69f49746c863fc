"""A fake Zalo Bot API server for tests and demos.

:class:`FakeZaloServer` answers the way the public copies of Zalo's Bot API
documentation (and working clients) say the real one does - see ``docs/zalo.md``
for what is confirmed and what is a guess::

    async with FakeZaloServer() as server:
        async with ZaloClient(server.token, server.root) as client:
            server.send_text("u1", "xin chào")          # a user writes to the bot
            event = await client.get_update(timeout=5)  # ONE event, or None when idle
            await client.send_message(event.chat_id, "Chào đồng chí")
            assert server.texts("u1") == ["Chào đồng chí"]

Like :class:`fakeapi.telegram.FakeTelegramServer` (both build on
:class:`fakeapi._server.FakeBotApiServer`) it runs inside the current asyncio event
loop (a tornado ``HTTPServer``), listens on 127.0.0.1 on an ephemeral port and keeps
everything in memory.

What is modelled (method names are case-sensitive, as Zalo documents; anything
else answers 404 "Not found"):

* ``getMe``;
* ``getUpdates``: holds the request up to its ``timeout`` (seconds, a string or a
  number) and answers ONE queued event ``{"ok": true, "result": {event_name,
  message}}``, or the idle answer ``{"ok": false, "error_code": 408, "description":
  "Request timeout"}`` - with HTTP 200 or HTTP 408, alternately by default
  (``idle_form``).  400 while a webhook is set (Zalo only says it "does not work";
  the code is the fake's choice);
* ``setWebhook`` (``url`` and ``secret_token``, 8 to 256 characters, else 400),
  ``deleteWebhook``, ``getWebhookInfo`` (``{url, updated_at}``).  While a webhook is
  set, queued events are POSTed to it with the ``X-Bot-Api-Secret-Token`` header,
  as ``{event_name, message}`` or, with ``wrap_webhook=True``, as ``{ok: true,
  result: {...}}`` (Zalo's documentation shows the latter, a working client says it
  receives the former);
* ``sendMessage`` (1 to 2,000 characters, else 400), ``sendPhoto`` (an http(s)
  ``photo`` URL, optional ``caption`` up to 2,000), ``sendSticker``,
  ``sendChatAction`` (``typing``; ``upload_photo`` is documented as coming soon and
  accepted).  Sends answer ``{message_id, date}`` (a string id, milliseconds),
  ``sendChatAction`` answers ``{"ok": true}`` with no result.

Errors are ``{"ok": false, "error_code": N, "description": ...}`` with HTTP status
N, or with HTTP 200 when ``http_200_errors=True`` (what Zalo was seen doing for a
bad token).  Failures are injected with :meth:`FakeZaloServer.fail_next`,
:meth:`FakeZaloServer.stall_next` and :meth:`FakeZaloServer.block`; ``quota``
models the free plan's monthly message allowance (429 "Quota exceeded").
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import tornado.httputil
import tornado.web

from fakeapi._server import Answer, ApiError, FakeBotApiServer, RequestContext

__all__ = ["MAX_TEXT_LENGTH", "SECRET_HEADER", "ApiError", "FakeZaloServer"]

_LOGGER = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
SECRET_MIN_LENGTH = 8
SECRET_MAX_LENGTH = 256
_IDLE_FORMS = ("alternate", "ok_false", "http_408")
_CHAT_ACTIONS = frozenset({"typing", "upload_photo"})
_SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker"})

#: Descriptions from Zalo's error table (bot.zaloplatforms.com/docs, "Bảng mã lỗi"),
#: except 403, which that table calls "Internal server error" (see docs/zalo.md).
_DEFAULT_DESCRIPTIONS = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    408: "Request timeout",
    429: "Quota exceeded",
}


def _bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad request: {what}")


@dataclass
class _StallRule:
    method: str
    seconds: float
    remaining: int


@dataclass
class _Webhook:
    url: str
    secret_token: str
    updated_at: int


def _now_ms() -> int:
    return int(time.time() * 1000)


def _new_id() -> str:
    """A fresh opaque id shaped like Zalo's (20 hex digits)."""
    return secrets.token_hex(10)


def _decode_params(request: Any) -> dict[str, Any]:
    """Query string, then form fields, then a JSON object body (later ones win)."""
    params: dict[str, Any] = {
        name: values[-1].decode("utf-8") for name, values in request.query_arguments.items()
    }
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    body = request.body or b""
    if content_type == "application/json" or (content_type.endswith("+json")):
        if body.strip():
            try:
                decoded = json.loads(body)
            except ValueError as exc:
                raise ValueError("body is not valid JSON") from exc
            if not isinstance(decoded, dict):
                raise ValueError("JSON body must be an object")
            params.update(decoded)
    elif content_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


_TOKEN_IN_PATH = re.compile(r"^/bot[^/]*/")


class _MediaHandler(tornado.web.RequestHandler):
    """``/media/<name>``: an image a user sent, without a token (Zalo's image links are public)."""

    def initialize(self, server: FakeZaloServer) -> None:
        self._server = server

    def get(self, name: str) -> None:
        content = self._server._media.get(name)
        if content is None:
            self.set_status(404)
            self.finish(b"")
            return
        self.set_header("Content-Type", "image/jpeg")
        self.finish(content)


class FakeZaloServer(FakeBotApiServer):
    """An in-process fake of the Zalo Bot API (see the module docstring).

    Call everything from the event loop the server was started in.  Any chat id is
    accepted for sending (Zalo's behaviour towards people who never wrote to the bot is
    not known).  :attr:`root` is what to give :class:`bot.platforms.zalo.client.ZaloClient` as
    ``api_url``.  Method names are case-sensitive.  :attr:`webhook_deliveries` holds the
    bodies as POSTed (wrapped or not).  After :meth:`block`, sending to the chat answers
    403 "Forbidden" (what Zalo really answers to a person who blocked the bot is not
    known).  The lifecycle, dispatching, failure rules and waiting helpers come from
    :class:`fakeapi._server.FakeBotApiServer`.

    Args:
        token: The bot token the server accepts; other tokens get 401.
        bot_name: ``account_name`` returned by ``getMe``.
        bot_id: ``id`` returned by ``getMe``.
        idle_form: How an idle ``getUpdates`` answers: ``"alternate"`` (HTTP 200 with
            ``ok: false``/408, then HTTP 408, then 200...), ``"ok_false"`` or ``"http_408"``.
        wrap_webhook: POST webhook events as ``{"ok": true, "result": event}`` instead of
            the bare ``{event_name, message}``.
        quota: Messages the bot may send in total (the free plan allows 3,000 a month);
            past it every sendMessage/sendPhoto/sendSticker answers 429 "Quota exceeded".
            ``None``: unlimited.
        http_200_errors: Send error answers with HTTP status 200 (the code stays in the
            body), as Zalo was seen doing for a bad token.
        max_poll_timeout: Upper bound, in seconds, of a getUpdates hold.
    """

    _platform = "Zalo"
    _logger = _LOGGER
    _case_sensitive_methods = True
    _unauthorized_description = _DEFAULT_DESCRIPTIONS[401]
    _not_found_description = _DEFAULT_DESCRIPTIONS[404]
    _internal_error_description = "Internal server error"
    _activity_title = "Zalo API calls"

    def __init__(
        self,
        token: str = "zalo-test-token",
        *,
        bot_name: str = "chibo",
        bot_id: str = "1459232241454765289",
        idle_form: str = "alternate",
        wrap_webhook: bool = False,
        quota: int | None = None,
        http_200_errors: bool = False,
        max_poll_timeout: float = 60.0,
    ) -> None:
        if idle_form not in _IDLE_FORMS:
            raise ValueError(f"idle_form must be one of {_IDLE_FORMS}")
        super().__init__(token)
        self.bot_name = bot_name
        self.bot_id = bot_id
        self.idle_form = idle_form
        self.wrap_webhook = wrap_webhook
        self.quota = quota
        self.http_200_errors = http_200_errors
        self.max_poll_timeout = max_poll_timeout

        #: Headers sent with each of :attr:`webhook_deliveries`.
        self.webhook_headers: list[dict[str, str]] = []
        #: HTTP status of every idle getUpdates answer (200 or 408), in order.
        self.idle_answers: list[int] = []

        for name, handler in {
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._send_chat_action,
        }.items():
            self._add_method(name, handler)
        self._pending: deque[dict[str, Any]] = deque()
        self._webhook: _Webhook | None = None
        self._webhook_updated_at = 0
        self._webhook_errors = 0
        self._sent: list[dict[str, Any]] = []
        self._sent_per_chat: dict[str, list[dict[str, Any]]] = {}  # the same messages, chat by chat
        self._stalls: list[_StallRule] = []
        self._idle_count = 0
        self._media: dict[str, bytes] = {}  # name -> bytes of the images users sent, served at /media/<name>

    # ------------------------------------------------------------------ HTTP

    def _routes(self) -> list[Any]:
        """The Bot API, plus the images users sent (``send_image(content=...)``), as Zalo's CDN serves them."""
        return [*super()._routes(), (r"/media/([0-9a-f]+\.jpg)", _MediaHandler, {"server": self})]

    def _loggable_path(self, path: str) -> str:
        """Never the token, even at DEBUG."""
        return _TOKEN_IN_PATH.sub("/bot***/", path)

    def _decode_request(self, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any]:
        try:
            return _decode_params(request)
        except ValueError as exc:
            raise _bad_request(str(exc)) from None

    # ------------------------------------------------------------------ user actions

    def inject_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw event ``{event_name, message}`` (delivered as is); return a copy."""
        self._pending.append(copy.deepcopy(event))
        self._notify()
        return copy.deepcopy(event)

    def send_text(
        self,
        user_id: str,
        text: str,
        *,
        chat_id: str | None = None,
        chat_type: str = "PRIVATE",
        display_name: str = "Người dùng",
    ) -> dict[str, Any]:
        """A user writes ``text`` to the bot; returns the queued ``message.text.received``
        event.  ``chat_id`` defaults to ``user_id`` (the 1:1 chat); a ``GROUP`` needs one."""
        message = self._base_message(user_id, chat_id, chat_type, display_name)
        message["text"] = text
        return self.inject_event({"event_name": "message.text.received", "message": message})

    def send_image(
        self,
        user_id: str,
        photo_url: str = "https://example.invalid/zalo/photo.jpg",
        *,
        caption: str | None = None,
        chat_id: str | None = None,
        chat_type: str = "PRIVATE",
        display_name: str = "Người dùng",
        content: bytes | None = None,
    ) -> dict[str, Any]:
        """A user sends an image: ``message.image.received``.  The URL is in both
        ``photo_url`` (what a working client reads) and ``photo`` (what the docs name).
        With ``content``, the image is served by this server (as Zalo's CDN serves it) and
        ``photo_url`` is its address here."""
        message = self._base_message(user_id, chat_id, chat_type, display_name)
        if content is not None:
            name = f"{_new_id()}.jpg"
            self._media[name] = content
            photo_url = f"{self.root}/media/{name}"
        message["photo_url"] = photo_url
        message["photo"] = photo_url
        if caption is not None:
            message["caption"] = caption
        return self.inject_event({"event_name": "message.image.received", "message": message})

    def send_sticker(
        self,
        user_id: str,
        sticker: str = "0e078a2fb66a5f34067b",
        *,
        chat_id: str | None = None,
        chat_type: str = "PRIVATE",
        display_name: str = "Người dùng",
    ) -> dict[str, Any]:
        """A user sends a sticker: ``message.sticker.received``."""
        message = self._base_message(user_id, chat_id, chat_type, display_name)
        message["sticker"] = sticker
        message["url"] = f"https://stickers.example.invalid/{sticker}.png"
        return self.inject_event({"event_name": "message.sticker.received", "message": message})

    def send_unsupported(
        self,
        user_id: str,
        *,
        chat_id: str | None = None,
        chat_type: str = "PRIVATE",
        display_name: str = "Người dùng",
    ) -> dict[str, Any]:
        """A message Zalo does not pass on (e.g. from a protected user):
        ``message.unsupported.received``, without content."""
        message = self._base_message(user_id, chat_id, chat_type, display_name)
        return self.inject_event(
            {"event_name": "message.unsupported.received", "message": message}
        )

    def _base_message(
        self, user_id: str, chat_id: str | None, chat_type: str, display_name: str
    ) -> dict[str, Any]:
        if not isinstance(user_id, str) or not user_id:
            raise TypeError("Zalo user ids are non-empty strings")
        kind = chat_type.upper()
        if kind not in ("PRIVATE", "GROUP"):
            raise ValueError("chat_type is PRIVATE or GROUP")
        if kind == "GROUP" and not chat_id:
            raise ValueError("a GROUP message needs the group's chat_id")
        if chat_id is not None and (not isinstance(chat_id, str) or not chat_id):
            raise TypeError("Zalo chat ids are non-empty strings")
        return {
            "from": {"id": user_id, "display_name": display_name, "is_bot": False},
            "chat": {"id": chat_id or user_id, "chat_type": kind},
            "message_id": _new_id(),
            "date": _now_ms(),
        }

    # ------------------------------------------------------------------ what the bot did

    def _sent_kept(self, chat_id: str | None = None) -> list[dict[str, Any]]:
        """What the bot sent successfully (:meth:`sent_messages` copies it): ``{"kind": "text"|"photo"|"sticker",
        "chat_id", "message_id", "date", "text"|"photo"(+"caption")|"sticker"}``."""
        return self._sent if chat_id is None else self._sent_per_chat.get(chat_id, [])

    def sent_count(self, chat_id: str | None = None) -> int:
        return len(self._sent_kept(chat_id))

    @property
    def pending_events(self) -> int:
        """Events queued and not yet taken by getUpdates or delivered to the webhook."""
        return len(self._pending)

    @property
    def webhook_url(self) -> str:
        return self._webhook.url if self._webhook is not None else ""

    def _describe_state(self) -> str:
        return f"pending events: {len(self._pending)}; webhook: {self.webhook_url or '-'}"

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        method: str,
        status: int,
        times: int = 1,
        chat_id: str | None = None,
        description: str | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id`` only, if given)
        fail with ``status``: 401 "Unauthorized", 403 "Forbidden", 429 "Quota exceeded",
        5xx "Internal server error"...  ``retry_after`` adds ``parameters.retry_after``
        (Telegram's field; Zalo is not known to send one)."""
        if description is None:
            description = _DEFAULT_DESCRIPTIONS.get(
                status, "Internal server error" if status >= 500 else "Error"
            )
        self._add_failure(method, status, times, chat_id, description, retry_after)

    def stall_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` calls of ``method`` for ``seconds`` before answering
        (to exercise client time-outs)."""
        self._stalls.append(_StallRule(method, seconds, times))

    def _failure_chat_id(self, params: dict[str, Any]) -> str:
        return str(params.get("chat_id"))

    # ------------------------------------------------------------------ dispatching

    def _error_answer(self, error: ApiError) -> tuple[int, dict[str, Any]]:
        status, body = super()._error_answer(error)
        return (200 if self.http_200_errors else status), body

    def _unhandled_error_description(self, reason: str) -> str:
        return self._internal_error_description

    async def _before_handling(self, method: str, context: RequestContext) -> None:
        """Apply :meth:`stall_next`: hold the call, until the client leaves at the latest."""
        for rule in self._stalls:
            if rule.method == method and rule.remaining > 0:
                rule.remaining -= 1
                self._stalls = [r for r in self._stalls if r.remaining > 0]
                loop = asyncio.get_running_loop()
                deadline = loop.time() + rule.seconds
                while not (self._closing or context.disconnected):
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    await self._wait_for_change(remaining, context)
                return

    # ------------------------------------------------------------------ bot & updates

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "account_name": self.bot_name,
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    def _check_no_webhook(self) -> None:
        if self._webhook is not None:
            raise _bad_request("getUpdates does not work while a webhook is set; call deleteWebhook")

    async def _get_updates(self, params: dict[str, Any], context: RequestContext) -> Any:
        self._check_no_webhook()
        raw = params.get("timeout", 30)
        try:
            timeout = float(raw)
        except (TypeError, ValueError):
            raise _bad_request("timeout must be a number of seconds") from None
        timeout = min(max(timeout, 0.0), self.max_poll_timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if context.disconnected or self._closing:
                return self._idle_answer()
            if self._pending:
                return self._pending.popleft()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return self._idle_answer()
            await self._wait_for_change(remaining, context)
            self._check_no_webhook()

    def _idle_answer(self) -> Answer:
        if self.idle_form == "ok_false":
            status = 200
        elif self.idle_form == "http_408":
            status = 408
        else:
            status = 200 if self._idle_count % 2 == 0 else 408
        self._idle_count += 1
        self.idle_answers.append(status)
        return Answer(
            status,
            {"ok": False, "error_code": 408, "description": _DEFAULT_DESCRIPTIONS[408]},
        )

    def _set_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        url = params.get("url")
        secret = params.get("secret_token")
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            raise _bad_request("url must be an HTTPS URL")
        if not isinstance(secret, str) or not (
            SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH
        ):
            raise _bad_request(
                f"secret_token must be {SECRET_MIN_LENGTH} to {SECRET_MAX_LENGTH} characters"
            )
        self._webhook_updated_at = _now_ms()
        self._webhook = _Webhook(url, secret, self._webhook_updated_at)
        self._notify()
        return {"url": url, "updated_at": self._webhook_updated_at}

    def _delete_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        self._webhook = None
        self._webhook_updated_at = _now_ms()
        self._notify()
        return {"url": "", "updated_at": self._webhook_updated_at}

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url, "updated_at": self._webhook_updated_at}

    def _webhook_request(self, webhook: _Webhook, item: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        body = {"ok": True, "result": item} if self.wrap_webhook else item
        return body, {SECRET_HEADER: webhook.secret_token}

    def _webhook_delivered(self, body: Any, headers: dict[str, str]) -> None:
        self.webhook_deliveries.append(copy.deepcopy(body))
        self.webhook_headers.append(dict(headers))

    def _webhook_failed(self, webhook: _Webhook, error: str) -> None:
        self._webhook_errors += 1

    # ------------------------------------------------------------------ sending

    def _target(self, params: dict[str, Any], method: str) -> str:
        raw = params.get("chat_id")
        if isinstance(raw, bool) or raw is None or raw == "":
            raise _bad_request("chat_id is required")
        chat_id = str(raw)
        if chat_id in self._blocked:
            raise ApiError(403, _DEFAULT_DESCRIPTIONS[403])
        if method in _SEND_METHODS and self.quota is not None and len(self._sent) >= self.quota:
            raise ApiError(429, _DEFAULT_DESCRIPTIONS[429])
        return chat_id

    @staticmethod
    def _text(params: dict[str, Any], key: str, *, required: bool) -> str | None:
        value = params.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise _bad_request(f"{key} is empty")
        if len(value) > MAX_TEXT_LENGTH:
            raise _bad_request(f"{key} is too long (at most {MAX_TEXT_LENGTH} characters)")
        return value

    def _record(self, chat_id: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
        message = {"message_id": _new_id(), "date": _now_ms(), "chat_id": chat_id, "kind": kind}
        message.update(content)
        self._sent.append(message)
        self._sent_per_chat.setdefault(chat_id, []).append(message)
        return {"message_id": message["message_id"], "date": message["date"]}

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = self._text(params, "text", required=True)
        chat_id = self._target(params, "sendMessage")
        return self._record(chat_id, "text", {"text": text})

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = params.get("photo")
        if not isinstance(photo, str) or not re.match(r"^https?://", photo):
            raise _bad_request("photo must be an image URL")
        caption = self._text(params, "caption", required=False)
        chat_id = self._target(params, "sendPhoto")
        content: dict[str, Any] = {"photo": photo}
        if caption is not None:
            content["caption"] = caption
        return self._record(chat_id, "photo", content)

    def _send_sticker(self, params: dict[str, Any]) -> dict[str, Any]:
        sticker = params.get("sticker")
        if not isinstance(sticker, str) or not sticker.strip():
            raise _bad_request("sticker is required")
        chat_id = self._target(params, "sendSticker")
        return self._record(chat_id, "sticker", {"sticker": sticker})

    def _send_chat_action(self, params: dict[str, Any]) -> Answer:
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("action must be typing")
        self._target(params, "sendChatAction")
        return Answer(200, {"ok": True})

