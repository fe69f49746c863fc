"""A fake Telegram Bot API server for tests, demos and benchmarks.

:class:`FakeTelegramServer` speaks enough of the real Bot API over HTTP that an
unmodified python-telegram-bot ``Application`` can run against it::

    async with FakeTelegramServer() as server:
        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        ...  # add handlers, initialize, start, start polling
        server.send_text(42, "/start")                 # a user writes to the bot
        [reply] = await server.wait_for_messages(42, 1)
        server.press_button(42, reply, "some-callback-data")

The server runs inside the *current* asyncio event loop (it is a tornado
``HTTPServer``), listens on 127.0.0.1 only, on an ephemeral port, and keeps all
state in memory.  Everything it is asked to do is recorded in
:attr:`FakeTelegramServer.requests`, and the messages the bot sent are
available, with later edits applied, from :meth:`FakeTelegramServer.sent_messages`.

What is modelled (the rest answers 404 "Not Found", like an unknown method):

* ``getMe``, ``getUpdates`` (long polling with ``offset``/``limit``/``timeout``,
  409 while a webhook is set or when superseded by a newer ``getUpdates``),
  ``setWebhook``/``deleteWebhook``/``getWebhookInfo`` (updates are then POSTed
  to the webhook, with the secret token header), ``close``, ``logOut``;
* ``sendMessage``, ``editMessageText``, ``editMessageReplyMarkup``,
  ``deleteMessage``, ``sendDocument``, ``sendPhoto`` (multipart uploads),
  ``getFile`` (+ file download), ``sendChatAction``, ``getChat``,
  ``answerCallbackQuery``, ``setMyCommands``/``getMyCommands``/``deleteMyCommands``,
  ``setChatMenuButton``/``getChatMenuButton``.

Like Telegram, HTML (``parse_mode="HTML"``) is parsed into plain text plus
entities and rejected with ``400 Bad Request: can't parse entities: ...`` when
it is malformed; limits are checked after parsing.  One deliberate deviation:
Telegram silently keeps a ``&`` that does not start a valid entity, the fake
rejects it (unless ``strict_html=False``), because such text almost always
means user input was not escaped - and escaping is what keeps ``&lt;b&gt;``
from turning into markup.  ``Markdown``/``MarkdownV2`` texts are accepted
verbatim without being parsed.

Failures can be injected with :meth:`FakeTelegramServer.fail_next` and
:meth:`FakeTelegramServer.block`; with ``enforce_limits=True`` the server
answers 429 like Telegram's flood control does (edits that change a message count
like messages sent).

What does not depend on Telegram (lifecycle, dispatching, failure rules, the
webhook sender, waiting helpers) lives in :class:`fakeapi._server.FakeBotApiServer`,
shared with :class:`fakeapi.zalo.FakeZaloServer`.  This module holds the server and
its methods; the HTML parsing is in :mod:`fakeapi.telegram_markup`, the limits and
flood control in :mod:`fakeapi.telegram_limits`, request decoding and parameter
checks in :mod:`fakeapi.telegram_params`.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import re
import time
from typing import Any

import tornado.httputil

from fakeapi._server import (
    Answer,
    ApiError,
    FakeBotApiServer,
    JsonHandler,
    MethodHandler,
    RequestContext,
)
from fakeapi.telegram_limits import (
    GLOBAL_MESSAGES_PER_SECOND,
    GROUP_MESSAGES_PER_MINUTE,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    PRIVATE_CHAT_BURST,
    PRIVATE_CHAT_MESSAGES_PER_SECOND,
    _FloodControl,
)
from fakeapi.telegram_markup import HtmlParseError, _command_entities, _trim, parse_html
from fakeapi.telegram_params import (
    UploadedFile,
    _bad_request,
    _coerce_chat_id,
    _decode_params,
    _float_param,
    _image_size,
    _int_or_zero,
    _int_param,
    _set_or_drop,
    _StoredMessage,
    _truthy,
    _Webhook,
)

__all__ = [
    "GLOBAL_MESSAGES_PER_SECOND",
    "GROUP_MESSAGES_PER_MINUTE",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "PRIVATE_CHAT_BURST",
    "PRIVATE_CHAT_MESSAGES_PER_SECOND",
    "ApiError",
    "FakeTelegramServer",
    "HtmlParseError",
    "UploadedFile",
    "parse_html",
]

_LOGGER = logging.getLogger(__name__)


_UNAUTHORIZED = "Unauthorized"
_NOT_FOUND = "Not Found"
_BLOCKED = "Forbidden: bot was blocked by the user"
_KICKED = "Forbidden: bot was kicked from the group chat"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_DEFAULT_ERROR_DESCRIPTIONS = {
    400: "Bad Request",
    401: _UNAUTHORIZED,
    403: _BLOCKED,
    404: _NOT_FOUND,
    409: "Conflict",
}

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "login_url",
    "web_app",
    "callback_game",
    "pay",
    "copy_text",
)

_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class _FileHandler(JsonHandler):
    """``/file/bot<token>/<file_path>``: downloads of uploaded files (``getFile``)."""

    _server: FakeTelegramServer

    def get(self, token: str, path: str) -> None:
        upload = self._server._files_by_path.get(path) if token == self._server.token else None
        if upload is None:
            self.send_json(404, {"ok": False, "error_code": 404, "description": _NOT_FOUND})
            return
        self.set_header("Content-Type", upload.mime_type)
        self.finish(upload.content)


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class FakeTelegramServer(FakeBotApiServer):
    """An in-process fake of the Telegram Bot API (see the module docstring).

    All methods must be called from the event loop the server was started in;
    nothing here is thread-safe.  Unknown chat ids are accepted and made up on
    the fly (positive: private chat, negative: group), so broadcasts work
    without injecting a message from every user first.  Method names are
    case-insensitive, as in the real API.  In :attr:`requests`, uploaded files
    appear as :class:`UploadedFile` values; :attr:`http_429` counts flood control
    and injected 429s alike.  After :meth:`block`, sending to or editing in the
    chat answers 403 "Forbidden: bot was blocked by the user" ("...kicked from the
    group chat" for groups).

    Args:
        token: The bot token the server accepts; other tokens get 401.
        bot_username: ``username`` of the bot user returned by ``getMe``.
        bot_id: ``id`` of the bot user.
        enforce_limits: Answer 429 with ``retry_after`` when the bot sends more
            than 30 messages per rolling second, more than ~1 per second to one
            private chat (after a burst of 3) or more than 20 per minute to one
            group.  Every 429 answered is counted in :attr:`http_429`.
        pace_speed: those limits counted in a time this many times faster than
            the machine's (the tests' scene paces the bot the same way).
        bot_name: ``first_name`` of the bot user.
        strict_html: Reject a ``&`` that is not part of a character reference
            in HTML texts (Telegram itself lets it through).
    """

    _platform = "Telegram"
    _logger = _LOGGER
    _case_sensitive_methods = False
    _unauthorized_description = _UNAUTHORIZED
    _not_found_description = _NOT_FOUND
    _internal_error_description = "Internal Server Error"
    _activity_title = "bot API calls"

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "chibo_test_bot",
        bot_id: int = 123456,
        *,
        enforce_limits: bool = False,
        bot_name: str = "Chibo",
        strict_html: bool = True,
        pace_speed: float = 1.0,
    ) -> None:
        super().__init__(token)
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.enforce_limits = enforce_limits
        self.strict_html = strict_html

        #: ``<root>/bot`` and ``<root>/file/bot`` once started, for python-telegram-bot.
        self.base_url: str = ""
        self.base_file_url: str = ""

        for name, handler in {
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "close": self._close,
            "logOut": self._log_out,
        }.items():
            self.register_method(name, handler)

        # Updates not yet confirmed by getUpdates (or not yet delivered to the webhook).
        self._pending: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._poll_generation = 0
        self._webhook: _Webhook | None = None
        self._webhook_last_error: tuple[int, str] | None = None

        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], _StoredMessage] = {}
        self._sent: list[tuple[int, int]] = []  # (chat_id, message_id) of bot messages
        self._sent_per_chat: dict[int, list[tuple[int, int]]] = {}  # the keys of _sent, chat by chat
        self._edits_per_chat: dict[int, int] = {}  # successful edits (text or buttons) per chat
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._answered_callbacks: list[dict[str, Any]] = []
        self._callback_ids = itertools.count(1)
        self._files: dict[str, UploadedFile] = {}
        self._files_by_path: dict[str, UploadedFile] = {}
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._menu_buttons: dict[str, dict[str, Any]] = {}  # chat id ("" for the default) -> MenuButton

        # Flood limits counted in a time ``pace_speed`` times faster than the machine's, as the bot's pacer counts
        # them in the tests' scene (core.clock.PaceTime): the same limits, shorter waits.
        self._flood = _FloodControl(lambda: time.monotonic() * pace_speed)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 on an ephemeral port, in the running event loop."""
        await super().start()
        self.base_url = f"{self.root}/bot"
        self.base_file_url = f"{self.root}/file/bot"

    def _routes(self) -> list[Any]:
        """The Bot API, plus downloads of uploaded files (``getFile``'s ``file_path``)."""
        return [*super()._routes(), (r"/file/bot([^/]*)/(.+)", _FileHandler, {"server": self})]

    def _decode_request(self, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any]:
        try:
            return _decode_params(request)
        except ValueError as exc:
            raise _bad_request(f"can't parse request: {exc}") from None

    def register_method(self, name: str, handler: MethodHandler) -> None:
        """Serve (or override) a Bot API method.

        ``handler(params)`` returns the ``result`` (or an awaitable of it) or
        raises :class:`ApiError`.  Method names are case-insensitive, as in the
        real API.
        """
        self._add_method(name, handler)

    # ------------------------------------------------------------------ user actions

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's User object (as in ``Message.from``)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "User",
        last_name: str | None = None,
        username: str | None = None,
        chat_title: str | None = None,
    ) -> dict[str, Any]:
        """A user writes ``text``; returns the queued Update.

        ``chat_id`` defaults to ``user_id`` (the private chat with the bot);
        group chats have negative ids and ``chat_type`` ``"group"`` or
        ``"supergroup"``.  Commands get ``bot_command`` entities.
        """
        user = self._remember_user(user_id, first_name, last_name, username)
        chat_id = user_id if chat_id is None else chat_id
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
            if last_name:
                chat["last_name"] = last_name
            if username:
                chat["username"] = username
        else:
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or f"Chat {chat_id}"}
        self._chats[chat_id] = chat
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": user,
            "chat": dict(chat),
            "date": int(time.time()),
            "text": text,
        }
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        self._messages[(chat_id, message["message_id"])] = _StoredMessage(message, from_bot=False)
        return self.inject_update({"message": message})

    def send_document(self, user_id: int, file_name: str, content: bytes, caption: str = "", *,
                      mime_type: str = "application/pdf", first_name: str = "User") -> dict[str, Any]:
        """A user sends a file (in the private chat) with ``caption``; returns the queued Update. The file is
        known to the server afterwards: the bot may send it on by its ``file_id``."""
        update = self.send_text(user_id, caption or "x", first_name=first_name)
        message = update["message"]
        upload = self._register_file(UploadedFile(file_name, content, mime_type), "document")
        del message["text"]
        message.pop("entities", None)
        message["document"] = {"file_id": upload.file_id, "file_unique_id": upload.file_unique_id,
                               "file_name": file_name, "mime_type": mime_type, "file_size": upload.size}
        if caption:
            message["caption"] = caption
            if entities := _command_entities(caption):
                message["caption_entities"] = entities
        return update

    def press_button(
        self, user_id: int, message: dict[str, Any], data: str, *, first_name: str = "User",
        forged: bool = False,
    ) -> dict[str, Any]:
        """A user presses the inline button with ``callback_data == data`` under
        ``message`` (a message the bot sent); returns the queued Update.

        ``forged=True`` sends ``data`` even if the message has no such button (what a
        modified client can do).

        Raises:
            ValueError: if the message (in its current state) has no such button,
                or was deleted.
        """
        chat_id = message["chat"]["id"]
        stored = self._messages.get((chat_id, message["message_id"]))
        if stored is not None and stored.deleted:
            raise ValueError(f"message {message['message_id']} in chat {chat_id} was deleted")
        current = stored.message if stored is not None else message
        buttons = [
            button
            for row in current.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
        ]
        if not forged and not any(button.get("callback_data") == data for button in buttons):
            offered = [button.get("callback_data") for button in buttons]
            raise ValueError(
                f"message {message['message_id']} in chat {chat_id} has no button with "
                f"callback_data {data!r}; it has {offered}"
            )
        user = self._users.get(user_id) or self._remember_user(user_id, first_name, None, None)
        query_id = f"{self.bot_id}{next(self._callback_ids):08d}"
        self._callback_queries[query_id] = False
        callback_query = {
            "id": query_id,
            "from": user,
            "message": copy.deepcopy(current),
            "chat_instance": str(abs(hash((self.bot_id, chat_id))) % 10**18),
            "data": data,
        }
        return self.inject_update({"callback_query": callback_query})

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw Update (``update_id`` is assigned if missing) and return it."""
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self._pending.append(update)
        self._notify()
        return update

    # ------------------------------------------------------------------ what the bot did

    def _sent_kept(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The messages the bot sent (and did not delete), edits applied; :meth:`sent_messages` copies them."""
        keys = self._sent if chat_id is None else self._sent_per_chat.get(chat_id, [])
        return [self._messages[key].message for key in keys if not self._messages[key].deleted]

    def sent_count(self, chat_id: int | None = None) -> int:
        """How many messages the bot has sent (to ``chat_id``), deleted ones included."""
        if chat_id is None:
            return len(self._sent)
        return len(self._sent_per_chat.get(chat_id, []))

    def edit_count(self, chat_id: int | None = None) -> int:
        """How many edits (text or buttons) of the bot's messages succeeded (in ``chat_id``)."""
        if chat_id is None:
            return sum(self._edits_per_chat.values())
        return self._edits_per_chat.get(chat_id, 0)

    def answered_callbacks(self) -> list[dict[str, Any]]:
        """The params of every successful ``answerCallbackQuery``."""
        return list(self._answered_callbacks)

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands stored by ``setMyCommands`` for that scope and language."""
        return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot has sent at least ``count`` messages to ``chat_id``;
        return :meth:`sent_messages` for that chat."""
        try:
            await self.wait_for(lambda: self.sent_count(chat_id) >= count, timeout)
        except AssertionError:
            raise AssertionError(
                f"expected at least {count} message(s) to chat {chat_id} within {timeout:g}s, "
                f"got {self.sent_count(chat_id)}: {self.texts(chat_id)!r}\n"
                f"{self.describe_activity()}"
            ) from None
        return self.sent_messages(chat_id)

    def _printable_params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            key: (f"<file {value.filename}>" if isinstance(value, UploadedFile) else value)
            for key, value in params.items()
        }

    def _describe_state(self) -> str:
        return f"pending updates: {len(self._pending)}"

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id`` only, if
        given) fail with HTTP ``status``.

        429 answers carry ``parameters.retry_after`` (default 1 s), 403 says
        "Forbidden: bot was blocked by the user", 5xx "Internal Server Error".
        A ``description`` that starts with ``<html`` is answered as that HTML page, not
        JSON: what Telegram's front proxy sends with a 502 or 504.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            elif status >= 500:
                description = "Internal Server Error"
            else:
                description = _DEFAULT_ERROR_DESCRIPTIONS.get(status, "Error")
        self._add_failure(method, status, times, chat_id, description, retry_after)

    def _failure_chat_id(self, params: dict[str, Any]) -> int | str | None:
        return _coerce_chat_id(params.get("chat_id"))

    # ------------------------------------------------------------------ updates & webhook

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(
        self, params: dict[str, Any], context: RequestContext
    ) -> list[dict[str, Any]]:
        self._check_no_webhook()
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        timeout = max(0.0, _float_param(params, "timeout", 0.0))
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

        # A newer getUpdates terminates an older one still waiting, like Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._pending:
                return self._pending[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing or context.disconnected:
                return []
            await self._wait_for_change(remaining, context)
            self._check_no_webhook()
            if generation != self._poll_generation and not self._closing:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )

    def _check_no_webhook(self) -> None:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )

    def _set_webhook(self, params: dict[str, Any]) -> Answer:
        url = params.get("url")
        if not url:  # an empty URL removes the webhook, as in the real API
            return self._delete_webhook(params)
        if not re.match(r"^https?://", str(url)):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if _truthy(params.get("drop_pending_updates")):
            self._pending.clear()
        self._webhook = _Webhook(
            url=str(url),
            secret_token=params.get("secret_token"),
            max_connections=_int_param(params, "max_connections", 40),
            allowed_updates=params.get("allowed_updates"),
            ip_address=params.get("ip_address"),
        )
        self._webhook_last_error = None
        self._notify()
        return _described(True, "Webhook was set")

    def _delete_webhook(self, params: dict[str, Any]) -> Answer:
        had_webhook = self._webhook is not None
        self._webhook = None
        if _truthy(params.get("drop_pending_updates")):
            self._pending.clear()
        self._notify()
        return _described(
            True, "Webhook was deleted" if had_webhook else "Webhook is already deleted"
        )

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["url"] = self._webhook.url
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.allowed_updates is not None:
                info["allowed_updates"] = self._webhook.allowed_updates
            if self._webhook.ip_address:
                info["ip_address"] = self._webhook.ip_address
        if self._webhook_last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    def _webhook_request(self, webhook: _Webhook, item: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        headers = {}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        return item, headers

    def _webhook_failed(self, webhook: _Webhook, error: str) -> None:
        self._webhook_last_error = (int(time.time()), error)
        _LOGGER.debug("Webhook delivery to %s failed: %s", webhook.url, error)

    # ------------------------------------------------------------------ commands

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands specified")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            if not _BOT_COMMAND_NAME_RE.match(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
            raise _bad_request("can't parse menu button JSON object")
        if button["type"] == "web_app":
            web_app = button.get("web_app")
            if not isinstance(button.get("text"), str) or not isinstance(web_app, dict) or not web_app.get("url"):
                raise _bad_request("can't parse menu button JSON object")
        self._menu_buttons[str(params.get("chat_id") or "")] = copy.deepcopy(button)
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = str(params.get("chat_id") or "")
        return copy.deepcopy(self._menu_buttons.get(chat) or self._menu_buttons.get("") or {"type": "commands"})

    # ------------------------------------------------------------------ messages

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        text, entities = self._formatted_text(
            params,
            "text",
            "entities",
            limit=MAX_TEXT_LENGTH,
            empty_error="message text is empty",
            too_long_error="message is too long",
        )
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return self._deliver_bot_message(chat, content, params)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        upload = self._input_file(params, "document")
        content: dict[str, Any] = {
            "document": {
                "file_id": upload.file_id,
                "file_unique_id": upload.file_unique_id,
                "file_name": upload.filename,
                "mime_type": upload.mime_type,
                "file_size": upload.size,
            }
        }
        content.update(self._caption(params))
        return self._deliver_bot_message(chat, content, params)

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        upload = self._input_file(params, "photo")
        width, height = _image_size(upload.content)
        content: dict[str, Any] = {
            "photo": [
                {
                    "file_id": upload.file_id,
                    "file_unique_id": upload.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": upload.size,
                }
            ]
        }
        content.update(self._caption(params))
        return self._deliver_bot_message(chat, content, params)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._editable_message(params)
        if "text" not in stored.message:
            raise _bad_request("there is no text in the message to edit")
        text, entities = self._formatted_text(
            params,
            "text",
            "entities",
            limit=MAX_TEXT_LENGTH,
            empty_error="message text is empty",
            too_long_error="message is too long",
        )
        # As in Telegram, an edit without reply_markup removes the inline keyboard.
        markup = self._inline_markup(params)
        message = stored.message
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        self._count_edit(message)
        message["text"] = text
        _set_or_drop(message, "entities", entities or None)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._editable_message(params)
        markup = self._inline_markup(params)
        if markup == stored.message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        self._count_edit(stored.message)
        _set_or_drop(stored.message, "reply_markup", markup)
        stored.message["edit_date"] = int(time.time())
        return copy.deepcopy(stored.message)

    def _count_edit(self, message: dict[str, Any]) -> None:
        """An edit that changes the message: within the flood limits like a message sent (Telegram counts
        edits in a group's minute too; a refused one, "not modified" or 429, counts nothing)."""
        chat = message["chat"]
        if self.enforce_limits:
            retry_after = self._flood.admit(chat["id"], chat["type"] != "private")
            if retry_after is not None:
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )
        self._edits_per_chat[chat["id"]] = self._edits_per_chat.get(chat["id"], 0) + 1

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._known_chat(params)
        stored = self._messages.get((chat["id"], _int_param(params, "message_id", 0)))
        if stored is None or stored.deleted:
            raise _bad_request("message to delete not found")
        stored.deleted = True
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._callback_queries.get(query_id) is not False:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text", ""))) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        self._answered_callbacks.append(params)
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = self._files.get(str(params.get("file_id", "")))
        if upload is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": upload.file_id,
            "file_unique_id": upload.file_unique_id,
            "file_size": upload.size,
            "file_path": upload.file_path,
        }

    def _close(self, params: dict[str, Any]) -> bool:
        return True

    def _log_out(self, params: dict[str, Any]) -> bool:
        return True

    # ------------------------------------------------------------------ message helpers

    def _known_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """Resolve ``chat_id`` (number or ``@username``) or raise 400."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        chat_id = _coerce_chat_id(raw)
        if isinstance(chat_id, str):
            for chat in self._chats.values():
                if chat_id.startswith("@") and chat.get("username") == chat_id[1:]:
                    return chat
            raise _bad_request("chat not found")
        if chat_id is None:  # neither a number nor a name (a bool, a list): was a 500 from `None > 0`
            raise _bad_request("chat not found")
        if chat_id not in self._chats:
            if chat_id == 0:
                raise _bad_request("chat not found")
            # Unknown chats are made up on the fly so that broadcasts/benchmarks work.
            if chat_id > 0:
                self._chats[chat_id] = {
                    "id": chat_id,
                    "type": "private",
                    "first_name": f"User {chat_id}",
                }
            else:
                kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
                self._chats[chat_id] = {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}
        return self._chats[chat_id]

    def _target_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """A chat the bot wants to post to: resolved and checked for blocking."""
        chat = self._known_chat(params)
        if chat["id"] in self._blocked:
            raise ApiError(403, _BLOCKED if chat["type"] == "private" else _KICKED)
        return chat

    def _editable_message(self, params: dict[str, Any]) -> _StoredMessage:
        if params.get("inline_message_id"):
            raise _bad_request("message to edit not found")  # inline messages aren't modelled
        chat = self._target_chat(params)
        stored = self._messages.get((chat["id"], _int_param(params, "message_id", 0)))
        if stored is None or stored.deleted:
            raise _bad_request("message to edit not found")
        if not stored.from_bot:
            raise _bad_request("message can't be edited")
        return stored

    def _formatted_text(
        self,
        params: dict[str, Any],
        text_key: str,
        entities_key: str,
        *,
        limit: int,
        empty_error: str | None,
        too_long_error: str,
    ) -> tuple[str, list[dict[str, Any]]]:
        """Apply parse_mode, trim, and check emptiness and length, like Telegram."""
        raw = params.get(text_key)
        text = "" if raw is None else str(raw)
        parse_mode = str(params.get("parse_mode") or "")
        entities: list[dict[str, Any]] = []
        if parse_mode.lower() == "html":
            try:
                text, entities = parse_html(text, strict=self.strict_html)
            except HtmlParseError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from None
        elif parse_mode.lower() in ("", "markdown", "markdownv2"):
            given = params.get(entities_key)
            if isinstance(given, list) and not parse_mode:
                entities = [e for e in given if isinstance(e, dict)]
        else:
            raise _bad_request("unsupported parse_mode")
        text, entities = _trim(text, entities)
        if not text and empty_error is not None:
            raise _bad_request(empty_error)
        if len(text) > limit:
            raise _bad_request(too_long_error)
        return text, entities

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption, entities = self._formatted_text(
            params,
            "caption",
            "caption_entities",
            limit=MAX_CAPTION_LENGTH,
            empty_error=None,
            too_long_error="message caption is too long",
        )
        content: dict[str, Any] = {}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return content

    def _inline_markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Validate ``reply_markup``; return it if it is an inline keyboard.

        Telegram only echoes inline keyboards in the sent Message (reply keyboards
        are not part of the Message object); they are still in :attr:`requests`.
        """
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        keyboard = markup.get("inline_keyboard")
        if keyboard is None:
            return None
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise _bad_request(
                "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request("can't parse inline keyboard button: Text must be a String")
                if not any(key in button for key in _INLINE_BUTTON_ACTIONS):
                    raise _bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not (
                    1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad_request("BUTTON_DATA_INVALID")
        return copy.deepcopy(markup)

    def _input_file(self, params: dict[str, Any], key: str) -> UploadedFile:
        """The uploaded file, or a known file_id / a URL given instead."""
        value = params.get(key)
        if isinstance(value, UploadedFile):
            if not value.content:
                raise _bad_request("file must be non-empty")
            return self._register_file(value, key)
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value]
            if re.match(r"^https?://", value):
                name = value.rstrip("/").rsplit("/", 1)[-1] or key
                return self._register_file(UploadedFile(name, b"", "application/octet-stream"), key)
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {key} in the request")

    def _register_file(self, upload: UploadedFile, kind: str) -> UploadedFile:
        number = next(self._file_ids)
        upload.file_id = f"FAKE{kind.upper()}{number:06d}{self.bot_id}"
        upload.file_unique_id = f"U{number:06d}"
        extension = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "bin"
        upload.file_path = f"{kind}s/file_{number}.{extension}"
        self._files[upload.file_id] = upload
        self._files_by_path[upload.file_path] = upload
        return upload

    def _deliver_bot_message(
        self, chat: dict[str, Any], content: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        """Check the remaining sendXxx parameters and flood limits, then store the message."""
        markup = self._inline_markup(params)
        reply_to = self._replied_message(chat, params)
        if self.enforce_limits:
            retry_after = self._flood.admit(chat["id"], chat["type"] != "private")
            if retry_after is not None:
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": dict(chat),
            "date": int(time.time()),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None:
            message["reply_markup"] = markup
        key = (chat["id"], message["message_id"])
        self._messages[key] = _StoredMessage(message, from_bot=True)
        self._sent.append(key)
        self._sent_per_chat.setdefault(chat["id"], []).append(key)
        return copy.deepcopy(message)

    def _replied_message(
        self, chat: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The message named by ``reply_parameters`` (or ``reply_to_message_id``), if any."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") is not None:
            message_id = params.get("reply_to_message_id")
            allow_missing = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        stored = self._messages.get((chat["id"], _int_or_zero(message_id)))
        if stored is None or stored.deleted:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        replied = copy.deepcopy(stored.message)
        replied.pop("reply_to_message", None)
        return replied

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _remember_user(
        self, user_id: int, first_name: str, last_name: str | None, username: str | None
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self._users[user_id] = user
        return dict(user)


def _described(result: Any, description: str) -> Answer:
    """A successful answer that also carries a ``description`` (as setWebhook's does)."""
    return Answer(200, {"ok": True, "result": result, "description": description})
