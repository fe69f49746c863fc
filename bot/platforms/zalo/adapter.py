"""The Zalo adapter: Zalo events become neutral requests; replies become plain texts.

Zalo has no buttons: a reply's choices are offered as "Trả lời bằng số: 1 – Tham dự; 2 – Xin vắng" and the
numbers are remembered per chat (``chat_choices``), so "1" is the same action as the button.
Texts are plain (no HTML) and split at 2,000 characters. Every message sent is counted against the
bot's monthly quota; when it runs short, repeat reminders are cut first.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.platforms.zalo.client import (
    EVENT_UNSUPPORTED,
    ZaloApiError,
    ZaloBadRequest,
    ZaloClient,
    ZaloEvent,
    ZaloForbidden,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
    parse_event,
)
from bot.runtime.intake import answer_slot
from core import outgoing
from core.files import signed_url
from core.messages import Attachment, Request
from core.outgoing import Quota, quota_of
from core.services import Services
from core.settings import DEFAULT_ZALO_BOT
from core.texts import t
from core.textsplit import html_to_plain, split_plain
from handlers import router
from handlers.commands import parse_command, parse_plain_command
from rules import month_key
from scheduler.delivery.senders import ADMITTED, Admission, Blocked, Permanent, RateLimited, Transient
from storage.inbox import Incoming, Kept
from storage.models import ChatChoice, OutboxMessage, Platform
from storage.usage import add_sent, sent_in

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_COPY = 20 * 1024 * 1024  # an image sent with /tailieu larger than this is not copied (as on Telegram)
WARN_AT = 0.8  # of the monthly quota: warn the operator, cut repeat reminders


def render(lang: str, payload: dict) -> tuple[list[str], list[str]]:
    """(plain texts to send, button data offered as numbers)."""
    text = html_to_plain(payload.get("text", ""))
    buttons = [b for row in payload.get("buttons", []) for b in row]
    if buttons:
        items = "; ".join(t(lang, "choices.item", number=i + 1, label=b["label"]) for i, b in enumerate(buttons))
        text += "\n" + html_to_plain(t(lang, "choices.hint", choices=items))
    return split_plain(text, MAX_TEXT), [b["data"] for b in buttons]


class ZaloSender:
    """Sends neutral payloads on Zalo; used by the dispatcher and for direct answers."""

    def __init__(self, client: ZaloClient, services: Services, bot_key: str = DEFAULT_ZALO_BOT):
        self.client, self.services, self.bot_key = client, services, bot_key
        self._warned_month: str | None = None
        self._admitted = 0  # rows let through by admit() and not yet counted: the quota holds under concurrency
        self._admission = asyncio.Lock()

    def is_group(self, chat_id: str) -> bool:
        return False  # Zalo chat ids do not say; groups are paced like private chats (stricter)

    async def send(self, chat_id: str, payload: dict, admission: Admission = ADMITTED) -> None:
        settings = self.services.settings
        texts, choices = render(settings.language, payload)
        sent = 0
        try:
            for text in texts:
                if text.strip():
                    await self.client.send_message(chat_id, text)
                    sent += 1
            sent += await self._send_files(chat_id, payload.get("files", []), payload)
        except ZaloRateLimited as exc:
            raise RateLimited(exc.retry_after or 60.0) from exc
        except ZaloForbidden as exc:
            raise Blocked(exc.description) from exc
        except ZaloUnauthorized as exc:
            log.error("the Zalo bot token was refused (401): check CHIBO_ZALO_TOKEN")
            raise Permanent("unauthorized") from exc
        except ZaloBadRequest as exc:
            raise Permanent(exc.description) from exc
        except (ZaloServerError, ZaloApiError) as exc:
            raise Transient(exc.description) from exc
        finally:
            # Counted and released together, under admit()'s lock: an admit() between the two would count
            # this message twice (in the database and as a reservation) and cut a row the quota allowed.
            async with self._admission:
                if sent:
                    await self._count(sent)
                if admission.reserved:  # counted now: release the reservation admit() made
                    self._admitted = max(0, self._admitted - 1)
        if choices:
            await self._remember(chat_id, choices)

    async def _send_files(self, chat_id: str, files: list[dict], payload: dict) -> int:
        count = 0
        for f in [f for f in files if f.get("file_id")]:  # an image a person sent to a Zalo bot: its Zalo address
            await self.client.send_photo(chat_id, f["file_id"], caption=f.get("caption"))
            count += 1
        files = [f for f in files if not f.get("file_id")]
        if not files:
            return count
        settings, now, lang = self.services.settings, self.services.clock.now(), self.services.settings.language
        if not settings.public_url:
            committee = payload.get("committee_id", "ID")
            text = payload.get("no_link_text") or t(lang, "files.no_public_url", committee=committee)
            await self.client.send_message(chat_id, html_to_plain(text))
            return count + 1
        for f in files:
            url = signed_url(settings, Path(f["path"]), now)
            if url is None:
                continue
            if f.get("kind") == "photo":
                await self.client.send_photo(chat_id, url, caption=f.get("caption"))
            else:
                await self.client.send_message(chat_id, html_to_plain(t(lang, "files.link", name=f.get("name", ""), url=url)))
            count += 1
        return count

    async def _remember(self, chat_id: str, choices: list[str]) -> None:
        now = self.services.clock.now()
        async with self.services.sessions() as session, session.begin():
            row = await session.scalar(select(ChatChoice).where(
                ChatChoice.platform == Platform.ZALO, ChatChoice.chat_id == chat_id))
            if row is None:
                session.add(ChatChoice(platform=Platform.ZALO, chat_id=chat_id, choices=choices, offered_at=now))
            else:
                row.choices, row.offered_at = choices, now

    async def _count(self, sent: int) -> None:
        settings = self.services.settings
        month = month_key(self.services.clock.now().astimezone(settings.tz).date())
        async with self.services.sessions() as session, session.begin():
            await add_sent(session, self.bot_key, month, sent)
            used = await sent_in(session, self.bot_key, month)
        if used >= WARN_AT * settings.zalo_monthly_quota and self._warned_month != month:
            self._warned_month = month
            log.warning("Zalo bot %s has used %d of its %d messages this month", self.bot_key, used,
                        settings.zalo_monthly_quota)

    async def admit(self, row: OutboxMessage) -> Admission:
        """Send the row (a unit of the quota reserved for it), or why it is cut: short of quota, repeat
        reminders go first, then the repeatable messages (core.outgoing: all but answers, check-in
        prompts, notices and summaries)."""
        settings = self.services.settings
        month = month_key(self.services.clock.now().astimezone(settings.tz).date())
        async with self._admission:
            async with self.services.sessions() as session:
                counted = await sent_in(session, self.bot_key, month)
            used = counted + self._admitted
            quota = settings.zalo_monthly_quota
            if used >= quota:
                return Admission("zalo monthly quota used up")
            if used >= WARN_AT * quota:
                if row.kind == outgoing.REMINDER.kind and not _is_last_reminder(row.key, settings):
                    return Admission("zalo quota short: repeat reminder cut")
                if used >= 0.95 * quota and quota_of(row.priority) is Quota.REPEATABLE:
                    return Admission("zalo quota short: low priority cut")
            self._admitted += 1
        return Admission(reserved=True)


def _command_of(text: str) -> tuple[str, str, str] | None:
    """A command at the start of ``text``, typed with "/" or in words ("tai lieu …"): (name, args, as typed)."""
    text = text.strip()
    if text.startswith("/"):
        parsed = parse_command(text)
        if parsed is None or parsed[0] is None or parsed[2] is None:
            return None
        return parsed[0], parsed[1], parsed[2]
    return parse_plain_command(text)


def _is_last_reminder(key: str, settings) -> bool:
    """Whether a reminder (core.outgoing.REMINDER) is the last before its meeting: the smallest offset."""
    offset = outgoing.REMINDER.field(key, "offset")
    try:
        return offset is None or int(offset) == int(min(settings.offsets).total_seconds())
    except ValueError:
        return True


class ZaloSenders:
    """The dispatcher's Zalo sender when several bots serve one deployment: each payload goes out
    through the bot its recipient talks to (``bot_key`` in the payload), and each bot keeps its quota."""

    def __init__(self, senders: dict[str, ZaloSender]):
        self.senders = senders
        self.default = senders.get(DEFAULT_ZALO_BOT) or next(iter(senders.values()))

    def pick(self, payload: dict) -> ZaloSender:
        return self.senders.get(payload.get("bot_key") or DEFAULT_ZALO_BOT, self.default)

    def is_group(self, chat_id: str) -> bool:
        return False

    async def send(self, chat_id: str, payload: dict, admission: Admission = ADMITTED) -> None:
        await self.pick(payload).send(chat_id, payload, admission)

    async def admit(self, row: OutboxMessage) -> Admission:
        return await self.pick(row.payload).admit(row)


class ZaloAdapter:
    def __init__(self, services: Services, client: ZaloClient, sender: ZaloSender, bot_key: str = DEFAULT_ZALO_BOT):
        self.services, self.client, self.sender, self.bot_key = services, client, sender, bot_key
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.intake = None  # bot.runtime.intake.Intake, set by the runner

    async def take(self, event: ZaloEvent) -> None:
        """Keep the event in the inbox (before the webhook answers 200, before the next poll), then it
        is handled by the intake; without an intake (a bare adapter), handle it now."""
        if self.intake is None:
            await self.handle_event(event)
            return
        item = Incoming(update_key=self._update_key(event), chat_key=f"zalo:{event.chat_id}",
                        payload=event.raw)
        await self.intake.take(Platform.ZALO, self.bot_key, [item])

    def _update_key(self, event: ZaloEvent) -> str:
        """An event's key in the inbox and on its request: the bot's key with it (several bots, one event each)."""
        return f"zalo:{self.bot_key}:{event.dedup_key}"

    async def handle_kept(self, row: Kept) -> bool:
        event = parse_event(row.payload)
        if event is None:
            log.warning("skipped Zalo update %s: it cannot be parsed", row.id)
            return False
        return await self.handle_event(event)

    async def to_request(self, event: ZaloEvent) -> Request | None:
        common: dict[str, Any] = dict(platform=Platform.ZALO, user_id=event.user_id, chat_id=event.chat_id,
                      update_key=self._update_key(event), display_name=event.display_name or "",
                      is_group=event.is_group, addressed=event.is_group, bot_key=self.bot_key)
        if event.image_url is not None and event.caption is not None and not event.is_group:
            attached = _command_of(event.caption)  # an image with its command in the caption (/tailieu)
            if attached is not None:
                return Request(**common, command=attached[0], args=attached[1], raw_command=attached[2],
                               file=Attachment(event.image_url, "anh.jpg", 0, "photo"))
        if event.event_name == EVENT_UNSUPPORTED:  # Zalo did not pass the content on (a file, a video…)
            return None if event.is_group else Request(**common, unreadable=True)
        if event.text is None:
            return None if event.is_group else Request(**common, text="")
        text = event.text.strip()
        if text.isdigit() and len(text) <= 2:
            async with self.services.sessions() as session:
                row = await session.scalar(select(ChatChoice).where(
                    ChatChoice.platform == Platform.ZALO, ChatChoice.chat_id == event.chat_id))
            if row is not None and 1 <= int(text) <= len(row.choices):
                return Request(**common, button=row.choices[int(text) - 1])
        parsed = parse_command(text) if text.startswith("/") else None
        if parsed is not None:
            name, args, typed = parsed
            return Request(**common, command=name, args=args, raw_command=typed)
        if text.startswith("/"):  # "/" alone or "/?": no command we know, so the help hint
            return Request(**common, raw_command=text[:32])
        return Request(**common, text=text)

    async def handle_event(self, event: ZaloEvent) -> bool:
        """Handle and answer one event; True if a request handled it (and marked its inbox row)."""
        req = await self.to_request(event)
        if req is None:
            return False
        if req.file is not None and req.command == "document":
            req = await self._keep_copy(req)
        response = await router.handle(self.services, req)
        texts = [r.to_payload() for r in response.replies]
        if response.toast and not texts:  # no toasts on Zalo: the answer is a message
            texts = [{"text": response.toast, "buttons": []}]
        for index, payload in enumerate(texts):
            await answer_slot()  # at most a few answered updates not yet marked sent (what a kill -9 resends)
            try:
                await self.sender.send(event.chat_id, payload)
            except (Blocked, Permanent) as exc:
                log.info("answer on Zalo not delivered: %s", type(exc).__name__)
                return True
            except (RateLimited, Transient):
                await asyncio.sleep(1)
                try:
                    await self.sender.send(event.chat_id, payload)
                except (RateLimited, Transient) as exc:  # the action is committed: its answer goes later
                    log.info("answer on Zalo could not go now (%s); it goes through the outbox", type(exc).__name__)
                    now = self.services.clock.now()
                    await outgoing.defer_reply(self.services.sessions, platform=Platform.ZALO, chat_id=event.chat_id,
                                               update=req.update_key, index=index,
                                               payload=dict(payload, bot_key=self.bot_key), due_at=now, now=now)
                    self.services.wake_dispatcher()
                except (Blocked, Permanent) as exc:
                    log.info("answer on Zalo not delivered: %s", type(exc).__name__)
        return True

    async def _keep_copy(self, req: Request) -> Request:
        """An image sent with /tailieu, copied to the reports folder: members on Telegram get the copy, and the
        web view links it; without the copy (too big, a network error) Zalo members still get it by its address."""
        file = req.file
        assert file is not None, "handle_event calls this for a file only"
        folder = Path(self.services.settings.reports_dir)
        name = f"chibo-tai-lieu-{secrets.token_hex(8)}.jpg"
        try:
            content = await self.client.download(file.file_id, MAX_COPY)
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread((folder / name).write_bytes, content)
        except (ZaloApiError, OSError) as exc:
            log.warning("an image sent with /tailieu on Zalo could not be copied (%s)", type(exc).__name__)
            return req
        return replace(req, file=replace(file, saved=name, size=len(content)))

    # --- long polling (the webhook is in bot.runtime.http_server) ---
    def start_polling(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._poll(), name=f"chibo-zalo-polling-{self.bot_key}")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _poll(self) -> None:
        delay = 1.0
        while not self._stopping:
            try:
                event = await self.client.get_update(timeout=30)
                delay = 1.0
            except ZaloUnauthorized:
                log.error("the Zalo bot token was refused (401): Zalo polling stops; check CHIBO_ZALO_TOKEN")
                return
            except ZaloApiError as exc:
                log.warning("Zalo polling failed (%s); retrying in %.0fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(60.0, delay * 2)
                continue
            if event is not None:
                await self._keep_polled(event)

    async def _keep_polled(self, event: ZaloEvent) -> None:
        """Zalo considers a polled event delivered: keep it before polling again, however long the
        database takes to come back (the outage is reported once a minute by the intake)."""
        delay = 1.0
        while True:
            try:
                await self.take(event)
                return
            except Exception:
                if self._stopping:
                    return
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
