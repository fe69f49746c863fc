"""The Telegram adapter: python-telegram-bot's updates in, Bot API calls out.

Updates become neutral ``Request``s for ``handlers.router``; ``Response``s become Bot API calls.
``TelegramSender`` is what the dispatcher uses to deliver outbox rows.
"""

from __future__ import annotations

import asyncio
import logging

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
    MessageHandler,
    filters,
)

from core.messages import Reply, Request, Response
from core.services import Services
from core.texts import t
from core.textsplit import split_text
from handlers import router
from handlers.commands import MENU, parse_command
from scheduler.delivery import Blocked, Permanent, RateLimited, Transient
from storage.models import OutboxMessage, Platform

log = logging.getLogger(__name__)

MAX_TEXT = 4096
GROUP_TYPES = {"group", "supergroup"}


def keyboard(buttons: list[list[dict]]) -> InlineKeyboardMarkup | None:
    """A payload's button rows ({"label", "data"}) as an inline keyboard."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["label"], web_app=WebAppInfo(b["web_app"])) if b.get("web_app")
          else InlineKeyboardButton(b["label"], callback_data=b["data"]) for b in row] for row in buttons]
    )


async def send_payload(bot, chat_id: int | str, payload: dict) -> None:
    """Send one neutral payload (text, buttons, files); long texts are split, buttons go on the last part."""
    parts = split_text(payload.get("text", ""), MAX_TEXT) if payload.get("text") else []
    for i, part in enumerate(parts):
        markup = keyboard(payload.get("buttons")) if i == len(parts) - 1 else None
        await bot.send_message(chat_id=chat_id, text=part, reply_markup=markup)
    for f in payload.get("files", []):
        with open(f["path"], "rb") as fh:
            if f.get("kind") == "photo":
                await bot.send_photo(chat_id=chat_id, photo=fh, caption=f.get("caption"), filename=f.get("name"))
            else:
                await bot.send_document(chat_id=chat_id, document=fh, caption=f.get("caption"), filename=f.get("name"))


class TelegramSender:
    """Delivers outbox payloads, translating python-telegram-bot errors into neutral ones."""

    def __init__(self, bot):
        self.bot = bot

    async def admit(self, row: OutboxMessage) -> str | None:
        return None  # no message budget on Telegram: the pacer keeps to its limits

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")

    async def send(self, chat_id: str, payload: dict) -> None:
        try:
            await send_payload(self.bot, int(chat_id), payload)
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


def to_request(update: Update, bot_username: str | None) -> Request | None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    common = dict(
        platform=Platform.TELEGRAM,
        user_id=str(user.id),
        chat_id=str(chat.id),
        update_key=f"tg:{update.update_id}",
        display_name=user.full_name or "",
        is_group=chat.type in GROUP_TYPES,
    )
    if update.callback_query is not None:
        return Request(**common, button=update.callback_query.data or "")
    message = update.message
    if message is None or message.text is None:
        return None
    parsed = parse_command(message.text, bot_username)
    if parsed is None:
        if message.text.strip().startswith("/"):
            return None  # a command for another bot in a group
        return Request(**common, text=message.text)
    name, args, typed = parsed
    return Request(**common, command=name, args=args, raw_command=typed)


class TelegramAdapter:
    def __init__(self, services: Services):
        self.services = services

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        req = to_request(update, context.bot.username)
        if req is None:
            if update.callback_query is not None:
                await _quietly(update.callback_query.answer())
            return
        response = await router.handle(self.services, req)
        await self.render(context.bot, update, req, response)

    async def render(self, bot, update: Update, req: Request, response: Response) -> None:
        if update.callback_query is not None:
            # Every press gets an answer; in a group the answer is the toast only.
            await _quietly(update.callback_query.answer(text=(response.toast or "")[:190] or None))
            if req.is_group:
                return
        for reply in response.replies:
            await _reply_with_retry(bot, req.chat_id, reply)


async def _reply_with_retry(bot, chat_id: str, reply: Reply, tries: int = 3) -> None:
    payload = reply.to_payload()
    for attempt in range(tries):
        try:
            await send_payload(bot, int(chat_id), payload)
            return
        except RetryAfter as exc:
            retry = exc.retry_after
            await asyncio.sleep(min(30.0, retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)))
        except Forbidden:
            return  # they blocked us while we answered; nothing to say to them
        except (TimedOut, NetworkError):
            await asyncio.sleep(0.5 * (attempt + 1))
    log.warning("reply to a chat failed after %d tries", tries)


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


def build_application(services: Services, token: str, api_url: str, *, updater: bool = True) -> Application:
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .concurrent_updates(False)
        .connect_timeout(10).read_timeout(20).write_timeout(20).pool_timeout(10)
        .get_updates_read_timeout(35)
    )
    if not updater:
        builder = builder.updater(None)
    app = builder.build()
    adapter = TelegramAdapter(services)
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, adapter.on_update))
    app.add_handler(CallbackQueryHandler(adapter.on_update))

    async def _error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update handling failed: %s", type(context.error).__name__, exc_info=context.error)

    app.add_error_handler(_error)
    return app
