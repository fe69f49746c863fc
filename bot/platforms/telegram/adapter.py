"""The Telegram adapter: python-telegram-bot's updates in, Bot API calls out.

Updates become neutral ``Request``s for ``handlers.router``; ``Response``s become Bot API calls.
``TelegramSender`` is what the dispatcher uses to deliver outbox rows.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.runtime.intake import answer_slot
from core import outgoing
from core.messages import Attachment, Reply, Request, Response
from core.services import Services
from core.texts import t
from core.textsplit import split_text
from handlers import router
from handlers.commands import MENU, parse_command
from scheduler.delivery.pacing import Pacer
from scheduler.delivery.senders import ADMITTED, Admission, Blocked, Permanent, RateLimited, Transient
from storage.inbox import Incoming, Kept
from storage.models import OutboxMessage, Platform

log = logging.getLogger(__name__)

MAX_TEXT = 4096
ANSWERS_AT_ONCE = 8
GROUP_TYPES = {"group", "supergroup"}


def keyboard(buttons: list[list[dict]] | None) -> InlineKeyboardMarkup | None:
    """A payload's button rows ({"label", "data"}) as an inline keyboard."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["label"], web_app=WebAppInfo(b["web_app"])) if b.get("web_app")
          else InlineKeyboardButton(b["label"], callback_data=b["data"]) for b in row] for row in buttons]
    )


async def send_payload(bot, chat_id: int | str, payload: dict) -> str | None:
    """Send one neutral payload (text, buttons, files); long texts are split, buttons go on the last part.
    Returns the id of the last text message sent (None if there was no text)."""
    parts = split_text(payload.get("text", ""), MAX_TEXT) if payload.get("text") else []
    sent = None
    for i, part in enumerate(parts):
        markup = keyboard(payload.get("buttons")) if i == len(parts) - 1 else None
        sent = await bot.send_message(chat_id=chat_id, text=part, reply_markup=markup)
    for f in payload.get("files", []):
        if f.get("file_id"):  # a file a person sent to this bot, sent on by its id
            if f.get("kind") == "photo":
                await bot.send_photo(chat_id=chat_id, photo=f["file_id"], caption=f.get("caption"))
            else:
                await bot.send_document(chat_id=chat_id, document=f["file_id"], caption=f.get("caption"))
            continue
        with open(f["path"], "rb") as fh:  # noqa: ASYNC230 -- a local file, read by the upload itself
            if f.get("kind") == "photo":
                await bot.send_photo(chat_id=chat_id, photo=fh, caption=f.get("caption"), filename=f.get("name"))
            else:
                await bot.send_document(chat_id=chat_id, document=fh, caption=f.get("caption"), filename=f.get("name"))
    return str(sent.message_id) if sent is not None else None


async def edit_payload(bot, chat_id: int | str, payload: dict) -> str:
    """Edit the message ``payload["edit"]`` to the payload's text and buttons (one message: a text kept up to date,
    never split); Telegram's "message is not modified" is no error. One that is gone (deleted in the group) is
    sent again: the id returned is then the new message's."""
    try:
        await bot.edit_message_text(text=payload["text"], chat_id=chat_id, message_id=int(payload["edit"]),
                                    reply_markup=keyboard(payload.get("buttons")))
    except BadRequest as exc:
        reason = exc.message.lower()
        if "message is not modified" in reason:
            return str(payload["edit"])
        if "message to edit not found" not in reason:
            raise
        return await send_payload(bot, chat_id, {k: v for k, v in payload.items() if k != "edit"}) or ""
    return str(payload["edit"])


class TelegramSender:
    """Delivers outbox payloads, translating python-telegram-bot errors into neutral ones. ``pacer``: the
    bot's pace, shared with the answers the adapter sends (the dispatcher uses it for this bot's rows)."""

    def __init__(self, bot, pacer: Pacer | None = None):
        self.bot = bot
        self.pacer = pacer or Pacer()

    async def admit(self, row: OutboxMessage) -> Admission:
        return ADMITTED  # no message budget on Telegram: the pacer keeps to its limits

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")

    async def send(self, chat_id: str, payload: dict, admission: Admission = ADMITTED) -> str | None:
        try:
            if payload.get("edit"):
                return await edit_payload(self.bot, int(chat_id), payload)
            return await send_payload(self.bot, int(chat_id), payload)
        except RetryAfter as exc:
            retry = exc.retry_after
            raise RateLimited(retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)) from exc
        except Forbidden as exc:
            raise Blocked(exc.message) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise Blocked(exc.message) from exc
            raise Permanent(exc.message) from exc
        except (TimedOut, NetworkError) as exc:
            raise Transient(str(exc)[:200]) from exc
        except TelegramError as exc:
            raise Transient(str(exc)[:200]) from exc


def _attachment(message) -> Attachment | None:
    """The file of a message (a document, or the largest size of a photo), by reference."""
    if message.document is not None:
        doc = message.document
        return Attachment(doc.file_id, doc.file_name or "tep", doc.file_size or 0)
    if message.photo:
        photo = message.photo[-1]
        return Attachment(photo.file_id, "anh.jpg", photo.file_size or 0, "photo")
    return None


MAX_COPY = 20 * 1024 * 1024  # what the Bot API lets a bot download


async def _keep_copy(bot, folder: str, req: Request) -> Request:
    """A paper sent with /tailieu, copied to the reports folder so members on Zalo get it by a signed link;
    without the copy (too big, a network error) Telegram members still get it by its reference."""
    file = req.file
    if file is None or file.size > MAX_COPY:
        return req
    extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else "jpg"
    name = f"chibo-tai-lieu-{secrets.token_hex(8)}.{extension if extension.isalnum() else 'bin'}"
    try:
        await asyncio.to_thread(Path(folder).mkdir, parents=True, exist_ok=True)
        await (await bot.get_file(file.file_id)).download_to_drive(Path(folder) / name)
    except (TelegramError, OSError) as exc:
        log.warning("a paper sent with /tailieu could not be copied (%s)", type(exc).__name__)
        return req
    return replace(req, file=replace(file, saved=name))


def update_key(update_id: object, bot_key: str | None) -> str:
    """An update's key in the inbox: the bot's key too when several bots serve (their update ids overlap)."""
    return f"tg:{update_id}" if bot_key is None else f"tg:{bot_key}:{update_id}"


def to_request(update: Update, bot_username: str | None, bot_key: str | None = None) -> Request | None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    common: dict[str, Any] = dict(
        platform=Platform.TELEGRAM,
        user_id=str(user.id),
        chat_id=str(chat.id),
        update_key=update_key(update.update_id, bot_key),
        display_name=user.full_name or "",
        is_group=chat.type in GROUP_TYPES,
        bot_key=bot_key,
    )
    if update.callback_query is not None:
        return Request(**common, button=update.callback_query.data or "")
    message = update.message
    if message is None:
        return None
    if message.text is None:  # a photo, a sticker, a location…: in private, the hint to type a command
        attached = _attachment(message)
        parsed_caption = parse_command(message.caption, bot_username) if message.caption and attached else None
        if parsed_caption is not None and parsed_caption[0] is not None and not common["is_group"]:
            name, args, typed = parsed_caption  # a file with its command in the caption (/tailieu)
            return Request(**common, command=name, args=args, raw_command=typed, file=attached)
        return None if common["is_group"] else Request(**common, text="")
    parsed = parse_command(message.text, bot_username)
    if parsed is None:
        if message.text.strip().startswith("/"):
            if common["is_group"]:
                return None  # a command for another bot in a group
            return Request(**common, raw_command=message.text.strip()[:32])  # "/" alone: the help hint
        return Request(**common, text=message.text)
    name, args, typed = parsed
    return Request(**common, command=name, args=args, raw_command=typed)


class ChiboBot(ExtBot):
    """The Bot, with getUpdates going through the inbox: the updates of a batch are kept durably
    (``keep``, set by the runner) before the method returns, so before the next getUpdates confirms
    them; python-telegram-bot then sees bare ``{"update_id": N}`` updates, which move its offset and
    match no handler, and the intake handles the kept ones. An update the library cannot parse is
    skipped there (its id logged, never its content) instead of failing the batch forever."""

    __slots__ = ("_keep",)

    @property
    def keep(self) -> Callable[[list[Incoming]], Awaitable[None]] | None:
        return getattr(self, "_keep", None)

    def set_keep(self, keep: Callable[[list[Incoming]], Awaitable[None]] | None) -> None:
        with self._unfrozen():
            self._keep = keep

    async def _post(self, endpoint: str, data=None, **kwargs):
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint != "getUpdates" or not isinstance(result, list):
            return result
        raw = [u for u in result if isinstance(u, dict) and update_id_of(u) is not None]
        if self.keep is not None and raw:
            try:
                await self.keep([incoming(u) for u in raw])
            except Exception as exc:  # not acknowledged: polling backs off and fetches them again
                if _last_call(data):  # the updater's call when polling stops: Telegram keeps them for later
                    return []
                raise NetworkError(f"updates could not be kept ({type(exc).__name__})") from exc
            return [{"update_id": update_id_of(u)} for u in raw]
        return [u if self._parses(u) else {"update_id": update_id_of(u)} for u in raw]

    def _parses(self, raw: dict) -> bool:
        try:
            Update.de_json(dict(raw), self)
            return True
        except Exception as exc:
            log.warning("skipped update %s: python-telegram-bot cannot parse it (%s)", update_id_of(raw),
                        type(exc).__name__)
            return False


def _last_call(data) -> bool:
    """python-telegram-bot's getUpdates with no wait when its polling stops (to confirm what it fetched);
    chibo polls with a 30-second wait. Failing that call would log the library's ERROR with a traceback."""
    timeout = data.get("timeout") if isinstance(data, dict) else None
    return timeout is not None and float(getattr(timeout, "total_seconds", lambda: timeout)()) == 0


def update_id_of(raw: dict) -> int | None:
    value = raw.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parses(raw: dict) -> bool:
    """Whether python-telegram-bot can read this update (deeply nested or wrongly shaped ones not)."""
    try:
        return Update.de_json(dict(raw), None) is not None
    except Exception:
        return False


def incoming(raw: dict, bot_key: str | None = None) -> Incoming:
    """An update as the inbox keeps it: its key (the same as the request's) and its chat, for order."""
    chat_key = "?"
    for kind in ("message", "edited_message", "channel_post", "callback_query", "my_chat_member"):
        body = raw.get(kind)
        if isinstance(body, dict):
            who = body.get("from") if kind == "callback_query" else body.get("chat")
            if isinstance(who, dict) and isinstance(who.get("id"), int | str):
                chat_key = str(who["id"])
            break
    return Incoming(update_key=update_key(update_id_of(raw), bot_key), chat_key=f"tg:{chat_key}", payload=raw)


class TelegramSenders:
    """The dispatcher's Telegram sender: each payload goes out through the bot its recipient talks to
    (``bot_key`` in the payload, none for the default bot), each bot at its own pace."""

    def __init__(self, senders: dict[str | None, TelegramSender]):
        self.senders = senders
        self.default = senders.get(None) or next(iter(senders.values()))
        self.pacer = self.default.pacer

    def pick(self, payload: dict) -> TelegramSender:
        return self.senders.get(payload.get("bot_key"), self.default)

    def pacer_for(self, payload: dict) -> Pacer:
        return self.pick(payload).pacer

    def is_group(self, chat_id: str) -> bool:
        return self.default.is_group(chat_id)

    async def admit(self, row: OutboxMessage) -> Admission:
        return ADMITTED

    async def send(self, chat_id: str, payload: dict, admission: Admission = ADMITTED) -> str | None:
        return await self.pick(payload).send(chat_id, payload, admission)


class TelegramAdapter:
    def __init__(self, services: Services, bot=None, pacer: Pacer | None = None, bot_key: str | None = None):
        self.services, self.bot = services, bot
        self.bot_key = bot_key  # None: the default bot (CHIBO_TELEGRAM_TOKEN)
        # The bot's pace: answers take it in the urgent lane, ahead of the outbox's reminders (same limits).
        self.pacer = pacer or Pacer()
        # Answers in flight at once: under a burst, hundreds of chats answered together only contend for
        # the HTTP connection pool (httpcore's bookkeeping grows with the waiters); a few at a time is faster.
        self._sending = asyncio.Semaphore(ANSWERS_AT_ONCE)

    async def handle_kept(self, row: Kept) -> bool:
        """The intake's handler: parse the kept update, handle it, answer. True if a request marked it."""
        try:
            update = Update.de_json(dict(row.payload), self.bot)
        except Exception as exc:
            log.warning("skipped update %s: python-telegram-bot cannot parse it (%s)", row.update_key,
                        type(exc).__name__)
            return False
        return await self.process(update, self.bot)

    async def process(self, update: Update, bot) -> bool:
        req = to_request(update, bot.username, self.bot_key)
        if req is None:
            if update.callback_query is not None:
                await _quietly(update.callback_query.answer())
            return False
        if req.file is not None and req.command == "document":
            req = await _keep_copy(bot, self.services.settings.reports_dir, req)
        try:
            response = await router.handle(self.services, req)
        except Exception:
            if update.callback_query is not None:  # a press is always answered, or the client spins
                await _quietly(update.callback_query.answer())
            raise
        await self.render(bot, update, req, response)
        return True

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.process(update, context.bot)

    async def render(self, bot, update: Update, req: Request, response: Response) -> None:
        if update.callback_query is not None:
            # Every press gets an answer; in a group the answer is the toast only.
            await _quietly(update.callback_query.answer(text=(response.toast or "")[:190] or None))
            if req.is_group:
                return
        for i, reply in enumerate(response.replies):
            await self._reply(bot, req, i, reply)

    async def _reply(self, bot, req: Request, index: int, reply: Reply) -> None:
        """Send one answer; one that cannot go now (429, 5xx, timeouts) goes through the outbox, paced
        and retried, so the answer to a committed action is never dropped."""
        await answer_slot()  # at most a few answered updates not yet marked sent (what a kill -9 resends)
        delay = await _reply_with_retry(bot, req.chat_id, reply, self._sending, self.pacer, req.is_group)
        if delay is None:
            return
        now = self.services.clock.now()
        payload = reply.to_payload() if self.bot_key is None else dict(reply.to_payload(), bot_key=self.bot_key)
        await outgoing.defer_reply(self.services.sessions, platform=Platform.TELEGRAM, chat_id=req.chat_id,
                                   update=req.update_key, index=index, payload=payload,
                                   due_at=now + timedelta(seconds=delay), now=now)
        self.services.wake_dispatcher()


async def _reply_with_retry(bot, chat_id: str, reply: Reply, sending: asyncio.Semaphore, pacer: Pacer,
                            is_group: bool = False, tries: int = 2) -> float | None:
    """Send a reply now, in the bot's pace (the urgent lane: ahead of queued reminders); None when it went
    (or can never go), else in how many seconds to try again. A short 429 is waited out once; a long one is
    not waited for here (the chat's queue would stall)."""
    payload = reply.to_payload()
    delay = 1.0
    for attempt in range(tries):
        try:
            async with sending, pacer.slot(chat_id, is_group, direct=True):
                await send_payload(bot, int(chat_id), payload)
            return None
        except RetryAfter as exc:
            retry = exc.retry_after
            delay = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            if delay > 3 or attempt == tries - 1:
                break
            await pacer.sleep(delay)  # counted as the platform counts its limits
        except Forbidden:
            return None  # they blocked us while we answered; nothing to say to them
        except BadRequest as exc:  # permanent (a subclass of NetworkError): sending again cannot help
            log.warning("reply to a chat refused by the Bot API: %s", type(exc).__name__)
            return None
        except (TimedOut, NetworkError):
            delay = 0.5 * (attempt + 1)
            await asyncio.sleep(delay)
    log.info("reply to a chat could not go now; it goes through the outbox")
    return delay


class PollingErrors:
    """python-telegram-bot's polling loop backs off on errors (1 s, 1.5×, up to 30 s); this reports
    them in one line at most once a minute, without a traceback (the default logs each one with it)."""

    def __init__(self, every: float = 60.0):
        self.every, self._last, self._count = every, float("-inf"), 0

    def __call__(self, exc: TelegramError) -> None:
        self._count += 1
        now = time.monotonic()
        if now - self._last >= self.every:
            log.warning("polling Telegram failed (%s), %d time(s) since the last report; retrying with back-off",
                        type(exc).__name__, self._count)
            self._last, self._count = now, 0


async def _quietly(coro) -> None:
    try:
        await coro
    except TelegramError as exc:
        log.info("answerCallbackQuery failed: %s", type(exc).__name__)


async def set_menu(app: Application, language: str, web_app_url: str | None = None) -> None:
    """The command menu, in the configured language (and the other one for clients set to it); with
    ``web_app_url`` (chibo has a public address), the menu button opens the web view as a Mini App."""
    for lang, entries in MENU.items():
        commands = [BotCommand(name, desc) for name, desc in entries]
        if lang == language:
            await app.bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())
        await app.bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(), language_code=lang)
    if web_app_url:
        await app.bot.set_chat_menu_button(menu_button=MenuButtonWebApp(t(language, "web.menu"), WebAppInfo(web_app_url)))


def build_bot(token: str, api_url: str) -> ChiboBot:
    return ChiboBot(
        token=token,
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        defaults=Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)),
        request=HTTPXRequest(connection_pool_size=64, connect_timeout=10, read_timeout=20, write_timeout=20,
                             pool_timeout=10),
        get_updates_request=HTTPXRequest(connection_pool_size=1, connect_timeout=10, read_timeout=35,
                                         write_timeout=20, pool_timeout=10),
    )


def build_application(services: Services, token: str, api_url: str, *, updater: bool = True,
                      bot_key: str | None = None) -> Application:
    builder = (
        ApplicationBuilder()
        .bot(build_bot(token, api_url))
        .concurrent_updates(False)
    )
    if not updater:
        builder = builder.updater(None)
    app = builder.build()
    adapter = TelegramAdapter(services, app.bot, Pacer.counting_in(services.pace), bot_key)  # each bot its own pace
    app.bot_data["adapter"] = adapter  # the intake hands it the kept updates (bot.runtime.runner)
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & (filters.TEXT | filters.ChatType.PRIVATE),
                                   adapter.on_update))
    app.add_handler(CallbackQueryHandler(adapter.on_update))

    async def _error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update handling failed: %s", type(context.error).__name__, exc_info=context.error)

    app.add_error_handler(_error)
    return app
